"""The national-scale benchmark generator, at a small size."""

from __future__ import annotations

import polars as pl

from junheng.demo.national import generate_national

from .conformance import assert_conforms


def test_national_dataset_is_valid_and_consistent() -> None:
    ds = generate_national(seed=5, n_counties=60, n_schools=3000)
    assert_conforms(ds)
    assert set(ds) == {"counties", "schools", "sections", "facilities", "rooms", "classes",
                       "grade_enrollment", "county_facts", "finance"}
    assert ds["counties"].height == 60 and ds["schools"].height == 3000
    assert (ds["schools"]["school_id"].str.slice(0, 6) == ds["schools"]["county_code"]).all()
    cls = ds["classes"].group_by("school_id", "stage").agg(
        pl.col("students").sum().alias("cs"), pl.len().alias("n"))
    sec = ds["sections"].join(cls, on=["school_id", "stage"], how="left")
    assert (sec["students"] == sec["cs"].fill_null(0)).all()
    assert (sec["classes"] == sec["n"].fill_null(0)).all()
    stage = (pl.when(pl.col("grade") <= 6).then(pl.lit("primary"))
             .when(pl.col("grade") <= 9).then(pl.lit("junior")).otherwise(pl.lit("senior")))
    ge = ds["grade_enrollment"].group_by("school_id", stage.alias("stage")).agg(
        pl.col("students").sum())
    both = ds["sections"].join(ge, on=["school_id", "stage"])
    assert both.height == ds["sections"].height
    assert (both["students"] == both["students_right"]).all()
    fin = ds["finance"].join(
        ds["sections"].group_by(pl.col("school_id").str.slice(0, 6).alias("county_code"))
        .agg(pl.col("students").sum().alias("s")), on="county_code", how="left")
    assert (fin["students"] == fin["s"].fill_null(0)).all()


def test_national_is_deterministic_and_codes_unique_at_full_county_count() -> None:
    a = generate_national(seed=1, n_counties=2850, n_schools=4000, with_classes=False)
    b = generate_national(seed=1, n_counties=2850, n_schools=4000, with_classes=False)
    for tid in a:
        assert a[tid].equals(b[tid]), tid
    assert "classes" not in a
    assert a["counties"]["county_code"].is_unique().all()
    assert a["counties"]["county_code"].str.contains(r"^\d{6}$").all()
    assert a["schools"]["school_id"].is_unique().all()
    c = generate_national(seed=2, n_counties=2850, n_schools=4000, with_classes=False)
    assert not c["sections"].equals(a["sections"])
