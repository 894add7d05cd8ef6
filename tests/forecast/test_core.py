"""Forecast mechanics on datasets small enough to check by hand."""

from __future__ import annotations

import math

import polars as pl
import pytest

from forecast.tiny import COUNTY, OTHER, make
from junheng.forecast import ForecastError, ForecastOptions, forecast
from junheng.forecast.history import build_history, read_inputs
from junheng.forecast.intervals import calibration_table, overlap_factor
from junheng.forecast.options import LEVELS
from junheng.forecast.project import forecast_points

A, B, C = "6207020001", "6207020002", "6207020003"
PLAIN = ForecastOptions(method="gpr-mean", is_shrink=False)


def points(ds, horizon=2, opts=PLAIN):
    hist = build_history(read_inputs(ds), opts.min_years)
    pts, facts = forecast_points(hist, horizon, opts)
    return pts, facts


def value(pts, level, unit, year, grade):
    return pts.filter(
        (pl.col("level") == level) & (pl.col("unit_id") == unit) & (pl.col("year") == year)
        & (pl.col("grade") == grade)
    )["students"].item()


def two_year_county():
    # Grade 1 entrants: 100 of 200 born in 2014, 110 of 220 born in 2015: capture ratio 0.5.
    rows = [(2020, A, 1, 100), (2020, A, 2, 90), (2021, A, 1, 110), (2021, A, 2, 95)]
    return make(rows, births={2014: 200, 2015: 220, 2016: 250, 2017: 240})


def test_grade_progression_ratio_by_hand():
    pts, _ = points(two_year_county())
    # GPR(1→2) = 95 / 100 = 0.95; grade 2 in 2022 = 0.95 × grade 1 in 2021 (110) = 104.5.
    assert value(pts, "county", COUNTY, 2022, 2) == pytest.approx(104.5)
    # 2023: grade 2 = 0.95 × projected grade 1 of 2022 (125) = 118.75.
    assert value(pts, "county", COUNTY, 2023, 2) == pytest.approx(0.95 * 125)


def test_entry_cohort_is_births_six_years_earlier_times_capture_ratio():
    pts, facts = points(two_year_county())
    assert value(pts, "county", COUNTY, 2022, 1) == pytest.approx(0.5 * 250)  # born 2016
    assert value(pts, "county", COUNTY, 2023, 1) == pytest.approx(0.5 * 240)  # born 2017
    assert facts["cells_by_kind"]["county:births"] == 1


def test_grade_zero_enters_at_age_five():
    rows = [(2020, A, 0, 50), (2021, A, 0, 60), (2020, A, 1, 48), (2021, A, 1, 52)]
    ds = make(rows, births={2015: 100, 2016: 120, 2017: 90})
    pts, _ = points(ds, horizon=1)
    # capture = (50 + 60) / (100 + 120) = 0.5; grade 0 in 2022 = 0.5 × births 2017.
    assert value(pts, "county", COUNTY, 2022, 0) == pytest.approx(45.0)
    # grade 1 follows grade 0 (ratio 52/50), not births.
    assert value(pts, "county", COUNTY, 2022, 1) == pytest.approx(60 * 52 / 50)


def test_without_births_entry_grade_is_its_recent_average():
    rows = [(2020, A, 1, 100), (2021, A, 1, 120), (2020, A, 2, 90), (2021, A, 2, 95)]
    pts, _ = points(make(rows), horizon=1)
    assert value(pts, "county", COUNTY, 2022, 1) == pytest.approx(110.0)


