"""The method against the two baselines on real (Eau Claire) and demo (张掖) series.

These are behaviour checks, not stored numbers: the backtest is run afresh and the method must
beat persistence and 3-year cohort survival at county level for horizons 1–5, with 80 %
intervals that hold 75–87 % of what happened at county level pooled over horizons 1–5 (and
75–85 % at school level).
"""

from __future__ import annotations

import pytest

from forecast.eau_claire import district_totals, eau_claire_dataset
from junheng.forecast import ForecastOptions, run_backtest


def _pooled_coverage(report: dict, level: str, horizons: range) -> float:
    cells = [report["levels"][level]["horizons"][str(h)] for h in horizons]
    inside = sum(c["coverage80"] * c["coverage_n"] for c in cells)
    return inside / sum(c["coverage_n"] for c in cells)


def _check(report: dict, horizons: range) -> None:
    county = report["levels"]["county"]["horizons"]
    for h in horizons:
        cell = county[str(h)]
        for base in ("persistence", "csr3"):
            assert cell["mape"] < cell["baselines"][base]["mape"], (h, base, cell)
        # 20–60 outcomes per horizon: a binomial spread of ±0.05–0.09 around 0.8.
        assert 0.65 <= cell["coverage80"] <= 0.95, (h, cell)
    # Pooled over horizons 1–5 (110 outcomes on Eau Claire, 240 on the demo).
    assert 0.75 <= _pooled_coverage(report, "county", horizons) <= 0.87
    assert 0.75 <= _pooled_coverage(report, "school", horizons) <= 0.85


@pytest.fixture(scope="module")
def eau_claire():
    return eau_claire_dataset()


def test_conversion_matches_the_district_totals(eau_claire):
    import polars as pl

    ge = eau_claire["grade_enrollment"].group_by("year", "grade").agg(pl.col("students").sum())
    joined = ge.join(district_totals(), on=["year", "grade"])
    assert joined.height == 27 * 6
    assert (joined["students"] == joined["students_right"]).all()


def test_eau_claire_beats_baselines_with_calibrated_intervals(eau_claire):
    report = run_backtest(eau_claire, 5, ForecastOptions())
    _check(report, range(1, 6))
    # Schools too: better than csr3 at every horizon (persistence is hard to beat for a
    # school's K–5 total, so it is only reported).
    for h, cell in report["levels"]["school"]["horizons"].items():
        assert cell["mape"] < cell["baselines"]["csr3"]["mape"], (h, cell)


def test_demo_beats_baselines_with_calibrated_intervals():
    from junheng.demo import generate

    # Thirteen years, so that origins with five years to come exist.
    ds = generate(0, range(2012, 2025))
    report = run_backtest(ds, 5, ForecastOptions())
    _check(report, range(1, 6))
    # The city is one unit with 6–10 origins per horizon: only the pooled figure (40 outcomes)
    # means something, and it is held to a wider band.
    assert 0.65 <= _pooled_coverage(report, "city", range(1, 6)) <= 0.95
