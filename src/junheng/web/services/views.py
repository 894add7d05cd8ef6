"""What each page shows, built from the cached evaluation JSON and the dataset.

The pages render the engine's verdicts and traces; they never recompute a verdict. Loops here
run over counties, stages or the indicators of one school, never over all schools.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import polars as pl
from starlette.concurrency import run_in_threadpool

from junheng.domain.dataset import Dataset
from junheng.domain.fields import registry
from junheng.domain.masking import mask_frame
from junheng.standards.causes import CvFix
from junheng.standards.engine import Evaluation
from junheng.standards.labels import UNIT_WORDS_EN
from junheng.standards.policy import share_targets
from junheng.standards.results import (
    CountyResult,
    IndicatorResult,
    ItemResult,
    JsonDict,
    SchoolIndicator,
    SchoolRuleTrace,
    StageResult,
)
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
STUDENT_COLUMNS = ("student_id", "grade", "resident_id", "is_migrant", "is_left_behind")
TEACHER_COLUMNS = ("teacher_id", "stage", "subject", "degree", "title", "backbone_level",
                   "years_at_school", "is_certified", "is_rotation_eligible")


class NotFound(LookupError):
    pass


def school_rows(ds: Dataset, table_id: str, school_id: str, year: int) -> pl.DataFrame:
    """One school's rows of a yearly table (sections, facilities, teachers, students) in
    ``year``: what the school's pages, its people and its edit form show."""
    return ds.table(table_id).filter((pl.col("school_id") == school_id) & (pl.col("year") == year))


def county_names(svc: DataService) -> dict[str, str]:
    def build() -> dict[str, str]:
        names = dict(ZHANGYE_COUNTIES)
        counties = svc.dataset().table("counties")
        for code, name in counties.select("county_code", "county_name").iter_rows():
            if code and name:
                names[code] = name
        return names

    return svc.memo("county_names", build)


def report_issuer(svc: DataService, code: str, city_level: bool) -> str:
    """Who issues a county's report, as the data names it: the county (区县名称), or its city
    (市州名称 of the county's row) for a city-level account; the county when the data gives no
    city. The page adds the word 教育局 / Education Bureau."""
    names = county_names(svc)
    if city_level:
        row = svc.dataset().table("counties").filter(pl.col("county_code") == code)
        city = row["prefecture_name"][0] if row.height and "prefecture_name" in row.columns \
            else None
        if city:
            return str(city)
    return names.get(code, code)


def school_county(svc: DataService, school_id: str) -> str | None:
    def build() -> dict[str, str]:
        schools = svc.dataset().table("schools").select("school_id", "county_code")
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
    names: dict[str, str] | None = svc.peek("county_names")
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


def _county_entry(ev: Evaluation | None, code: str) -> CountyResult | None:
    return ev.find_county(code) if ev is not None else None


def _status(status: str | None) -> str:
    """A page shows three states; anything else (no verdict at all) is not reported."""
    return status if status in ("passed", "failed", "not_reported") else "not_reported"


def _year_status(svc: DataService, year: int, code: str) -> str:
    entry = _county_entry(svc.evaluation(year), code)
    return _status(entry.status if entry else None)


@dataclass(frozen=True, slots=True)
class CitySizes:
    """Classes by size band and schools over their size limit (city total or one county)."""

    classes: int
    big: int
    huge: int
    schools: int
    over: int


@dataclass(frozen=True, slots=True)
class CityCounty:
    """One county on the city overview. The size figures are None where the data gives the
    county none (no classes counted, no compulsory school sized)."""

    code: str
    name: str
    status: str
    target_year: int | None
    schools_evaluated: int
    schools_passed: int
    items_failed: int
    items_not_reported: int
    size_classes: int | None = None
    size_big: int | None = None
    size_huge: int | None = None
    size_schools: int | None = None
    size_over: int | None = None

    def page_json(self) -> JsonDict:
        """The row as the page's script reads it: size figures only where the county has
        them."""
        return {k: v for k, v in asdict(self).items()
                if not (k.startswith("size_") and v is None)}


