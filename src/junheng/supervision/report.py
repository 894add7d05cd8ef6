"""The county and city 督导评估 reports as typed results: every figure comes from the function
the web page of the same subject calls (the standards engine, the investment planner, the
rotation planner, the finance checks, the aid evaluation, the measures register), so a report
and a page can never disagree. Rendering (PDF, Excel) is ``junheng.reports.supervision_*``.

A section whose tables the data lacks carries ``None`` and a reason (``missing_zh``); the
renderings show it as 未报送 instead of failing. The caller may hand in results it already
holds (the web passes its cached evaluation, measures, finance and aid results), so the report
never computes a second copy of a figure a page shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from junheng.aid.eligibility import AidResult
from junheng.domain.dataset import Dataset
from junheng.finance.checks import AreaResult, FinanceResult
from junheng.planners.investment.results import InvestmentPlan
from junheng.planners.teachers.rotation import RotationPlan
from junheng.standards.causes import PartCause
from junheng.standards.engine import Evaluation
from junheng.standards.policy import QUALITY_STANDARD, ShareTarget, share_targets
from junheng.standards.results import CountyResult, SchoolResult
from junheng.supervision.status import MeasuresResult, MeasureStatus

# The measures of care and health the issue names (13 关爱; 14 肃南 support; 24–26 health,
# mental health, films): their section lists them with the register's statuses, so the figures
# the care and health tables bring appear here as soon as the register computes them.
CARE_HEALTH_MEASURES = (13, 14, 24, 25, 26)
# The sections that may be 未报送, in the reader's words.
SECTION_ZH = {"evaluation": "优质均衡评估", "plan": "达标规划", "rotation": "教师交流轮岗",
              "finance": "经费保障", "aid": "学生资助", "admissions": "入学招生",
              "care_health": "关爱与健康"}


@dataclass(frozen=True)
class Issuer:
    """Who issues the report: the county's bureau (its name in the data + 教育局) or the city's."""

    name: str
    issued_on: dt.date


def issuer_of(ds: Dataset, county: str | None, today: dt.date | None = None) -> Issuer:
    """The issuing bureau from the counties table: ``county_name`` + 教育局 for a county,
    ``prefecture_name`` + 教育局 for the city (no county's name written into code)."""
    day = today or dt.date.today()
    counties = ds.table("counties")
    if county is not None:
        row = counties.filter(pl.col("county_code") == county)
        name = str(row["county_name"][0]) if row.height else county
        return Issuer(f"{name}教育局", day)
    pref = (counties["prefecture_name"].drop_nulls().unique().sort().to_list()
            if "prefecture_name" in counties.columns else [])
    return Issuer(f"{pref[0] if pref else '市'}教育局", day)


@dataclass(frozen=True)
class CvDriver:
    """A failing county CV and the schools that drive it (standards.causes.cv_drivers)."""

    stage: str
    indicator: str
    label: str
    unit: str
    cv: float | None
    cv_limit: float | None
    schools: pl.DataFrame


@dataclass(frozen=True)
class Admissions:
    """Seats planned and applications received for one county and year, by entry stage."""

    by_stage: pl.DataFrame  # entry_stage, seats, applications


@dataclass
class CountyReport:
    county_code: str
    county_name: str
    year: int
    issuer: Issuer
    evaluation: Evaluation | None
    county: CountyResult | None
    causes: list[PartCause]
    drivers: list[CvDriver]
    failing_schools: list[SchoolResult]
    measures: MeasuresResult
    plan: InvestmentPlan | None = None
    plan_target_year: int | None = None
    rotation: RotationPlan | None = None
    finance: AreaResult | None = None
    finance_trend: pl.DataFrame | None = None
    aid: dict[str, Any] | None = None
    admissions: Admissions | None = None
    # section id → why it is 未报送 (or was left out)
    missing_zh: dict[str, str] = field(default_factory=dict)

    def why_missing(self, section: str, default: str = "未报送") -> str:
        """Why a section has nothing to show (the reason recorded when its tables were absent)."""
        return self.missing_zh.get(section, default)

    def measure_rows(self) -> list[tuple[MeasureStatus, Any]]:
        return [(m, m.counties[self.county_code]) for m in self.measures.measures
                if self.county_code in m.counties]

    def care_health(self) -> list[tuple[MeasureStatus, Any]]:
        return [(m, s) for m, s in self.measure_rows() if m.measure.no in CARE_HEALTH_MEASURES]


def plan_target_year(ds: Dataset, county: str, latest_year: int | None = None) -> int:
    """The year a county's plan aims at: its own quality-balance year when still ahead, else
    the city's nearest target year (targets YAML), never before the latest data year."""
    from junheng.standards.policy import first_target_year

    counties = ds.table("counties").filter(pl.col("county_code") == county)
    year = counties["quality_target_year"][0] if counties.height else None
    default = first_target_year()
    latest = latest_year if latest_year is not None else (max(ds.years(), default=default))
    return int(year) if year and year >= latest else max(default, latest)


def _table_zh(table: str) -> str:
    """A table as the clerk knows it (the registry's label, never its id)."""
    from junheng.domain.fields import registry

    return f"“{registry().table(table).label}”数据表"


def _zh_only(message: str) -> str:
    """The Chinese half of a bilingual core message, without ids in brackets: the report is
    for the reader of Chinese, and a table id means nothing to them."""
    import re

    return re.sub(r"\s*[（(][a-z_]+[）)]", "", message.split(" / ", 1)[0]).strip()


def _has(ds: Dataset, table: str) -> bool:
    return ds.table(table).height > 0


def admissions_summary(ds: Dataset, county: str, year: int) -> Admissions | None:
    """Seats of the admission plans and applications of ``county`` in ``year`` by stage."""
    if not (_has(ds, "admission_plans") or _has(ds, "applications")):
        return None
    schools = ds.table("schools").filter(pl.col("county_code") == county).select("school_id")
    plans = ds.table("admission_plans")
    seats = (plans.filter(pl.col("year") == year).join(schools, on="school_id", how="semi")
             .group_by("entry_stage").agg(pl.col("seats").sum().cast(pl.Int64).alias("seats"))
             if plans.height else pl.DataFrame(schema={"entry_stage": pl.Utf8,
                                                       "seats": pl.Int64}))
    apps = ds.table("applications")
    n = (apps.filter((pl.col("county_code") == county) & (pl.col("year") == year))
         .group_by("entry_stage").agg(pl.len().cast(pl.Int64).alias("applications"))
         if apps.height else pl.DataFrame(schema={"entry_stage": pl.Utf8,
                                                  "applications": pl.Int64}))
    by_stage = (seats.with_columns(pl.col("entry_stage").cast(pl.Utf8))
                .join(n.with_columns(pl.col("entry_stage").cast(pl.Utf8)), on="entry_stage",
                      how="full", coalesce=True)
                .sort("entry_stage"))
    if by_stage.height == 0:
        return None
    return Admissions(by_stage)


def county_report(
    ds: Dataset, county: str, year: int, *,
    evaluation: Evaluation | None = None,
    measures: MeasuresResult | None = None,
    finance: FinanceResult | None = None,
    aid: AidResult | None = None,
    plan: bool = True,
    plan_time_limit: float = 30.0,
    planner: Callable[[str, int], InvestmentPlan] | None = None,
    plan_year: int | None = None,
    today: dt.date | None = None,
) -> CountyReport:
    """Everything the county report shows, from the same functions the web pages call.
    ``planner`` (county, target year) → plan stands in for ``plan_county`` where the caller
    keeps its plans (the web's plan page); ``plan_year`` is the target year it uses."""
    from junheng.standards.causes import cv_drivers, part_causes
    from junheng.standards.engine import evaluate
    from junheng.supervision.status import measure_statuses

    names = dict(ds.table("counties").select("county_code", "county_name").iter_rows())
    if county not in names:
        raise ValueError(f"数据中没有区县 {county} / county {county} is not in the data")
    missing: dict[str, str] = {}
    ev = evaluation
    if ev is None and _has(ds, "schools") and _has(ds, "sections"):
        ev = evaluate(ds, QUALITY_STANDARD, year)
    entry = ev.find_county(county) if ev is not None else None
    causes = part_causes(ev, county) if ev is not None and entry is not None else []
    drivers: list[CvDriver] = []
    failing: list[SchoolResult] = []
    if ev is not None and entry is not None:
        for stage_id, stage in entry.stages.items():
            for ind_id, ind in stage.indicators.items():
                if ind.cv_passed is False:
                    drivers.append(CvDriver(stage_id, ind_id, ind.label, ind.unit, ind.cv,
                                            ind.cv_limit,
                                            cv_drivers(ev, county, stage_id, ind_id)))
        failing = [s for s in ev.school_results()
                   if s.county_code == county and s.status == "failed"]
    failing.sort(key=lambda s: (s.stage, s.met_count if s.met_count is not None else -1,
                                s.school_id))
    report = CountyReport(
        county_code=county, county_name=str(names[county]), year=year,
        issuer=issuer_of(ds, county, today), evaluation=ev, county=entry, causes=causes,
        drivers=drivers, failing_schools=failing,
        measures=measures if measures is not None else measure_statuses(ds, year),
        missing_zh=missing)
    if entry is None:
        missing["evaluation"] = "未提供学校和学段数据，不能认定优质均衡"

    # The plan to pass: only when the county does not pass yet and the data can forecast.
    if not plan:
        missing["plan"] = "本次未生成达标规划（已按选项略去）"
    elif entry is not None and entry.status == "passed":
        missing["plan"] = "已通过优质均衡评估，无需达标规划"
    elif entry is None:
        missing["plan"] = "未提供学校和学段数据，不能规划"
    elif not _has(ds, "grade_enrollment"):
        missing["plan"] = f"未报送{_table_zh('grade_enrollment')}，不能预测学生数和规划"
    else:
        from junheng.forecast import ForecastError
        from junheng.planners.investment.plan import PlanError, plan_county

        target = plan_year if plan_year is not None else plan_target_year(ds, county)
        report.plan_target_year = target
        try:
            report.plan = (planner(county, target) if planner is not None else
                           plan_county(Dataset(dict(ds.tables)), county, target,
                                       time_limit=plan_time_limit))
        except (PlanError, ForecastError) as exc:
            missing["plan"] = f"不能生成达标规划：{_zh_only(str(exc))}"

    if _has(ds, "teachers"):
        from junheng.planners.teachers import RotationError, rotate_teachers

        try:
            report.rotation = rotate_teachers(Dataset(dict(ds.tables)), county, year)
        except RotationError as exc:
            missing["rotation"] = _zh_only(str(exc))
    else:
        missing["rotation"] = f"未报送{_table_zh('teachers')}"

    if _has(ds, "finance"):
        from junheng.finance.checks import evaluate_finance

        fin = finance if finance is not None else evaluate_finance(ds, year)
        report.finance = next((a for a in fin.counties if a.code == county), None)
        report.finance_trend = fin.trend.filter(pl.col("code") == county).sort("year")
        if report.finance is None:
            missing["finance"] = "本县未报送教育经费数据"
    else:
        missing["finance"] = f"未报送{_table_zh('finance')}"

    if _has(ds, "students"):
        from junheng.aid.eligibility import evaluate_aid

        res = aid if aid is not None else evaluate_aid(ds, year)
        row = res.counties.filter(pl.col("county_code") == county)
        report.aid = row.to_dicts()[0] if row.height else None
        if report.aid is None:
            missing["aid"] = "本县没有符合资助条件的学生记录"
    else:
        missing["aid"] = f"未报送{_table_zh('students')}"

    report.admissions = admissions_summary(ds, county, year)
    if report.admissions is None:
        missing["admissions"] = "未报送招生计划和报名数据"
    if not any(s.computed for _m, s in report.care_health()):
        missing["care_health"] = "关爱与健康数据未报送，以下状态待佐证材料"
    return report


# --- the city ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CountyLine:
    code: str
    name: str
    status: str                # passed | failed | not_reported
    target_year: int | None
    reasons_zh: tuple[str, ...]
    history: tuple[tuple[int, str], ...]  # (year, status) for every year of the data


@dataclass(frozen=True)
class Goal:
    """A dated share target and where the city stands against it."""

    target: ShareTarget
    counties_needed: int
    counties_passed: int

    @property
    def met(self) -> bool:
        return self.counties_passed >= self.counties_needed


@dataclass
class CityReport:
    year: int
    issuer: Issuer
    counties: list[CountyLine]
    goals: list[Goal]
    measures: MeasuresResult

    @property
    def passed(self) -> int:
        return sum(c.status == "passed" for c in self.counties)


def _status(status: str | None) -> str:
    return status if status in ("passed", "failed", "not_reported") else "not_reported"


def city_report(
    ds: Dataset, year: int, *,
    evaluations: dict[int, Evaluation | None] | None = None,
    measures: MeasuresResult | None = None,
    today: dt.date | None = None,
) -> CityReport:
    """Progress toward the city's dated targets (targets YAML via ``standards.policy``),
    county by county and year by year, with the 30 measures. ``evaluations`` maps each year
    to the evaluation the caller holds (the web's cache); missing years are evaluated here."""
    from junheng.standards.engine import evaluate
    from junheng.supervision.status import measure_statuses

    years = [y for y in ds.years() if y <= year] or [year]
    evs: dict[int, Evaluation | None] = dict(evaluations or {})
    for y in years:
        if y not in evs:
            evs[y] = evaluate(ds, QUALITY_STANDARD, y) if _has(ds, "schools") else None
    counties = ds.table("counties").unique("county_code", keep="first").sort("county_code")
    lines: list[CountyLine] = []
    for row in counties.iter_rows(named=True):
        code = row["county_code"]
        hist = []
        for y in years:
            e = evs[y]
            c = e.find_county(code) if e is not None else None
            hist.append((y, _status(c.status if c is not None else None)))
        ev = evs.get(year)
        entry = ev.find_county(code) if ev is not None else None
        lines.append(CountyLine(code, str(row["county_name"]),
                                _status(entry.status if entry is not None else None),
                                row.get("quality_target_year"),
                                entry.reasons_zh if entry is not None else (), tuple(hist)))
    n = len(lines)
    passed = sum(c.status == "passed" for c in lines)
    goals = [Goal(t, t.counties(n), passed) for t in share_targets()]
    return CityReport(year, issuer_of(ds, None, today), lines, goals,
                      measures if measures is not None else measure_statuses(ds, year))
