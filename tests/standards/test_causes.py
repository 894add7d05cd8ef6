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


def test_cv_fix_brings_every_failing_cv_under_its_limit() -> None:
    """What the page says would fix a CV does: the amounts, added to the data the way a bureau
    would (a school's facilities, a stage's teachers), make the engine's own CV pass."""
    from junheng.standards.causes import cv_fix
    from junheng.standards.school_table import STOCK_COLUMNS

    ds = generate(0)
    before = evaluate(ds, "quality-balance-2017", 2024, county=SUNAN)
    county = before.find_county(SUNAN)
    assert county is not None
    failing = [(st, i) for st, s in county.stages.items() for i, r in s.indicators.items()
               if r.cv_passed is False]
    assert len(failing) >= 5
    for stage, ind_id in failing:
        fix = cv_fix(before, SUNAN, stage, ind_id)
        assert fix is not None and fix.schools.height > 0
        assert fix.cv_after <= fix.cv_limit < fix.cv_before
        assert fix.total == pytest.approx(fix.schools["add"].sum())
        assert (fix.schools["add"] == fix.schools["add"].round(0)).all()  # whole units
        col = before.standard.indicator(ind_id).numerator
        adds = fix.schools.select("school_id", pl.col("add").alias("__add"))
        if col in STOCK_COLUMNS:
            tid, on = "facilities", ["school_id"]
        else:
            tid, on = "sections", ["school_id"]
            adds = adds.with_columns(stage=pl.lit(stage))
            on = ["school_id", "stage"]
        table = ds.table(tid).join(adds, on=on, how="left").with_columns(
            pl.when(pl.col("year") == 2024).then(pl.col(col) + pl.col("__add").fill_null(0))
            .otherwise(pl.col(col)).cast(ds.table(tid).schema[col]).alias(col)).drop("__add")
        after = evaluate(ds.with_table(tid, table), "quality-balance-2017", 2024, county=SUNAN)
        ind = after.find_county(SUNAN).stages[stage].indicators[ind_id]  # type: ignore[union-attr]
        assert ind.cv_passed is True, (ind_id, ind.cv, fix.text_zh())
        assert ind.cv == pytest.approx(fix.cv_after, abs=1e-6)
    words = cv_fix(before, SUNAN, "primary", "sports_area_per_student")
    assert words is not None
    assert "肃南县红湾小学增加 28,706 m²（生均 11.38 → 45.04 m²）" in words.text_zh()
    assert "+28,706 m² (11.38 → 45.04 m² per student)" in words.text_en()


def test_cv_fix_is_none_for_a_passing_cv(ev: Evaluation) -> None:
    from junheng.standards.causes import cv_fix

    county = ev.find_county(SUNAN)
    assert county is not None
    passing = [(st, i) for st, s in county.stages.items() for i, r in s.indicators.items()
               if r.cv_passed is True]
    assert passing and all(cv_fix(ev, SUNAN, st, i) is None for st, i in passing)
