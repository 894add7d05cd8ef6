"""Masking of personal data (身份证号, names, disability, hardship, health).

Which columns are personal is declared in the field registry (``personal: true``); this module
only says how each kind is hidden. Listings and exports mask unless the role allows otherwise.
"""

from __future__ import annotations

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.fields import Column, registry

MASK = "***"


def masked_resident_id(c: pl.Expr) -> pl.Expr:
    """A 身份证号 with the birth date hidden: the region (first 6) and the last 4 stay, as on
    printed notices. Every listing and export masks through here."""
    return pl.when(c.is_not_null()).then(c.str.slice(0, 6) + pl.lit("********")
                                         + c.str.slice(14, 4))


def masked_resident_id_text(rid: str) -> str:
    """One 身份证号 masked as ``masked_resident_id`` masks a column (for a single record on a
    page); anything but 18 characters is hidden whole."""
    return rid[:6] + "********" + rid[14:] if len(rid) == 18 else "*" * len(rid)


def masked_name_text(name: str) -> str:
    """One name masked as listings mask the ``name`` column: the family name and two stars,
    whatever the length (the length itself says something)."""
    return name[:1] + "**" if name else name


def _mask_expr(col: Column) -> pl.Expr:
    c = pl.col(col.id)
    if col.check == "resident_id":
        return masked_resident_id(c).alias(col.id)
    if col.id == "name":
        return pl.when(c.is_not_null()).then(c.str.slice(0, 1) + pl.lit("**")).alias(col.id)
    # Disability, hardship, birth dates: presence is not shown either.
    return pl.lit(None, dtype=col.dtype).alias(col.id)


def mask_frame(table_id: str, frame: pl.DataFrame) -> pl.DataFrame:
    table = registry().table(table_id)
    exprs = [_mask_expr(c) for c in table.columns if c.personal and c.id in frame.columns]
    return frame.with_columns(exprs) if exprs else frame


def mask_dataset(ds: Dataset) -> Dataset:
    return Dataset({tid: mask_frame(tid, f) if registry().has_table(tid) else f
                    for tid, f in ds.tables.items()})


def personal_columns(ds: Dataset) -> list[str]:
    """'table.column' of every personal column that holds data in ``ds``."""
    out = []
    for tid in ds:
        if not registry().has_table(tid):
            continue
        frame = ds.table(tid)
        for col in registry().table(tid).columns:
            if col.personal and col.id in frame.columns and frame[col.id].is_not_null().any():
                out.append(f"{tid}.{col.id}")
    return out
