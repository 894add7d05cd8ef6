"""Correcting one school's figures in a form, checked by the same validation as an upload
and written with the same all-or-nothing import."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from junheng.domain.fields import registry
from junheng.io.problems import Problem, ValidationFailed
from junheng.web.services.data import DataService
from junheng.web.services.views import school_rows

SECTION_FIELDS = ("students", "classes", "teachers", "degree_teachers", "backbone_teachers",
                  "pe_art_teachers", "senior_title_teachers", "certified_teachers", "capacity")
FACILITY_FIELDS = ("teaching_area_m2", "sports_area_m2", "equipment_value_yuan",
                   "multimedia_rooms", "computers", "books")
FORM_SOURCE = "表单 form"


@dataclass
class SaveResult:
    problems: list[Problem] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _stored(data: DataService, school_id: str, year: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The school's sections (by stage) and facilities of ``year`` as stored."""
    ds = data.dataset()
    return (school_rows(ds, "sections", school_id, year).sort("stage"),
            school_rows(ds, "facilities", school_id, year))


def form_values(data: DataService, school_id: str, year: int,
                overrides: dict[str, str] | None = None) -> dict[str, Any]:
    reg = registry()
    overrides = overrides or {}
    sections, facilities = _stored(data, school_id, year)
    fac = facilities.row(0, named=True) if facilities.height else {}
    stages = []
    for row in sections.iter_rows(named=True):
        stages.append({"stage": row["stage"], "fields": [
            {"name": f"sections.{row['stage']}.{c}", "id": c, "table": "sections",
             "label": reg.table("sections").column(c).label,
             "unit": reg.table("sections").column(c).unit,
             "value": overrides.get(f"sections.{row['stage']}.{c}", _text(row.get(c)))}
            for c in SECTION_FIELDS]})
    facility_fields = [{"name": f"facilities.{c}", "id": c, "table": "facilities",
                        "label": reg.table("facilities").column(c).label,
                        "unit": reg.table("facilities").column(c).unit,
                        "value": overrides.get(f"facilities.{c}", _text(fac.get(c)))}
                       for c in FACILITY_FIELDS]
    return {"year": year, "stages": stages, "facilities": facility_fields}


def save(data: DataService, school_id: str, year: int, values: dict[str, str]) -> SaveResult:
    from junheng.io.db import import_dataset, known_keys
    from junheng.io.readers import ROW, RawDataset, RawSheet
    from junheng.io.validate import validate_raw

    reg = registry()
    current, facilities = _stored(data, school_id, year)
    if current.height == 0:
        return SaveResult([Problem(FORM_SOURCE, "sections", None, None,
                                   f"{year}学年没有该校的学段数据",
                                   f"no sections for this school in {year}")])
    sec_rows: list[dict[str, str | None]] = []
    for i, row in enumerate(current.iter_rows(named=True), start=1):
        # Every column of the stored row, unknown ones included, so a save keeps them.
        rec: dict[str, str | None] = {c: _text(v) or None for c, v in row.items()}
        for c in SECTION_FIELDS:
            key = f"sections.{row['stage']}.{c}"
            if key in values:
                rec[c] = values[key].strip() or None
        rec[ROW] = str(i)
        sec_rows.append(rec)
    fac_base = facilities.row(0, named=True) if facilities.height else {
        "year": year, "school_id": school_id}
    fac_rec: dict[str, str | None] = {c: _text(v) or None for c, v in fac_base.items()}
    for c in FACILITY_FIELDS:
        if f"facilities.{c}" in values:
            fac_rec[c] = values[f"facilities.{c}"].strip() or None
    fac_rec[ROW] = "1"

    def sheet(tid: str, rows: list[dict[str, str | None]]) -> RawSheet:
        known = reg.table(tid).column_ids
        extra = [c for c in rows[0] if c not in known and c != ROW]
        cols = [*known, *extra, ROW]
        frame = pl.DataFrame({c: [r.get(c) for r in rows] for c in cols},
                             schema={c: pl.Utf8 for c in cols}).with_columns(
            pl.col(ROW).cast(pl.Int64))
        return RawSheet(table=reg.table(tid), file=FORM_SOURCE, sheet=tid, frame=frame)

    raw = RawDataset(source=FORM_SOURCE, sheets={"sections": sheet("sections", sec_rows),
                                                 "facilities": sheet("facilities", [fac_rec])})
    typed, problems, _ = validate_raw(raw, known=known_keys(data.engine), require_tables=[])
    errors = [p for p in problems if p.severity == "error"]
    if typed is None or errors:
        return SaveResult(errors)
    changes = _diff(current, typed.table("sections"), facilities, typed.table("facilities"))
    if not changes:
        return SaveResult([], {})
    try:
        import_dataset(data.engine, typed, source=FORM_SOURCE)
    except ValidationFailed as exc:
        return SaveResult(exc.problems)
    data.version(refresh=True)
    return SaveResult([], changes)


def _diff(old_sec: pl.DataFrame, new_sec: pl.DataFrame, old_fac: pl.DataFrame,
          new_fac: pl.DataFrame) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    old = {r["stage"]: r for r in old_sec.iter_rows(named=True)}
    for r in new_sec.iter_rows(named=True):
        for c in SECTION_FIELDS:
            before = old.get(r["stage"], {}).get(c)
            if before != r.get(c):
                changes[f"{r['stage']}.{c}"] = [before, r.get(c)]
    of = old_fac.row(0, named=True) if old_fac.height else {}
    nf = new_fac.row(0, named=True) if new_fac.height else {}
    for c in FACILITY_FIELDS:
        if of.get(c) != nf.get(c):
            changes[c] = [of.get(c), nf.get(c)]
    return changes
