"""A county: indicators and CVs per stage, items, schools, class sizes, reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from junheng.web.access import Permission, User
from junheng.web.deps import (
    DataDep,
    EngineDep,
    LangDep,
    TDep,
    YearQuery,
    check_county,
    client_ip,
    require,
)
from junheng.web.i18n import Translator
from junheng.web.services import audit, exports, views
from junheng.web.services.data import DataService
from junheng.web.templating import render, render_fragment

router = APIRouter(tags=["county"])
CountyViewer = Annotated[User, Depends(require(Permission.VIEW_COUNTY))]


@router.get("/county/{code}")
async def county(request: Request, code: str, t: TDep, data: DataDep, user: CountyViewer,
                 year: YearQuery = None) -> Response:
    check_county(user, code)
    # Async for the cached case (no thread hop); a miss is computed in the thread pool. Only
    # a known county and year make a cache key; anything else is a 404 before it.
    y = await views.checked_year(data, year)
    if y is None:
        return render(request, "empty.html", t, {})
    await views.checked_county(data, code)
    key = ("html", "county", code, y, t.lang, user.is_city_wide)
    page: tuple[str, str] | None = data.peek(key)
    if page is None:
        page = await run_in_threadpool(
            data.memo, key, lambda: _county_main(data, t, code, y, user.is_city_wide))
    return render(request, "page.html", t, {"main": page[1], "title": page[0], "charts": True})


def _county_main(data: DataService, t: Translator, code: str, y: int,
                 city_wide: bool) -> tuple[str, str]:
    v = views.county_view(data, code, y)
    causes = views.county_causes(data, code, y)
    return (v.name, render_fragment("county_main.html", t, {
        "v": v, "years": data.years(), "path": f"/county/{code}", "city_wide": city_wide,
        "causes": causes}))


@router.get("/county/{code}/report.xlsx")
def county_xlsx(request: Request, code: str, data: DataDep, engine: EngineDep, lang: LangDep,
                user: CountyViewer, year: YearQuery = None) -> Response:
    check_county(user, code)
    y = views.require_year(data, year, code)
    body = exports.county_xlsx(data, code, y, lang)
    audit.record(engine, user, "download_report", target=f"county:{code}",
                 detail={"year": y, "format": "xlsx"}, ip=client_ip(request))
    return Response(body, media_type=exports.XLSX_MIME, headers={
        "Content-Disposition": f'attachment; filename="junheng-{code}-{y}.xlsx"'})


@router.get("/county/{code}/report.pdf")
def county_pdf(request: Request, code: str, data: DataDep, engine: EngineDep, t: TDep,
               user: CountyViewer, year: YearQuery = None) -> Response:
    check_county(user, code)
    y = views.require_year(data, year, code)
    body = exports.county_pdf(data, code, y, t, city_level=user.is_city_wide)
    audit.record(engine, user, "download_report", target=f"county:{code}",
                 detail={"year": y, "format": "pdf"}, ip=client_ip(request))
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="junheng-{code}-{y}.pdf"'})


@router.get("/county/{code}/supervision.{fmt}")
def county_supervision(request: Request, code: str, fmt: str, data: DataDep,
                       engine: EngineDep, user: CountyViewer,
                       year: YearQuery = None) -> Response:
    """The county's 督导评估 report (``junheng report county``), PDF or Excel."""
    from junheng.web.services import supervision_report as sup

    check_county(user, code)
    if fmt not in sup.FORMATS:
        raise views.NotFound(fmt)
    y = views.require_year(data, year, code)
    body = sup.county_file(data, engine, code, y, fmt)
    audit.record(engine, user, "download_report", target=f"county:{code}",
                 detail={"year": y, "format": fmt, "report": "supervision"},
                 ip=client_ip(request))
    return Response(body, media_type=sup.FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="junheng-supervision-{code}-{y}.{fmt}"'})
