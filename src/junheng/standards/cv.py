"""The student-weighted coefficient of variation (差异系数), standards.md §3.

For the schools i of one stage in one county, with Y_i the resource and P_i the students:
X_i = Y_i / P_i, P = Σ P_i, X̄ = Σ Y_i / P (the county value), S = sqrt(Σ (P_i/P)(X_i − X̄)²)
in the population form (no n − 1), and CV = S / X̄. The unweighted CV of the school ratios is a
common mistake and gives different numbers. Schools with the resource unreported are left out
of the sums and counted in ``n_missing``; a CV with any school missing is not reported.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from junheng.standards.loader import Indicator


def weighted_cv_exprs(indicator: Indicator) -> list[pl.Expr]:
    """Aggregation expressions (for ``group_by(...).agg``) giving ``county_value__<id>``,
    ``cv__<id>`` and ``n_missing__<id>``."""
    y = pl.col(indicator.numerator)
    valid = y.is_not_null()
    p = pl.col("students").cast(pl.Float64).filter(valid)
    yv = y.filter(valid)
    total_p = p.sum()
    xbar = yv.sum() / total_p
    s = ((p / total_p) * (yv / p - xbar).pow(2)).sum().sqrt()
    return [
        (xbar * indicator.scale).alias(f"county_value__{indicator.id}"),
        pl.when(xbar > 0).then(s / xbar).otherwise(None).alias(f"cv__{indicator.id}"),
        (~valid).sum().cast(pl.Int64).alias(f"n_missing__{indicator.id}"),
    ]


def county_stage_cvs(table: pl.DataFrame, indicators: Sequence[Indicator]) -> pl.DataFrame:
    """One row per county × stage: schools evaluated and passed, and per indicator the county
    value, CV and missing count."""
    exprs: list[pl.Expr] = [
        pl.len().cast(pl.Int64).alias("schools_evaluated"),
        pl.col("passed").fill_null(False).sum().cast(pl.Int64).alias("schools_passed"),
        pl.col("students").sum().cast(pl.Int64).alias("students"),
    ]
    for ind in indicators:
        exprs.extend(weighted_cv_exprs(ind))
    return table.group_by("county_code", "stage").agg(exprs).sort("county_code", "stage")
