"""A county: indicators and CVs per stage, items, schools, class sizes, reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from junheng.web.access import Permission, User
from junheng.web.deps import DataDep, EngineDep, LangDep, TDep, check_county, client_ip, require
from junheng.web.services import audit, exports, views
from junheng.web.templating import render

router = APIRouter(tags=["county"])
CountyViewer = Annotated[User, Depends(require(Permission.VIEW_COUNTY))]


@router.get("/county/{code}")
def county(request: Request, code: str, t: TDep, data: DataDep, user: CountyViewer,
           year: int | None = None) -> Response:
    check_county(user, code)
    y = views.pick_year(data, year)
    if y is None:
        return render(request, "empty.html", t, {})
    return render(request, "county.html", t, {"v": views.county_view(data, code, y),
                                              "years": data.years()})


@router.get("/county/{code}/report.xlsx")
def county_xlsx(request: Request, code: str, data: DataDep, engine: EngineDep, lang: LangDep,
                user: CountyViewer, year: int | None = None) -> Response:
    check_county(user, code)
    y = views.pick_year(data, year)
    if y is None:
        raise views.NotFound(code)
    body = exports.county_xlsx(data, code, y, lang)
    audit.record(engine, user, "download_report", target=f"county:{code}",
                 detail={"year": y, "format": "xlsx"}, ip=client_ip(request))
    return Response(body, media_type=exports.XLSX_MIME, headers={
        "Content-Disposition": f'attachment; filename="junheng-{code}-{y}.xlsx"'})


@router.get("/county/{code}/report.pdf")
def county_pdf(request: Request, code: str, data: DataDep, engine: EngineDep, t: TDep,
               user: CountyViewer, year: int | None = None) -> Response:
    check_county(user, code)
    y = views.pick_year(data, year)
    if y is None:
        raise views.NotFound(code)
    body = exports.county_pdf(data, code, y, t)
    audit.record(engine, user, "download_report", target=f"county:{code}",
                 detail={"year": y, "format": "pdf"}, ip=client_ip(request))
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="junheng-{code}-{y}.pdf"'})
