"""Supervision of the 30 measures (措施督导): the city's grid of measures × counties and each
county's measures with their indicators and reasons. City-wide roles see every county; a
county administrator sees the own county."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from junheng.supervision.status import STATUS_ZH
from junheng.web.access import Permission, Role, User
from junheng.web.deps import DataDep, TDep, YearQuery, check_county, require
from junheng.web.services import measures as svc
from junheng.web.services import views
from junheng.web.templating import render

router = APIRouter(tags=["measures"])
Viewer = Annotated[User, Depends(require(Permission.VIEW_COUNTY))]


@router.get("/measures")
async def measures_city(request: Request, t: TDep, data: DataDep, user: Viewer,
                        year: YearQuery = None) -> Response:
    if not user.is_city_wide:
        if user.role == Role.COUNTY_ADMIN and user.county_code:
            return RedirectResponse(f"/measures/{user.county_code}", status_code=303)
        raise views.NotFound("measures")
    y = await views.checked_year(data, year)
    if y is None:
        raise views.NotFound("year")
    result = await run_in_threadpool(svc.measures, data, y)
    return render(request, "measures_city.html", t, {
        "r": result, "year": y, "years": data.years(), "status_zh": STATUS_ZH,
        "summary": result.summary()})


@router.get("/measures/{code}")
async def measures_county(request: Request, code: str, t: TDep, data: DataDep, user: Viewer,
                          year: YearQuery = None) -> Response:
    check_county(user, code)
    await views.checked_county(data, code)
    y = await views.checked_year(data, year)
    if y is None:
        raise views.NotFound("year")
    result = await run_in_threadpool(svc.measures, data, y)
    if code not in result.county_names:
        raise views.NotFound(code)
    return render(request, "measures_county.html", t, {
        "r": result, "code": code, "name": result.county_names[code], "year": y,
        "years": data.years(), "status_zh": STATUS_ZH, "city_wide": user.is_city_wide,
        "summary": result.summary()[code]})