@dataclass(frozen=True, slots=True)
class CityGoal:
    """A target of the city (e.g. two thirds of the counties by 2027): the number of counties
    it asks for, and its share as the targets YAML writes it ("2/3")."""

    year: int
    counties: int
    share: str


@dataclass(frozen=True, slots=True)
class CityYear:
    """One year of the city's trend."""

    year: int
    passed: int
    schools_passed: int
    schools_evaluated: int
    big_share: float | None
    over_size: int


@dataclass(frozen=True)
class CityOverview:
    """The city page: every county's verdict and sizes, the goals and the trend over years."""

    year: int
    counties: tuple[CityCounty, ...]
    passed: int
    total: int
    goals: tuple[CityGoal, ...]
    sizes: CitySizes
    trend: tuple[CityYear, ...]

    def page_counties(self) -> list[JsonDict]:
        return [c.page_json() for c in self.counties]

    def page_trend(self) -> list[JsonDict]:
        return [asdict(y) for y in self.trend]


def city_overview(svc: DataService, year: int) -> CityOverview:
    result: CityOverview = svc.memo(("city", year), lambda: _city_overview(svc, year))
    return result


def _size_summary(svc: DataService, year: int) -> tuple[dict[str, dict[str, int]], CitySizes]:
    ds = svc.dataset()
    by_county: dict[str, dict[str, int]] = {}
    # Class counts are the engine's (in-scope schools of the evaluated stages), the same the
    # county page, its Excel and its PDF show.
    for code, rows in sizes.county_bands(svc.evaluation(year)).items():
        by_county.setdefault(code, {}).update(
            classes=sum(r["total"] for r in rows), big=sum(r["big"] for r in rows),
            huge=sum(r["super"] for r in rows))
    sz = sizes.school_sizes(ds, year)
    agg = sz.group_by("county_code").agg(pl.len().alias("schools"),
                                         pl.col("is_over").sum().alias("over"))
    for row in agg.iter_rows(named=True):
        by_county.setdefault(row["county_code"], {}).update(schools=row["schools"],
                                                             over=row["over"])
    total = CitySizes(**{k: sum(v.get(k, 0) for v in by_county.values())
                         for k in ("classes", "big", "huge", "schools", "over")})
    return by_county, total


def _city_overview(svc: DataService, year: int) -> CityOverview:
    ev = svc.evaluation(year)
    names = county_names(svc)
    counties_tbl = svc.dataset().table("counties")
    targets = {r[0]: r[1] for r in counties_tbl.select("county_code", "quality_target_year")
               .iter_rows()}
    size_by_county, size_total = _size_summary(svc, year)
    counties = ev.counties if ev is not None else ()
    codes = sorted(set(names) | {c.county_code for c in counties})
    rows = []
    for code in codes:
        entry = _county_entry(ev, code)
        stages = list(entry.stages.values()) if entry is not None else []
        items = list(entry.items.values()) if entry is not None else []
        rows.append(CityCounty(
            code=code, name=names.get(code, code),
            status=_status(entry.status if entry else None),
            target_year=targets.get(code),
            schools_evaluated=sum(s.schools_evaluated for s in stages),
            schools_passed=sum(s.schools_passed or 0 for s in stages),
            items_failed=sum(1 for it in items if _status(it.status) == "failed"),
            items_not_reported=sum(1 for it in items if _status(it.status) == "not_reported"),
            **{f"size_{k}": v for k, v in size_by_county.get(code, {}).items()},
        ))
    n = len(rows)
    passed = sum(r.status == "passed" for r in rows)
    return CityOverview(
        year=year, counties=tuple(rows), passed=passed, total=n,
        # The city's targets (2/3 of counties by 2027, all by 2035) as the targets YAML says.
        goals=tuple(CityGoal(year=g.year, counties=g.counties(n), share=str(g.fraction()))
                    for g in share_targets()),
        sizes=size_total, trend=_trend(svc))


