"""The city overview: the six counties on the map, goals, sizes, trend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from junheng.web.access import Permission, User
from junheng.web.deps import DataDep, TDep, require
from junheng.web.services import views
from junheng.web.templating import render

router = APIRouter(tags=["overview"])


@router.get("/city")
def city(request: Request, t: TDep, data: DataDep,
         user: Annotated[User, Depends(require(Permission.VIEW_CITY))],
         year: int | None = None) -> Response:
    y = views.pick_year(data, year)
    if y is None:
        return render(request, "empty.html", t, {})
    return render(request, "city.html", t, {"v": views.city_overview(data, y),
                                            "years": data.years()})
