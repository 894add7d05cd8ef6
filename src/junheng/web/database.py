"""The engine the app runs on, and bringing its schema up to date."""

from __future__ import annotations

from sqlalchemy.engine import Engine


def make_engine(url: str | None) -> Engine:
    from junheng.io.db import make_engine as io_make_engine

    return io_make_engine(url)


def prepare(engine: Engine) -> None:
    """Migrate to the newest revision (data tables and the web tables of 0002_accounts)."""
    from junheng.io.db import migrate

    migrate(engine)
