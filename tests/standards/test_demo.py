"""The engine on the Zhangye demo data: a mix of verdicts, each explained, and evaluating one
county alone gives exactly what it gets in the whole-city evaluation."""

from __future__ import annotations

import pytest

from junheng.demo import generate
from junheng.standards.engine import evaluate


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    return generate(0)


@pytest.fixture(scope="module")
def full(demo):  # type: ignore[no-untyped-def]
    return evaluate(demo, "quality-balance-2017", 2024).to_json()


def test_mix_of_verdicts_each_explained(full) -> None:  # type: ignore[no-untyped-def]
    statuses = {c["county_code"]: c["status"] for c in full["counties"]}
    assert len(statuses) == 6
    assert "passed" in statuses.values() and "failed" in statuses.values()
    for c in full["counties"]:
        if not c["passed"]:
            assert c["reasons_zh"], c["county_code"]
        for item in c["items"].values():
            for chk in item["checks"]:
                assert chk["trace"]["source"] and "inputs" in chk["trace"]
        for stage in c["stages"].values():
            for ind in stage["indicators"].values():
                assert ind["trace"]["source"] == "教督〔2017〕6号"
    for s in full["schools"]:
        for ind in s["indicators"].values():
            assert ind["trace"]["clause"] and ind["trace"]["inputs"]["students"] == s["students"]


def test_one_county_alone_matches_the_city_run(demo, full) -> None:  # type: ignore[no-untyped-def]
    by_code = {c["county_code"]: c for c in full["counties"]}
    for code in ("620702", "620721"):
        alone = evaluate(demo, "quality-balance-2017", 2024, county=code).to_json()
        assert alone["counties"] == [by_code[code]]
        assert alone["schools"] == [s for s in full["schools"] if s["county_code"] == code]
