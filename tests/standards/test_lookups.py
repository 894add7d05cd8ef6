"""The per-stage lookups and class counts behind the engine's fast paths agree with the plain
formulation (``replace_strict``, comparisons evaluated class by class)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from junheng.domain.dataset import Dataset
from junheng.standards.bands import ClassStats
from junheng.standards.school_table import by_key

STAGES = ["primary", "junior", "senior", "preschool", "other"]


@given(
    values=st.lists(st.sampled_from(STAGES + [None]), min_size=0, max_size=30),
    mapping=st.dictionaries(st.sampled_from(STAGES[:4]),
                            st.one_of(st.none(), st.floats(0, 100, allow_nan=False)), max_size=4),
)
@settings(max_examples=60, deadline=None)
def test_by_key_equals_replace_strict(values: list[str | None], mapping: dict[str, float | None]) -> None:
    df = pl.DataFrame({"stage": values}, schema={"stage": pl.Utf8})
    got = df.select(v=by_key("stage", mapping))["v"]
    want = df.select(v=pl.col("stage").replace_strict(mapping, default=None, return_dtype=pl.Float64))["v"]
    assert got.dtype == pl.Float64
    assert got.to_list() == want.to_list()


def test_by_key_many_keys() -> None:
    mapping = {f"t{i}": float(i) for i in range(12)}
    df = pl.DataFrame({"t": ["t3", "t11", "x", None]})
    assert df.select(v=by_key("t", mapping))["v"].to_list() == [3.0, 11.0, None, None]


@given(sizes=st.lists(st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["primary", "junior", "senior"]),
                                st.integers(1, 90)), min_size=1, max_size=60))
@settings(max_examples=40, deadline=None)
def test_class_summary_counts(sizes: list[tuple[str, str, int]]) -> None:
    classes = pl.DataFrame(
        [(2024, sid, stage, 1, "1班", n) for sid, stage, n in sizes],
        schema={"year": pl.Int64, "school_id": pl.Utf8, "stage": pl.Utf8, "grade": pl.Int64,
                "class_name": pl.Utf8, "students": pl.Int64}, orient="row")
    ds = Dataset.from_frames({"classes": classes})
    caps = {"primary": 45, "junior": 50}
    stats = ClassStats(ds, {"normal_max": 45, "large_max": 55, "big_max": 65})
    summary = stats.summary(caps)
    assert summary is not None
    assert summary.columns == ["school_id", "stage", "classes", "max_class_size", "over",
                               "normal", "large", "big", "super"]
    for r in summary.iter_rows(named=True):
        ns = [n for sid, stage, n in sizes if sid == r["school_id"] and stage == r["stage"]]
        cap = caps.get(r["stage"])
        assert r["classes"] == len(ns) and r["max_class_size"] == max(ns)
        assert r["over"] == (sum(n > cap for n in ns) if cap is not None else 0)
        assert (r["normal"], r["large"], r["big"], r["super"]) == (
            sum(n <= 45 for n in ns), sum(45 < n <= 55 for n in ns),
            sum(55 < n <= 65 for n in ns), sum(n > 65 for n in ns))
    assert len(summary) == len({(s, g) for s, g, _ in sizes})
