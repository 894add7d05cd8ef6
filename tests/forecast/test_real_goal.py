"""Issue #15 part 3 on both real series we hold, measured as the issue measures it.

Eau Claire grades 1–5 with births (origins 2006–2019), the sixteen New Zealand regions, ages
5–17 without births (origins 2001–2012), and Eau Claire's schools each as a unit (K–5, no
births; small units), horizons 1–4, MAPE of each unit's total: at every
horizon the method is at most 1.02 × the better of persistence and 3-year cohort survival,
better than it on average over the horizons, and its 80 % band holds 70–90 % of the outcomes
(14 outcomes per horizon on Eau Claire, so one outcome moves coverage by 0.07). The backtest is
run afresh; nothing here is a stored number.
"""

from __future__ import annotations

from typing import Any

import pytest

from forecast.real_series import HORIZON, MAX_RATIO, Series, backtest, goal_table, series

SERIES = series()
_REPORTS: dict[str, dict[str, Any]] = {}


def _report(s: Series) -> dict[str, Any]:
    """One backtest per series for the whole module (each takes a few seconds)."""
    if s.name not in _REPORTS:
        _REPORTS[s.name] = backtest(s)
    return _REPORTS[s.name]


@pytest.mark.parametrize("s", SERIES, ids=["eau_claire_1_5", "nz_regions", "eau_claire_schools"])
def test_beats_the_better_baseline_with_a_calibrated_band(s) -> None:
    rows = goal_table(_report(s))
    assert [r["h"] for r in rows] == list(range(1, HORIZON + 1))
    for r in rows:
        assert r["ratio"] <= MAX_RATIO, (s.name, r)
        assert 0.70 <= r["coverage"] <= 0.90, (s.name, r)
    assert sum(r["ratio"] for r in rows) / len(rows) < 1.0, (s.name, rows)


def test_csr3_is_the_textbook_method() -> None:
    """The baseline equals cohort survival worked out by hand on the district's published
    totals (3 yearly ratios averaged, grade 1 = its 3-year mean): the method the issue's outside
    measurement (3.42 / 4.15 / 5.00 / 5.63 %) used."""
    import polars as pl

    from forecast.eau_claire import DATA

    wide = pl.read_csv(DATA / "ecasd_district_grade_totals_1998_2024.csv")
    by_year = {r[0]: [float(x) for x in r[1:]]
               for r in wide.select("fall_year", "G1", "G2", "G3", "G4", "G5").iter_rows()}
    first, last = SERIES[0].origins
    expected = []
    for h in range(1, HORIZON + 1):
        apes = []
        for t in range(first, last + 1):
            ratio = [sum(by_year[y][g] / by_year[y - 1][g - 1] for y in (t - 2, t - 1, t)) / 3
                     for g in range(1, 5)]
            cur = by_year[t]
            for _ in range(h):
                entry = sum(by_year[y][0] for y in (t - 2, t - 1, t)) / 3
                cur = [entry] + [cur[g - 1] * ratio[g - 1] for g in range(1, 5)]
            actual = sum(by_year[t + h])
            apes.append(abs(sum(cur) - actual) / actual)
        expected.append(100 * sum(apes) / len(apes))
    rows = goal_table(_report(SERIES[0]))
    assert [r["csr3"] for r in rows] == pytest.approx(expected, abs=5e-3)
