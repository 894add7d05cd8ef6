"""Forecasts, zones and plans. Zones waits for ``junheng.planners.zones.plan_zones``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from junheng.web.access import Permission, Role, User
from junheng.web.deps import (
    CountyQuery,
    DataDep,
    StageQuery,
    TDep,
    YearQuery,
    check_county,
    require,
)
from junheng.web.services import planning, views
from junheng.web.templating import render

router = APIRouter(tags=["planning"])
Planner = Annotated[User, Depends(require(Permission.VIEW_PLANNING))]


def _own_county(user: User) -> str | None:
    return user.county_code if user.role == Role.COUNTY_ADMIN else None


@router.get("/forecast")
async def forecast(request: Request, t: TDep, data: DataDep, user: Planner,
                   county: CountyQuery = None) -> Response:
    county = county or _own_county(user)
    if county is None and not user.is_city_wide:
        county = user.county_code
    if county:
        check_county(user, county)
        await views.checked_county(data, county)
    v = await run_in_threadpool(planning.forecast_view, data, county)
    names = views.county_names(data)
    choices = names if user.is_city_wide else {county: names.get(county or "", county)}
    return render(request, "forecast.html", t, {"v": v, "choices": choices,
                                                "county_name": names.get(county or "")})


async def _zone_args(user: User, data: DataDep, county: str | None, stage: str | None,
                     year: int | None) -> tuple[str, str, int]:
    county = county or _own_county(user) or "620702"
    check_county(user, county)
    # Only known counties and stages and held years reach the (cached) zone planner.
    await views.checked_county(data, county)
    stage = stage if stage in planning.ZONE_STAGES else "primary"
    y = await views.checked_year(data, year)
    if y is None:
        raise views.NotFound("year")
    return county, stage, y


@router.get("/zones")
async def zones(request: Request, t: TDep, data: DataDep, user: Planner,
                county: CountyQuery = None, stage: StageQuery = None,
                year: YearQuery = None) -> Response:
    county, stage, y = await _zone_args(user, data, county, stage, year)
    names = views.county_names(data)
    choices = names if user.is_city_wide else {county: names.get(county, county)}
    ctx = {"county": county, "stage": stage, "year": y, "choices": choices,
           "county_name": names.get(county, county), "stages": planning.ZONE_STAGES}
    # A large county can take the solver half a minute: answer at once with a page that
    # fetches the result (htmx) instead of leaving the browser waiting on a blank screen.
    if (data.peek(("zones", county, stage, y)) is None and not request.headers.get("hx-request")
            and request.query_params.get("wait") != "1"):
        return render(request, "zones.html", t, {**ctx, "pending": True, "v": {}})
    v = await run_in_threadpool(planning.zones_view, data, county, stage, y)
    return render(request, "zones.html", t, {**ctx, "v": v})


@router.get("/zones/lookup")
async def zones_lookup(request: Request, t: TDep, data: DataDep, user: Planner,
                       q: Annotated[str, Query(max_length=200)] = "",
                       county: CountyQuery = None, stage: StageQuery = None,
                       year: YearQuery = None) -> Response:
    """Which school serves this village: an htmx fragment (a full page without htmx)."""
    county, stage, y = await _zone_args(user, data, county, stage, year)
    v = await run_in_threadpool(planning.zones_view, data, county, stage, y)
    return render(request, "_zone_lookup.html", t, {
        "found": planning.lookup_area(v, q[:50]), "q": q[:50], "v": v})


@router.get("/plans")
def plans(request: Request, t: TDep, data: DataDep, user: Planner) -> Response:
    own = _own_county(user)
    if own:
        return RedirectResponse(f"/plans/{own}", status_code=303)
    return render(request, "plans.html", t, {"counties": views.county_names(data)})


@router.get("/plans/{code}")
async def plan(request: Request, code: str, t: TDep, data: DataDep, user: Planner,
               target: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> Response:
    check_county(user, code)
    await views.checked_county(data, code)
    names = views.county_names(data)
    target = target or planning.target_year_default(data, code)
    if not 2000 <= target <= 2100:
        raise views.NotFound(str(target))
    v = await run_in_threadpool(planning.plan_view, data, code, target)
    return render(request, "plan.html", t, {"v": v, "code": code, "name": names[code],
                                            "target": target, "city_wide": user.is_city_wide})
