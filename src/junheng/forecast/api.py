"""The forecast as a planner receives it: whole pupils by year, level, unit and grade, with
prediction intervals and the metadata that says how it was made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.forecast.backtest import calibration
from junheng.forecast.history import build_history, read_inputs
from junheng.forecast.intervals import apply_intervals, calibration_table
from junheng.forecast.options import LEVELS, TOTAL_GRADE, ForecastError, ForecastOptions
from junheng.forecast.project import forecast_points

MAX_HORIZON = 10
OUTPUT_COLUMNS = ["year", "level", "unit_id", "grade", "students", "lower", "upper"]
LEVEL_ORDER = {"city": 0, "county": 1, "school": 2}


@dataclass
class Forecast:
    rows: pl.DataFrame  # OUTPUT_COLUMNS; grade is text ("0".."12", "total")
    metadata: dict[str, Any] = field(default_factory=dict)
    points: pl.DataFrame | None = None  # unrounded school-level figures, for project_dataset

    def to_json(self) -> dict[str, Any]:
        return {"metadata": self.metadata, "rows": self.rows.to_dicts()}


def check_horizon(horizon: int) -> None:
    if not 1 <= horizon <= MAX_HORIZON:
        raise ForecastError(
            f"预测年限须在 1–{MAX_HORIZON} 年之间 (收到 {horizon}) / "
            f"horizon must be 1–{MAX_HORIZON} years (got {horizon})"
        )


def forecast(
    ds: Dataset,
    horizon: int,
    opts: ForecastOptions | None = None,
    levels: tuple[str, ...] = LEVELS,
) -> Forecast:
    """Project pupils by grade 1..``horizon`` years past the last year of grade_enrollment."""
    opts = opts or ForecastOptions()
    check_horizon(horizon)
    inputs = read_inputs(ds)
    hist = build_history(inputs, opts.min_years)
    # One rolling backtest gives the interval calibration errors and the blend weights.
    errors, phi = calibration(inputs, horizon, opts)
    points, facts = forecast_points(hist, horizon, opts, phi)
    table = calibration_table(errors, horizon, opts, LEVELS)
    whole = whole_pupils(points)
    with_total = pl.concat([
        points.select("level", "unit_id", "year", "grade", "students"),
        points.group_by("level", "unit_id", "year")
        .agg(pl.col("students").sum())
        .with_columns(grade=pl.lit(TOTAL_GRADE, pl.Int64))
        .select("level", "unit_id", "year", "grade", "students"),
    ])
    bounds = apply_intervals(with_total, table, hist.origin).select(
        "level", "unit_id", "year", "grade", "lower", "upper"
    )
    rows = (
        whole.join(bounds, on=["level", "unit_id", "year", "grade"], how="left")
        .with_columns(
            lower=pl.min_horizontal(pl.col("lower").floor(), "students").cast(pl.Int64),
            upper=pl.max_horizontal(pl.col("upper").ceil(), "students").cast(pl.Int64),
        )
        .filter(pl.col("level").is_in(list(levels)))
        .sort(pl.col("level").replace_strict(LEVEL_ORDER), "unit_id", "year", "grade")
        .with_columns(
            grade=pl.when(pl.col("grade") == TOTAL_GRADE).then(pl.lit("total"))
            .otherwise(pl.col("grade").cast(pl.Utf8))
        )
        .select(OUTPUT_COLUMNS)
    )
    sources = table.filter(pl.col("h") <= horizon).group_by("level", "source").len().sort("level", "source")
    metadata: dict[str, Any] = {
        "origin_year": hist.origin,
        "history_years": hist.years,
        "horizon": horizon,
        "levels": list(levels),
        "options": opts.to_json(),
        "method_zh": _describe_zh(opts),
        "reconciliation": (
            "top-down: 区县直接预测，学校按年级等比例缩放使其合计等于区县; 市州 = 各区县之和 / "
            "county forecast directly, schools scaled per grade to sum to it; city = sum of "
            "counties"
            if opts.reconcile == "top-down"
            else "bottom-up: 区县 = 各校之和; 市州 = 各区县之和 / county = sum of schools; "
                 "city = sum of counties"
        ),
        "entry_cohort": (
            "一年级 = 6 年前出生人口 × 入学捕获率; 学前末年(0年级) = 5 年前出生人口 × 捕获率; "
            "有 area_children 的区县用适龄儿童数代替出生人口; 尚未出生的队列取最近3年出生数均值 / "
            "grade 1 = births 6 years earlier × capture ratio (grade 0: 5 years); area_children "
            "replace births where given; cohorts not yet born = mean of the last 3 known years"
        ),
        "intervals": {
            "level_pct": opts.level_pct,
            "calibration": "empirical quantiles (≥30 effective errors) or RMS × Student-t "
                           "(effective sample size) of log errors "
                           "ln((actual+0.5)/(forecast+0.5)) from this model's own backtest, by "
                           "level, horizon, grade/total and size band; n errors at horizon h "
                           "count as n / (1 + (h−1)(2h−1)/(3h)) because consecutive origins "
                           "share h−1 years",
            "calibration_zh": "用本模型自身回测的对数误差校准：有效误差数≥30 时取经验分位数，"
                              "否则取均方根误差 × t 分位数(按有效样本量)；h 年期的 n 个误差因相邻"
                              "起报年份重叠 h−1 年，只折算为 n/(1+(h−1)(2h−1)/(3h)) 个独立误差",
            "backtest_errors": errors.height,
            "sources": {f"{r['level']}:{r['source']}": r["len"]
                        for r in sources.iter_rows(named=True)},
        },
        "rounding": "整数人数; 学校按最大余数法分配，使各校之和恰等于区县 / whole pupils; "
                    "schools by largest remainder so they sum exactly to the county",
        **facts,
    }
    return Forecast(rows, metadata, points.filter(pl.col("level") == "school"))


def whole_pupils(points: pl.DataFrame) -> pl.DataFrame:
    """Round to whole pupils keeping coherence: counties rounded, schools apportioned to their
    county by largest remainder, cities and totals summed from the rounded figures."""
    county = points.filter(pl.col("level") == "county").with_columns(
        students=pl.col("students").round(0)
    )
    target = county.select(county_code="unit_id", year="year", grade="grade", target="students")
    group = ["county_code", "year", "grade"]
    schools = (
        points.filter(pl.col("level") == "school")
        .join(target, on=group, how="left")
        .with_columns(base=pl.col("students").floor())
        .with_columns(
            rem=pl.col("students") - pl.col("base"),
            short=pl.col("target") - pl.col("base").sum().over(group),
        )
        .with_columns(rank=pl.col("rem").rank("ordinal", descending=True).over(group))
        .with_columns(
            students=pl.col("base") + (pl.col("rank") <= pl.col("short")).cast(pl.Float64)
        )
    )
    city = county.group_by("parent_id", "year", "grade").agg(pl.col("students").sum()).select(
        level=pl.lit("city"), unit_id="parent_id", year="year", grade="grade", students="students"
    )
    grades = pl.concat([
        schools.select("level", "unit_id", "year", "grade", "students"),
        county.select("level", "unit_id", "year", "grade", "students"),
        city.select("level", "unit_id", "year", "grade", "students"),
    ]).with_columns(pl.col("students").cast(pl.Int64))
    totals = grades.group_by("level", "unit_id", "year").agg(pl.col("students").sum()).select(
        "level", "unit_id", "year", grade=pl.lit(TOTAL_GRADE, pl.Int64), students="students"
    )
    return pl.concat([grades, totals])


def _describe_zh(opts: ForecastOptions) -> str:
    if opts.method == "ensemble":
        return (
            "组合预测: 区县 = 持续法 + φ × (队列递推各变体的平均 − 持续法)。变体为近3、5、8年升级比率"
            "(逐年比率的平均)分别配三种起始年级算法(出生人口×入学捕获率[有出生数据时]、该年级近3年"
            "平均、近5年平均); φ 按预测年数用本数据以往各起报年份的实际误差拟合(区县合并，"
            f"与 0.5 取平均，截断在 0–1)。学校: 近{opts.window}年逐年比率的中位数，"
            + ("小规模学校向区县比率收缩(经验贝叶斯)" if opts.is_shrink else "不收缩")
            + f"，再按年级等比例缩放到区县; 比率截断于 [{opts.clip_low}, {opts.clip_high}]"
        )
    how = {
        "gpr-mean": f"近{opts.window}年比率按人数加权平均(分子之和/分母之和)",
        "gpr-ewm": f"近{opts.window}年指数平滑(alpha={opts.alpha})",
        "gpr-median": f"近{opts.window}年逐年比率的中位数",
        "gpr-trim": f"近{opts.window}年逐年比率去掉最高、最低后的平均",
    }[opts.method]
    shrink = (
        "小规模学校的升级比率按人数向区县比率收缩(经验贝叶斯)" if opts.is_shrink else "不收缩"
    )
    return (
        f"年级升级比率法(队列递推): {how}; {shrink}; 比率截断于 "
        f"[{opts.clip_low}, {opts.clip_high}]"
    )
