"""The demo's zones in force: every area zoned once per stage and year, to a public school of
its own county that teaches that stage, and to the nearest such school."""

from __future__ import annotations

import polars as pl

from junheng.demo import generate


def test_every_area_has_one_school_per_stage_and_year() -> None:
    ds = generate(seed=2)
    years = ds.table("sections")["year"].unique()
    # The demo's years; the entry year after them is the admissions step's (tests/demo/
    # test_admissions.py).
    zones = ds.table("area_assignments").filter(pl.col("year").is_in(years.implode()))
    areas = ds.table("areas")
    assert zones.height == areas.height * 2 * years.len()
    assert zones.select(pl.struct("year", "area_id", "stage").is_unique().all()).item()
    joined = (zones.join(areas.select("area_id", pl.col("county_code").alias("area_county")),
                         on="area_id")
              .join(ds.table("schools").select("school_id", "county_code", "ownership"),
                    on="school_id")
              .join(ds.table("sections").select("year", "school_id", "stage", "students"),
                    on=["year", "school_id", "stage"], how="left"))
    assert (joined["area_county"] == joined["county_code"]).all()
    assert (joined["ownership"] == "public").all()
    assert (joined["students"] > 0).all()


def test_zones_in_force_ignore_seats_so_the_city_is_overloaded() -> None:
    from junheng.planners.zones import ZoneOptions, current_plan

    ds = generate(seed=0)
    current = current_plan(ds, "620702", "primary", 2024, ZoneOptions()).to_json()
    over = sum(max(0, s["assigned"] - s["capacity"]) for s in current["schools"])
    assert over > 1000
