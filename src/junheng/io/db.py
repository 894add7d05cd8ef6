"""The database: SQLAlchemy Core tables generated from the field registry, Alembic migrations,
and all-or-nothing import.

SQLite (a file, no server) by default; PostgreSQL by URL. Data is kept per school year, so
several years live side by side; a re-import replaces the rows it names (``replace_by`` in the
registry) and leaves everything else alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from junheng.domain.dataset import Dataset
from junheng.domain.fields import Column, Table, registry
from junheng.io.problems import Problem, ValidationFailed

DEFAULT_SQLITE_PATH = Path("var") / "junheng.sqlite"
EXTRA_COLUMN = "extra_json"  # unknown columns of an imported row, kept as JSON text
INSERT_CHUNK_ROWS = 100_000

metadata = sa.MetaData()


def _sa_type(col: Column) -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return {
        "text": sa.Text(),
        "enum": sa.String(32),
        "int": sa.BigInteger(),
        "float": sa.Float(),
        "bool": sa.Boolean(),
        "date": sa.Date(),
        "datetime": sa.DateTime(),
    }[col.type]


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
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


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
            cur.close()
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


def known_keys(engine: Engine) -> Dataset:
    """The ids other tables refer to (counties, schools, areas), for validating an import."""
    out: dict[str, pl.DataFrame] = {}
    with engine.connect() as conn:
        for tid, col in (("counties", "county_code"), ("schools", "school_id"),
                         ("areas", "area_id")):
            t = DATA_TABLES[tid]
            vals = [r[0] for r in conn.execute(sa.select(t.c[col]))]
            out[tid] = pl.DataFrame({col: pl.Series(col, vals, dtype=pl.Utf8)})
    return Dataset(out)


# --- writing -------------------------------------------------------------------------------

class DatabaseWriteError(RuntimeError):
    """The database refused a write; the whole import was rolled back."""


@dataclass
class ImportSummary:
    rows: dict[str, int]
    replaced: dict[str, int]
    seconds: float
    data_version: int


def _rows_for_insert(table: Table, frame: pl.DataFrame) -> tuple[list[str], list[tuple]]:
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
    tmp = sa.Table(f"tmp_keys_{table.id}", sa.MetaData(),
                   *[sa.Column(c, _sa_type(table.column(c))) for c in table.replace_by],
                   prefixes=["TEMPORARY"])
    tmp.create(conn)
    try:
        _bulk_insert(conn, tmp, list(table.replace_by), keys.rows())
        cond = sa.and_(*[tmp.c[c] == t.c[c] for c in table.replace_by])
        result = conn.execute(t.delete().where(sa.exists(sa.select(1).where(cond))))
        return int(result.rowcount or 0)
    finally:
        tmp.drop(conn)


def _bulk_insert(conn: Connection, t: sa.Table, cols: list[str], rows: list[tuple]) -> None:
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


def import_dataset(engine: Engine, ds: Dataset, source: str = "dataset") -> ImportSummary:
    """Write ``ds`` in one transaction: either every row lands or none does.

    References to counties, schools and areas are checked against the file and the database
    together before anything is written; a failure raises ``ValidationFailed``.
    """
    start = time.perf_counter()
    _check_db_references(engine, ds, source)
    rows: dict[str, int] = {}
    replaced: dict[str, int] = {}
    with engine.begin() as conn:
        for table in registry().tables:  # registry order puts referenced tables first
            if table.id not in ds:
                continue
            frame = ds.get(table.id)
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


def _check_db_references(engine: Engine, ds: Dataset, source: str) -> None:
    """Ids referred to but present neither in the file nor in the database."""
    known = known_keys(engine)
    problems: list[Problem] = []
    for table in registry().tables:
        if table.id not in ds:
            continue
        frame = ds.get(table.id)
        for col in table.columns:
            if col.ref is None or col.id not in frame.columns:
                continue
            ref_table, ref_col = col.ref
            pool = pl.concat([ds.get(ref_table)[ref_col], known.get(ref_table)[ref_col]])
            missing = (frame.filter(pl.col(col.id).is_not_null()
                                    & ~pl.col(col.id).is_in(pool.implode()))[col.id]
                       .unique().sort())
            for value in missing.head(50).to_list():
                problems.append(Problem(
                    source, table.id, None, col.id,
                    f"“{value}”在“{registry().table(ref_table).label}”中不存在，"
                    "数据库中也没有",
                    f"'{value}' is neither in table '{ref_table}' nor in the database"))
    if problems:
        raise ValidationFailed(problems)
