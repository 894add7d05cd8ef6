"""The two yardsticks every backtest reports next to the method.

- ``persistence``: every grade of every unit stays as it was in the origin year.
- ``csr3``: plain 3-year cohort survival — each grade-progression ratio is the simple average of
  the unit's last three yearly ratios (the transitions into each of the last three years), and
  an entry grade is the average of its last three years' pupils. No births, no shrinkage, no
  reconciliation. This is the textbook method planners use, and it reproduces the figures
  measured from outside in issue #15 (Eau Claire grades 1–5: 3.42 / 4.15 / 5.00 / 5.63 %).

Both are run on each level's own history, the way a planner would run them by hand.
"""

from __future__ import annotations

import polars as pl

from junheng.forecast.history import History
from junheng.forecast.project import PATH_COLUMNS, project_cells

BASELINES: tuple[str, ...] = ("persistence", "csr3")


def persistence(hist: History, level: str, horizon: int) -> pl.DataFrame:
    at = hist.levels[level].filter(pl.col("year") == hist.origin)
    return pl.concat(
        [at.with_columns(year=pl.lit(hist.origin + h, dtype=pl.Int64)) for h in range(1, horizon + 1)]
    ).select(PATH_COLUMNS)


def csr3(hist: History, level: str, horizon: int) -> pl.DataFrame:
    units = hist.levels[level]
    at = units.filter(pl.col("year") == hist.origin).drop("year")
    recent = units.filter(pl.col("year") > hist.origin - 3)
    # Three transitions (t−3→t−2, t−2→t−1, t−1→t): the feeders come from the year before each
    # of the last three years, so they are taken from the whole history.
    prev = units.select(
        "unit_id", year=pl.col("year") + 1, grade=pl.col("grade") + 1, den=pl.col("students")
    )
    gpr = (
        recent.join(prev, on=["unit_id", "year", "grade"], how="inner")
        .filter(pl.col("den") > 0)
        .group_by("unit_id", "grade")
        .agg(gpr=(pl.col("students") / pl.col("den")).mean())
    )
    entry = recent.group_by("unit_id", "grade").agg(entry=pl.col("students").mean())
    has_own = at.select("unit_id", grade=pl.col("grade") + 1, has_own=pl.lit(True))
    cells = (
        at.join(has_own, on=["unit_id", "grade"], how="left")
        .join(gpr, on=["unit_id", "grade"], how="left")
        .join(entry, on=["unit_id", "grade"], how="left")
        .with_columns(
            kind=pl.when(pl.col("has_own")).then(pl.lit("gpr")).otherwise(pl.lit("level")),
        )
        .with_columns(
            ratio=pl.when(pl.col("kind") == "gpr").then(pl.col("gpr").fill_null(1.0))
            .otherwise("entry")
        )
        .select("unit_id", "parent_id", "county_code", "grade", "kind", "students", "ratio")
    )
    empty = pl.DataFrame(schema={"county_code": pl.Utf8, "birth_year": pl.Int64,
                                 "size": pl.Float64})
    return project_cells(cells, hist.origin, horizon, empty)


def run_baseline(name: str, hist: History, horizon: int) -> pl.DataFrame:
    fn = persistence if name == "persistence" else csr3
    return pl.concat(
        [fn(hist, level, horizon).with_columns(level=pl.lit(level))
         for level in ("school", "county", "city")]
    ).select("level", *PATH_COLUMNS)
