"""Cohort projection year by year, and reconciliation of schools with their county.

The county is projected directly from its own history (large cohorts, stable ratios). Schools
are projected from theirs, then *top-down reconciled*: in every county, grade and year the
school figures are scaled by the same factor so that they add up to the county figure. The city
(市州) is the sum of its counties. ``reconcile="bottom-up"`` instead makes the county the sum of
its schools; the backtest shows which is more accurate on a given series (top-down, on the
series we hold), and the choice is written into the metadata.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from junheng.forecast.history import History, prefecture_of
from junheng.forecast.options import ENTRY_AGE_OFFSET, ForecastOptions
from junheng.forecast.ratios import estimate

PATH_COLUMNS = ["unit_id", "parent_id", "county_code", "year", "grade", "students"]


def extend_cohorts(cohorts: pl.DataFrame, origin: int, horizon: int) -> pl.DataFrame:
    """Cohorts up to the last birth year the horizon needs; years not yet counted take the mean of
    the county's last three known cohorts (a flat assumption, stated in the metadata)."""
    if cohorts.height == 0:
        return cohorts
    need = origin + horizon - ENTRY_AGE_OFFSET
    last = cohorts.group_by("county_code").agg(
        last_year=pl.col("birth_year").max(),
        fill=pl.col("size").sort_by("birth_year").tail(3).mean(),
    )
    future = (
        last.with_columns(birth_year=pl.int_ranges(pl.col("last_year") + 1, need + 1))
        .explode("birth_year")
        .drop_nulls("birth_year")
        .select("county_code", pl.col("birth_year").cast(pl.Int64), size="fill")
    )
    return pl.concat([cohorts.select("county_code", "birth_year", "size"), future])


