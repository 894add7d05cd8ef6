"""Shared fixtures. Every test that asks for ``db_url`` runs once per database backend.

Backends come from JUNHENG_TEST_BACKENDS (default "sqlite,postgresql"). PostgreSQL tests use
the server at JUNHENG_TEST_PG_URL (default the local trust-auth server) and each test creates
and drops a database of its own, so runs never see each other's data. A backend that is asked
for but unreachable is an error, never a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    "JUNHENG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
RUN_ID = uuid.uuid4().hex[:8]


def backends() -> list[str]:
    raw = os.environ.get("JUNHENG_TEST_BACKENDS", "sqlite,postgresql")
    return [b.strip() for b in raw.split(",") if b.strip()]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_url" in metafunc.fixturenames:
        # A test marked one_backend reads what the pages say, not how the database stores it:
        # the first configured backend is enough.
        chosen = backends()[:1] if metafunc.definition.get_closest_marker("one_backend") \
            else backends()
        metafunc.parametrize("db_url", chosen, indirect=True)


def _pg_admin() -> sa.Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend}")
    name = f"junheng_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL}; start it, or run with "
            "JUNHENG_TEST_BACKENDS=sqlite") from exc
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
