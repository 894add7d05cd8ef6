"""Forecast and investment-plan pages: thin views over ``junheng.forecast`` and
``junheng.planners.investment``, cached per data version like the evaluations."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.planners.investment.results import InvestmentPlan, PlanAction
from junheng.standards.engine import Evaluation
from junheng.web.services import views
from junheng.web.services.data import DataService

FORECAST_HORIZON = 6


def _copy(ds: Dataset) -> Dataset:
    """The planners get their own table dict: the cached dataset is shared by every page."""
    return Dataset(dict(ds.tables))
PLAN_TIME_LIMIT_S = 30.0


@dataclass(frozen=True, slots=True)
class PupilsYear:
    """Pupils of one past year (the grades the forecast covers)."""

    year: int
    students: int


@dataclass(frozen=True, slots=True)
class ForecastYear:
    """The forecast total of one future year with its interval (None: no interval)."""

    year: int
    students: int
    lower: int | None
    upper: int | None


@dataclass(frozen=True, slots=True)
class ForecastGrade:
    year: int
    grade: str
    students: int


@dataclass(frozen=True, slots=True)
class BacktestRow:
    """How the method did ``h`` years ahead on the data's own past: MAPE (%) of the method and
    of the two yardsticks (None: that yardstick gave no forecast to score), and the share of
    outcomes inside the 80 % band (None without intervals)."""

    h: int
    n: int
    method: float
    persistence: float | None
    csr3: float | None
    coverage: float | None


@dataclass(frozen=True)
class ForecastView:
    """The forecast page for the city (``county`` None) or one county, or why there is no
    forecast (``error``, with the lists empty)."""

    county: str | None
    error: str | None
    history: tuple[PupilsYear, ...]
    forecast: tuple[ForecastYear, ...]
    by_grade: tuple[ForecastGrade, ...]
    backtest: tuple[BacktestRow, ...]

    def page_history(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.history]

    def page_forecast(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.forecast]


def forecast_view(data: DataService, county: str | None) -> ForecastView:
    """Total pupils per year, history and forecast with its interval, for the city (county
    None) or one county."""

    def run() -> pl.DataFrame | str:
        from junheng.forecast import ForecastError, forecast

        try:
            return forecast(_copy(data.dataset()), FORECAST_HORIZON,
                            levels=("city", "county")).rows
        except ForecastError as exc:  # e.g. no grade_enrollment history: say why on the page
            return str(exc)

    rows = data.memo(("forecast", FORECAST_HORIZON), run)
    if isinstance(rows, str):
        return ForecastView(county=county, error=rows, history=(), forecast=(), by_grade=(),
                            backtest=())
    level = "county" if county else "city"
    sel = rows.filter((pl.col("level") == level) & (pl.col("grade") == "total"))
    if county:
        sel = sel.filter(pl.col("unit_id") == county)
    ds = data.dataset()
    hist = ds.table("grade_enrollment")
    if county:
        schools = ds.table("schools").filter(pl.col("county_code") == county)["school_id"]
        hist = hist.filter(pl.col("school_id").is_in(schools.implode()))
    by_grade = rows.filter((pl.col("level") == level) & (pl.col("grade") != "total"))
    if county:
        by_grade = by_grade.filter(pl.col("unit_id") == county)
    # History over the same grades as the forecast's total, so the two lines join up.
    grades = by_grade["grade"].cast(pl.Int64).unique().implode()
    hist = (hist.filter(pl.col("grade").is_in(grades)).group_by("year")
            .agg(pl.col("students").sum()).sort("year"))
    return ForecastView(
        county=county, error=None,
        history=tuple(PupilsYear(**r) for r in hist.iter_rows(named=True)),
        forecast=tuple(ForecastYear(**r) for r in sel.select(
            "year", "students", "lower", "upper").sort("year").iter_rows(named=True)),
        by_grade=tuple(ForecastGrade(**r) for r in by_grade.select(
            "year", "grade", "students").iter_rows(named=True)),
        backtest=backtest_view(data, county),
    )


def backtest_view(data: DataService, county: str | None) -> tuple[BacktestRow, ...]:
    """How the method did on this data's own past, next to the two yardsticks: by horizon, MAPE
    (%) of the shown unit's total (the city, or one county) for the method, persistence and
    3-year cohort survival, and the share of outcomes inside the 80 % band."""

    def run() -> tuple[pl.DataFrame, pl.DataFrame] | None:
        from junheng.forecast import ForecastError, ForecastOptions
        from junheng.forecast.backtest import total_frames
        from junheng.forecast.history import read_inputs

        try:
            return total_frames(read_inputs(_copy(data.dataset())), FORECAST_HORIZON,
                                ForecastOptions())
        except ForecastError:  # too little history to look back on: the table stays empty
            return None

    frames = data.memo(("forecast-backtest", FORECAST_HORIZON), run)
    if frames is None:
        return ()
    from junheng.forecast.backtest import horizon_table

    table = (horizon_table(*frames, "county", county) if county
             else horizon_table(*frames, "city"))
    return tuple(BacktestRow(h=r["h"], n=r["n"], method=r["method"],
                             persistence=r.get("persistence"), csr3=r.get("csr3"),
                             coverage=r["coverage"]) for r in table)


def target_year_default(data: DataService, county: str) -> int:
    """The county's own target year (data), else the city's nearest target (targets YAML):
    the rule the supervision report uses too."""
    from junheng.supervision.report import plan_target_year

    return plan_target_year(data.dataset(), county, data.latest_year())


@dataclass(frozen=True, slots=True)
class IndicatorPair:
    """One indicator of one stage of the county before and after the plan."""

    stage: str
    id: str
    label: str
    before_value: float | None
    after_value: float | None
    before_cv: float | None
    after_cv: float | None
    cv_limit: float | None
    before_status: str
    after_status: str | None


@dataclass(frozen=True)
class PlanView:
    """The plan page: the typed plan and what the page adds to it (indicators side by side,
    the actions as rows, the map's points)."""

    plan: InvestmentPlan
    indicators: tuple[IndicatorPair, ...]
    actions: tuple[PlanAction, ...]
    # New campuses exist only in the plan: their rows link nowhere.
    proposed: frozenset[str]
    cost_by_year: dict[str, float]
    # An action phased over several years is one action (one line per year).
    n_actions: int
    # The map's points, written into the page as JSON for the chart.
    points: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PlanFailure:
    """Why no plan could be made (said on the page)."""

    error: str


def plan_result(data: DataService, county: str, target_year: int) -> InvestmentPlan | str:
    """The typed plan (cached), or why none could be made: the plan page and the supervision
    report read this one result."""
    def run() -> InvestmentPlan | str:
        from junheng.forecast import ForecastError
        from junheng.planners.investment.plan import PlanError, plan_county

        if county not in views.county_names(data):
            raise views.NotFound(county)
        try:
            return plan_county(_copy(data.dataset()), county, target_year,
                               time_limit=PLAN_TIME_LIMIT_S)
        except (PlanError, ForecastError) as exc:  # e.g. a future year without the history
            return str(exc)

    return data.memo(("plan-result", county, target_year), run)


def plan_view(data: DataService, county: str, target_year: int) -> PlanView | PlanFailure:
    def run() -> PlanView | PlanFailure:
        plan = plan_result(data, county, target_year)
        if isinstance(plan, str):
            return PlanFailure(plan)
        return shape_plan(data, county, plan)

    result: PlanView | PlanFailure = data.memo(("plan", county, target_year), run)
    return result


def _indicator_pairs(before: Evaluation, after: Evaluation, county: str) -> tuple[IndicatorPair, ...]:
    b, a = before.find_county(county), after.find_county(county)
    if b is None:
        return ()
    out = []
    for stage, block in b.stages.items():
        other = a.stages.get(stage) if a is not None else None
        for ind, v in block.indicators.items():
            w = other.indicators.get(ind) if other is not None else None
            out.append(IndicatorPair(
                stage=stage, id=ind, label=v.label, before_value=v.county_value,
                after_value=w.county_value if w else None, before_cv=v.cv,
                after_cv=w.cv if w else None, cv_limit=v.cv_limit, before_status=v.status,
                after_status=w.status if w else None))
    return tuple(out)


def shape_plan(data: DataService, county: str, plan: InvestmentPlan) -> PlanView:
    schools = data.dataset().table("schools").filter(pl.col("county_code") == county)
    coords = {r["school_id"]: (r["longitude"], r["latitude"], r["school_name"])
              for r in schools.select("school_id", "longitude", "latitude", "school_name")
              .iter_rows(named=True)}
    # New campuses exist only in the plan, so their site comes from the plan itself.
    proposed = frozenset(c.school_id for c in plan.new_campuses)
    for c in plan.new_campuses:
        coords[c.school_id] = (c.longitude, c.latitude, c.school_name)
    rows = plan.action_rows()
    cost_by_school: dict[str, float] = {}
    for a in rows:
        # As the plan's JSON rounds each line.
        cost_by_school[a.school_id] = cost_by_school.get(a.school_id, 0) + round(a.cost_yuan or 0, 2)
    points = [{"name": coords[s][2], "school_id": s, "proposed": s in proposed,
               "value": [coords[s][0], coords[s][1], c]}
              for s, c in cost_by_school.items() if s in coords and coords[s][0] is not None]
    return PlanView(
        plan=plan, indicators=_indicator_pairs(plan.before, plan.after, county),
        actions=tuple(rows), proposed=proposed, cost_by_year=plan.cost_by_year,
        n_actions=len({(a.school_id, a.stage, a.kind, a.from_school_id) for a in rows}),
        points=points)


ZONE_STAGES = ("primary", "junior")
# A page must answer in seconds: the solver stops at 1 % of the optimum or after 8 s
# (``junheng zones`` on the command line has no such limit).
ZONES_TIME_LIMIT_S = 8.0
ZONES_GAP = 0.01


@dataclass(frozen=True, slots=True)
class ZoneArea:
    """One village or community (a row of the areas table) with the school serving it now, when
    the data reports one, and the school the plan proposes."""

    area_id: str
    area_name: str | None
    township: str | None
    latitude: float | None
    longitude: float | None
    geometry: str | None
    current_school_id: str | None
    proposed_school_id: str | None
    students: float | None
    distance_km: float | None
    current_school: str | None
    proposed_school: str | None


@dataclass(frozen=True, slots=True)
class ZoneSchool:
    """One school of the plan: its load against capacity and its site."""

    school_id: str
    school_name: str | None
    capacity: float | None
    assigned: float | None
    utilisation: float | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class ZonesView:
    """The zones page: the solver's result, every area with both schools, the schools' load."""

    status: str
    objective_km: float | None
    moved_students: float
    # The planner's own records (bilingual messages), shown as they are.
    shortages: list[dict[str, Any]]
    notes: list[dict[str, str]]
    has_current: bool
    areas: tuple[ZoneArea, ...]
    schools: tuple[ZoneSchool, ...]

    def page_rows(self) -> list[dict[str, Any]]:
        """The areas as the page's script reads them (JSON objects)."""
        return [asdict(a) for a in self.areas]

    def page_schools(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.schools]


@dataclass(frozen=True, slots=True)
class ZonesFailure:
    """Why the zones could not be planned (the planner's words, in both languages)."""

    error: str
    error_en: str


def zones_view(data: DataService, county: str, stage: str, year: int) -> ZonesView | ZonesFailure:
    """Current zones (area_assignments, when reported) next to the proposed ones from
    ``plan_zones``, school load against capacity, and every area with both schools."""

    def run() -> ZonesView | ZonesFailure:
        from junheng.planners.zones.problem import ZoneInputError, ZoneOptions
        from junheng.planners.zones.service import plan_zones

        if county not in views.county_names(data):
            raise views.NotFound(county)
        ds = data.dataset()
        try:
            plan = plan_zones(_copy(ds), county, stage, year, ZoneOptions(
                time_limit_s=ZONES_TIME_LIMIT_S, mip_rel_gap=ZONES_GAP))
        except ZoneInputError as exc:
            return ZonesFailure(error=exc.message_zh, error_en=exc.message_en)
        areas = ds.table("areas").filter(pl.col("county_code") == county).select(
            "area_id", "area_name", "township", "latitude", "longitude", "geometry")
        current = ds.table("area_assignments").filter(
            (pl.col("year") == year) & (pl.col("stage") == stage)).select(
            "area_id", pl.col("school_id").alias("current_school_id"))
        proposed = plan.assignments.sort("share", descending=True).unique(
            subset=["area_id"], keep="first").select(
            "area_id", pl.col("school_id").alias("proposed_school_id"), "students",
            "distance_km")
        names = ds.table("schools").select("school_id", "school_name")
        table = (areas.join(current, on="area_id", how="left")
                 .join(proposed, on="area_id", how="left")
                 .join(names.rename({"school_id": "current_school_id",
                                     "school_name": "current_school"}),
                       on="current_school_id", how="left")
                 .join(names.rename({"school_id": "proposed_school_id",
                                     "school_name": "proposed_school"}),
                       on="proposed_school_id", how="left")
                 .sort("township", "area_id"))
        schools = plan.schools.select("school_id", "school_name", "capacity", "assigned",
                                      "utilisation")
        coords = ds.table("schools").filter(pl.col("school_id").is_in(
            schools["school_id"].implode())).select("school_id", "latitude", "longitude")
        return ZonesView(
            status=plan.status, objective_km=plan.objective_student_km,
            moved_students=plan.moved_students, shortages=plan.shortages,
            notes=plan.problem.notes, has_current=current.height > 0,
            areas=tuple(ZoneArea(**r) for r in table.iter_rows(named=True)),
            schools=tuple(ZoneSchool(**r) for r in schools.join(coords, on="school_id",
                                                                how="left").iter_rows(named=True)))

    result: ZonesView | ZonesFailure = data.memo(("zones", county, stage, year), run)
    return result


def lookup_area(view: ZonesView | ZonesFailure, query: str, limit: int = 20) -> list[ZoneArea]:
    """Areas whose name, township or code contains ``query``, with their schools."""
    q = query.strip()
    if not q or isinstance(view, ZonesFailure):  # an error view has no areas
        return []
    found = [a for a in view.areas
             if any(q in (text or "") for text in (a.area_name, a.township, a.area_id))]
    return found[:limit]