def _trend(svc: DataService) -> tuple[CityYear, ...]:
    out = []
    for y in svc.years():
        ev = svc.evaluation(y)
        schools = ev.school_results() if ev is not None else []
        _, tot = _size_summary(svc, y)
        out.append(CityYear(
            year=y,
            passed=sum(1 for c in ev.counties if c.status == "passed") if ev else 0,
            schools_passed=sum(1 for s in schools if s.passed is True),
            schools_evaluated=len(schools),
            big_share=(tot.big + tot.huge) / tot.classes if tot.classes else None,
            over_size=tot.over,
        ))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One indicator of a county's stage (the engine's result) with last year's figures."""

    id: str
    result: IndicatorResult
    prev_value: float | None
    prev_cv: float | None

    @property
    def label(self) -> str:
        return self.result.label

    @property
    def county_value(self) -> float | None:
        return self.result.county_value

    @property
    def cv(self) -> float | None:
        return self.result.cv

    @property
    def cv_limit(self) -> float | None:
        return self.result.cv_limit

    @property
    def cv_passed(self) -> bool | None:
        return self.result.cv_passed

    def to_json(self) -> JsonDict:
        return {"id": self.id, **self.result.to_json(), "prev_value": self.prev_value,
                "prev_cv": self.prev_cv}


@dataclass(frozen=True, slots=True)
class CountyStage:
    """One stage of the county page; a targets evaluation judges no schools (figures None,
    no indicators)."""

    id: str
    schools_evaluated: int | None
    schools_passed: int | None
    composite_cv: float | None
    indicators: tuple[IndicatorRow, ...]

    def to_json(self) -> JsonDict:
        return {"id": self.id, "schools_evaluated": self.schools_evaluated,
                "schools_passed": self.schools_passed, "composite_cv": self.composite_cv,
                "indicators": [r.to_json() for r in self.indicators]}


@dataclass(frozen=True, slots=True)
class CountyItemRow:
    """One county item (the engine's result) with the status the page shows."""

    id: str
    item: ItemResult
    status: str

    @property
    def label(self) -> str:
        return self.item.label

    @property
    def label_en(self) -> str | None:
        return self.item.label_en

    @property
    def value(self) -> Any:
        return self.item.value

    @property
    def threshold(self) -> Any:
        return self.item.threshold

    @property
    def passed(self) -> bool:
        return self.item.passed

    def to_json(self) -> JsonDict:
        return {"id": self.id, **self.item.to_json(), "status": self.status}


@dataclass(frozen=True, slots=True)
class PartRow:
    id: str
    label: str
    status: str


@dataclass(frozen=True, slots=True)
class FailingIndicator:
    """An indicator a school misses: value, threshold and the shortfall (in words when the
    engine gives them)."""

    id: str
    value: float | None
    threshold: float | None
    shortfall: str | float | int | None
    shortfall_en: str | float | int | None = None


@dataclass(frozen=True, slots=True)
class CountySchoolRow:
    """One evaluated school × stage of the county."""

    school_id: str
    name: str | None
    stage: str
    met_count: int | None
    passed: bool | None
    status: str
    failing: tuple[FailingIndicator, ...]

    def to_json(self) -> JsonDict:
        return {"school_id": self.school_id, "name": self.name, "stage": self.stage,
                "met_count": self.met_count, "passed": self.passed, "status": self.status,
                "failing": [asdict(f) for f in self.failing]}


@dataclass(frozen=True, slots=True)
class SchoolRef:
    school_id: str
    name: str | None


@dataclass(frozen=True, slots=True)
class OversizeRow:
    """A school with more compulsory-stage pupils than its type's limit (sizes.school_sizes)."""

    school_id: str
    school_name: str | None
    county_code: str | None
    school_type: str | None
    students: int
    limit: int
    is_over: bool


