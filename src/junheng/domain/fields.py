"""The field registry: every table and column of the exchange format, declared once.

The declaration lives in ``data/format-v1.yaml`` (rules as data). Import, validation,
templates, the database schema and the generated docs page all read it through this module,
so a new column is a YAML change. The loader is strict: an unknown key in the YAML is an error,
because a typo there would silently drop a constraint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import polars as pl

from junheng.domain.yaml_text import load_yaml

ColumnType = Literal["text", "int", "float", "bool", "enum", "date", "datetime"]
YearScope = Literal["school_year", "history", "none"]
OwnerLevel = Literal["city", "county", "school"]
OwnerKind = Literal["county", "school", "area"]

_COLUMN_KEYS = {
    "id", "label", "label_en", "type", "unit", "required", "min", "max", "pattern", "values",
    "check", "check_severity", "personal", "ref", "note",
}
_TABLE_KEYS = {"id", "label", "label_en", "key", "year_scope", "optional", "personal", "columns",
               "note", "replace_by", "checks", "distinct", "owner"}
_CHECK_KEYS = {"column", "lte", "gte", "factor", "note"}
_LIMIT_KEYS = {"file_bytes", "unzipped_bytes", "part_bytes", "compression_ratio", "zip_entries",
               "sheets", "columns", "rows", "csv_rows", "cells", "field_chars"}
_OWNER_LEVELS = {"city", "county", "school"}
_OWNER_KINDS = {"county", "school", "area"}
_TYPES = {"text", "int", "float", "bool", "enum", "date", "datetime"}

POLARS_TYPES: dict[str, pl.DataType] = {
    "text": pl.Utf8(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "enum": pl.Utf8(),
    "date": pl.Date(),
    # Local (Beijing) time to the second: the exchange format carries no time zone.
    "datetime": pl.Datetime("us"),
}


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    type: ColumnType
    required: bool = False
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    enum: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    check: str | None = None
    # "warning": a failed named check is reported but the row is kept (other departments' lists,
    # which the bureau cannot correct; the command that uses them reports the rows again).
    check_severity: Literal["error", "warning"] = "error"
    personal: bool = False
    ref: tuple[str, str] | None = None
    label_en: str | None = None

    @property
    def dtype(self) -> pl.DataType:
        return POLARS_TYPES[self.type]

    def describe_zh(self) -> str:
        """What a clerk must type in this column, in Chinese."""
        parts = {
            "text": "文本",
            "int": "整数",
            "float": "数值",
            "bool": "是/否",
            "enum": "代码",
            "date": "日期 (YYYY-MM-DD)",
            "datetime": "时间 (YYYY-MM-DD HH:MM:SS, 北京时间)",
        }
        text = parts[self.type]
        if self.type == "enum":
            text += ": " + ", ".join(f"{k} {v}" for k, v in self.values.items())
        if self.min is not None and self.max is not None:
            text += f", 范围 {_num(self.min)}–{_num(self.max)}"
        elif self.min is not None:
            text += f", 不小于 {_num(self.min)}"
        if self.pattern == r"^\d{6}$":
            text += ", 6位数字"
        elif self.pattern == r"^\d{10}$":
            text += ", 10位数字"
        if self.unit:
            text += f", 单位 {self.unit}"
        text += ", 必填" if self.required else ", 选填 (空白表示未报告)"
        return text


@dataclass(frozen=True)
class Owner:
    """Whose rows a table holds, for imports by a county administrator or a school clerk.

    ``level`` is the narrowest role that may import the table (``city``: the city
    administrator only; ``county``: also a county administrator, for the own county;
    ``school``: also a school clerk, for the own school). ``by`` names the columns that say
    whose a row is, and what each names (a county code, a school id or an area id).
    """

    level: OwnerLevel
    by: tuple[tuple[str, OwnerKind], ...]


@dataclass(frozen=True)
class CrossCheck:
    """A rule between two columns of one row: ``column`` ≤ (``op`` "lte") or ≥ ("gte")
    ``factor`` × ``other``. Checked only where both values are given."""

    column: str
    op: Literal["lte", "gte"]
    other: str
    factor: float = 1.0

    def describe_zh(self, labels: dict[str, str]) -> str:
        rel = "不能大于" if self.op == "lte" else "不能小于"
        times = "" if self.factor == 1 else f"的{_num(self.factor)}倍"
        return f"{labels[self.column]}{rel}{labels[self.other]}{times}"

    def describe_en(self) -> str:
        rel = "at most" if self.op == "lte" else "at least"
        times = "" if self.factor == 1 else f"{_num(self.factor)} × "
        return f"{self.column} must be {rel} {times}{self.other}"


@dataclass(frozen=True)
class Limits:
    """Bounds on what a reader accepts, so that a small crafted file cannot exhaust memory
    or time: file and unzipped bytes, zip entries and compression ratio, sheets, columns per
    sheet, rows per sheet, data cells held in memory, characters per field."""

    file_bytes: int
    unzipped_bytes: int
    part_bytes: int
    compression_ratio: float
    zip_entries: int
    sheets: int
    columns: int
    rows: int
    csv_rows: int
    cells: int
    field_chars: int


@dataclass(frozen=True)
class Table:
    id: str
    label: str
    label_en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    year_scope: YearScope
    optional: bool = False
    personal: bool = False
    replace_by: tuple[str, ...] = ()
    checks: tuple[CrossCheck, ...] = ()
    # Columns whose non-empty values must all differ within one row (e.g. the five choices).
    distinct: tuple[str, ...] = ()
    owner: Owner | None = None  # None: no rule, so only the city administrator may import it

    def column(self, column_id: str) -> Column:
        for col in self.columns:
            if col.id == column_id:
                return col
        raise KeyError(f"{self.id}.{column_id}")

    @property
    def column_ids(self) -> list[str]:
        return [c.id for c in self.columns]

    def references(self, present: Iterable[str] | None = None
                   ) -> list[tuple[Column, str, str]]:
        """(column, referenced table, referenced column) of every column that must name a row
        of another table (``ref`` in the registry), among the ``present`` columns if given.
        Import validation and the county-scope check both walk these."""
        keep = None if present is None else set(present)
        return [(c, c.ref[0], c.ref[1]) for c in self.columns
                if c.ref is not None and (keep is None or c.id in keep)]

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return {c.id: c.dtype for c in self.columns}

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.schema)


@dataclass(frozen=True)
class Registry:
    version: int
    tables: tuple[Table, ...]
    enums: dict[str, dict[str, str]]
    limits: Limits
    # English words for the coded values (the Chinese are in ``enums``); may be partial.
    enums_en: dict[str, dict[str, str]] = field(default_factory=dict)
    # English words for the columns' units (``""``: the label names what is counted).
    units_en: dict[str, str] = field(default_factory=dict)

    def table(self, table_id: str) -> Table:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(table_id)

    @property
    def table_ids(self) -> list[str]:
        return [t.id for t in self.tables]

    def has_table(self, table_id: str) -> bool:
        return any(t.id == table_id for t in self.tables)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


class RegistryError(ValueError):
    pass


def _required(table_doc: dict[str, Any], column_id: str) -> bool:
    return any(c["id"] == column_id and c.get("required") for c in table_doc["columns"])


def parse_registry(doc: dict[str, Any]) -> Registry:
    """Build a registry from its YAML document, rejecting anything it does not understand."""
    unknown = set(doc) - {"version", "enums", "enums_en", "units_en", "tables", "limits"}
    if unknown:
        raise RegistryError(f"unknown top-level keys: {sorted(unknown)}")
    limit_doc = doc.get("limits") or {}
    if set(limit_doc) != _LIMIT_KEYS:
        raise RegistryError(f"limits: expected keys {sorted(_LIMIT_KEYS)}, got {sorted(limit_doc)}")
    limits = Limits(**{k: limit_doc[k] for k in _LIMIT_KEYS})
    enums: dict[str, dict[str, str]] = {k: dict(v) for k, v in doc["enums"].items()}
    tables: list[Table] = []
    seen_tables: set[str] = set()
    for t in doc["tables"]:
        bad = set(t) - _TABLE_KEYS
        if bad:
            raise RegistryError(f"table {t.get('id')}: unknown keys {sorted(bad)}")
        if t["id"] in seen_tables:
            raise RegistryError(f"duplicate table {t['id']}")
        seen_tables.add(t["id"])
        cols: list[Column] = []
        seen_cols: set[str] = set()
        for c in t["columns"]:
            bad = set(c) - _COLUMN_KEYS
            if bad:
                raise RegistryError(f"{t['id']}.{c.get('id')}: unknown keys {sorted(bad)}")
            if c["id"] in seen_cols:
                raise RegistryError(f"duplicate column {t['id']}.{c['id']}")
            seen_cols.add(c["id"])
            if c["type"] not in _TYPES:
                raise RegistryError(f"{t['id']}.{c['id']}: unknown type {c['type']}")
            values: dict[str, str] = {}
            if c["type"] == "enum":
                if c.get("values") not in enums:
                    raise RegistryError(f"{t['id']}.{c['id']}: unknown enum {c.get('values')}")
                values = enums[c["values"]]
            if c["type"] in ("int", "float") and c.get("max") is None:
                # Without an upper bound, 10^20 pupils or 1e400 m² would be stored as data.
                raise RegistryError(f"{t['id']}.{c['id']}: a number column needs a max")
            ref = tuple(c["ref"].split(".")) if c.get("ref") else None
            severity = c.get("check_severity", "error")
            if severity not in ("error", "warning") or (
                    "check_severity" in c and not c.get("check")):
                raise RegistryError(f"{t['id']}.{c['id']}: bad check_severity {severity!r}")
            cols.append(
                Column(
                    id=c["id"], label=c["label"], type=c["type"],
                    required=bool(c.get("required", False)), unit=c.get("unit"),
                    min=c.get("min"), max=c.get("max"), pattern=c.get("pattern"),
                    enum=c.get("values") if c["type"] == "enum" else None, values=values,
                    check=c.get("check"), check_severity=severity,
                    personal=bool(c.get("personal", False)), ref=ref, label_en=c.get("label_en"),
                )
            )
        key = tuple(t.get("key", []))
        for k in key:
            if k not in seen_cols:
                raise RegistryError(f"table {t['id']}: key column {k} is not declared")
        replace_by = tuple(t.get("replace_by") or [k for k in key if _required(t, k)])
        checks = tuple(_parse_check(t["id"], ch, {c.id: c for c in cols})
                       for ch in t.get("checks") or [])
        distinct = tuple(t.get("distinct") or ())
        for k in (*replace_by, *distinct):
            if k not in seen_cols:
                raise RegistryError(f"table {t['id']}: column {k} is not declared")
        owner = _owner(t, seen_cols) if "owner" in t else None
        tables.append(
            Table(
                id=t["id"], label=t["label"], label_en=t.get("label_en", t["id"]),
                columns=tuple(cols), key=key, year_scope=t["year_scope"],
                optional=bool(t.get("optional", False)), personal=bool(t.get("personal", False)),
                replace_by=replace_by, checks=checks, distinct=distinct, owner=owner,
            )
        )
    enums_en: dict[str, dict[str, str]] = {k: dict(v) for k, v in doc.get("enums_en", {}).items()}
    for name, values in enums_en.items():
        if name not in enums or set(values) - set(enums[name]):
            raise RegistryError(f"enums_en.{name}: codes not in enums.{name}")
    units_en = {str(k): str(v) for k, v in (doc.get("units_en") or {}).items()}
    units = {c.unit for t in tables for c in t.columns if c.unit}
    if units - set(units_en) and units_en:
        raise RegistryError(f"units_en: no English for {sorted(units - set(units_en))}")
    return Registry(version=int(doc["version"]), tables=tuple(tables), enums=enums,
                    limits=limits, enums_en=enums_en, units_en=units_en)


def _parse_check(table_id: str, doc: dict[str, Any], cols: dict[str, Column]) -> CrossCheck:
    bad = set(doc) - _CHECK_KEYS
    if bad:
        raise RegistryError(f"{table_id} checks: unknown keys {sorted(bad)}")
    ops = [op for op in ("lte", "gte") if op in doc]
    if len(ops) != 1:
        raise RegistryError(f"{table_id} checks: give exactly one of lte / gte ({doc})")
    op = ops[0]
    for cid in (doc.get("column"), doc[op]):
        if cid not in cols or cols[cid].type not in ("int", "float"):
            raise RegistryError(f"{table_id} checks: {cid} is not a number column")
    return CrossCheck(column=doc["column"], op="lte" if op == "lte" else "gte", other=doc[op],
                      factor=float(doc.get("factor", 1)))


def _owner(t: dict[str, Any], columns: set[str]) -> Owner:
    doc = t["owner"]
    where = f"table {t['id']}: owner"
    if not isinstance(doc, dict) or set(doc) != {"level", "by"}:
        raise RegistryError(f"{where} needs exactly the keys level and by")
    if doc["level"] not in _OWNER_LEVELS:
        raise RegistryError(f"{where}: unknown level {doc['level']}")
    by = tuple((str(c), str(k)) for c, k in (doc["by"] or {}).items())
    for c, k in by:
        if c not in columns:
            raise RegistryError(f"{where}: column {c} is not declared")
        if k not in _OWNER_KINDS:
            raise RegistryError(f"{where}: {c} names an unknown kind {k}")
    kinds = {k for _, k in by}
    if doc["level"] == "city" and by:
        raise RegistryError(f"{where}: a city-level table has no owner columns")
    if doc["level"] == "school" and "school" not in kinds:
        raise RegistryError(f"{where}: a school-level table needs a school column")
    if doc["level"] == "county" and not kinds:
        raise RegistryError(f"{where}: a county-level table needs an owner column")
    return Owner(level=doc["level"], by=by)  # type: ignore[arg-type]


@cache
def registry() -> Registry:
    """The exchange-format registry shipped with the package (format v1)."""
    text = resources.files("junheng.domain").joinpath("data/format-v1.yaml").read_text("utf-8")
    return parse_registry(load_yaml(text))


def unknown_references(frame: pl.DataFrame, column: str,
                       pools: Sequence[pl.Series]) -> pl.DataFrame:
    """The rows of ``frame`` whose ``column`` names a value found in none of ``pools`` (the
    referenced table's key in the file and in the database): one rule for every reference
    check (import validation, the database's last check before writing)."""
    pool = pl.concat(list(pools)).unique()
    return frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(pool.implode()))
