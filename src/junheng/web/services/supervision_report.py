"""The 督导评估 reports for download: ``junheng report county|city`` fed with the results the
pages already hold (the cached evaluation, the measures with the reviewed evidence, the finance
and aid results, the plan of the plan page), so the file and the pages show the same figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from junheng.domain.dataset import Dataset
from junheng.planners.investment.results import InvestmentPlan
from junheng.web.services import finance_aid, planning, views
from junheng.web.services import measures as measures_svc
from junheng.web.services.data import DataService

PDF_MIME = "application/pdf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"pdf": PDF_MIME, "xlsx": XLSX_MIME}


def _evidence_key(engine: Engine, year: int) -> tuple[Any, ...]:
    from junheng.web.services import evidence

    states = evidence.states(engine, year)
    return tuple(sorted((k, v.status, v.reason) for k, v in states.items()))


def _render(doc: Any, fmt: str) -> bytes:
    from junheng.reports.supervision_report import render_pdf, render_xlsx

    return render_pdf(doc) if fmt == "pdf" else render_xlsx(doc)


def county_file(data: DataService, engine: Engine, code: str, year: int, fmt: str) -> bytes:
    """The county report as PDF or Excel (cached per data version, year and evidence)."""
    if code not in views.county_names(data):
        raise views.NotFound(code)
    key = ("supervision", code, year, fmt, _evidence_key(engine, year))
    return data.memo(key, lambda: _render(_county_document(data, engine, code, year), fmt))


def _planner(data: DataService) -> Any:
    def plan(county: str, target_year: int) -> InvestmentPlan:
        from junheng.planners.investment.plan import PlanError

        got = planning.plan_result(data, county, target_year)
        if isinstance(got, str):
            raise PlanError(got)
        return got

    return plan


def _county_document(data: DataService, engine: Engine, code: str, year: int) -> Any:
    from junheng.reports.supervision_report import county_document
    from junheng.supervision.report import county_report

    ds = data.dataset()
    fin = finance_aid.finance_result(data, year) if ds.table("finance").height else None
    aid = finance_aid.aid_result(data, engine, year)[0] if ds.table("students").height else None
    report = county_report(
        Dataset(dict(ds.tables)), code, year, evaluation=data.evaluation(year),
        measures=measures_svc.measures(data, year, engine), finance=fin, aid=aid,
        planner=_planner(data), plan_year=planning.target_year_default(data, code))
    return county_document(report)


def city_file(data: DataService, engine: Engine, year: int, fmt: str) -> bytes:
    key = ("supervision", "city", year, fmt, _evidence_key(engine, year))
    return data.memo(key, lambda: _render(_city_document(data, engine, year), fmt))


def _city_document(data: DataService, engine: Engine, year: int) -> Any:
    from junheng.reports.supervision_report import city_document
    from junheng.supervision.report import city_report

    ds = data.dataset()
    report = city_report(Dataset(dict(ds.tables)), year,
                         evaluations={y: data.evaluation(y) for y in data.years() if y <= year},
                         measures=measures_svc.measures(data, year, engine))
    return city_document(report)
