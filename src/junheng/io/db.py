"""The database: SQLAlchemy Core tables generated from the field registry, Alembic migrations,
and all-or-nothing import.

SQLite (a file, no server) by default; PostgreSQL by URL. Data is kept per school year, so
several years live side by side; a re-import replaces the rows it names (``replace_by`` in the
registry) and leaves everything else alone.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from junheng.domain.dataset import Dataset
from junheng.domain.fields import Column, Table, registry, unknown_references
from junheng.io.problems import Problem, ValidationFailed


def default_sqlite_path() -> Path:
    """The installation's own database file: ``$JUNHENG_HOME/junheng.sqlite``, else
    ``var/junheng.sqlite`` under the Python environment Junheng is installed in (the project's
    ``.venv``). Never relative to the current folder, so every command finds the same data
    wherever it is run from."""
    home = os.environ.get("JUNHENG_HOME")
    base = Path(home) if home else Path(sys.prefix) / "var"
    return (base / "junheng.sqlite").resolve()


EXTRA_COLUMN = "extra_json"  # unknown columns of an imported row, kept as JSON text
INSERT_CHUNK_ROWS = 100_000
# How long an import waits for another one to finish before it gives up with "try again".
IMPORT_WAIT_SECONDS = float(os.environ.get("JUNHENG_IMPORT_WAIT_SECONDS", "30"))
# Every other writer (audit log, sessions, edits) waits this long for the lock on SQLite,
# longer than an import waits, so that a request that gave up its import can still record
# that it did (the driver's default, 5 s, turned a long import into 500s for everyone).
SQLITE_BUSY_MS = int(IMPORT_WAIT_SECONDS * 1000) + 30_000
# One advisory lock for all imports on PostgreSQL (any 64-bit number, fixed for the project).
PG_IMPORT_LOCK = 0x4A554E48454E47  # "JUNHENG"
SQLITE_BEGIN = "junheng_sqlite_begin"  # execution option: "IMMEDIATE" for imports

metadata = sa.MetaData()


def _sa_type(col: Column) -> sa.types.TypeEngine[Any]:
    types: dict[str, sa.types.TypeEngine[Any]] = {
        "text": sa.Text(),
        "enum": sa.String(32),
        "int": sa.BigInteger(),
        "float": sa.Float(),
        "bool": sa.Boolean(),
        "date": sa.Date(),
        "datetime": sa.DateTime(),
    }
    return types[col.type]


def _build_table(table: Table) -> sa.Table:
    cols: list[sa.schema.SchemaItem] = [
        sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True)
    ]
    for col in table.columns:
        cols.append(sa.Column(col.id, _sa_type(col), nullable=not col.required,
                              comment=col.label))
    cols.append(sa.Column(EXTRA_COLUMN, sa.Text, nullable=True))
    if table.replace_by:
        cols.append(sa.Index(f"ix_{table.id}_replace", *table.replace_by))
    if "year" in table.column_ids and "year" not in table.replace_by[:1]:
        cols.append(sa.Index(f"ix_{table.id}_year", "year"))
    return sa.Table(table.id, metadata, *cols, comment=table.label)


DATA_TABLES: dict[str, sa.Table] = {t.id: _build_table(t) for t in registry().tables}

# A counter bumped by every change to the data, so that caches in stateless web workers can
# tell whether what they computed is still current.
data_version = sa.Table(
    "data_version", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)


def database_url(url: str | None = None) -> str:
    if url:
        return url
    env = os.environ.get("JUNHENG_DATABASE_URL")
    if env:
        return env
    return f"sqlite:///{default_sqlite_path()}"


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (or JUNHENG_DATABASE_URL, or the default SQLite file)."""
    url = database_url(url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = sa.create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            # WAL lets the web app read while an import writes; foreign keys are checked by
            # validation, which gives clerk-readable messages.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # An import (see import_transaction) begins IMMEDIATE: it takes the write lock,
            # waiting for another import, before it reads what it will replace, so it never
            # fails half-way with "database is locked". The driver's own transaction handling
            # is switched off for it, because that starts a transaction only before
            # INSERT/UPDATE/DELETE: its CREATE TEMP TABLE ran outside the transaction and
            # outlived a rolled-back import on the pooled connection. Other transactions keep
            # the driver's behaviour.
            if conn.get_execution_options().get(SQLITE_BEGIN) == "IMMEDIATE":
                conn.connection.driver_connection.isolation_level = None
                conn.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


def _alembic_config(connection: Connection):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("junheng.io").joinpath("migrations")))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with the committed Alembic migrations."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def get_data_version(conn: Connection) -> int:
    row = conn.execute(sa.select(data_version.c.version).where(data_version.c.id == 1)).first()
    return int(row[0]) if row else 0


