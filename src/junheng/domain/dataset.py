"""An in-memory dataset: one Polars frame per exchange-format table.

Everything that computes (standards, forecasts, planners) takes a ``Dataset`` and never knows
whether it came from a workbook, a CSV folder or the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import polars as pl

from junheng.domain.fields import registry


@dataclass
class Dataset:
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)

    def __contains__(self, table_id: str) -> bool:
        return table_id in self.tables

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def table(self, table_id: str) -> pl.DataFrame:
        """The table, or an empty frame with the registry's schema when it was not given.

        Named ``table`` rather than ``get``: it never answers None, so it should not read like a
        dict lookup whose absence the caller must handle."""
        if table_id in self.tables:
            return self.tables[table_id]
        return registry().table(table_id).empty()

    def __getitem__(self, table_id: str) -> pl.DataFrame:
        return self.table(table_id)

    def with_table(self, table_id: str, frame: pl.DataFrame) -> Dataset:
        """A copy with one table replaced (datasets are treated as values)."""
        return Dataset({**self.tables, table_id: frame})

    def years(self) -> list[int]:
        """School years present in the yearly tables, ascending."""
        found: set[int] = set()
        for tid in ("sections", "facilities", "grade_enrollment"):
            if tid in self.tables and self.tables[tid].height:
                found.update(self.tables[tid]["year"].unique().to_list())
        return sorted(found)

    def for_year(self, year: int) -> Dataset:
        """The tables as they stood in school year ``year``: yearly tables filtered to that year,
        history tables (births, enrollment, finance) up to it, static tables whole."""
        out: dict[str, pl.DataFrame] = {}
        for tid, frame in self.tables.items():
            scope = registry().table(tid).year_scope if registry().has_table(tid) else "none"
            if scope == "school_year":
                out[tid] = frame.filter(pl.col("year") == year)
            elif scope == "history":
                out[tid] = frame.filter(pl.col("year") <= year)
            else:
                out[tid] = frame
        return Dataset(out)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pl.DataFrame]) -> Dataset:
        """Cast each known table to the registry schema (missing optional columns become null)."""
        out: dict[str, pl.DataFrame] = {}
        for tid, frame in frames.items():
            if not registry().has_table(tid):
                out[tid] = frame
                continue
            table = registry().table(tid)
            exprs = []
            for col in table.columns:
                if col.id in frame.columns:
                    exprs.append(pl.col(col.id).cast(col.dtype, strict=True))
                else:
                    exprs.append(pl.lit(None, dtype=col.dtype).alias(col.id))
            extra = [c for c in frame.columns if c not in table.column_ids]
            out[tid] = frame.select(exprs + [pl.col(c) for c in extra])
        return cls(out)