def test_opened_school_uses_county_ratio_and_closed_school_is_not_projected():
    rows = [
        (2019, A, 1, 50), (2019, A, 2, 40), (2020, A, 1, 50), (2020, A, 2, 45),
        (2021, A, 1, 50), (2021, A, 2, 45),
        (2019, C, 1, 20), (2019, C, 2, 20), (2020, C, 1, 20), (2020, C, 2, 20),  # closes
        (2021, B, 1, 30), (2021, B, 2, 10),  # opens in 2021
    ]
    ds = make(rows, births={y: 100 for y in range(2010, 2020)})
    pts, _ = points(ds, horizon=1, opts=ForecastOptions(method="gpr-mean"))
    schools = set(pts.filter(pl.col("level") == "school")["unit_id"].unique().to_list())
    assert schools == {A, B}
    # B has no own history: its grade 2 follows its grade 1 at the county's ratio; after
    # top-down scaling the two schools share the county's grade 2 in that proportion.
    county_g2 = value(pts, "county", COUNTY, 2022, 2)
    b2 = value(pts, "school", B, 2022, 2)
    a2 = value(pts, "school", A, 2022, 2)
    assert a2 + b2 == pytest.approx(county_g2)
    assert b2 / a2 == pytest.approx(30 / 50, rel=0.2)


def test_whole_school_gap_is_interpolated_and_global_gap_tolerated():
    rows = [(y, A, 1, 100 + 10 * (y - 2018)) for y in (2018, 2019, 2020, 2021)]
    rows += [(y, B, 1, 40) for y in (2018, 2020, 2021)]  # B missed its 2019 return
    hist = build_history(read_inputs(make(rows)))
    county = hist.levels["county"].filter(pl.col("grade") == 1).sort("year")["students"]
    assert county.to_list() == [140.0, 150.0, 160.0, 170.0]
    # No school reported in 2019 at all: the year is simply missing, projection still works.
    rows = [(y, A, g, 50) for y in (2017, 2018, 2020, 2021) for g in (1, 2, 3)]
    pts, _ = points(make(rows, births={y: 100 for y in range(2008, 2016)}), horizon=2)
    assert pts.filter(pl.col("level") == "county").height == 6


def test_tiny_school_with_zeros_and_an_unreported_inner_grade():
    rows = [
        (2020, A, 1, 3), (2020, A, 2, 0), (2020, A, 3, 1),
        (2021, A, 1, 0), (2021, A, 3, 2),  # grade 2 left out of the return: read as zero
        (2020, B, 1, 60), (2020, B, 2, 55), (2020, B, 3, 58),
        (2021, B, 1, 62), (2021, B, 2, 58), (2021, B, 3, 54),
    ]
    pts, _ = points(make(rows, births={y: 130 for y in range(2010, 2020)}), horizon=3,
                    opts=ForecastOptions(method="gpr-mean"))
    assert pts["students"].is_nan().sum() == 0
    assert pts["students"].min() >= 0.0
    a = pts.filter((pl.col("level") == "school") & (pl.col("unit_id") == A))
    assert sorted(a.filter(pl.col("year") == 2022)["grade"].to_list()) == [1, 2, 3]


def test_reconciliation_sums_exactly():
    rows = []
    for y in range(2018, 2023):
        for sid, size in ((A, 80), (B, 35), (C, 7)):
            for g in range(1, 7):
                rows.append((y, sid, g, size + (y - 2018) * (g % 3) - g))
    ds = make(rows, births={y: 250 for y in range(2010, 2023)})
    for reconcile in ("top-down", "bottom-up"):
        opts = ForecastOptions(reconcile=reconcile)
        pts, _ = points(ds, horizon=4, opts=opts)
        sums = (pts.filter(pl.col("level") == "school").group_by("year", "grade")
                .agg(pl.col("students").sum()))
        county = pts.filter(pl.col("level") == "county").join(sums, on=["year", "grade"])
        assert (county["students"] - county["students_right"]).abs().max() < 1e-9
        # Whole pupils in the published rows still add up.
        rows_out = forecast(ds, 4, opts).rows.filter(pl.col("grade") != "total")
        by_level = rows_out.group_by("level", "year", "grade").agg(pl.col("students").sum())
        wide = by_level.pivot(on="level", index=["year", "grade"], values="students")
        assert (wide["school"] == wide["county"]).all()
        assert (wide["county"] == wide["city"]).all()