def bump_data_version(conn: Connection) -> int:
    current = get_data_version(conn)
    if current == 0 and conn.execute(sa.select(data_version.c.id)).first() is None:
        conn.execute(data_version.insert().values(id=1, version=1, updated_at=time.time()))
        return 1
    conn.execute(data_version.update().where(data_version.c.id == 1)
                 .values(version=current + 1, updated_at=time.time()))
    return current + 1


# --- reading -------------------------------------------------------------------------------

def _read_table(conn: Connection, table: Table, year: int | None) -> pl.DataFrame:
    t = DATA_TABLES[table.id]
    cols = [t.c[c] for c in table.column_ids] + [t.c[EXTRA_COLUMN]]
    query = sa.select(*cols)
    if year is not None and table.year_scope == "school_year":
        query = query.where(t.c.year == year)
    elif year is not None and table.year_scope == "history":
        query = query.where(t.c.year <= year)
    result = conn.execute(query)
    rows = result.fetchall()
    data = {c: [r[i] for r in rows] for i, c in enumerate(table.column_ids)}
    frame = pl.DataFrame(data, schema=table.schema)
    extras = [r[-1] for r in rows]
    if any(e is not None for e in extras):
        import json

        decoded = [json.loads(e) if e else {} for e in extras]
        keys = sorted({k for d in decoded for k in d})
        frame = frame.with_columns(
            [pl.Series(k, [d.get(k) for d in decoded], dtype=pl.Utf8) for k in keys])
    return frame


def load_dataset(engine: Engine, year: int | None = None,
                 tables: Iterable[str] | None = None) -> Dataset:
    """Every table from the database (yearly tables filtered to ``year`` when given), or only
    ``tables``: a command reads only what it uses."""
    out: dict[str, pl.DataFrame] = {}
    wanted = set(tables) if tables is not None else None
    with engine.connect() as conn:
        for table in registry().tables:
            if wanted is not None and table.id not in wanted:
                continue
            frame = _read_table(conn, table, year)
            if frame.height or not table.optional:
                if table.key:
                    frame = frame.sort(list(table.key), nulls_last=True)
                out[table.id] = frame
    return Dataset(out)


def stored_tables(engine: Engine) -> set[str]:
    """The tables of the format that hold at least one row."""
    out: set[str] = set()
    with engine.connect() as conn:
        for tid, t in DATA_TABLES.items():
            if conn.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first():
                out.add(tid)
    return out


def known_keys(engine: Engine | Connection) -> Dataset:
    """The ids other tables refer to (counties, schools, areas), for validating an import."""
    if isinstance(engine, Engine):
        with engine.connect() as conn:
            return known_keys(conn)
    out: dict[str, pl.DataFrame] = {}
    for tid, col in (("counties", "county_code"), ("schools", "school_id"),
                     ("areas", "area_id")):
        t = DATA_TABLES[tid]
        vals = [r[0] for r in engine.execute(sa.select(t.c[col]))]
        out[tid] = pl.DataFrame({col: pl.Series(col, vals, dtype=pl.Utf8)})
    return Dataset(out)


# --- writing -------------------------------------------------------------------------------

class DatabaseWriteError(RuntimeError):
    """The database refused a write; the whole import was rolled back."""


