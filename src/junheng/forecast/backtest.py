"""Backtest: forecast from every past origin year and compare with what happened.

For each origin year with enough history, the data are cut to what was known then (enrollment
and births up to the origin) and the method and both baselines forecast 1..H years ahead. The
accuracy measure is the MAPE of each unit's *total* pupils per origin (mean over units and
origins of |forecast − actual| / actual, in percent; also by grade). Interval coverage never
peeks: the interval for origin t is calibrated only on errors whose target year is ≤ t.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from junheng.forecast import ensemble
from junheng.forecast.baselines import BASELINES, run_baseline
from junheng.forecast.history import Inputs, build_history
from junheng.forecast.intervals import apply_intervals, calibration_table, log_error
from junheng.forecast.options import LEVELS, TOTAL_GRADE, ForecastError, ForecastOptions
from junheng.forecast.project import forecast_points

METHOD = "method"


def with_totals(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Append one row per unit and year with grade TOTAL_GRADE = the sum of its grades."""
    totals = frame.group_by(keys).agg(pl.col("students").sum()).with_columns(
        grade=pl.lit(TOTAL_GRADE, pl.Int64)
    )
    return pl.concat([frame.select(*keys, "grade", "students"),
                      totals.select(*keys, "grade", "students")])


def actuals(inputs: Inputs) -> pl.DataFrame:
    """What happened, by level: level, unit_id, year, grade, actual. Schools count only in years
    they reported (an interpolated gap is not an outcome)."""
    hist = build_history(inputs, min_years=1)
    reported = inputs.enrollment.select(unit_id="school_id", year="year").unique()
    frames = []
    for level in LEVELS:
        units = hist.levels[level]
        if level == "school":
            units = units.join(reported, on=["unit_id", "year"], how="inner")
        frames.append(with_totals(units, ["unit_id", "year"]).with_columns(level=pl.lit(level)))
    return pl.concat(frames).rename({"students": "actual"})


def origins_for(inputs: Inputs, opts: ForecastOptions) -> list[int]:
    years = inputs.years
    return [y for i, y in enumerate(years) if i + 1 >= opts.min_years and y < years[-1]]


def run(inputs: Inputs, horizon: int, opts: ForecastOptions,
        with_baselines: bool = True) -> pl.DataFrame:
    """Errors of every origin: method, origin, h, level, unit_id, grade, forecast, actual, e."""
    return rolling(inputs, horizon, opts, with_baselines)[0]


def rolling(inputs: Inputs, horizon: int, opts: ForecastOptions,
            with_baselines: bool = True) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """``run``'s errors, and under ``method="ensemble"`` the blend weights φ (h, phi) for a
    forecast from the last year, fitted on every outcome (None for a single method)."""
    origins = origins_for(inputs, opts)
    if not origins:
        raise ForecastError(
            f"历史太短，无法回测: 至少需要 {opts.min_years + 1} 年分年级在校生数据 / "
            f"history too short to backtest: at least {opts.min_years + 1} years of "
            "grade_enrollment are needed"
        )
    last = inputs.years[-1]
    frames = []
    is_ensemble = opts.method == "ensemble"
    county_totals = ensemble.county_actuals(inputs) if is_ensemble else None
    raws: list[pl.DataFrame] = []
    # Origins in order: the blend weight of each origin is fitted on the earlier origins'
    # outcomes known by then, as it would have been in that year.
    for origin in origins:
        h_max = min(horizon, last - origin)
        hist = build_history(inputs.until(origin), opts.min_years)
        if is_ensemble and county_totals is not None:
            paths = ensemble.county_paths(hist, h_max, opts)
            phi = (ensemble.estimate_phi(pl.concat(raws), county_totals, origin, h_max)
                   if raws else None)
            points, _ = forecast_points(hist, h_max, opts, phi, paths)
            raws.append(ensemble.raw_totals(paths, origin))
        else:
            points, _ = forecast_points(hist, h_max, opts)
        runs = [(METHOD, points)]
        if with_baselines:
            runs += [(name, run_baseline(name, hist, h_max)) for name in BASELINES]
        for name, frame in runs:
            frames.append(
                with_totals(frame, ["level", "unit_id", "year"]).with_columns(
                    method=pl.lit(name), origin=pl.lit(origin, pl.Int64)
                )
            )
    fc = pl.concat(frames).rename({"students": "forecast"})
    errors = (
        fc.join(actuals(inputs), on=["level", "unit_id", "year", "grade"], how="inner")
        .with_columns(h=pl.col("year") - pl.col("origin"),
                      e=log_error(pl.col("actual"), pl.col("forecast")))
    )
    phi = (ensemble.estimate_phi(pl.concat(raws), county_totals, last, horizon)
           if raws and county_totals is not None else None)
    return errors, phi


