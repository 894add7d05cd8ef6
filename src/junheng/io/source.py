"""Where a dataset comes from: ``DATA`` on the command line is a workbook, a CSV folder or a
database URL. Commands call ``load_dataset`` and never care which."""

from __future__ import annotations

from collections.abc import Collection

from junheng.domain.dataset import Dataset
from junheng.io.validate import read_dataset


def is_database_url(spec: str) -> bool:
    return "://" in spec and spec.split("://", 1)[0].split("+")[0] in {
        "sqlite", "postgresql", "postgres"}


def load_dataset(spec: str, year: int | None = None,
                 require_tables: Collection[str] | None = None) -> Dataset:
    """Load DATA; raise ``ValidationFailed`` (every problem listed) if a file is invalid.

    ``require_tables``: the tables the command cannot do without (default: every table the
    format does not mark optional). A command that needs only ``counties`` and ``finance`` names
    them, so a finance bureau's workbook need not carry schools and sections. A database holds
    whatever was imported and is read whole."""
    if is_database_url(spec):
        from junheng.io import db

        engine = db.make_engine(spec)
        try:
            return db.load_dataset(engine, year)
        finally:
            engine.dispose()
    ds, _warnings = read_dataset(spec, require_tables=require_tables)
    return ds