class ImportBusy(ValidationFailed):
    """Another import held the database longer than we waited; nothing was written and the
    same import may simply be tried again."""

    def __init__(self, source: str, seconds: float) -> None:
        super().__init__([Problem(
            source, None, None, None,
            f"另一项导入正在进行，等待 {seconds:.0f} 秒后仍未完成：未写入任何数据，请稍后重试",
            f"another import is still running after waiting {seconds:.0f} s: nothing was "
            "written; please try again shortly")])


def _is_busy(exc: sa.exc.OperationalError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "55P03":  # PostgreSQL lock_not_available
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database is busy" in text


@contextmanager
def import_transaction(engine: Engine, source: str = "dataset",
                       wait_seconds: float | None = None) -> Iterator[Connection]:
    """A write transaction that holds the import lock: one import at a time, across threads
    and processes. A second import waits up to ``wait_seconds``, then gets ``ImportBusy``."""
    wait = IMPORT_WAIT_SECONDS if wait_seconds is None else wait_seconds
    ms = max(1, int(wait * 1000))
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                f"PRAGMA busy_timeout={ms}")
            conn = conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        try:
            try:
                tx = conn.begin()
                if not sqlite:
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(PG_IMPORT_LOCK)))
                    conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
            except sa.exc.OperationalError as exc:
                if conn.in_transaction():
                    conn.rollback()
                if _is_busy(exc):
                    raise ImportBusy(source, wait) from exc
                raise
            with tx:
                yield conn
        finally:
            if sqlite:  # back to the driver's defaults for the next user of the connection
                dbapi = conn.connection.driver_connection
                dbapi.isolation_level = ""  # type: ignore[union-attr]
                dbapi.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")  # type: ignore[union-attr]


@dataclass
class ImportSummary:
    rows: dict[str, int]
    replaced: dict[str, int]
    seconds: float
    data_version: int


def _rows_for_insert(table: Table, frame: pl.DataFrame) -> tuple[list[str], list[tuple[Any, ...]]]:
    import json

    cols = table.column_ids
    extra = [c for c in frame.columns if c not in cols]
    base = frame.select(cols)
    if extra:
        blobs = [
            json.dumps({k: v for k, v in zip(extra, rec, strict=True) if v is not None},
                       ensure_ascii=False) or None
            for rec in frame.select([pl.col(c).cast(pl.Utf8) for c in extra]).iter_rows()
        ]
        base = base.with_columns(pl.Series(EXTRA_COLUMN, blobs, dtype=pl.Utf8))
        return [*cols, EXTRA_COLUMN], base.rows()
    return cols, base.rows()


