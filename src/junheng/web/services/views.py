"""What each page shows, built from the cached evaluation JSON and the dataset.

The pages render the engine's verdicts and traces; they never recompute a verdict. Loops here
run over counties, stages or the indicators of one school, never over all schools.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl
from starlette.concurrency import run_in_threadpool

from junheng.domain.masking import masked_resident_id
from junheng.web.services import sizes
from junheng.web.services.data import DataService

# The six counties of Zhangye, used when the counties table gives no name.
ZHANGYE_COUNTIES: dict[str, str] = {
    "620702": "甘州区",
    "620721": "肃南裕固族自治县",
    "620722": "民乐县",
    "620723": "临泽县",
    "620724": "高台县",
    "620725": "山丹县",
}
STAGES = ("primary", "junior")
# The Zhangye measures (2024): two thirds of counties 优质均衡 by 2027, all by 2035.
GOAL_2027_SHARE = 2 / 3
STUDENT_COLUMNS = ("student_id", "grade", "resident_id", "is_migrant", "is_left_behind")
TEACHER_COLUMNS = ("teacher_id", "stage", "subject", "degree", "title", "backbone_level",
                   "years_at_school", "is_certified", "is_rotation_eligible")


class NotFound(LookupError):
    pass


def county_names(svc: DataService) -> dict[str, str]:
    def build() -> dict[str, str]:
        names = dict(ZHANGYE_COUNTIES)
        counties = svc.dataset().get("counties")
        for code, name in counties.select("county_code", "county_name").iter_rows():
            if code and name:
                names[code] = name
        return names

    return svc.memo("county_names", build)


def school_county(svc: DataService, school_id: str) -> str | None:
    def build() -> dict[str, str]:
        schools = svc.dataset().get("schools").select("school_id", "county_code")
        return dict(schools.iter_rows())

    return svc.memo("school_county", build).get(school_id)


def pick_year(svc: DataService, year: int | None) -> int | None:
    """The year asked for, or the latest when none is; a year the data does not hold is not
    found (so no page or cache entry is ever made for it)."""
    years = svc.years()
    if year is None:
        return years[-1] if years else None
    if year not in years:
        raise NotFound(str(year))
    return year


async def checked_year(svc: DataService, year: int | None) -> int | None:
    """``pick_year`` for async routes: the years come from the cache, and only a cold start
    loads the dataset, in the thread pool rather than on the event loop."""
    if svc.peek("years") is None:
        await run_in_threadpool(svc.years)
    return pick_year(svc, year)


async def checked_county(svc: DataService, code: str) -> None:
    """A 404 for a county code the data does not know (before any cache key is made)."""
    names = svc.peek("county_names")
    if names is None:
        names = await run_in_threadpool(county_names, svc)
    if code not in names:
        raise NotFound(code)


def require_year(svc: DataService, year: int | None, what: str) -> int:
    """``pick_year``, or a 404 naming ``what`` when the database holds no year at all."""
    y = pick_year(svc, year)
    if y is None:
        raise NotFound(what)
    return y


def _county_entry(ev: dict[str, Any], code: str) -> dict[str, Any] | None:
    for c in ev.get("counties", []):
        if c.get("county_code") == code:
            return c
    return None


def _status(entry: dict[str, Any] | None) -> str:
    if entry is not None and entry.get("status") in ("passed", "failed", "not_reported"):
        return str(entry["status"])
    if entry is None or entry.get("passed") is None:
        return "not_reported"
    return "passed" if entry["passed"] else "failed"


def city_overview(svc: DataService, year: int) -> dict[str, Any]:
    return svc.memo(("city", year), lambda: _city_overview(svc, year))


def _size_summary(svc: DataService, year: int) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    ds = svc.dataset()
    by_county: dict[str, dict[str, int]] = {}
    classes = sizes.classes_with_county(ds, year)
    bands = sizes.band_counts(classes, ["county_code"])
    for row in bands.iter_rows(named=True) if bands.height else []:
        by_county.setdefault(row["county_code"], {}).update(
            classes=row["total"], big=row["big"], huge=row["huge"])
    sz = sizes.school_sizes(ds, year)
    agg = sz.group_by("county_code").agg(pl.len().alias("schools"),
                                         pl.col("is_over").sum().alias("over"))
    for row in agg.iter_rows(named=True):
        by_county.setdefault(row["county_code"], {}).update(schools=row["schools"],
                                                             over=row["over"])
    total = {k: sum(v.get(k, 0) for v in by_county.values())
             for k in ("classes", "big", "huge", "schools", "over")}
    return by_county, total


def _city_overview(svc: DataService, year: int) -> dict[str, Any]:
    ev = svc.evaluation(year)
    names = county_names(svc)
    counties_tbl = svc.dataset().get("counties")
    targets = {r[0]: r[1] for r in counties_tbl.select("county_code", "quality_target_year")
               .iter_rows()}
    size_by_county, size_total = _size_summary(svc, year)
    codes = sorted(set(names) | {c["county_code"] for c in ev.get("counties", [])})
    rows = []
    for code in codes:
        entry = _county_entry(ev, code)
        stages = (entry or {}).get("stages", {})
        rows.append({
            "code": code, "name": names.get(code, code), "status": _status(entry),
            "target_year": targets.get(code),
            "schools_evaluated": sum((s or {}).get("schools_evaluated") or 0
                                     for s in stages.values()),
            "schools_passed": sum((s or {}).get("schools_passed") or 0 for s in stages.values()),
            "items_failed": sum(1 for it in (entry or {}).get("items", {}).values()
                                if isinstance(it, dict) and _status(it) == "failed"),
            "items_not_reported": sum(1 for it in (entry or {}).get("items", {}).values()
                                      if isinstance(it, dict) and _status(it) == "not_reported"),
            **{f"size_{k}": v for k, v in size_by_county.get(code, {}).items()},
        })
    n = len(rows)
    passed = sum(r["status"] == "passed" for r in rows)
    return {
        "year": year, "counties": rows, "passed": passed, "total": n,
        "goal_2027": math.ceil(n * GOAL_2027_SHARE), "goal_2035": n,
        "sizes": size_total, "trend": _trend(svc),
    }


def _trend(svc: DataService) -> list[dict[str, Any]]:
    out = []
    for y in svc.years():
        ev = svc.evaluation(y)
        _, tot = _size_summary(svc, y)
        out.append({
            "year": y,
            "passed": sum(1 for c in ev.get("counties", []) if _status(c) == "passed"),
            "schools_passed": sum(1 for s in ev.get("schools", []) if s.get("passed") is True),
            "schools_evaluated": len(ev.get("schools", [])),
            "big_share": (tot["big"] + tot["huge"]) / tot["classes"] if tot["classes"] else None,
            "over_size": tot["over"],
        })
    return out


def _indicator_rows(stage: dict[str, Any], prev: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    prev_ind = (prev or {}).get("indicators", {})
    for ind_id, v in stage.get("indicators", {}).items():
        p = prev_ind.get(ind_id) or {}
        rows.append({"id": ind_id, **v, "prev_value": p.get("county_value"),
                     "prev_cv": p.get("cv")})
    return rows


def county_view(svc: DataService, code: str, year: int) -> dict[str, Any]:
    return svc.memo(("county", code, year), lambda: _county_view(svc, code, year))


def _county_view(svc: DataService, code: str, year: int) -> dict[str, Any]:
    names = county_names(svc)
    if code not in names:
        raise NotFound(code)
    ev = svc.evaluation(year)
    entry = _county_entry(ev, code) or {}
    years = svc.years()
    prev_year = max((y for y in years if y < year), default=None)
    prev_entry = (_county_entry(svc.evaluation(prev_year), code) or {}) if prev_year else {}
    stages = []
    for stage_id, stage in (entry.get("stages") or {}).items():
        if not stage:
            continue
        stages.append({"id": stage_id, "schools_evaluated": stage.get("schools_evaluated"),
                       "schools_passed": stage.get("schools_passed"),
                       "composite_cv": stage.get("composite_cv"),
                       "indicators": _indicator_rows(
                           stage, (prev_entry.get("stages") or {}).get(stage_id))})
    items = [{"id": k, **v, "status": _status(v)} for k, v in (entry.get("items") or {}).items()
             if isinstance(v, dict)]
    parts = [{"id": k, "label": p.get("label"), "status": _status(p)}
             for k, p in (entry.get("parts") or {}).items() if isinstance(p, dict)]
    ds = svc.dataset()
    schools_tbl = ds.get("schools").filter(pl.col("county_code") == code)
    school_names = dict(schools_tbl.select("school_id", "school_name").iter_rows())
    school_rows = []
    for s in ev.get("schools", []):
        if s.get("school_id") not in school_names:
            continue
        texts = {f.get("indicator"): f.get("text_zh") for f in s.get("shortfalls") or []}
        failing = [{"id": k, "value": v.get("value"), "threshold": v.get("threshold"),
                    "shortfall": texts.get(k) or v.get("shortfall")}
                   for k, v in (s.get("indicators") or {}).items()
                   if isinstance(v, dict) and v.get("met") is False]
        school_rows.append({"school_id": s["school_id"], "name": school_names[s["school_id"]],
                            "stage": s.get("stage"), "met_count": s.get("met_count"),
                            "passed": s.get("passed"), "status": _status(s),
                            "failing": failing})
    school_rows.sort(key=lambda r: (r["status"] == "passed", r["stage"] or "", r["school_id"]))
    evaluated = {r["school_id"] for r in school_rows}
    not_evaluated = [{"school_id": sid, "name": nm} for sid, nm in sorted(school_names.items())
                     if sid not in evaluated]
    classes = sizes.classes_with_county(ds, year).filter(pl.col("county_code") == code)
    bands = sizes.band_counts(classes, ["stage"])
    sz = sizes.school_sizes(ds, year).filter(pl.col("county_code") == code)
    return {
        "code": code, "name": names[code], "year": year, "prev_year": prev_year,
        "status": _status(entry or None), "stages": stages, "county_items": items, "parts": parts,
        "reasons": entry.get("reasons_zh") or [],
        "schools": school_rows, "not_evaluated": not_evaluated,
        "bands": bands.to_dicts() if bands.height else [],
        "oversize": sz.filter(pl.col("is_over")).sort("students", descending=True).to_dicts(),
        "sizes_total": sz.height,
        "history": [{"year": y, "status": _status(_county_entry(svc.evaluation(y), code))}
                    for y in years],
    }


def school_view(svc: DataService, school_id: str, year: int) -> dict[str, Any]:
    return svc.memo(("school", school_id, year), lambda: _school_view(svc, school_id, year))


def _school_view(svc: DataService, school_id: str, year: int) -> dict[str, Any]:
    ds = svc.dataset()
    info = ds.get("schools").filter(pl.col("school_id") == school_id)
    if info.height == 0:
        raise NotFound(school_id)
    ev = svc.evaluation(year)
    stages = []
    for s in ev.get("schools", []):
        if s.get("school_id") != school_id:
            continue
        texts = {f.get("indicator"): f.get("text_zh") for f in s.get("shortfalls") or []}
        stages.append({"stage": s.get("stage"), "met_count": s.get("met_count"),
                       "passed": s.get("passed"), "status": _status(s),
                       "trace": s.get("trace"),
                       "indicators": [{"id": k, **v, "status": _status(v) if v.get("threshold")
                                       is not None or v.get("met") is not None else None,
                                       "shortfall_text": texts.get(k)}
                                      for k, v in (s.get("indicators") or {}).items()
                                      if isinstance(v, dict)]})
    classes = (sizes.classes_with_county(ds, year).filter(pl.col("school_id") == school_id)
               .sort("stage", "grade", "class_name"))
    sections = ds.get("sections").filter((pl.col("school_id") == school_id)
                                         & (pl.col("year") == year)).sort("stage")
    facilities = ds.get("facilities").filter((pl.col("school_id") == school_id)
                                             & (pl.col("year") == year))
    history = []
    for y in svc.years():
        entries = [s for s in svc.evaluation(y).get("schools", [])
                   if s.get("school_id") == school_id]
        students = ds.get("sections").filter((pl.col("school_id") == school_id)
                                             & (pl.col("year") == y))["students"].sum()
        history.append({"year": y, "students": students,
                        "stages": [{"stage": e.get("stage"), "status": _status(e),
                                    "met_count": e.get("met_count")} for e in entries]})
    return {
        "school": info.row(0, named=True), "year": year, "stages": stages,
        "county_name": county_names(svc).get(info["county_code"][0] or "", ""),
        "classes": classes.to_dicts(), "sections": sections.to_dicts(),
        "facilities": facilities.row(0, named=True) if facilities.height else None,
        "history": history,
    }


def people_view(svc: DataService, school_id: str, year: int) -> dict[str, Any]:
    """Teachers and students of one school, with personal identifiers masked."""
    ds = svc.dataset()
    teachers = ds.get("teachers").filter((pl.col("school_id") == school_id)
                                         & (pl.col("year") == year))
    students = ds.get("students").filter((pl.col("school_id") == school_id)
                                         & (pl.col("year") == year))
    if "resident_id" in students.columns:
        students = students.with_columns(
            masked_resident_id(pl.col("resident_id")).alias("resident_id"))
    # Health, disability and hardship fields are never listed; counts are shown instead.
    student_cols = [c for c in STUDENT_COLUMNS if c in students.columns]
    teacher_cols = [c for c in TEACHER_COLUMNS if c in teachers.columns]
    return {"teachers": teachers.select(teacher_cols).to_dicts(),
            "students": students.select(student_cols).to_dicts(),
            "teacher_columns": teacher_cols, "student_columns": student_cols}