def coverage(errors: pl.DataFrame, horizon: int, opts: ForecastOptions) -> pl.DataFrame:
    """Method rows with lower/upper from intervals calibrated only on errors known by then."""
    mine = errors.filter(pl.col("method") == METHOD)
    out = []
    for origin in sorted(mine["origin"].unique().to_list()):
        known = mine.filter(pl.col("year") <= origin)
        if known.height == 0:
            continue
        table = calibration_table(known, horizon, opts, LEVELS)
        rows = mine.filter(pl.col("origin") == origin).rename({"forecast": "students"})
        out.append(apply_intervals(rows, table, origin).rename({"students": "forecast"}))
    if not out:
        return mine.with_columns(lower=pl.lit(None, pl.Float64), upper=pl.lit(None, pl.Float64))
    return pl.concat(out)


def _scores(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    rel = (pl.col("forecast") - pl.col("actual")) / pl.col("actual")
    return (
        frame.filter(pl.col("actual") > 0)
        .group_by(keys)
        .agg(mape=rel.abs().mean() * 100.0, bias=rel.mean() * 100.0, n=pl.len())
    )


def summary(errors: pl.DataFrame, horizon: int, opts: ForecastOptions,
            origins: tuple[int, int] | None = None) -> dict[str, Any]:
    """The backtest report: {"levels": {level: {"horizons": {h: {...}}}}}. ``origins`` (first,
    last) limits the scores to those origin years; intervals are still calibrated on every
    error known at each origin."""
    cov_key = f"coverage{opts.level_pct:g}"
    cov = coverage(errors.filter(pl.col("grade") == TOTAL_GRADE), horizon, opts)
    if origins is not None:
        in_range = pl.col("origin").is_between(origins[0], origins[1])
        errors, cov = errors.filter(in_range), cov.filter(in_range)
        if errors.height == 0:
            raise ForecastError(
                f"起报年份 {origins[0]}–{origins[1]} 没有可回测的结果 / no backtest outcomes for "
                f"origin years {origins[0]}–{origins[1]}"
            )
    totals = errors.filter(pl.col("grade") == TOTAL_GRADE)
    scores = {
        (r["method"], r["level"], r["h"]): r
        for r in _scores(totals, ["method", "level", "h"]).iter_rows(named=True)
    }
    by_grade = {
        (r["method"], r["level"], r["h"], r["grade"]): r
        for r in _scores(errors.filter(pl.col("grade") != TOTAL_GRADE),
                         ["method", "level", "h", "grade"]).iter_rows(named=True)
    }
    cov_scores = {
        (r["level"], r["h"]): r
        for r in cov.filter(pl.col("lower").is_not_null())
        .group_by("level", "h")
        .agg(
            inside=((pl.col("actual") >= pl.col("lower") - 1e-9)
                    & (pl.col("actual") <= pl.col("upper") + 1e-9)).mean(),
            n=pl.len(),
        )
        .iter_rows(named=True)
    }
    grades = sorted(g for g in errors["grade"].unique().to_list() if g != TOTAL_GRADE)
    levels: dict[str, Any] = {}
    for level in LEVELS:
        horizons: dict[str, Any] = {}
        for h in range(1, horizon + 1):
            me = scores.get((METHOD, level, h))
            if me is None:
                continue
            c = cov_scores.get((level, h))
            entry: dict[str, Any] = {
                "mape": round(me["mape"], 3),
                "bias": round(me["bias"], 3),
                "n": me["n"],
                cov_key: round(c["inside"], 3) if c else None,
                "coverage_n": c["n"] if c else 0,
                "baselines": {
                    name: {"mape": round(b["mape"], 3), "bias": round(b["bias"], 3), "n": b["n"]}
                    for name in BASELINES
                    if (b := scores.get((name, level, h))) is not None
                },
                "grades": {
                    str(g): {
                        "mape": round(r["mape"], 3),
                        **{name: round(rb["mape"], 3) for name in BASELINES
                           if (rb := by_grade.get((name, level, h, g))) is not None},
                    }
                    for g in grades
                    if (r := by_grade.get((METHOD, level, h, g))) is not None
                },
            }
            horizons[str(h)] = entry
        if horizons:
            levels[level] = {"horizons": horizons}
    origin_years = sorted(errors["origin"].unique().to_list())
    return {
        "levels": levels,
        "metadata": {
            "options": opts.to_json(),
            "origins": origin_years,
            "metric": "MAPE (%) of each unit's total pupils per origin year; bias = mean "
                      "(forecast − actual) / actual in %, positive = over-forecast; by-grade "
                      "MAPE under 'grades'",
            "metric_zh": "MAPE(%)按每个单位每个起报年份的在校生总数计算；bias 为 (预测−实际)/实际 "
                         "的平均值(%)，正值表示高估；各年级 MAPE 见 grades",
            "baselines": {
                "persistence": "最近一年原样延续 / last year carried forward",
                "csr3": "近3年简单平均升级比率，起始年级取近3年平均 / plain 3-year cohort "
                        "survival, entry grade = last 3 years' average",
            },
            "interval_calibration": "only errors whose target year ≤ the origin (no peeking) / "
                                    "仅使用起报年份当年及以前已可知的回测误差",
        },
    }


def backtest(inputs: Inputs, horizon: int, opts: ForecastOptions,
             origins: tuple[int, int] | None = None) -> dict[str, Any]:
    return summary(run(inputs, horizon, opts), horizon, opts, origins)


def total_frames(inputs: Inputs, horizon: int,
                 opts: ForecastOptions) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Unit totals of every origin for the method and both baselines, and the method's rows with
    their no-peeking interval (lower, upper): what ``horizon_table`` reads."""
    totals = run(inputs, horizon, opts).filter(pl.col("grade") == TOTAL_GRADE)
    return totals, coverage(totals, horizon, opts)


def horizon_table(totals: pl.DataFrame, cov: pl.DataFrame, level: str,
                  unit_id: str | None = None) -> list[dict[str, Any]]:
    """Accuracy by horizon for one level (pooled over its units) or one unit: h, n (outcomes),
    method / persistence / csr3 (MAPE of the unit total, %), coverage (share of outcomes inside
    the interval, None without one)."""
    keep = pl.col("level") == level
    if unit_id is not None:
        keep = keep & (pl.col("unit_id") == unit_id)
    scores = {(r["method"], r["h"]): r for r in
              _scores(totals.filter(keep), ["method", "h"]).iter_rows(named=True)}
    inside = {
        r["h"]: r["inside"] for r in cov.filter(keep & pl.col("lower").is_not_null())
        .group_by("h")
        .agg(inside=((pl.col("actual") >= pl.col("lower") - 1e-9)
                     & (pl.col("actual") <= pl.col("upper") + 1e-9)).mean())
        .iter_rows(named=True)
    }
    rows = []
    for h in sorted({h for (m, h) in scores if m == METHOD}):
        me = scores[(METHOD, h)]
        rows.append({
            "h": h, "n": me["n"], METHOD: me["mape"],
            **{name: scores[(name, h)]["mape"] for name in BASELINES if (name, h) in scores},
            "coverage": inside.get(h),
        })
    return rows


def calibration_errors(hist_inputs: Inputs, horizon: int, opts: ForecastOptions) -> pl.DataFrame:
    """The method's own backtest errors, for calibrating a forecast's intervals."""
    return calibration(hist_inputs, horizon, opts)[0]


def calibration(hist_inputs: Inputs, horizon: int,
                opts: ForecastOptions) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The method's own backtest errors (level, h, grade, forecast, e) and, under
    ``method="ensemble"``, the blend weights for a forecast from the last year: one rolling
    run gives both."""
    if not origins_for(hist_inputs, opts):
        return pl.DataFrame(schema={"level": pl.Utf8, "h": pl.Int64, "grade": pl.Int64,
                                    "forecast": pl.Float64, "e": pl.Float64}), None
    errors, phi = rolling(hist_inputs, horizon, opts, with_baselines=False)
    return errors.filter(pl.col("method") == METHOD).select(
        "level", "h", "grade", "forecast", "e"), phi


__all__ = ["backtest", "run", "rolling", "summary", "calibration", "calibration_errors",
           "total_frames", "horizon_table"]
