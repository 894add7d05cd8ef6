"""Teacher rotation (交流轮岗): the list for a county and year, its checks, its direction
(measure 16) and the Excel download. County staff see their own county; the list names
teachers, so every view and download is in the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from junheng.web.access import Permission, Role, User
from junheng.web.deps import DataDep, EngineDep, TDep, YearQuery, check_county, client_ip, require
from junheng.web.services import audit, exports, rotation, views
from junheng.web.templating import render

router = APIRouter(tags=["rotation"])
# The list names teachers: planning staff who may also see personal data.
Rotator = Annotated[User, Depends(require(Permission.VIEW_PLANNING, Permission.VIEW_PERSONAL))]
ShareQuery = Annotated[float | None, Query(ge=0.10, le=0.15)]
KmQuery = Annotated[float | None, Query(ge=rotation.MAX_KM_RANGE[0], le=rotation.MAX_KM_RANGE[1])]
# htmx asks for the finished page (HX-Request); without script, ``wait=1`` does.
HxRequest = Annotated[str | None, Header()]
WaitQuery = Annotated[int, Query(ge=0, le=1)]


@router.get("/rotation")
def rotation_home(request: Request, t: TDep, data: DataDep, user: Rotator) -> Response:
    if user.role == Role.COUNTY_ADMIN and user.county_code:
        return RedirectResponse(f"/rotation/{user.county_code}", status_code=303)
    return render(request, "rotation_list.html", t, {"counties": views.county_names(data)})


async def _args(user: User, data: DataDep, code: str, year: int | None, share: float | None,
                max_km: float | None) -> tuple[int, float, float]:
    check_county(user, code)
    await views.checked_county(data, code)
    y = await views.checked_year(data, year)
    if y is None:
        raise views.NotFound("year")
    # Only the offered values reach the (cached) planner, so the cache stays small.
    share = min(rotation.SHARES, key=lambda s: abs(s - (share or rotation.SHARES[0])))
    km = float(round(max_km if max_km is not None else 60.0))
    return y, share, km


@router.get("/rotation/{code}")
async def rotation_page(request: Request, code: str, t: TDep, data: DataDep, engine: EngineDep,
                        user: Rotator, year: YearQuery = None, share: ShareQuery = None,
                        max_km: KmQuery = None, hx_request: HxRequest = None,
                        wait: WaitQuery = 0) -> Response:
    y, s, km = await _args(user, data, code, year, share, max_km)
    names = views.county_names(data)
    ctx = {"code": code, "name": names[code], "year": y, "share": s, "max_km": km,
           "shares": rotation.SHARES, "years": data.years(), "city_wide": user.is_city_wide,
           "error": None}
    if (data.peek(rotation.rotation_key(code, y, s, km)) is None
            and not hx_request and not wait):
        return render(request, "rotation.html", t, {**ctx, "pending": True, "v": {}})
    v = await run_in_threadpool(rotation.rotation_view, data, code, y, s, km)
    if v.error is None:
        audit.record(engine, user, "view_personal", target=f"rotation:{code}",
                     detail={"year": y, "teachers": v.teachers}, ip=client_ip(request))
    return render(request, "rotation.html", t, {**ctx, "v": v.page_in(t.lang), "error": v.error})


@router.get("/rotation/{code}/list.xlsx")
async def rotation_download(request: Request, code: str, t: TDep, data: DataDep, engine: EngineDep,
                            user: Rotator, year: YearQuery = None, share: ShareQuery = None,
                            max_km: KmQuery = None) -> Response:
    y, s, km = await _args(user, data, code, year, share, max_km)
    v = await run_in_threadpool(rotation.rotation_view, data, code, y, s, km)
    if v.error is not None:
        raise views.NotFound(code)
    audit.record(engine, user, "download", target=f"rotation:{code}",
                 detail={"year": y, "teachers": v.teachers}, ip=client_ip(request))
    body = await run_in_threadpool(rotation.rotation_xlsx, v, t.lang)
    return Response(body, media_type=exports.XLSX_MIME, headers={
        "Content-Disposition": f'attachment; filename="rotation-{code}-{y}.xlsx"'})
