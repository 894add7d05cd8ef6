"""The /api response models describe the engine's document for every standard: a document
validates and renders back key for key (optional keys stay absent)."""

from __future__ import annotations

import json

import pytest

from junheng.standards.engine import evaluate
from junheng.web.api_models import EvaluationOut
from tests.web import tiny


@pytest.mark.parametrize("standard", ["basic-balance-2012", "quality-balance-2017",
                                      "zhangye-2024-targets"])
@pytest.mark.parametrize("county", [None, "620723"])
def test_evaluation_model_round_trips(standard: str, county: str | None) -> None:
    doc = evaluate(tiny.build(), standard, 2024, county).to_json()
    back = EvaluationOut.model_validate(doc).model_dump(mode="json", exclude_unset=True)
    assert json.dumps(back, ensure_ascii=False) == json.dumps(doc, ensure_ascii=False)
