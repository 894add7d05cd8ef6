"""A county administrator's upload may only touch the county's rows; a school clerk's only the
school's.

Whose a row is comes from the field registry (``owner`` of each table): the columns that name
a county, a school or an area. A row may be written only when

- every such column of the NEW row names the writer's county (school), where a school or an
  area is placed by what the DATABASE says about it (the file is consulted only for a school
  or area the database does not know yet, whose own row is checked in turn), and
- every such column of the STORED row that the import would replace (same ``replace_by``
  key) names the writer's county (school) too: a row cannot be taken over by reusing its id.

A table without an owner rule, a city-level table, or a county-level table in a clerk's file
is refused as a whole. Any problem refuses the whole file; nothing is written. The check runs
when the file is staged (to show the problems) and again inside the import's transaction,
after the import lock is taken, so that what is judged is what is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from junheng.domain.dataset import Dataset
from junheng.domain.fields import Table, registry
from junheng.io.problems import Problem
from junheng.io.readers import ROW
from junheng.web.access import Role, User

PER_CHECK_LIMIT = 20  # rows listed per sheet and column; the rest are counted
IN_LIST_LIMIT = 500  # distinct key values sent to the database as IN (...); more: whole year
_WHAT = {"county": ("区县代码", "county code"), "school": ("学校", "school"),
         "area": ("片区", "area")}
_LEVEL_ZH = {"city": "市级管理员", "county": "区县管理员"}


@dataclass(frozen=True)
class Writer:
    """Who imports: a county administrator (``county``) or a school clerk (``school``).
    Neither set means someone who may write nothing."""

    county: str | None = None
    school: str | None = None

    @property
    def is_clerk(self) -> bool:
        return self.school is not None


def writer_for(user: User) -> Writer | None:
    """The scope of ``user``'s imports; None for the city-wide roles (no limit)."""
    if user.is_city_wide:
        return None
    if user.role == Role.COUNTY_ADMIN:
        return Writer(county=user.county_code or "")
    if user.role == Role.SCHOOL_CLERK:
        return Writer(school=user.school_id or "")
    return Writer()


class _Owners:
    """Which county each school and area belongs to: stored (the database) and new (the file,
    for ids the database does not know)."""

    def __init__(self, conn: Connection, ds: Dataset) -> None:
        from junheng.io.db import DATA_TABLES

        self.stored: dict[str, pl.DataFrame] = {}
        self.new: dict[str, pl.DataFrame] = {}
        for kind, tid, key in (("school", "schools", "school_id"), ("area", "areas", "area_id")):
            t = DATA_TABLES[tid]
            rows = conn.execute(sa.select(t.c[key], t.c.county_code)).all()
            self.stored[kind] = pl.DataFrame(
                {"__value": [r[0] for r in rows], "__stored": [r[1] for r in rows]},
                schema={"__value": pl.Utf8, "__stored": pl.Utf8}).unique("__value")
            mine = ds.table(tid) if tid in ds else pl.DataFrame(
                schema={key: pl.Utf8, "county_code": pl.Utf8})
            self.new[kind] = (mine.select(pl.col(key).alias("__value"),
                                          pl.col("county_code").alias("__new"))
                              .unique("__value", keep="first"))
        t = DATA_TABLES["counties"]
        self.names = {r[0]: r[1] for r in conn.execute(
            sa.select(t.c.county_code, t.c.county_name))}

    def county_of(self, kind: str, values: pl.DataFrame, stored_only: bool) -> pl.DataFrame:
        """``values`` (a ``__value`` column) with ``__county`` added."""
        if kind == "county":
            return values.with_columns(pl.col("__value").alias("__county"))
        out = values.join(self.stored[kind], on="__value", how="left")
        if stored_only:
            return out.rename({"__stored": "__county"})
        out = out.join(self.new[kind], on="__value", how="left")
        return out.with_columns(pl.coalesce("__stored", "__new").alias("__county")).drop(
            "__stored", "__new")

    def describe(self, county: str | None) -> tuple[str, str]:
        if county is None:
            return "未登记的区县", "no registered county"
        name = self.names.get(county)
        return (f"{name}（{county}）", f"{county} {name}") if name else (county, county)