def project_cells(
    cells: pl.DataFrame,
    origin: int,
    horizon: int,
    cohorts: pl.DataFrame,
    parent_path: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Roll the cells forward ``horizon`` years. ``parent_path`` (county figures by year,
    including the origin) feeds ``transfer`` cells."""
    state = cells.select("unit_id", "grade", "students")
    base = cells.with_columns(origin_students=pl.col("students")).drop("students")
    coh = cohorts.select("county_code", "birth_year", coh="size")
    out = []
    for h in range(1, horizon + 1):
        year = origin + h
        step = base.with_columns(birth_year=year - pl.col("grade") - ENTRY_AGE_OFFSET).join(
            state.select("unit_id", grade=pl.col("grade") + 1, own="students"),
            on=["unit_id", "grade"], how="left",
        )
        if parent_path is not None:
            par = parent_path.filter(pl.col("year") == year - 1).select(
                parent_id="unit_id", grade=pl.col("grade") + 1, par="students"
            )
            step = step.join(par, on=["parent_id", "grade"], how="left")
        else:
            step = step.with_columns(par=pl.lit(None, pl.Float64))
        step = step.join(coh, on=["county_code", "birth_year"], how="left")
        value = (
            pl.when(pl.col("kind") == "gpr").then(pl.col("ratio") * pl.col("own"))
            .when(pl.col("kind") == "transfer").then(pl.col("ratio") * pl.col("par"))
            .when(pl.col("kind") == "births").then(pl.col("ratio") * pl.col("coh"))
            .otherwise(pl.col("ratio"))
        )
        # A feeder that is missing (no cohort count, no county figure) leaves the cell as it
        # stood at the origin rather than dropping it.
        step = step.with_columns(
            students=pl.coalesce(value, "origin_students").clip(lower_bound=0.0),
            year=pl.lit(year, dtype=pl.Int64),
        )
        state = step.select("unit_id", "grade", "students")
        out.append(step.select(PATH_COLUMNS))
    return pl.concat(out) if out else pl.DataFrame(schema={c: pl.Float64 for c in PATH_COLUMNS})


def _origin_path(hist: History, level: str) -> pl.DataFrame:
    return hist.levels[level].filter(pl.col("year") == hist.origin).select(PATH_COLUMNS)


def reconcile_top_down(schools: pl.DataFrame, county: pl.DataFrame) -> pl.DataFrame:
    """Scale school figures per county × grade × year so that they sum to the county figure.
    Where every school's figure is zero but the county's is not, split it evenly."""
    target = county.select(county_code="unit_id", year="year", grade="grade", target="students")
    return (
        schools.join(target, on=["county_code", "year", "grade"], how="left")
        .with_columns(
            total=pl.col("students").sum().over("county_code", "year", "grade"),
            count=pl.len().over("county_code", "year", "grade"),
        )
        .with_columns(
            students=pl.when(pl.col("target").is_null()).then("students")
            .when(pl.col("total") > 0).then(pl.col("students") * pl.col("target") / pl.col("total"))
            .otherwise(pl.col("target") / pl.col("count"))
        )
        .select(PATH_COLUMNS)
    )


def sum_up(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    """Aggregate a lower level into the one above (by = "county_code" or "parent_id")."""
    agg = frame.group_by(by, "year", "grade").agg(pl.col("students").sum())
    if by == "county_code":
        return agg.select(
            unit_id="county_code", parent_id=prefecture_of(pl.col("county_code")),
            county_code="county_code", year="year", grade="grade", students="students",
        )
    return agg.select(
        unit_id=by, parent_id=by, county_code=by, year="year", grade="grade", students="students"
    )


def forecast_points(
    hist: History, horizon: int, opts: ForecastOptions,
    phi: pl.DataFrame | None = None, paths: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Point projections at every level: level, unit_id, parent_id, county_code, year, grade,
    students (float, reconciled). Also facts for the metadata (kinds used, shrinkage k).

    With ``method="ensemble"`` the county path is the blend of junheng.forecast.ensemble with
    weights ``phi`` (h, phi; the prior ½ where missing); ``paths`` are its member paths when the
    caller has them already. Schools keep the 5-year median ratios (shrunk towards the county's)
    and are scaled to the county path."""
    from junheng.forecast import ensemble

    origin = hist.origin
    cohorts = extend_cohorts(hist.cohorts, origin, horizon)
    is_ensemble = opts.method == "ensemble"
    # Schools (and the county under a single method) average their yearly ratios by the median.
    base = opts.with_(method="gpr-median") if is_ensemble else opts
    county_cells, _ = estimate(hist, "county", base)
    if is_ensemble:
        if paths is None:
            paths = ensemble.county_paths(hist, horizon, opts)
        county = ensemble.combine(paths, phi, origin)
    else:
        county = project_cells(county_cells, origin, horizon, cohorts)
    parent_path = pl.concat([_origin_path(hist, "county"), county])
    school_cells, ratio_facts = estimate(hist, "school", base, parent_ratios=county_cells)
    facts: dict[str, Any] = dict(ratio_facts)
    if is_ensemble:
        weights = phi if phi is not None else pl.DataFrame(schema=ensemble.PHI_SCHEMA)
        facts["ensemble_phi"] = {
            str(r["h"]): round(r["phi"], 3) for r in weights.sort("h").iter_rows(named=True)
        }
    school = project_cells(school_cells, origin, horizon, cohorts, parent_path)
    if opts.reconcile == "top-down":
        school = reconcile_top_down(school, county)
    else:
        county = sum_up(school, "county_code")
    city = sum_up(county, "parent_id")
    points = pl.concat([
        school.with_columns(level=pl.lit("school")),
        county.select(PATH_COLUMNS).with_columns(level=pl.lit("county")),
        city.select(PATH_COLUMNS).with_columns(level=pl.lit("city")),
    ]).select("level", *PATH_COLUMNS)
    kinds = (
        pl.concat([school_cells.with_columns(level=pl.lit("school")),
                   county_cells.with_columns(level=pl.lit("county"))])
        .group_by("level", "kind").len().sort("level", "kind")
    )
    facts["cells_by_kind"] = {
        f"{r['level']}:{r['kind']}": r["len"] for r in kinds.iter_rows(named=True)
    }
    last_birth = hist.cohorts["birth_year"].max() if hist.cohorts.height else None
    facts["last_cohort_birth_year"] = last_birth
    return points, facts
