"""The real series the forecast is held to, each as the issue (#15) measures it.

- Eau Claire (Wisconsin), grades 1–5 with births, district level, origins 2006–2019, horizons
  1–4: kindergarten is left out, so grade 1 is the entry grade (fed from births by the method,
  from its own 3-year average by cohort survival).
- New Zealand regions, ages 5–17 as grades 0–12, no births, region level, origins 2001–2012
  (five years of history before the first origin; every origin has all four horizons).
- Eau Claire's elementary schools, each taken as a unit of its own (K–5, no births, about 60
  pupils a grade, schools opening and closing): small units without births, the case of a
  state's many small districts, on the same origins as the district.

The goal on each: at every horizon the method's MAPE of a unit's total is at most 1.02 × the
better of persistence and 3-year cohort survival (csr3), below it on average over horizons, and
the 80 % band holds 70–90 % of the outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from forecast.eau_claire import eau_claire_dataset
from forecast.nz_rolls import nz_dataset
from junheng.domain.dataset import Dataset
from junheng.forecast import ForecastOptions, run_backtest

HORIZON = 4
MAX_RATIO = 1.02


@dataclass(frozen=True)
class Series:
    name: str
    dataset: Dataset
    origins: tuple[int, int]


def eau_claire_grades_1_5() -> Dataset:
    ds = eau_claire_dataset()
    ge = ds.table("grade_enrollment").filter(pl.col("grade") >= 1)
    return Dataset({**ds.tables, "grade_enrollment": ge})


def eau_claire_schools_as_units() -> Dataset:
    """Every school its own synthetic county (5501xx), without the district's births."""
    ds = eau_claire_dataset()
    schools = ds.table("schools").sort("school_id").with_row_index("i").with_columns(
        county_code=pl.format("5501{}", (pl.col("i") + 10).cast(pl.Utf8))).drop("i")
    return Dataset.from_frames({
        "counties": schools.select("county_code", county_name="school_name"),
        "schools": schools,
        "grade_enrollment": ds.table("grade_enrollment"),
    })


def series() -> list[Series]:
    return [
        Series("Eau Claire 1–5 年级 + 出生数 (美国, 1998–2024)", eau_claire_grades_1_5(),
               (2006, 2019)),
        Series("新西兰 16 个大区 5–17 岁 (1996–2016, 无出生数)", nz_dataset(), (2001, 2012)),
        Series("Eau Claire 各小学作为单位 幼儿园–5 年级 (无出生数)", eau_claire_schools_as_units(),
               (2006, 2019)),
    ]


def goal_table(report: dict[str, Any], level: str = "county") -> list[dict[str, Any]]:
    """One row per horizon: ours, persistence, csr3, the ratio to the better baseline, coverage."""
    rows = []
    for h, cell in sorted(report["levels"][level]["horizons"].items(), key=lambda kv: int(kv[0])):
        pers = cell["baselines"]["persistence"]["mape"]
        csr3 = cell["baselines"]["csr3"]["mape"]
        best = min(pers, csr3)
        rows.append({"h": int(h), "ours": cell["mape"], "persistence": pers, "csr3": csr3,
                     "ratio": cell["mape"] / best if best > 0 else float("inf"),
                     "coverage": cell["coverage80"], "n": cell["n"]})
    return rows


def backtest(s: Series, opts: ForecastOptions | None = None) -> dict[str, Any]:
    return run_backtest(s.dataset, HORIZON, opts or ForecastOptions(), origins=s.origins)