class _Report:
    def __init__(self, filename: str, sheets: dict[str, str]) -> None:
        self.filename = filename
        self.sheets = sheets
        self.problems: list[Problem] = []
        self._seen: set[tuple[str, int | None, str | None]] = set()

    def sheet(self, tid: str) -> str:
        return self.sheets.get(tid, tid)

    def add(self, tid: str, row: int | None, column: str | None, zh: str, en: str) -> None:
        where = (tid, row, column)
        if where in self._seen:  # one message per cell is enough to act on
            return
        self._seen.add(where)
        self.problems.append(Problem(self.filename, self.sheet(tid), row, column, zh, en))

    def rest(self, tid: str, column: str | None, more: int) -> None:
        if more > 0:
            self.problems.append(Problem(
                self.filename, self.sheet(tid), None, column,
                f"另有 {more} 行同样的问题（未逐行列出）",
                f"{more} more rows with the same problem (not listed one by one)"))


def _label(table: Table, column: str) -> str:
    return f"{table.column(column).label}({column})"


def _rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame if ROW in frame.columns else frame.with_columns(
        pl.lit(None, dtype=pl.Int64).alias(ROW))


def scope_problems(conn: Connection, ds: Dataset, writer: Writer, filename: str,
                   sheets: dict[str, str] | None = None) -> list[Problem]:
    """Every row of ``ds`` that ``writer`` may not write, located (sheet, row, column) and
    explained in Chinese and English. Frames may carry the spreadsheet row numbers (``ROW``).
    """
    reg = registry()
    owners = _Owners(conn, ds)
    report = _Report(filename, sheets or {})
    own_county = writer.county
    if writer.is_clerk:
        own_county = owners.county_of(
            "school", pl.DataFrame({"__value": [writer.school]}, schema={"__value": pl.Utf8}),
            stored_only=True)["__county"][0]
    for tid in ds:
        frame = _rows(ds.table(tid))
        if frame.height == 0:
            continue
        table = reg.table(tid) if reg.has_table(tid) else None
        first = frame[ROW].min()
        first_row = int(first) if isinstance(first, int) else None
        if table is None or table.owner is None:
            report.add(tid, first_row, None,
                       f"表“{table.label if table else tid}”没有区县或学校归属规则，"
                       "只能由市级管理员导入",
                       f"table '{tid}' has no county or school owner rule; only the city "
                       "administrator may import it")
            continue
        level = table.owner.level
        if level == "city" or (writer.is_clerk and level != "school"):
            who = "学校填报员" if writer.is_clerk else "区县管理员"
            who_en = "a school clerk" if writer.is_clerk else "a county administrator"
            only = "市级管理员" if level == "city" else "市级或区县管理员"
            report.add(tid, first_row, None,
                       f"{who}不能导入“{table.label}”（{tid}）：该表只能由{only}导入",
                       f"{who_en} cannot import table '{tid}' ({table.label_en}): it is "
                       f"imported by the {'city' if level == 'city' else 'city or county'} "
                       "administrator only")
            continue
        _check_new(table, frame, writer, own_county, owners, report)
        _check_stored(conn, table, frame, writer, own_county, owners, report)
    return report.problems


def _allowed(kind: str, mapped: pl.DataFrame, writer: Writer,
             own_county: str | None) -> pl.Series:
    if writer.is_clerk and kind == "school":
        ok = pl.col("__value") == writer.school
    else:
        ok = pl.col("__county") == (own_county or "")
    return mapped.select(ok.fill_null(False).alias("ok"))["ok"]


def _why(kind: str, value: str, county: str | None, writer: Writer, own_county: str | None,
         owners: _Owners) -> tuple[str, str]:
    what_zh, what_en = _WHAT[kind]
    where_zh, where_en = owners.describe(county)
    if writer.is_clerk:
        if kind == "school":
            return (f"学校“{value}”不是本校（{writer.school}）：学校填报员只能导入本校的记录",
                    f"school '{value}' is not your school ({writer.school}): a school clerk "
                    "may import the own school's rows only")
        return (f"{what_zh}“{value}”属于{where_zh}，不在本校所在区县：学校填报员只能导入本校的记录",
                f"{what_en} '{value}' is in {where_en}, not your school's county: a school "
                "clerk may import the own school's rows only")
    mine_zh, mine_en = owners.describe(own_county)
    if kind == "county":
        name = owners.names.get(value)
        subject_zh = f"区县代码“{value}”{f'（{name}）' if name else ''}不属于本区县"
        subject_en = f"county code '{value}' is not"
    else:
        subject_zh = f"{what_zh}“{value}”属于{where_zh}，不属于本区县"
        subject_en = f"{what_en} '{value}' is in {where_en}, not in"
    return (f"{subject_zh}{mine_zh}：区县管理员只能导入本区县的记录",
            f"{subject_en} your county {mine_en}: a county administrator may import the own "
            "county's rows only")


