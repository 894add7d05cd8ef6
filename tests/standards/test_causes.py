"""Causes of a county's verdict: the sentence per failing part and the schools driving a CV."""

from __future__ import annotations

import dataclasses
import math

import polars as pl
import pytest

from junheng.demo import generate
from junheng.standards.causes import cv_drivers, part_causes
from junheng.standards.cv import county_stage_cvs
from junheng.standards.engine import Evaluation, evaluate

SUNAN = "620721"


@pytest.fixture(scope="module")
def ev() -> Evaluation:
    return evaluate(generate(0), "quality-balance-2017", 2024)


def test_contributions_hand_computed(ev: Evaluation) -> None:
    # Three schools: P = 100, 300, 100 (P = 500); Y = 2000, 3000, 500 m² → X = 20, 10, 5,
    # X̄ = 5500 / 500 = 11. (P_i/P)(X_i − X̄)² = 0.2·81 = 16.2, 0.6·1 = 0.6, 0.2·36 = 7.2;
    # Σ = 24 → shares 0.675, 0.025, 0.3; CV = √24 / 11.
    frame = pl.DataFrame({
        "county_code": ["X"] * 3, "stage": ["primary"] * 3,
        "school_id": ["a", "b", "c"], "school_name": ["甲", "乙", "丙"],
        "students": [100, 300, 100], "sports_area_m2": [2000.0, 3000.0, 500.0],
        "sports_area_per_student": [20.0, 10.0, 5.0], "passed": [True, True, True],
    })
    hand = dataclasses.replace(ev, schools=frame)
    d = cv_drivers(hand, "X", "primary", "sports_area_per_student", top=None)
    assert d["school_id"].to_list() == ["a", "c", "b"]
    assert d["contribution"].to_list() == pytest.approx([0.675, 0.3, 0.025])
    assert d["direction"].to_list() == ["above", "below", "below"]
    assert d["county_value"].to_list() == pytest.approx([11.0] * 3)
    assert d["value"].to_list() == [20.0, 5.0, 10.0]
    # The same frame through the engine's CV: the shares split exactly its weighted variance.
    ind = ev.standard.indicator("sports_area_per_student")
    cv = county_stage_cvs(frame, [ind])["cv__sports_area_per_student"][0]
    assert cv == pytest.approx(math.sqrt(24) / 11)
    assert cv_drivers(hand, "X", "primary", "sports_area_per_student", top=2).height == 2


def test_sunan_primary_sports_ground_drivers(ev: Evaluation) -> None:
    stage = ev.county_result(SUNAN).stages["primary"]
    assert stage.indicators["sports_area_per_student"].cv_passed is False
    every = cv_drivers(ev, SUNAN, "primary", "sports_area_per_student", top=None)
    assert every.height == stage.schools_evaluated
    assert every["contribution"].sum() == pytest.approx(1.0)
    top = cv_drivers(ev, SUNAN, "primary", "sports_area_per_student")
    assert top.height == 5
    assert top["contribution"].is_sorted(descending=True)
    rows = {r["school_name"]: r for r in top.to_dicts()}
    # 红湾小学: the big town school with ~11 m² per pupil, below the mean; the tiny township
    # schools with 100–140 m² per pupil above it.
    hw = rows["肃南县红湾小学"]
    assert hw["direction"] == "below" and hw["value"] == pytest.approx(11.38, abs=0.01)
    above = [r for r in top.to_dicts() if r["direction"] == "above"]
    assert len(above) == 4
    assert all(r["value"] > 100 and r["students"] < 100 for r in above)
    # Weighted by students, the shares reproduce the engine's CV.
    county_value = stage.indicators["sports_area_per_student"].county_value
    assert top["county_value"][0] == pytest.approx(county_value, rel=1e-6)


def test_sunan_resources_sentence(ev: Evaluation) -> None:
    causes = {c.part: c for c in part_causes(ev, SUNAN)}
    assert set(causes) == {"resources"}
    zh = causes["resources"].text_zh
    assert zh.startswith("小学：6 个学校学段（共 8 个）未达到“至少6项达标、其余不低于85%”的要求")
    assert "6 项差异系数超过上限" in zh and "生均体育运动场馆面积" in zh
    assert "尽管" not in zh
    assert "6 of 8 school stages" in causes["resources"].text_en


def test_ganzhou_sentence_says_every_cv_passes(ev: Evaluation) -> None:
    causes = {c.part: c for c in part_causes(ev, "620702")}
    assert "尽管各项差异系数均达标" in causes["resources"].text_zh
    assert "15 项中 2 项未达标" in causes["government"].text_zh
    # A county that passes every part has no cause to give.
    passed = [c.county_code for c in ev.counties if c.passed]
    for code in passed:
        assert part_causes(ev, code) == []
