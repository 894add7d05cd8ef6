"""Plans for the cases of ``cases/*.yaml``: small counties written in the bureau's words (schools
by name, actions by their Chinese label), each with the actions, the cost and the verdict expected.

A school's stocks not written in its case are 1.5 times each threshold of the standard (every
indicator met, every CV 0), so a case states only what is short. Every plan is also judged by
``check_plan`` (every constraint recomputed from the listed actions) and by the standards engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from planners.investment.tiny import COUNTY, school_id, tiny_county

from junheng.planners.investment import plan_county
from junheng.planners.investment.costs import load_costs
from junheng.planners.investment.plan import KIND_LABELS
from junheng.planners.investment.results import STATUS_ZH

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))
_STOCKS = ("degree_teachers", "backbone_teachers", "pe_art_teachers", "teaching_area_m2", "sports_area_m2",
           "equipment_value_yuan", "multimedia_rooms")


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return case


def _run(case: dict[str, Any]):  # type: ignore[no-untyped-def]
    schools = case["schools"]
    names = [s["name"] for s in schools]
    ds = tiny_county([int(s["students"]) for s in schools],
                     {i: {k: float(s[k]) for k in _STOCKS if k in s} for i, s in enumerate(schools)},
                     year=int(case["year"]))
    ds = ds.with_table("schools", ds.table("schools").with_columns(school_name=pl.Series(names)))
    ids = {n: school_id(i) for i, n in enumerate(names)}
    raw_costs = dict(case.get("costs") or {})
    if "school_limits" in raw_costs:   # the bureau names schools; the cost file keys them by id
        raw_costs["school_limits"] = {ids[n]: v for n, v in raw_costs["school_limits"].items()}
    return plan_county(ds, COUNTY, int(case["year"]), costs=load_costs(raw_costs), time_limit=30), ids


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = _load(path)
    plan, ids = _run(case)
    exp = case["expect"]
    by_id = {v: k for k, v in ids.items()}
    label_to_kind = {v: k for k, v in KIND_LABELS.items()}
    assert STATUS_ZH[plan.status] == exp["status"], plan.status
    assert plan.total_cost_yuan == pytest.approx(float(exp["total_cost_yuan"]), abs=0.5)
    got = sorted((by_id[a["school_id"]], a["kind"], round(float(a["quantity"]), 2),
                  by_id.get(a["from_school_id"]) if a["from_school_id"] else None)
                 for a in plan.actions.to_dicts())
    want = sorted((a["school"], label_to_kind[a["action"]], round(float(a["quantity"]), 2), a.get("from"))
                  for a in exp["actions"])
    assert got == want
    assert plan.check.resources_passed is exp["resources_passed"]
    assert plan.check.plan_check_passed, plan.check.plan_check_violations
    assert sum(float(a["cost_yuan"]) for a in plan.actions.to_dicts()) == pytest.approx(plan.total_cost_yuan)
    if "unattainable" in exp:
        assert sorted((by_id[u.school_id], u.indicator_label) for u in plan.unattainable) == \
            sorted((u["school"], u["indicator"]) for u in exp["unattainable"])
    if "lifting_limits_over" in exp:
        over = plan.what_if_no_limits.over_limit if plan.what_if_no_limits else ()
        assert sorted(by_id[o.school_id] for o in over) == sorted(exp["lifting_limits_over"])
