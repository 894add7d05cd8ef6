"""The city overview: the six counties on the map, goals, sizes, trend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from junheng.web.access import Permission, User
from junheng.web.deps import DataDep, EngineDep, TDep, YearQuery, client_ip, require
from junheng.web.i18n import Translator
from junheng.web.services import audit, views
from junheng.web.services.data import DataService
from junheng.web.templating import render, render_fragment

router = APIRouter(tags=["overview"])


@router.get("/city")
async def city(request: Request, t: TDep, data: DataDep,
               user: Annotated[User, Depends(require(Permission.VIEW_CITY))],
               year: YearQuery = None) -> Response:
    # Async so that a cached page is answered without a thread hop; a miss (evaluation,
    # rendering) runs in the thread pool and does not hold up other requests. The cache key
    # holds the checked year only: any other ?year= is a 404 before it (views.pick_year).
    y = await views.checked_year(data, year)
    if y is None:
        return render(request, "empty.html", t, {})
    key = ("html", "city", y, t.lang)
    main = data.peek(key)
    if main is None:
        main = await run_in_threadpool(data.memo, key, lambda: _city_main(data, t, y))
    return render(request, "page.html", t, {"main": main, "title": t("city.title"),
                                            "charts": True})


def _city_main(data: DataService, t: Translator, y: int) -> str:
    return render_fragment("city_main.html", t, {
        "v": views.city_overview(data, y), "years": data.years(), "path": "/city"})


@router.get("/supervision.{fmt}")
def city_supervision(request: Request, fmt: str, data: DataDep, engine: EngineDep,
                     user: Annotated[User, Depends(require(Permission.VIEW_CITY))],
                     year: YearQuery = None) -> Response:
    """The city's 督导评估 report (``junheng report city``), PDF or Excel."""
    from junheng.web.services import supervision_report as sup

    if fmt not in sup.FORMATS:
        raise views.NotFound(fmt)
    y = views.require_year(data, year, "city")
    body = sup.city_file(data, engine, y, fmt)
    audit.record(engine, user, "download_report", target="city",
                 detail={"year": y, "format": fmt, "report": "supervision"},
                 ip=client_ip(request))
    return Response(body, media_type=sup.FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="junheng-supervision-city-{y}.{fmt}"'})
