"""The /api response models describe the engine's document for every standard: a document
validates and renders back key for key (optional keys stay absent)."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from junheng.standards.engine import evaluate
from junheng.web.api_models import EvaluationOut, InvestmentPlanOut
from tests.web import tiny


@pytest.mark.parametrize("standard", ["basic-balance-2012", "quality-balance-2017",
                                      "zhangye-2024-targets"])
@pytest.mark.parametrize("county", [None, "620723"])
def test_evaluation_model_round_trips(standard: str, county: str | None) -> None:
    doc = evaluate(tiny.build(), standard, 2024, county).to_json()
    back = EvaluationOut.model_validate(doc).model_dump(mode="json", exclude_unset=True)
    assert json.dumps(back, ensure_ascii=False) == json.dumps(doc, ensure_ascii=False)


@functools.cache
def _plans() -> dict[str, dict[str, Any]]:
    from planners.investment.tiny import COUNTY, school_id, tiny_county

    from junheng.planners.investment import plan_county
    from junheng.planners.investment.costs import load_costs

    # Out of reach at one school (its land), with the cost of lifting the limit; a moved teacher.
    short = tiny_county([600, 300, 300], {0: {"sports_area_m2": 3000.0, "teaching_area_m2": 2400.0},
                                          1: {"backbone_teachers": 6}, 2: {"backbone_teachers": 1}})
    costs = load_costs({"school_limits": {school_id(0): {"sports_area_max_m2": 0}}})
    return {"limits": plan_county(short, COUNTY, 2024, costs=costs, time_limit=30).to_json(),
            # A school over the size cap: a new campus.
            "campus": plan_county(tiny_county([2300, 600]), COUNTY, 2024, time_limit=30).to_json()}


@pytest.mark.parametrize("case", ["limits", "campus"])
def test_plan_model_round_trips(case: str) -> None:
    doc = _plans()[case]
    assert doc["unattainable"] if case == "limits" else doc["new_campuses"]
    back = InvestmentPlanOut.model_validate(doc).model_dump(mode="json", by_alias=True,
                                                            exclude_unset=True)
    assert json.dumps(back, ensure_ascii=False) == json.dumps(doc, ensure_ascii=False)
