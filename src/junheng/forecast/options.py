"""Forecast settings and the forecast's own error type.

Every choice of method is an explicit field here, so it can be set from the command line and is
written back into the output metadata: a planner reading a projection can see how it was made.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Method = Literal["ensemble", "gpr-mean", "gpr-ewm", "gpr-median", "gpr-trim"]
Reconcile = Literal["top-down", "bottom-up"]
Level = Literal["school", "county", "city"]

METHODS: tuple[str, ...] = ("ensemble", "gpr-mean", "gpr-ewm", "gpr-median", "gpr-trim")
LEVELS: tuple[Level, ...] = ("school", "county", "city")
RECONCILE: tuple[str, ...] = ("top-down", "bottom-up")

# Grade g is entered at age g + 5: grade 1 at 6 (义务教育法 第十一条: 年满六周岁),
# grade 0 (the final preschool year) at 5.
ENTRY_AGE_OFFSET = 5

# Internal code for the row that sums all grades of a unit ("total" in the output).
TOTAL_GRADE = 99


class ForecastError(ValueError):
    """The data cannot support the requested forecast; the message is Chinese, then English."""


@dataclass(frozen=True)
class ForecastOptions:
    # "ensemble": the county path blends cohort-survival variants with persistence (see
    # junheng.forecast.ensemble); the gpr-* methods project every level with one ratio average.
    method: Method = "ensemble"
    # Transition years the ratios are averaged over (the most recent ones); under "ensemble"
    # this is the schools' window (the county members use 3, 5 and 8 years).
    window: int = 5
    # Weight of the most recent year in gpr-ewm; older years get (1 - alpha) ** age.
    alpha: float = 0.5
    # Prior strength k (in students) pulling a school's ratio towards its county's:
    # r = (n * r_school + k * r_county) / (n + k). None = estimated from the data.
    shrink_k: float | None = None
    is_shrink: bool = True
    # Grade-progression ratios are clipped to this band (a cohort cannot halve or double in a
    # year except through data errors or reorganisation, which the clip keeps from compounding).
    clip_low: float = 0.5
    clip_high: float = 2.0
    reconcile: Reconcile = "top-down"
    level_pct: float = 80.0
    # Fewest years of grade_enrollment history a forecast needs (one year-to-year transition).
    min_years: int = 2
    # Fewest backtest errors at a level and horizon before they calibrate its intervals.
    min_errors: int = 3

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ForecastError(
                f"未知的预测方法 {self.method!r}，可选: {', '.join(METHODS)} / "
                f"unknown method {self.method!r}, choose one of {', '.join(METHODS)}"
            )
        if self.reconcile not in RECONCILE:
            raise ForecastError(
                f"未知的汇总协调方式 {self.reconcile!r} / unknown reconciliation {self.reconcile!r}"
            )
        if self.window < 1:
            raise ForecastError("平均窗口至少为 1 年 / window must be at least 1 year")
        if not 0.0 < self.alpha <= 1.0:
            raise ForecastError("平滑系数 alpha 须在 (0, 1] 之间 / alpha must be in (0, 1]")
        if not 0.0 < self.clip_low < 1.0 < self.clip_high:
            raise ForecastError(
                "比率截断区间须满足 0 < 下限 < 1 < 上限 / clip band must satisfy 0 < low < 1 < high"
            )
        if not 0.0 < self.level_pct < 100.0:
            raise ForecastError("区间置信水平须在 0–100 之间 / level-pct must be in (0, 100)")

    def with_(self, **changes: Any) -> ForecastOptions:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
