"""Rows for every table of the field registry, placed in a chosen county, school and area, so
that the upload scope suite grows with the registry: a new table gets rows without anyone
writing them by hand."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.fields import Column, Table, registry
from junheng.io.validate import resident_id_check_char

STORED_YEAR = 2024
FRESH_YEAR = 2025  # a year with no stored rows, so a row of it replaces nothing


@dataclass(frozen=True)
class Place:
    """Where a row belongs, and a number that makes its own ids distinct."""

    county: str
    school: str
    area: str
    salt: int = 0
    year: int = STORED_YEAR

    def fresh(self, salt: int) -> Place:
        return replace(self, salt=salt, year=FRESH_YEAR)


def area_id(county: str) -> str:
    return f"A{county}"


def resident_id(n: int) -> str:
    first17 = f"62070220100101{n % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def _value(table: Table, col: Column, place: Place) -> Any:
    kinds = dict(table.owner.by) if table.owner else {}
    if col.id in table.distinct[1:]:
        return None  # values that must differ within a row: the first one is enough
    # The table that registers a school or an area gets a new id for a fresh row.
    if table.id == "schools" and col.id == "school_id" and place.salt:
        return f"{place.county}{9000 + place.salt:04d}"
    if table.id == "areas" and col.id == "area_id" and place.salt:
        return f"{area_id(place.county)}-{place.salt}"
    kind = kinds.get(col.id)
    if kind is None and col.ref is not None:
        kind = {"counties": "county", "schools": "school", "areas": "area"}.get(col.ref[0])
    if kind == "county" or col.pattern == r"^\d{6}$":
        return place.county
    if kind == "school" or col.pattern == r"^\d{10}$":
        return place.school
    if kind == "area":
        return place.area
    if col.id == "year":
        return place.year
    if col.check == "resident_id":
        return resident_id(place.salt * 10 + int(place.school[-2:]))
    if col.type == "enum":
        return next(iter(col.values))
    if col.type == "int":
        return int(col.min if col.min is not None else 1)
    if col.type == "float":
        return float(col.min if col.min is not None else 1.0)
    if col.type == "bool":
        return True
    if col.type == "date":
        return date(place.year, 9, 1)
    if col.type == "datetime":
        return datetime(place.year, 6, 1, 9, 30)
    if col.check == "geojson_polygon":
        return None  # an optional outline: the scope rules do not depend on it
    return f"{col.id}-{place.school}-{place.salt}"


def row(table: Table, place: Place) -> dict[str, Any]:
    return {c.id: _value(table, c, place) for c in table.columns}


def frame(table: Table, rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=table.schema)


def one_table(table_id: str, rows: list[dict[str, Any]]) -> Dataset:
    """A dataset holding only ``rows`` of one table (the required sheets are written empty)."""
    return Dataset({table_id: frame(registry().table(table_id), rows)})


def stored_rows(places: list[Place]) -> Dataset:
    """One row of every optional table per place (counties and schools come from the tiny
    dataset), to import before the suite runs."""
    out: dict[str, pl.DataFrame] = {}
    for table in registry().tables:
        if table.id in ("counties", "schools", "sections", "facilities"):
            continue
        rows = [row(table, p) for p in places]
        if table.key:  # one row per key: places in the same county share county-level keys
            out[table.id] = frame(table, rows).unique(list(table.key), keep="first",
                                                      maintain_order=True)
        else:
            out[table.id] = frame(table, rows)
    return Dataset(out)
