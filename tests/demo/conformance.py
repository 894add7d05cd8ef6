"""Registry conformance of a generated dataset, checked column by column."""

from __future__ import annotations

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.fields import registry


def assert_conforms(ds: Dataset) -> None:
    """Every table has the registry's columns and types, allowed codes, required values,
    unique keys and references that resolve."""
    reg = registry()
    for tid in ds:
        table = reg.table(tid)
        frame = ds[tid]
        assert frame.height > 0, tid
        assert frame.columns == table.column_ids, tid
        assert frame.schema == pl.Schema(table.schema), tid
        for col in table.columns:
            s = frame[col.id]
            if col.required:
                assert s.null_count() == 0, f"{tid}.{col.id} has nulls"
            v = s.drop_nulls()
            if col.type == "enum":
                assert set(v.unique()) <= set(col.values), f"{tid}.{col.id}"
            if col.pattern:
                assert v.str.contains(col.pattern).all(), f"{tid}.{col.id}"
            if col.min is not None and v.len():
                assert v.min() >= col.min, f"{tid}.{col.id}"
            if col.max is not None and v.len():
                assert v.max() <= col.max, f"{tid}.{col.id}"
            if col.ref is not None:
                ref_table, ref_col = col.ref
                known = set(ds[ref_table][ref_col])
                assert set(v.unique()) <= known, f"{tid}.{col.id} -> {ref_table}.{ref_col}"
        if table.key:
            assert not frame.select(table.key).is_duplicated().any(), f"{tid} key not unique"
