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


def county_stage_cvs(table: pl.DataFrame, indicators: Sequence[Indicator]) -> pl.DataFrame:
    """One row per county × stage: schools evaluated and passed, and per indicator the county
    value ``county_value__<id>``, ``cv__<id>`` and the count of schools with the resource
    unreported ``n_missing__<id>``.

    Two passes, both plain sums: X̄ per group (broadcast with a window), then the weighted
    squared deviations. Schools with the resource unreported are masked out of both sums."""
    keys = ["county_code", "stage"]
    p = pl.col("students").cast(pl.Float64)
    rows: list[pl.Expr] = []
    aggs: list[pl.Expr] = [
        pl.len().cast(pl.Int64).alias("schools_evaluated"),
        pl.col("passed").fill_null(False).sum().cast(pl.Int64).alias("schools_passed"),
        pl.col("students").sum().cast(pl.Int64).alias("students"),
    ]
    finals: list[pl.Expr] = []
    for ind in indicators:
        y = pl.col(ind.numerator)
        pv = pl.when(y.is_not_null()).then(p)
        xbar = y.sum().over(keys) / pv.sum().over(keys)
        rows.append(((pv * (y / pv - xbar).pow(2))).alias(f"__dev_{ind.id}"))
        rows.append(pv.alias(f"__p_{ind.id}"))
        aggs += [
            y.sum().alias(f"__y_{ind.id}"),
            pl.col(f"__p_{ind.id}").sum().alias(f"__ps_{ind.id}"),
            pl.col(f"__dev_{ind.id}").sum().alias(f"__d_{ind.id}"),
            y.is_null().sum().cast(pl.Int64).alias(f"n_missing__{ind.id}"),
        ]
        xb = pl.col(f"__y_{ind.id}") / pl.col(f"__ps_{ind.id}")
        s = (pl.col(f"__d_{ind.id}") / pl.col(f"__ps_{ind.id}")).sqrt()
        finals += [
            (xb * ind.scale).alias(f"county_value__{ind.id}"),
            pl.when(xb > 0).then(s / xb).otherwise(None).alias(f"cv__{ind.id}"),
        ]
    out = (
        table.lazy().with_columns(rows).group_by(keys).agg(aggs).with_columns(finals)
        .select(keys + ["schools_evaluated", "schools_passed", "students"]
                + [c for ind in indicators for c in (f"county_value__{ind.id}", f"cv__{ind.id}",
                                                      f"n_missing__{ind.id}")])
        .sort(keys).collect()
    )
    return out
