"""The 2020 county preschool method (学前教育普及普惠) on hand-made kindergartens, and measure 1
of the register taking its three headline figures."""

from __future__ import annotations

import polars as pl
import pytest

from junheng.domain.dataset import Dataset
from junheng.standards.engine import evaluate
from junheng.supervision.status import DONE, LAGGING, NOT_REPORTED, measure_statuses

Y = 2024
A, B, C = "620702", "620723", "620725"


def _ds(with_facts: bool = True) -> Dataset:
    # County A: 3 kindergartens — public 300 children, inclusive private 100, other private 100.
    # County B: one private, not inclusive, 200 children; no county facts.
    # County C: no preschool rows at all.
    schools = pl.DataFrame([
        ("6207020001", "第一幼儿园", A, "kindergarten", "public"),
        ("6207020002", "阳光幼儿园", A, "kindergarten", "private"),
        ("6207020003", "小星星幼儿园", A, "kindergarten", "private"),
        ("6207230001", "育英幼儿园", B, "kindergarten", "private"),
        ("6207250001", "城关小学", C, "primary", "public"),
    ], schema=["school_id", "school_name", "county_code", "school_type", "ownership"],
        orient="row").with_columns(locale=pl.lit("urban"))
    sections = pl.DataFrame([
        (Y, "6207020001", "preschool", 300, 10, 21, 20),
        (Y, "6207020002", "preschool", 100, 4, 7, 6),
        (Y, "6207020003", "preschool", 100, 4, 6, 6),
        (Y, "6207230001", "preschool", 200, 8, 10, 10),
        (Y, "6207250001", "primary", 400, 10, 25, 25),
    ], schema=["year", "school_id", "stage", "students", "classes", "teachers",
               "certified_teachers"], orient="row")
    kinder = pl.DataFrame({"year": [Y] * 3, "school_id": ["6207020001", "6207020002",
                                                          "6207230001"],
                           "is_inclusive": [None, True, False],
                           "classes_within_size": [10, 3, 8]})
    frames = {"counties": pl.DataFrame({"county_code": [A, B, C],
                                        "county_name": ["甘州区", "临泽县", "山丹县"]}),
              "schools": schools, "sections": sections, "kindergartens": kinder}
    if with_facts:
        frames["preschool_county"] = pl.DataFrame({
            "year": [Y], "county_code": [A], "children_3_5": [560], "townships": [18],
            "townships_with_public_centre": [17], "development_plan": [True],
            "no_schoolification": [True], "recognition_rate": [0.9]})
    return Dataset.from_frames(frames)


def test_headline_figures_and_verdicts() -> None:
    ev = evaluate(_ds(), "preschool-2020", Y)
    a = ev.county_result(A).items
    # 500 children / 560 aged 3–5.
    assert a["p01_gross_enrollment"].value == pytest.approx(500 / 560)
    assert a["p01_gross_enrollment"].status == "passed"
    # Public 300 + inclusive private 100; the private one without a flag is not inclusive.
    assert a["p02_inclusive_coverage"].value == pytest.approx(0.8)
    assert a["p02_inclusive_coverage"].status == "passed"
    assert a["p03_public_share"].value == pytest.approx(0.6)
    assert a["p04_township_public_centre"].status == "failed"      # 17 of 18
    assert a["p08_development_plan"].status == "passed"
    assert a["p11_teacher_ratio"].status == "passed"  # 34 teachers / 500 (1:15 needs 33.3)
    assert a["p12_certified"].status == "failed"                    # 32 of 34 certified
    # 13 of 18 classes within the rule (the third kindergarten gave no row).
    assert a["p10_class_size"].value == pytest.approx(13 / 18)
    assert a["p10_class_size"].status == "failed"
    assert a["p14_recognition"].status == "passed"
    assert a["p06_public_funding"].status == "not_reported"
    # A failed item outranks one not reported (domain.status order).
    assert ev.county_result(A).status == "failed" and not ev.county_result(A).passed
    assert set(ev.county_result(A).parts) == {"coverage", "government", "care_quality",
                                              "recognition"}
    b = ev.county_result(B).items
    assert b["p02_inclusive_coverage"].value == 0 and b["p02_inclusive_coverage"].status == "failed"
    assert b["p03_public_share"].status == "failed"
    assert b["p01_gross_enrollment"].status == "not_reported"       # no children aged 3–5
    c = ev.county_result(C).items
    assert all(it.status == "not_reported" for it in c.values())
    # The trace names the figures it divided.
    trace = a["p02_inclusive_coverage"].checks[0].trace
    assert trace.inputs == {"inclusive_children": 400, "preschool_children": 500}


def test_a_county_that_meets_every_item_passes() -> None:
    ds = _ds()
    facts = pl.DataFrame({
        "year": [Y], "county_code": [A], "children_3_5": [560], "townships": [18],
        "townships_with_public_centre": [18], "compound_kindergartens": [2],
        "compound_public_or_inclusive": [2], "public_funding_per_child_yuan": [800.0],
        "inclusive_subsidy_per_child_yuan": [600.0], "development_plan": [True],
        "fee_aid_policy": [True], "no_schoolification": [True], "recognition_rate": [0.9]})
    sections = ds.table("sections").with_columns(certified_teachers=pl.col("teachers"))
    kinder = pl.concat([ds.table("kindergartens"), pl.DataFrame(
        {"year": [Y], "school_id": ["6207020003"], "is_inclusive": [False],
         "classes_within_size": [4]})], how="diagonal_relaxed")
    ds = ds.with_table("preschool_county", facts).with_table("sections", sections) \
        .with_table("kindergartens", kinder)
    res = evaluate(ds, "preschool-2020", Y).county_result(A)
    assert res.passed and res.status == "passed", res.reasons_zh


def test_measure_one_takes_the_headline_figures() -> None:
    r = measure_statuses(_ds(), Y)
    m1 = r.measures[0]
    inds = {i.id: i for i in m1.counties[A].indicators}
    assert inds["m01_preschool_enrollment"].status == DONE
    assert inds["m01_preschool_inclusive"].status == DONE
    assert inds["m01_preschool_public"].status == DONE
    assert inds["m01_evidence"].status == NOT_REPORTED
    assert m1.counties[A].status == NOT_REPORTED  # the other stages still await evidence
    b = {i.id: i.status for i in m1.counties[B].indicators}
    assert b["m01_preschool_inclusive"] == LAGGING and b["m01_preschool_public"] == LAGGING
    assert m1.counties[B].status == LAGGING and m1.city.status == LAGGING
    assert m1.counties[C].indicators[0].status == NOT_REPORTED