@dataclass(frozen=True, slots=True)
class YearStatus:
    year: int
    status: str


@dataclass(frozen=True)
class CountyView:
    """The county page (and its Excel, PDF and ``/api/county``): verdict, stages with their
    indicators, items, schools, class sizes and the verdicts of other years."""

    code: str
    name: str
    year: int
    prev_year: int | None
    status: str
    stages: tuple[CountyStage, ...]
    county_items: tuple[CountyItemRow, ...]
    parts: tuple[PartRow, ...]
    reasons: tuple[str, ...]
    schools: tuple[CountySchoolRow, ...]
    not_evaluated: tuple[SchoolRef, ...]
    # Classes per size band and stage (sizes.county_bands), also the chart's data.
    bands: list[dict[str, Any]]
    oversize: tuple[OversizeRow, ...]
    sizes_total: int
    history: tuple[YearStatus, ...]

    def to_json(self) -> JsonDict:
        """What ``/api/county`` answers (api_models.CountyViewOut)."""
        return {
            "code": self.code, "name": self.name, "year": self.year,
            "prev_year": self.prev_year, "status": self.status,
            "stages": [s.to_json() for s in self.stages],
            "county_items": [r.to_json() for r in self.county_items],
            "parts": [asdict(p) for p in self.parts], "reasons": list(self.reasons),
            "schools": [r.to_json() for r in self.schools],
            "not_evaluated": [asdict(r) for r in self.not_evaluated],
            "bands": self.bands, "oversize": [asdict(r) for r in self.oversize],
            "sizes_total": self.sizes_total,
            "history": [asdict(h) for h in self.history],
        }


def _indicator_rows(stage: StageResult, prev: StageResult | None) -> tuple[IndicatorRow, ...]:
    prev_ind = prev.indicators if prev is not None else {}
    rows = []
    for ind_id, v in stage.indicators.items():
        p = prev_ind.get(ind_id)
        rows.append(IndicatorRow(id=ind_id, result=v,
                                 prev_value=p.county_value if p else None,
                                 prev_cv=p.cv if p else None))
    return tuple(rows)


def county_view(svc: DataService, code: str, year: int) -> CountyView:
    result: CountyView = svc.memo(("county", code, year), lambda: _county_view(svc, code, year))
    return result


