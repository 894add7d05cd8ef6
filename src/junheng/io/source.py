"""Where a dataset comes from: ``DATA`` on the command line is a workbook, a CSV folder or a
database URL. Commands call ``load_dataset`` and never care which."""

from __future__ import annotations

from junheng.domain.dataset import Dataset
from junheng.domain.needs import TableNeeds
from junheng.io.problems import Problem, ValidationFailed
from junheng.io.validate import read_dataset


def is_database_url(spec: str) -> bool:
    return "://" in spec and spec.split("://", 1)[0].split("+")[0] in {
        "sqlite", "postgresql", "postgres"}


def load_dataset(spec: str, year: int | None = None,
                 needs: TableNeeds | None = None) -> Dataset:
    """Load DATA; raise ``ValidationFailed`` (every problem listed) if a file is invalid or
    lacks a table the command (``needs``) reads. Only the tables in ``needs`` are read."""
    if is_database_url(spec):
        from junheng.io import db

        engine = db.make_engine(spec)
        try:
            ds = db.load_dataset(engine, year, tables=needs.tables() if needs else None)
        finally:
            engine.dispose()
        if needs is not None:
            present = {t for t in ds if ds.table(t).height}
            cols = {t: _reported(ds, t) for t in present}
            missing = needs.missing(present, cols, in_database=True)
            if missing:
                where = spec.rsplit("/", 1)[-1]
                raise ValidationFailed([Problem(where, m.table, None, m.column, m.zh, m.en)
                                        for m in missing], False)
        return ds
    ds, _warnings = read_dataset(spec, needs=needs)
    return ds


def _reported(ds: Dataset, table: str) -> set[str]:
    """Columns of a stored table that hold at least one value: a database has every column,
    so a column counts as given when some row reports it."""
    frame = ds.table(table)
    counts = frame.null_count().row(0)
    return {c for c, n in zip(frame.columns, counts, strict=True) if n < frame.height}
