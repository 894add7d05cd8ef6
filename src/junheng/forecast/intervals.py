"""Prediction intervals calibrated from the model's own backtest errors.

An error is the log ratio ``e = ln((actual + 0.5) / (forecast + 0.5))`` (the 0.5 keeps empty
grades of tiny schools finite). For each level, horizon, row kind (a grade or the unit total)
and size band of the forecast, the split-conformal order statistics of e give the interval
``(forecast + 0.5) · exp(q) − 0.5``, floored at zero. What counts is the *effective* number of
errors: errors at horizon h from consecutive origins overlap by h − 1 years, so n of them are
worth about n / (1 + (h − 1)(2h − 1) / (3h)) independent ones (see ``overlap_factor``). Empirical
quantiles need 30 effective errors; below that the cell uses the root-mean-square log error times
a Student-t factor for the effective sample size. Small cells borrow from the whole level at
that horizon; horizons longer than any backtest take the longest available one widened by
h / h_max; levels with no backtest at all get a stated default. Intervals never narrow as
the horizon grows (running max/min over h), and always contain the point forecast.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import polars as pl
from scipy.stats import t as student_t

from junheng.forecast.options import TOTAL_GRADE, ForecastOptions

# Size bands (pupils in the forecast cell): small schools are noisier in relative terms.
BAND_EDGES: tuple[float, ...] = (10.0, 30.0, 100.0, 300.0, 1000.0)
BAND_LABELS: tuple[str, ...] = ("<10", "10-30", "30-100", "100-300", "300-1000", ">=1000")
# Relative spread per sqrt(year) when a level has no backtest errors at all.
DEFAULT_SPREAD = {"school": 0.15, "county": 0.05, "city": 0.04}
OFFSET = 0.5
# Below this many effective errors in a cell, empirical quantiles are replaced by a t-scaled RMS.
EMPIRICAL_MIN = 30


def band_of(value: pl.Expr) -> pl.Expr:
    # A when/then chain changes type as it grows (Then → ChainedThen).
    expr: Any = pl.when(value < BAND_EDGES[0]).then(pl.lit(BAND_LABELS[0]))
    for edge, label in zip(BAND_EDGES[1:], BAND_LABELS[1:-1], strict=False):
        expr = expr.when(value < edge).then(pl.lit(label))
    out: pl.Expr = expr.otherwise(pl.lit(BAND_LABELS[-1]))
    return out


def kind_of(grade: pl.Expr) -> pl.Expr:
    return pl.when(grade == TOTAL_GRADE).then(pl.lit("total")).otherwise(pl.lit("grade"))


def log_error(actual: pl.Expr, forecast: pl.Expr) -> pl.Expr:
    return ((actual + OFFSET) / (forecast + OFFSET)).log()


def overlap_factor(h: pl.Expr) -> pl.Expr:
    """How many backtest errors at horizon h are worth one independent error.

    Errors of consecutive origins at horizon h share h − 1 of their h years, so they are
    correlated about (h − k) / h at lag k (an MA(h − 1) process). By Bartlett's formula the
    spread (a second moment) estimated from n such errors is as uncertain as from
    n / (1 + 2 Σ_k ρ_k²) independent ones, and Σ_{k<h} ((h − k) / h)² = (h − 1)(2h − 1) / (6h).
    Without this, a 5-year horizon with 20 origins is treated as 20 draws when it holds about
    six, and its quantiles come out too narrow.
    """
    hf = h.cast(pl.Float64)
    return 1.0 + (hf - 1.0) * (2.0 * hf - 1.0) / (3.0 * hf)


def calibration_table(
    errors: pl.DataFrame, horizon: int, opts: ForecastOptions, levels: tuple[str, ...]
) -> pl.DataFrame:
    """Log-error bounds by level, kind, band and horizon: level, kind, band, h, lo, hi, source.
    ``errors`` has level, h, grade, forecast, e (the method's own backtest errors)."""
    p = opts.level_pct / 100.0
    q_lo, q_hi = (1.0 - p) / 2.0, (1.0 + p) / 2.0
    e = errors.with_columns(kind=kind_of(pl.col("grade")), band=band_of(pl.col("forecast")))

    n_plus = (pl.len() + 1).cast(pl.Float64)

    def stats(keys: list[str]) -> pl.DataFrame:
        return (
            e.group_by(keys)
            # Split-conformal order statistics: the ceil((n + 1) q)-th smallest error, which
            # keeps the stated coverage with a finite number of backtest errors.
            .agg(q_lo=pl.col("e").sort().get(
                     (n_plus * q_lo).floor().cast(pl.Int64).clip(1, pl.len()) - 1),
                 q_hi=pl.col("e").sort().get(
                     (n_plus * q_hi).ceil().cast(pl.Int64).clip(1, pl.len()) - 1),
                 rms=(pl.col("e") ** 2).mean().sqrt(), n=pl.len())
            .filter(pl.col("n") >= opts.min_errors)
            .with_columns(n_eff=pl.col("n") / overlap_factor(pl.col("h")))
        )

    grid = (
        pl.DataFrame({"level": list(levels)})
        .join(pl.DataFrame({"kind": ["grade", "total"]}), how="cross")
        .join(pl.DataFrame({"band": list(BAND_LABELS)}), how="cross")
        .join(pl.DataFrame({"h": list(range(1, horizon + 1))}, schema={"h": pl.Int64}),
              how="cross")
    )
    schema = {"level": pl.Utf8, "kind": pl.Utf8, "band": pl.Utf8, "h": pl.Int64,
              "lo": pl.Float64, "hi": pl.Float64}
    if e.height:
        cell = (
            stats(["level", "kind", "band", "h"])
            .filter(pl.col("n_eff") >= EMPIRICAL_MIN)
            .select("level", "kind", "band", "h", lo="q_lo", hi="q_hi")
        )
        pooled = stats(["level", "kind", "h"])
        # Few effective errors (a single county has one per origin, and its h-year errors
        # overlap): sample quantiles of a handful of values understate the spread, so use the
        # root-mean-square error with a Student-t factor for the effective sample size
        # instead (bias is inside the RMS).
        t_factor = pl.Series(
            [float(student_t.ppf(q_hi, max(n - 1.0, 1.0))) * math.sqrt(1.0 + 1.0 / max(n, 1.0))
             for n in pooled["n_eff"].to_list()], dtype=pl.Float64,
        )
        pooled = pooled.with_columns(t_factor=t_factor).select(
            "level", "kind", "h",
            lo_p=pl.when(pl.col("n_eff") >= EMPIRICAL_MIN).then("q_lo")
            .otherwise(-pl.col("t_factor") * pl.col("rms")),
            hi_p=pl.when(pl.col("n_eff") >= EMPIRICAL_MIN).then("q_hi")
            .otherwise(pl.col("t_factor") * pl.col("rms")),
        )
    else:
        cell = pl.DataFrame(schema=schema)
        pooled = pl.DataFrame(schema=schema).drop("band").rename({"lo": "lo_p", "hi": "hi_p"})
    z = NormalDist().inv_cdf(q_hi)
    spread = pl.col("level").replace_strict(DEFAULT_SPREAD, default=0.1, return_dtype=pl.Float64)
    table = (
        grid.join(cell, on=["level", "kind", "band", "h"], how="left")
        .join(pooled, on=["level", "kind", "h"], how="left")
        .with_columns(
            source=pl.when(pl.col("lo").is_not_null()).then(pl.lit("band"))
            .when(pl.col("lo_p").is_not_null()).then(pl.lit("level")),
            lo=pl.coalesce("lo", "lo_p"),
            hi=pl.coalesce("hi", "hi_p"),
        )
        .sort("level", "kind", "band", "h")
        .with_columns(
            h_known=pl.when(pl.col("lo").is_not_null()).then("h")
            .forward_fill().over("level", "kind", "band"),
            lo_ff=pl.col("lo").forward_fill().over("level", "kind", "band"),
            hi_ff=pl.col("hi").forward_fill().over("level", "kind", "band"),
        )
        # Beyond the longest backtested horizon, errors are taken to grow in proportion to h
        # (entry cohorts not yet born add error every further year).
        .with_columns(widen=pl.col("h").cast(pl.Float64) / pl.col("h_known"))
        .with_columns(
            source=pl.when(pl.col("source").is_not_null()).then("source")
            .when(pl.col("lo_ff").is_not_null()).then(pl.lit("extrapolated"))
            .otherwise(pl.lit("default")),
            lo=pl.coalesce("lo", pl.col("lo_ff") * pl.col("widen"),
                           -z * spread * pl.col("h").cast(pl.Float64).sqrt()),
            hi=pl.coalesce("hi", pl.col("hi_ff") * pl.col("widen"),
                           z * spread * pl.col("h").cast(pl.Float64).sqrt()),
        )
        .with_columns(
            lo=pl.min_horizontal("lo", pl.lit(0.0)).cum_min().over("level", "kind", "band"),
            hi=pl.max_horizontal("hi", pl.lit(0.0)).cum_max().over("level", "kind", "band"),
        )
    )
    return table.select("level", "kind", "band", "h", "lo", "hi", "source")


def apply_intervals(points: pl.DataFrame, table: pl.DataFrame, origin: int) -> pl.DataFrame:
    """Add lower and upper to points (level, year, grade, students, …)."""
    out = (
        points.with_columns(
            _h=pl.col("year") - origin,
            _kind=kind_of(pl.col("grade")),
            _band=band_of(pl.col("students")),
        )
        .join(table.rename({"h": "_h", "kind": "_kind", "band": "_band"}),
              on=["level", "_kind", "_band", "_h"], how="left")
        .with_columns(
            lower=((pl.col("students") + OFFSET) * pl.col("lo").exp() - OFFSET).clip(
                lower_bound=0.0),
            upper=((pl.col("students") + OFFSET) * pl.col("hi").exp() - OFFSET).clip(
                lower_bound=0.0),
        )
    )
    return out.drop("_h", "_kind", "_band", "lo", "hi", "source")