def test_city_sums_its_counties():
    rows = [(y, s, g, 40 + g + (y - 2019)) for y in range(2019, 2023) for s in (A, B)
            for g in range(1, 4)]
    ds = make(rows, births={y: 100 for y in range(2010, 2023)}, county_of={B: OTHER})
    out = forecast(ds, 3).rows
    city = out.filter(pl.col("level") == "city")
    assert city["unit_id"].unique().to_list() == ["620700"]
    counties = out.filter(pl.col("level") == "county").group_by("year", "grade").agg(
        pl.col("students").sum())
    joined = city.join(counties, on=["year", "grade"])
    assert (joined["students"] == joined["students_right"]).all()


def test_intervals_widen_with_horizon():
    rows = [(y, s, g, 60 + 5 * math.sin(y + g) + (10 if s == A else 0))
            for y in range(2012, 2023) for s in (A, B) for g in range(1, 7)]
    rows = [(y, s, g, int(v)) for y, s, g, v in rows]
    ds = make(rows, births={y: 240 + (y % 4) * 7 for y in range(2004, 2023)})
    out = forecast(ds, 8).rows.filter((pl.col("level") == "county") & (pl.col("grade") == "total"))
    width = ((out["upper"] - out["lower"]) / out["students"]).to_list()
    assert width[-1] > width[0]
    assert all((out["lower"] <= out["students"]) & (out["students"] <= out["upper"]))
    from junheng.forecast.backtest import calibration_errors

    inputs = read_inputs(ds)
    table = calibration_table(calibration_errors(inputs, 8, PLAIN), 8, PLAIN, LEVELS)
    for _, g in table.group_by("level", "kind", "band"):
        g = g.sort("h")
        assert (g["hi"].diff().drop_nulls() >= 0).all()
        assert (g["lo"].diff().drop_nulls() <= 0).all()


def test_overlapping_horizon_errors_count_as_fewer_independent_ones():
    # Bartlett: n errors with lag-k correlation (h − k) / h are worth n / (1 + 2 Σ ρ_k²).
    hs = list(range(1, 11))
    got = pl.DataFrame({"h": hs}).select(f=overlap_factor(pl.col("h")))["f"].to_list()
    for h, factor in zip(hs, got, strict=False):
        direct = 1.0 + 2.0 * sum(((h - k) / h) ** 2 for k in range(1, h))
        assert factor == pytest.approx(direct)
    assert got[0] == 1.0


def test_too_short_history_is_a_clear_error():
    ds = make([(2021, A, 1, 30), (2021, A, 2, 28)])
    with pytest.raises(ForecastError, match="至少需要 2 年"):
        forecast(ds, 3)


def test_output_columns_and_grades():
    out = forecast(two_year_county(), 2).rows
    assert out.columns == ["year", "level", "unit_id", "grade", "students", "lower", "upper"]
    assert set(out["grade"].unique().to_list()) == {"1", "2", "total"}
    assert out["students"].dtype == pl.Int64


def test_a_sudden_jump_does_not_move_the_median_ratio():
    # Grade 2 keeps 95 % of grade 1 every year except one (a school merged in, then left).
    rows = []
    for y in range(2015, 2022):
        rows.append((y, A, 1, 100))
        rows.append((y, A, 2, 150 if y == 2019 else 95))
    ds = make(rows, births={b: 200 for b in range(2005, 2022)})
    median, _ = points(ds, horizon=1, opts=ForecastOptions(method="gpr-median", window=5))
    mean, _ = points(ds, horizon=1, opts=ForecastOptions(method="gpr-mean", window=5))
    assert value(median, "county", COUNTY, 2022, 2) == pytest.approx(95.0)
    assert value(mean, "county", COUNTY, 2022, 2) > 100.0
