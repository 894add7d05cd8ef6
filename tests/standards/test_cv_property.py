"""The engine's CV equals the spec formula (standards.md §3) computed directly with numpy, on
random counties; and it does not depend on the unit of the resource."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from junheng.domain.dataset import Dataset
from junheng.standards.engine import evaluate

schools_st = st.lists(
    st.tuples(st.integers(min_value=50, max_value=3000),
              st.floats(min_value=1.0, max_value=50000.0, allow_nan=False)),
    min_size=1, max_size=8,
)


def _dataset(rows: list[tuple[int, float]], scale: float = 1.0) -> Dataset:
    ids = [f"62072300{i:02d}" for i in range(len(rows))]
    return Dataset.from_frames({
        "counties": pl.DataFrame({"county_code": ["620723"], "county_name": ["临泽县"]}),
        "schools": pl.DataFrame({"school_id": ids, "school_name": ids, "county_code": ["620723"] * len(ids),
                                 "school_type": ["primary"] * len(ids), "ownership": ["public"] * len(ids),
                                 "locale": ["rural"] * len(ids)}),
        "sections": pl.DataFrame({"year": [2024] * len(ids), "school_id": ids,
                                  "stage": ["primary"] * len(ids), "students": [p for p, _ in rows]}),
        "facilities": pl.DataFrame({"year": [2024] * len(ids), "school_id": ids,
                                    "teaching_area_m2": [y * scale for _, y in rows]}),
    })


def _spec_cv(rows: list[tuple[int, float]]) -> float:
    p = np.array([r[0] for r in rows], dtype=float)
    y = np.array([r[1] for r in rows])
    xbar = y.sum() / p.sum()
    s = np.sqrt(np.sum(p / p.sum() * (y / p - xbar) ** 2))
    return float(s / xbar)


def _engine_cv(ds: Dataset) -> float:
    ev = evaluate(ds, "quality-balance-2017", 2024)
    row = ev.county_indicators.filter(
        (pl.col("stage") == "primary") & (pl.col("indicator") == "teaching_area_per_student"))
    return float(row["cv"].item())


@settings(max_examples=30, deadline=None)
@given(schools_st)
def test_cv_matches_the_formula(rows: list[tuple[int, float]]) -> None:
    assert abs(_engine_cv(_dataset(rows)) - _spec_cv(rows)) < 1e-9


@settings(max_examples=15, deadline=None)
@given(schools_st, st.sampled_from([0.01, 10.0, 1000.0]))
def test_cv_is_scale_free(rows: list[tuple[int, float]], k: float) -> None:
    assert abs(_engine_cv(_dataset(rows, k)) - _engine_cv(_dataset(rows))) < 1e-9
