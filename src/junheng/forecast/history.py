"""Enrollment history by unit (school, county, city) and entry cohorts, ready for projection.

Everything downstream works on one long frame per level with the columns
``unit_id, parent_id, county_code, year, grade, students`` (students as float). Two data quirks
are repaired here, and only here:

- a grade missing *inside* a school's grade range in a year it reported (grades 1, 2, 4 but no
  3) is read as zero pupils: tiny rural schools drop empty grades from their returns;
- a school that reported before and after a year in which other schools reported, but not in
  that year, is interpolated for that year, so county totals do not dip because one return is
  missing. A year no school reported stays missing at every level.

Entry cohorts ("cohorts") are children by county and year of birth: from ``births`` where a
county has a birth series, otherwise from ``area_children`` (children by area and age, the
latest count of each cohort).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.forecast.options import ForecastError

UNIT_COLUMNS = ["unit_id", "parent_id", "county_code", "year", "grade", "students"]


def prefecture_of(county: pl.Expr) -> pl.Expr:
    """The prefecture (市州) code of a county: its first four digits and "00" (620702 → 620700)."""
    return county.str.slice(0, 4) + pl.lit("00")


@dataclass(frozen=True)
class Inputs:
    """The raw series a forecast reads, cut to what was known at some origin year."""

    enrollment: pl.DataFrame  # school_id, county_code, year, grade, students (int, as reported)
    cohorts: pl.DataFrame  # county_code, birth_year, size, observed_year, source

    def until(self, origin: int) -> Inputs:
        return Inputs(
            self.enrollment.filter(pl.col("year") <= origin),
            self.cohorts.filter(pl.col("observed_year") <= origin),
        )

    @property
    def years(self) -> list[int]:
        return sorted(self.enrollment["year"].unique().to_list())


@dataclass(frozen=True)
class History:
    """Unit frames by level, the cohort table, and the years with data."""

    levels: dict[str, pl.DataFrame]
    cohorts: pl.DataFrame  # county_code, birth_year, size
    years: list[int]

    @property
    def origin(self) -> int:
        return self.years[-1]


def read_inputs(ds: Dataset) -> Inputs:
    """Pull grade enrollment (with each school's county) and entry cohorts out of a dataset."""
    ge = ds.table("grade_enrollment")
    if ge.height == 0:
        raise ForecastError(
            "数据中没有分年级在校生 (grade_enrollment)，无法预测 / "
            "the dataset has no grade_enrollment rows, nothing to forecast"
        )
    schools = ds.table("schools").select("school_id", "county_code").unique("school_id")
    ge = (
        ge.select("year", "school_id", "grade", "students")
        .drop_nulls(["year", "school_id", "grade"])
        .with_columns(pl.col("students").fill_null(0))
        .group_by("year", "school_id", "grade")
        .agg(pl.col("students").sum())
        .join(schools, on="school_id", how="left")
    )
    unknown = ge.filter(pl.col("county_code").is_null())["school_id"].unique().sort().to_list()
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise ForecastError(
            f"分年级在校生中有 {len(unknown)} 所学校不在学校表 (schools) 中，无法确定所属区县: "
            f"{shown} / {len(unknown)} schools in grade_enrollment are missing from the schools "
            f"table, so their county is unknown: {shown}"
        )
    return Inputs(ge.sort("school_id", "year", "grade"), read_cohorts(ds))


def read_cohorts(ds: Dataset) -> pl.DataFrame:
    """Children by county and birth year, with the year the figure was known (for backtests)."""
    schema = pl.Schema({"county_code": pl.Utf8, "birth_year": pl.Int64, "size": pl.Float64,
                        "observed_year": pl.Int64, "source": pl.Utf8})
    frames = []
    births = ds.table("births").drop_nulls(["year", "county_code", "births"])
    if births.height:
        # A county may give one county-wide row per year and/or rows by area; the county-wide
        # row wins, as the areas may not cover the whole county.
        by_county = (
            births.with_columns(is_whole=pl.col("area_id").is_null())
            .group_by("county_code", "year")
            .agg(
                whole=pl.col("births").filter(pl.col("is_whole")).sum(),
                has_whole=pl.col("is_whole").any(),
                parts=pl.col("births").sum(),
            )
            .select(
                "county_code",
                birth_year=pl.col("year"),
                size=pl.when("has_whole").then("whole").otherwise("parts").cast(pl.Float64),
                observed_year=pl.col("year"),
                source=pl.lit("births"),
            )
        )
        frames.append(by_county)
    children = ds.table("area_children").drop_nulls(["year", "area_id", "age", "children"])
    areas = ds.table("areas").select("area_id", "county_code").unique("area_id")
    if children.height and areas.height:
        counted = (
            children.join(areas, on="area_id", how="inner")
            .group_by("county_code", "year", birth_year=pl.col("year") - pl.col("age"))
            .agg(size=pl.col("children").sum().cast(pl.Float64))
            .select("county_code", "birth_year", "size", observed_year=pl.col("year"),
                    source=pl.lit("area_children"))
        )
        frames.append(counted)
    if not frames:
        return pl.DataFrame(schema=schema)
    all_ = pl.concat([f.select(list(schema)).cast(schema) for f in frames])
    # One source per county, since the capture ratio is estimated from that source's history.
    # Registered births win where a county has them: a cohort's count in area_children changes
    # with age (children move in or out), so a count taken at age 1 for the next entrants
    # would not match ratios fitted on counts taken at 6 and older. area_children serve the
    # counties that have no birth series.
    with_births = all_.filter(pl.col("source") == "births")["county_code"].unique()
    return all_.filter(
        (pl.col("source") == "births") | ~pl.col("county_code").is_in(with_births.implode())
    ).sort("county_code", "birth_year", "observed_year")


def build_history(inputs: Inputs, min_years: int = 2) -> History:
    """Repair and aggregate the enrollment known at the inputs' last year into the three levels."""
    years = inputs.years
    if len(years) < min_years:
        raise ForecastError(
            f"分年级在校生历史只有 {len(years)} 年 ({', '.join(map(str, years))})，"
            f"至少需要 {min_years} 年才能计算升级比率 / grade_enrollment history has only "
            f"{len(years)} year(s); at least {min_years} are needed to compute progression ratios"
        )
    school = _repair(inputs.enrollment, years)
    county = (
        school.group_by("county_code", "year", "grade")
        .agg(pl.col("students").sum())
        .with_columns(unit_id=pl.col("county_code"), parent_id=prefecture_of(pl.col("county_code")))
    )
    city = (
        county.group_by("parent_id", "year", "grade")
        .agg(pl.col("students").sum())
        .with_columns(unit_id=pl.col("parent_id"), county_code=pl.col("parent_id"))
    )
    levels = {
        "school": school.select(UNIT_COLUMNS).sort("unit_id", "year", "grade"),
        "county": county.select(UNIT_COLUMNS).sort("unit_id", "year", "grade"),
        "city": city.select(UNIT_COLUMNS).sort("unit_id", "year", "grade"),
    }
    # The latest count of each birth cohort known at the origin.
    cohorts = (
        inputs.cohorts.sort("observed_year")
        .group_by("county_code", "birth_year")
        .agg(pl.col("size").last())
        .sort("county_code", "birth_year")
    )
    return History(levels, cohorts, years)


def _repair(enrollment: pl.DataFrame, years: list[int]) -> pl.DataFrame:
    ge = enrollment.with_columns(pl.col("students").cast(pl.Float64))
    # Interior empty grades of a reporting school-year are zero pupils.
    spans = ge.group_by("school_id", "county_code", "year").agg(
        lo=pl.col("grade").min(), hi=pl.col("grade").max()
    )
    grid = spans.with_columns(grade=pl.int_ranges("lo", pl.col("hi") + 1)).explode("grade")
    ge = (
        grid.select("school_id", "county_code", "year", pl.col("grade").cast(pl.Int64))
        .join(ge.select("school_id", "year", "grade", "students"),
              on=["school_id", "year", "grade"], how="left")
        .with_columns(pl.col("students").fill_null(0.0))
    )
    # Whole-school gaps inside a school's reporting span are interpolated per grade.
    year_frame = pl.DataFrame({"year": years}, schema={"year": pl.Int64})
    life = ge.group_by("school_id", "county_code").agg(
        first=pl.col("year").min(), last=pl.col("year").max()
    )
    reported = ge.select("school_id", "year").unique().with_columns(is_reported=pl.lit(True))
    school_years = (
        life.join(year_frame, how="cross")
        .filter(pl.col("year").is_between("first", "last"))
        .join(reported, on=["school_id", "year"], how="left")
        .with_columns(pl.col("is_reported").fill_null(False))
    )
    if school_years["is_reported"].all():
        out = ge
    else:
        grades = ge.select("school_id", "grade").unique()
        full = (
            school_years.join(grades, on="school_id")
            .join(ge.select("school_id", "year", "grade", "students"),
                  on=["school_id", "year", "grade"], how="left")
            .sort("school_id", "grade", "year")
            .with_columns(filled=pl.col("students").interpolate().over("school_id", "grade"))
            .with_columns(
                students=pl.when("is_reported").then("students").otherwise("filled")
            )
            .drop_nulls("students")
        )
        out = full.select("school_id", "county_code", "year", "grade", "students")
    return out.with_columns(unit_id=pl.col("school_id"), parent_id=pl.col("county_code"))