def _delete_replaced(conn: Connection, table: Table, frame: pl.DataFrame) -> int:
    """Delete the rows the import replaces, via a temporary table of the replaced keys."""
    t = DATA_TABLES[table.id]
    if conn.execute(sa.select(t.c.row_id).limit(1)).first() is None:
        return 0  # empty table: nothing to replace (the common case of a first import)
    keys = frame.select(list(table.replace_by)).unique()
    name = f"{TEMP_PREFIX}{table.id}"
    # Inside the import's transaction on both databases (SQLite: see make_engine), so a
    # failure anywhere rolls the table back with everything else; PostgreSQL also drops it at
    # commit. A leftover from an older version on a pooled connection is dropped first.
    conn.exec_driver_sql(f'DROP TABLE IF EXISTS {_temp_schema(conn)}."{name}"')
    tmp = sa.Table(name, sa.MetaData(),
                   *[sa.Column(c, _sa_type(table.column(c))) for c in table.replace_by],
                   prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
    tmp.create(conn)
    _bulk_insert(conn, tmp, list(table.replace_by), keys.rows())
    cond = sa.and_(*[tmp.c[c] == t.c[c] for c in table.replace_by])
    result = conn.execute(t.delete().where(sa.exists(sa.select(1).where(cond))))
    tmp.drop(conn)
    return int(result.rowcount or 0)


TEMP_PREFIX = "tmp_keys_"


def _temp_schema(conn: Connection) -> str:
    return "temp" if conn.dialect.name == "sqlite" else "pg_temp"


def temp_tables(conn: Connection) -> list[str]:
    """The import's temporary tables that exist on this connection (should be none between
    imports)."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
    else:
        sql = ("SELECT c.relname FROM pg_class c WHERE c.relpersistence = 't' "
               "AND c.relkind = 'r' AND c.relnamespace = pg_my_temp_schema()")
    return sorted(r[0] for r in conn.exec_driver_sql(sql) if r[0].startswith(TEMP_PREFIX))


def _bulk_insert(conn: Connection, t: sa.Table, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        # COPY is an order of magnitude faster than INSERT for large imports.
        raw = conn.connection.driver_connection
        col_sql = ", ".join(f'"{c}"' for c in cols)
        with raw.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                f'COPY "{t.name}" ({col_sql}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in cols)
    col_sql = ", ".join(f'"{c}"' for c in cols)
    sql = f'INSERT INTO "{t.name}" ({col_sql}) VALUES ({placeholders})'
    dbapi = conn.connection.driver_connection
    cur = dbapi.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(sql, rows)
    finally:
        cur.close()


def import_dataset(engine: Engine, ds: Dataset, source: str = "dataset",
                   check: Callable[[Connection], list[Problem]] | None = None,
                   wait_seconds: float | None = None) -> ImportSummary:
    """Write ``ds`` in one transaction: either every row lands or none does.

    Imports take turns (``import_transaction``); one that waits too long raises ``ImportBusy``.
    Once it holds the lock, ``check`` (e.g. whose rows these are) and the references to
    counties, schools and areas are judged on the database as it is then, before anything is
    written; a failure raises ``ValidationFailed``.
    """
    from junheng.io.validate import check_typed

    start = time.perf_counter()
    # Every writer passes the same door: bounds and cross-field rules of the registry, even
    # for datasets that were never a file (generators, scripts, the web form).
    invalid = check_typed(ds, source)
    if any(p.severity == "error" for p in invalid):
        raise ValidationFailed(invalid)
    rows: dict[str, int] = {}
    replaced: dict[str, int] = {}
    with import_transaction(engine, source, wait_seconds) as conn:
        if check is not None:
            problems = check(conn)
            if problems:
                raise ValidationFailed(problems)
        _check_db_references(conn, ds, source)
        for table in registry().tables:  # registry order puts referenced tables first
            if table.id not in ds:
                continue
            frame = ds.table(table.id)
            if frame.height == 0:
                continue
            try:
                replaced[table.id] = _delete_replaced(conn, table, frame)
                # In slices, so a national import never holds every row as Python tuples.
                for offset in range(0, frame.height, INSERT_CHUNK_ROWS):
                    cols, data = _rows_for_insert(
                        table, frame.slice(offset, INSERT_CHUNK_ROWS))
                    _bulk_insert(conn, DATA_TABLES[table.id], cols, data)
            except Exception as exc:
                # The transaction is rolled back as this propagates: nothing was written.
                raise DatabaseWriteError(
                    f"数据库拒绝写入表“{table.label}”({table.id})，已全部回滚，未写入任何数据："
                    f"{exc} / the database refused table '{table.id}'; everything was rolled "
                    "back") from exc
            rows[table.id] = frame.height
        version = bump_data_version(conn)
    return ImportSummary(rows, replaced, time.perf_counter() - start, version)


def _check_db_references(conn: Connection, ds: Dataset, source: str) -> None:
    """Ids referred to but present neither in the file nor in the database."""
    known = known_keys(conn)
    problems: list[Problem] = []
    for table in registry().tables:
        if table.id not in ds:
            continue
        frame = ds.table(table.id)
        for col, ref_table, ref_col in table.references(frame.columns):
            missing = unknown_references(
                frame, col.id, [ds.table(ref_table)[ref_col], known.table(ref_table)[ref_col]]
            )[col.id].unique().sort()
            for value in missing.head(50).to_list():
                problems.append(Problem(
                    source, table.id, None, col.id,
                    f"“{value}”在“{registry().table(ref_table).label}”中不存在，"
                    "数据库中也没有",
                    f"'{value}' is neither in table '{ref_table}' nor in the database"))
    if problems:
        raise ValidationFailed(problems)
