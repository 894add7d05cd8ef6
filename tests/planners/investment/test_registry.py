"""The action registry (data/actions.yaml) and the indicators agree with the cost file and the
standard: a misspelt key there would only fail when a plan needs it."""

from __future__ import annotations

from junheng.planners.investment.actions import actions, labels, limit_label, raising
from junheng.planners.investment.costs import load_costs
from junheng.planners.investment.rules import INDICATORS, STANDARD_ID
from junheng.standards import labels as label_lookup
from junheng.standards.loader import load_standard


def test_every_cost_and_limit_key_exists_in_the_cost_file() -> None:
    costs = load_costs()
    for a in actions():
        if a.cost is not None:
            assert a.unit_cost(costs) >= 0, a.id
        if a.limit is not None:
            assert a.limit in costs.limits, (a.id, a.limit)
            assert limit_label(a.limit) != a.limit, a.limit


def test_indicators_are_the_standards_and_each_has_its_actions() -> None:
    std = load_standard(STANDARD_ID)
    assert [i.id for i in INDICATORS] == [i.id for i in std.indicators]
    assert [i.resource for i in INDICATORS] == [i.numerator for i in std.indicators]
    for ind in INDICATORS:
        groups = ("hire", "move") if ind.kind == "teacher" else ("stock",)
        for g in groups:
            assert raising(ind.id, g).indicator == ind.id
    assert {a.indicator for a in actions() if a.indicator} == {i.id for i in INDICATORS}


def test_every_action_has_both_labels_in_the_one_label_lookup() -> None:
    zh, en = labels("zh"), labels("en")
    for a in actions():
        assert zh[a.id] and en[a.id] and zh[a.id] != en[a.id]
        assert label_lookup.label("action", a.id, "zh") == zh[a.id]
        assert label_lookup.label("action", a.id, "en") == en[a.id]