def _county_view(svc: DataService, code: str, year: int) -> CountyView:
    names = county_names(svc)
    if code not in names:
        raise NotFound(code)
    ev = svc.evaluation(year)
    entry = _county_entry(ev, code)
    years = svc.years()
    prev_year = max((y for y in years if y < year), default=None)
    prev_entry = _county_entry(svc.evaluation(prev_year), code) if prev_year else None
    stages: list[CountyStage] = []
    for stage_id, stage in (entry.stages if entry else {}).items():
        if not stage.evaluated:  # a targets evaluation: class bands only, no school figures
            stages.append(CountyStage(id=stage_id, schools_evaluated=None, schools_passed=None,
                                      composite_cv=None, indicators=()))
            continue
        prev_stage = prev_entry.stages.get(stage_id) if prev_entry else None
        stages.append(CountyStage(id=stage_id, schools_evaluated=stage.schools_evaluated,
                                  schools_passed=stage.schools_passed,
                                  composite_cv=stage.composite_cv,
                                  indicators=_indicator_rows(stage, prev_stage)))
    items = tuple(CountyItemRow(id=k, item=v, status=_status(v.status))
                  for k, v in (entry.items if entry else {}).items())
    parts = tuple(PartRow(id=k, label=p.label, status=_status(p.status))
                  for k, p in (entry.parts if entry else {}).items())
    ds = svc.dataset()
    schools_tbl = ds.table("schools").filter(pl.col("county_code") == code)
    school_names: dict[str, str | None] = dict(
        schools_tbl.select("school_id", "school_name").iter_rows())
    school_rows = []
    for s in ev.school_results() if ev is not None else []:
        if s.school_id not in school_names:
            continue
        failing = tuple(FailingIndicator(id=k, value=v.value, threshold=v.threshold,
                                         shortfall=s.shortfall_text(k) or v.shortfall,
                                         shortfall_en=s.shortfall_text(k, "en") or v.shortfall)
                        for k, v in s.indicators.items() if v.met is False)
        school_rows.append(CountySchoolRow(
            school_id=s.school_id, name=school_names[s.school_id], stage=s.stage,
            met_count=s.met_count, passed=s.passed, status=_status(s.status), failing=failing))
    school_rows.sort(key=lambda r: (r.status == "passed", r.stage or "", r.school_id))
    evaluated = {r.school_id for r in school_rows}
    not_evaluated = tuple(SchoolRef(school_id=sid, name=nm)
                          for sid, nm in sorted(school_names.items()) if sid not in evaluated)
    sz = sizes.school_sizes(ds, year).filter(pl.col("county_code") == code)
    return CountyView(
        code=code, name=names[code], year=year, prev_year=prev_year,
        status=_status(entry.status if entry else None), stages=tuple(stages),
        county_items=items, parts=parts,
        reasons=tuple(entry.reasons_zh) if entry else (),
        schools=tuple(school_rows), not_evaluated=not_evaluated,
        bands=sizes.county_bands(ev).get(code, []),
        oversize=tuple(OversizeRow(**r) for r in sz.filter(pl.col("is_over"))
                       .sort("students", descending=True).iter_rows(named=True)),
        sizes_total=sz.height,
        history=tuple(YearStatus(year=y, status=_year_status(svc, y, code)) for y in years),
    )


@dataclass(frozen=True, slots=True)
class SchoolIndicatorRow:
    """One indicator of a school stage (the engine's result) with its unit in both languages,
    the status the page shows (None: a reference figure, not judged) and the shortfall in
    words."""

    id: str
    indicator: SchoolIndicator
    unit: str
    unit_en: str
    status: str | None
    shortfall_text: str | None
    shortfall_text_en: str | None = None

    @property
    def value(self) -> float | None:
        return self.indicator.value

    @property
    def threshold(self) -> float | None:
        return self.indicator.threshold

    @property
    def shortfall(self) -> float | int | None:
        # As the result's JSON: a figure not judged has no shortfall.
        return self.indicator.shortfall if self.indicator.judged else None

    @property
    def trace(self) -> JsonDict | None:
        """The judgement's trace as the page lists it (key by key)."""
        t = self.indicator.trace
        return t.to_json() if t is not None else None

    def to_json(self) -> JsonDict:
        return {"id": self.id, **self.indicator.to_json(), "unit": self.unit,
                "unit_en": self.unit_en, "status": self.status,
                "shortfall_text": self.shortfall_text}


@dataclass(frozen=True, slots=True)
class SchoolStage:
    """One evaluated stage of the school: the verdict, the school rule and the indicators."""

    stage: str
    met_count: int | None
    passed: bool | None
    status: str
    trace: SchoolRuleTrace | None
    indicators: tuple[SchoolIndicatorRow, ...]

    def to_json(self) -> JsonDict:
        return {"stage": self.stage, "met_count": self.met_count, "passed": self.passed,
                "status": self.status,
                "trace": self.trace.to_json() if self.trace is not None else None,
                "indicators": [r.to_json() for r in self.indicators]}


@dataclass(frozen=True, slots=True)
class StageStatus:
    stage: str
    status: str
    met_count: int | None


@dataclass(frozen=True, slots=True)
class SchoolYear:
    """The school in one year of the data: its pupils and its stages' verdicts."""

    year: int
    students: int
    stages: tuple[StageStatus, ...]