def _check_new(table: Table, frame: pl.DataFrame, writer: Writer, own_county: str | None,
               owners: _Owners, report: _Report) -> None:
    assert table.owner is not None
    by = [(c, k) for c, k in table.owner.by]
    present = [c for c, _ in by if c in frame.columns]
    _unowned(table, frame, present, report, stored=False)
    for col, kind in by:
        if col not in frame.columns:
            continue
        values = frame.select(pl.col(ROW), pl.col(col).cast(pl.Utf8).alias("__value")).filter(
            pl.col("__value").is_not_null())
        mapped = owners.county_of(kind, values, stored_only=False)
        bad = mapped.filter(~_allowed(kind, mapped, writer, own_county)).sort(ROW, nulls_last=True)
        for row, value, county in bad.head(PER_CHECK_LIMIT).select(
                ROW, "__value", "__county").iter_rows():
            zh, en = _why(kind, value, county, writer, own_county, owners)
            report.add(table.id, row, _label(table, col), zh, en)
        report.rest(table.id, _label(table, col), bad.height - PER_CHECK_LIMIT)


def _unowned(table: Table, frame: pl.DataFrame, present: list[str], report: _Report,
             stored: bool) -> None:
    """Rows none of whose owner columns is filled in belong to nobody: refused."""
    nobody = frame.filter(pl.all_horizontal([pl.col(c).is_null() for c in present])
                          if present else pl.lit(True))
    cols = "、".join(_label(table, c) for c, _ in (table.owner.by if table.owner else ()))
    for row in nobody.head(PER_CHECK_LIMIT)[ROW].to_list():
        if stored:
            report.add(table.id, row, None,
                       f"该行会替换一条无法确定归属的已有记录（{cols}均为空）：只能由市级管理员修改",
                       "this row would replace a stored row that belongs to no county or school "
                       "(its owner columns are empty): only the city administrator may change it")
        else:
            report.add(table.id, row, None,
                       f"无法确定该行属于哪个区县或学校：{cols}均为空",
                       "cannot tell whose row this is: its owner columns are all empty")
    report.rest(table.id, None, nobody.height - PER_CHECK_LIMIT)


def _check_stored(conn: Connection, table: Table, frame: pl.DataFrame, writer: Writer,
                  own_county: str | None, owners: _Owners, report: _Report) -> None:
    """The stored rows this import would replace must be the writer's too."""
    from junheng.io.db import DATA_TABLES

    assert table.owner is not None
    keys = list(table.replace_by)
    if not keys or any(k not in frame.columns for k in keys):
        return
    owner_cols = [c for c, _ in table.owner.by]
    cols = list(dict.fromkeys([*keys, *owner_cols]))
    t = DATA_TABLES[table.id]
    query = sa.select(*[t.c[c] for c in cols])
    for k in keys:
        distinct = frame[k].drop_nulls().unique()
        if distinct.len() <= IN_LIST_LIMIT:
            query = query.where(t.c[k].in_(distinct.to_list()))
    rows = conn.execute(query).all()
    if not rows:
        return
    stored = pl.DataFrame([tuple(r) for r in rows], schema={c: table.column(c).dtype
                                                           for c in cols}, orient="row")
    hit = frame.select(ROW, *keys).join(stored, on=keys, how="inner")
    if hit.height == 0:
        return
    _unowned(table, hit, owner_cols, report, stored=True)
    blame = next((k for k in keys if k != "year"), keys[0])
    for col, kind in table.owner.by:
        values = hit.select(pl.col(ROW), pl.col(col).cast(pl.Utf8).alias("__value"),
                            *[pl.col(k).alias(f"__key_{k}") for k in keys]).filter(
            pl.col("__value").is_not_null())
        mapped = owners.county_of(kind, values, stored_only=True)
        bad = mapped.filter(~_allowed(kind, mapped, writer, own_county)).sort(ROW, nulls_last=True)
        for rec in bad.head(PER_CHECK_LIMIT).iter_rows(named=True):
            key = ", ".join(f"{k}={rec[f'__key_{k}']}" for k in keys)
            zh, en = _why(kind, rec["__value"], rec["__county"], writer, own_county, owners)
            label = table.column(col).label
            report.add(table.id, rec[ROW], _label(table, blame),
                       f"该行会替换已有记录（{key}），而已有记录的{label}：{zh}",
                       f"this row would replace the stored row ({key}), whose {col}: {en}")
        report.rest(table.id, _label(table, blame), bad.height - PER_CHECK_LIMIT)
