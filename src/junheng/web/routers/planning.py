"""Forecasts, zones and plans. Zones waits for ``junheng.planners.zones.plan_zones``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from junheng.web.access import Permission, Role, User
from junheng.web.deps import DataDep, TDep, check_county, require
from junheng.web.services import planning, views
from junheng.web.templating import render

router = APIRouter(tags=["planning"])
Planner = Annotated[User, Depends(require(Permission.VIEW_PLANNING))]


def _own_county(user: User) -> str | None:
    return user.county_code if user.role == Role.COUNTY_ADMIN else None


@router.get("/forecast")
async def forecast(request: Request, t: TDep, data: DataDep, user: Planner,
                   county: str | None = None) -> Response:
    county = county or _own_county(user)
    if county is None and not user.is_city_wide:
        county = user.county_code
    if county:
        check_county(user, county)
    v = await run_in_threadpool(planning.forecast_view, data, county)
    names = views.county_names(data)
    choices = names if user.is_city_wide else {county: names.get(county or "", county)}
    return render(request, "forecast.html", t, {"v": v, "choices": choices,
                                                "county_name": names.get(county or "")})


@router.get("/zones")
def zones(request: Request, t: TDep, user: Planner) -> Response:
    return render(request, "placeholder.html", t, {"section": "zones"})


@router.get("/plans")
def plans(request: Request, t: TDep, data: DataDep, user: Planner) -> Response:
    own = _own_county(user)
    if own:
        return RedirectResponse(f"/plans/{own}", status_code=303)
    return render(request, "plans.html", t, {"counties": views.county_names(data)})


@router.get("/plans/{code}")
async def plan(request: Request, code: str, t: TDep, data: DataDep, user: Planner,
               target: int | None = None) -> Response:
    check_county(user, code)
    names = views.county_names(data)
    if code not in names:
        raise views.NotFound(code)
    target = target or planning.target_year_default(data, code)
    if not 2000 <= target <= 2100:
        raise views.NotFound(str(target))
    v = await run_in_threadpool(planning.plan_view, data, code, target)
    return render(request, "plan.html", t, {"v": v, "code": code, "name": names[code],
                                            "target": target, "city_wide": user.is_city_wide})
