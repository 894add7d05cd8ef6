"""A future school year as a Dataset, so the standards engine can evaluate it.

Pupils come from the forecast (school level, reconciled, whole pupils); buildings, equipment and
teachers stay as they stood in the last year reported — "as they stand" until a plan changes
them. Classes are recomputed from the projected pupils at each school-stage's current average
class size (rounded up: a 46th pupil opens a class only if the average would pass the current
size). The per-class, per-child and per-student tables are not carried into the future year.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.fields import registry
from junheng.forecast.api import check_horizon, whole_pupils
from junheng.forecast.ensemble import fitted_phi
from junheng.forecast.history import build_history, read_inputs
from junheng.forecast.options import ForecastError, ForecastOptions
from junheng.forecast.project import forecast_points

# Yearly tables that describe individuals or events and cannot be carried forward.
NOT_CARRIED = frozenset({"classes", "area_children", "students", "transfers", "aid_lists"})

STAGE_OF_GRADE = (
    pl.when(pl.col("grade") == 0).then(pl.lit("preschool"))
    .when(pl.col("grade") <= 6).then(pl.lit("primary"))
    .when(pl.col("grade") <= 9).then(pl.lit("junior"))
    .otherwise(pl.lit("senior"))
)


def project_dataset(ds: Dataset, target_year: int, **opts: Any) -> Dataset:
    """``ds`` plus the rows of ``target_year``: projected grade_enrollment and sections.students,
    other yearly tables carried forward from their last reported year. ``opts`` are
    ForecastOptions fields (method, window, …)."""
    options = ForecastOptions(**opts)
    inputs = read_inputs(ds)
    last = inputs.years[-1]
    if target_year <= last:
        raise ForecastError(
            f"目标年份 {target_year} 不晚于最后一个有数据的学年 {last}，无需预测 / "
            f"target year {target_year} is not after the last year with data ({last})"
        )
    check_horizon(target_year - last)
    hist = build_history(inputs, options.min_years)
    horizon = target_year - last
    phi = fitted_phi(inputs, horizon, options) if options.method == "ensemble" else None
    points, _ = forecast_points(hist, horizon, options, phi)
    whole = whole_pupils(points.filter(pl.col("year") == target_year))
    grades = whole.filter((pl.col("level") == "school") & (pl.col("grade") <= 12)).select(
        year="year", school_id="unit_id", grade="grade", students="students"
    )
    tables = dict(ds.tables)
    history = ds.table("grade_enrollment").filter(pl.col("year") != target_year)
    tables["grade_enrollment"] = pl.concat(
        [history, Dataset.from_frames({"grade_enrollment": grades})["grade_enrollment"]],
        how="diagonal_relaxed",
    )
    by_stage = grades.with_columns(stage=STAGE_OF_GRADE).group_by("school_id", "stage").agg(
        new_students=pl.col("students").sum()
    )
    for tid, frame in ds.tables.items():
        if not registry().has_table(tid) or tid in NOT_CARRIED:
            continue
        if registry().table(tid).year_scope != "school_year" or frame.height == 0:
            continue
        if tid == "sections":
            tables[tid] = pl.concat(
                [frame.filter(pl.col("year") != target_year),
                 _future_sections(frame, by_stage, target_year)],
                how="diagonal_relaxed",
            )
            continue
        tables[tid] = pl.concat(
            [frame.filter(pl.col("year") != target_year), _carry(frame, target_year)],
            how="diagonal_relaxed",
        )
    return Dataset(tables)


def _carry(frame: pl.DataFrame, target_year: int) -> pl.DataFrame:
    """Each school's (or county's) rows of its last reported year, relabelled ``target_year``."""
    key = next((k for k in ("school_id", "county_code", "area_id") if k in frame.columns), None)
    past = frame.filter(pl.col("year") < target_year)
    if key is None:
        latest = past.filter(pl.col("year") == pl.col("year").max())
    else:
        latest = past.filter(pl.col("year") == pl.col("year").max().over(key))
    return latest.with_columns(year=pl.lit(target_year, dtype=frame.schema["year"]))


def _future_sections(
    sections: pl.DataFrame, by_stage: pl.DataFrame, target_year: int
) -> pl.DataFrame:
    now = _carry(sections, target_year)
    merged = now.join(by_stage, on=["school_id", "stage"], how="full", coalesce=True)
    size = pl.col("students") / pl.col("classes")
    classes = (
        pl.when(pl.col("new_students").is_null()).then(pl.col("classes"))
        .when(pl.col("new_students") == 0).then(pl.lit(0))
        .when((pl.col("classes") > 0) & (pl.col("students") > 0))
        .then((pl.col("new_students") / size).ceil())
        .otherwise(pl.col("classes"))
    )
    out = merged.with_columns(
        classes=classes.cast(sections.schema["classes"]),
        students=pl.coalesce("new_students", "students").cast(sections.schema["students"]),
        year=pl.lit(target_year, dtype=sections.schema["year"]),
    ).drop("new_students")
    return out.select(sections.columns)
