"""A county administrator's upload may only touch the county's own rows.

Every row of every table is traced to a county: directly by ``county_code``, or through the
school or area it refers to (looked up in the file and in the database). A row of another
county, or a table that cannot be traced to a county at all, is a problem; nothing is written.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy.engine import Engine

from junheng.domain.dataset import Dataset
from junheng.domain.fields import registry
from junheng.io.problems import Problem

PER_COLUMN_LIMIT = 20


def _lookup(ds: Dataset, engine: Engine, table: str, key: str) -> pl.DataFrame:
    """key → county_code for schools or areas, from the file first, then the database."""
    import sqlalchemy as sa

    from junheng.io.db import DATA_TABLES

    t = DATA_TABLES[table]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c[key], t.c.county_code)).all()
    known = pl.DataFrame({key: [r[0] for r in rows], "county_code": [r[1] for r in rows]},
                         schema={key: pl.Utf8, "county_code": pl.Utf8})
    mine = ds.get(table).select(key, "county_code")
    return pl.concat([mine, known]).unique(subset=[key], keep="first").rename(
        {"county_code": "__county"})


def scope_problems(ds: Dataset, engine: Engine, county: str, filename: str) -> list[Problem]:
    reg = registry()
    lookups = {"schools": ("school_id", None), "areas": ("area_id", None)}
    maps: dict[str, pl.DataFrame] = {}
    problems: list[Problem] = []
    for tid in ds:
        frame = ds.get(tid)
        if frame.height == 0:
            continue
        table = reg.table(tid) if reg.has_table(tid) else None
        checks: list[tuple[str, pl.DataFrame]] = []
        if "county_code" in frame.columns:
            checks.append(("county_code", frame.select(
                pl.col("county_code").alias("__value"), pl.col("county_code").alias("__county"))))
        for col in (table.columns if table else []):
            if col.ref is None or col.ref[0] not in lookups or col.id not in frame.columns:
                continue
            ref_table, ref_key = col.ref
            if ref_table not in maps:
                maps[ref_table] = _lookup(ds, engine, ref_table, lookups[ref_table][0])
            mapped = frame.select(pl.col(col.id).alias(ref_key)).join(
                maps[ref_table], on=ref_key, how="left").rename({ref_key: "__value"})
            checks.append((col.id, mapped))
        if not checks:
            problems.append(Problem(
                filename, tid, None, None,
                f"区县管理员不能导入“{table.label if table else tid}”：该表不属于某一区县，请由市级管理员导入",
                f"a county administrator cannot import table '{tid}': it is not per county"))
            continue
        for col_id, mapped in checks:
            bad = (mapped.filter(pl.col("__value").is_not_null()
                                 & (pl.col("__county").is_null()
                                    | (pl.col("__county") != county)))
                   .select("__value").unique().sort("__value"))
            for value in bad.head(PER_COLUMN_LIMIT)["__value"].to_list():
                problems.append(Problem(
                    filename, tid, None, col_id,
                    f"“{value}”不属于本区县（{county}），区县管理员只能导入本区县的数据",
                    f"'{value}' is not in your county ({county}); you may import your county's "
                    "data only"))
    return problems