@dataclass(frozen=True)
class SchoolView:
    """The school page (and ``/api/school``). The school's own rows (``school``, ``classes``,
    ``sections``, ``facilities``) keep the data tables' columns (docs/data-format.md)."""

    school: dict[str, Any]
    year: int
    stages: tuple[SchoolStage, ...]
    county_name: str
    classes: list[dict[str, Any]]
    sections: list[dict[str, Any]]
    facilities: dict[str, Any] | None
    history: tuple[SchoolYear, ...]

    def to_json(self) -> JsonDict:
        """What ``/api/school`` answers (api_models.SchoolViewOut)."""
        return {
            "school": self.school, "year": self.year,
            "stages": [s.to_json() for s in self.stages], "county_name": self.county_name,
            "classes": self.classes, "sections": self.sections, "facilities": self.facilities,
            "history": [asdict(h) for h in self.history],
        }


def school_view(svc: DataService, school_id: str, year: int) -> SchoolView:
    result: SchoolView = svc.memo(("school", school_id, year),
                                  lambda: _school_view(svc, school_id, year))
    return result


def _school_view(svc: DataService, school_id: str, year: int) -> SchoolView:
    ds = svc.dataset()
    info = ds.table("schools").filter(pl.col("school_id") == school_id)
    if info.height == 0:
        raise NotFound(school_id)
    ev = svc.evaluation(year)
    units = {i.id: i.unit for i in ev.standard.indicators} if ev is not None else {}
    stages = []
    for s in ev.schools_of(school_id) if ev is not None else []:
        stages.append(SchoolStage(
            stage=s.stage, met_count=s.met_count, passed=s.passed, status=_status(s.status),
            trace=s.trace,
            indicators=tuple(SchoolIndicatorRow(
                id=k, indicator=v,
                # Every figure with its unit (the standard's words).
                unit=units[k], unit_en=UNIT_WORDS_EN.get(units[k], units[k]),
                status=_status(v.status) if v.judged else None,
                shortfall_text=s.shortfall_text(k),
                shortfall_text_en=s.shortfall_text(k, "en"))
                for k, v in s.indicators.items())))
    classes = (sizes.classes_with_county(ds, year).filter(pl.col("school_id") == school_id)
               .sort("stage", "grade", "class_name"))
    sections = school_rows(ds, "sections", school_id, year).sort("stage")
    facilities = school_rows(ds, "facilities", school_id, year)
    # Pupils per year in one pass over the school's sections (a year without any: 0).
    pupils = dict(ds.table("sections").filter(pl.col("school_id") == school_id)
                  .group_by("year").agg(pl.col("students").sum()).iter_rows())
    history = []
    for y in svc.years():
        ev_y = svc.evaluation(y)
        entries = ev_y.schools_of(school_id) if ev_y is not None else []
        history.append(SchoolYear(
            year=y, students=pupils.get(y, 0),
            stages=tuple(StageStatus(stage=e.stage, status=_status(e.status),
                                     met_count=e.met_count) for e in entries)))
    return SchoolView(
        school=info.row(0, named=True), year=year, stages=tuple(stages),
        county_name=county_names(svc).get(info["county_code"][0] or "", ""),
        classes=classes.to_dicts(), sections=sections.to_dicts(),
        facilities=facilities.row(0, named=True) if facilities.height else None,
        history=tuple(history),
    )


@dataclass(frozen=True)
class PeopleView:
    """Teachers and pupils of one school as listed (masked), with the columns shown."""

    teachers: list[dict[str, Any]]
    students: list[dict[str, Any]]
    teacher_columns: list[str]
    student_columns: list[str]
    # Coded columns and the registry vocabulary of their values (stage, degree, title …),
    # so the page shows words, not ids.
    teacher_kinds: dict[str, str]
    student_kinds: dict[str, str]


def people_view(svc: DataService, school_id: str, year: int) -> PeopleView:
    """Teachers and students of one school, with personal identifiers masked."""
    ds = svc.dataset()
    teachers = school_rows(ds, "teachers", school_id, year)
    students = school_rows(ds, "students", school_id, year)
    # Health, disability and hardship fields are never listed; counts are shown instead.
    # What is listed is masked as the registry marks it personal (the 身份证号).
    student_cols = [c for c in STUDENT_COLUMNS if c in students.columns]
    teacher_cols = [c for c in TEACHER_COLUMNS if c in teachers.columns]
    return PeopleView(
        teachers=mask_frame("teachers", teachers.select(teacher_cols)).to_dicts(),
        students=mask_frame("students", students.select(student_cols)).to_dicts(),
        teacher_columns=teacher_cols, student_columns=student_cols,
        teacher_kinds=_enum_kinds("teachers", teacher_cols),
        student_kinds=_enum_kinds("students", student_cols))


def _enum_kinds(table_id: str, columns: list[str]) -> dict[str, str]:
    table = registry().table(table_id)
    return {c.id: c.enum for c in table.columns if c.enum and c.id in columns}


@dataclass(frozen=True, slots=True)
class PartCauseRow:
    """Why one part of the standard is not met (standards.causes.part_causes), with the
    part's label and the status the page shows."""

    part: str
    label: str
    status: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class DriverSchool:
    """A school driving a county's CV (a row of standards.causes.cv_drivers)."""

    school_id: str
    school_name: str | None
    students: int | None
    value: float | None
    county_value: float | None
    contribution: float | None
    direction: str


@dataclass(frozen=True, slots=True)
class CvDriver:
    """A failing CV of one stage: the schools that drive it most and what would bring it under
    its limit (``fix``, None when it cannot be computed)."""

    stage: str
    id: str
    label: str
    cv: float | None
    cv_limit: float | None
    county_value: float | None
    unit: str
    unit_en: str
    schools: tuple[DriverSchool, ...]
    # The drivers' share of the weighted variance (None: no driver listed).
    share: float | None
    fix: CvFix | None

    @property
    def fix_zh(self) -> str | None:
        return self.fix.text_zh() if self.fix is not None else None

    @property
    def fix_en(self) -> str | None:
        return self.fix.text_en() if self.fix is not None else None


@dataclass(frozen=True)
class CountyCauses:
    causes: tuple[PartCauseRow, ...]
    drivers: tuple[CvDriver, ...]


def county_causes(svc: DataService, code: str, year: int) -> CountyCauses:
    """Why each part of a county fails (one sentence per part) and, for each failing CV, the
    schools that drive it (standards.causes); cached with the data version."""
    result: CountyCauses = svc.memo(("county_causes", code, year),
                                    lambda: _county_causes(svc, code, year))
    return result


def _county_causes(svc: DataService, code: str, year: int) -> CountyCauses:
    from junheng.standards.causes import cv_drivers, cv_fix, part_causes

    ev = svc.evaluation(year)
    entry = _county_entry(ev, code)
    if ev is None or entry is None:
        return CountyCauses(causes=(), drivers=())
    causes = tuple(PartCauseRow(part=c.part, label=entry.parts[c.part].label,
                                status=_status(c.status), zh=c.text_zh, en=c.text_en)
                   for c in part_causes(ev, code))
    drivers: list[CvDriver] = []
    for stage_id, stage in entry.stages.items():
        for ind_id, ind in stage.indicators.items():
            if ind.cv_passed is not False:
                continue
            frame = cv_drivers(ev, code, stage_id, ind_id)
            unit = ev.standard.indicator(ind_id).unit
            drivers.append(CvDriver(
                stage=stage_id, id=ind_id, label=ind.label, cv=ind.cv,
                cv_limit=ind.cv_limit, county_value=ind.county_value,
                unit=unit, unit_en=UNIT_WORDS_EN.get(unit, unit),
                schools=tuple(DriverSchool(**r) for r in frame.iter_rows(named=True)),
                share=float(frame["contribution"].sum()) if frame.height else None,
                fix=cv_fix(ev, code, stage_id, ind_id)))
    return CountyCauses(causes=causes, drivers=tuple(drivers))
