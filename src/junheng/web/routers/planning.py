"""Forecasts, zones and plans: their pages are filled in as those services land."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from junheng.web.access import Permission, User
from junheng.web.deps import TDep, require
from junheng.web.templating import render

router = APIRouter(tags=["planning"])
Planner = Annotated[User, Depends(require(Permission.VIEW_PLANNING))]


@router.get("/forecast")
def forecast(request: Request, t: TDep, user: Planner) -> Response:
    return render(request, "placeholder.html", t, {"section": "forecast"})


@router.get("/zones")
def zones(request: Request, t: TDep, user: Planner) -> Response:
    return render(request, "placeholder.html", t, {"section": "zones"})


@router.get("/plans")
def plans(request: Request, t: TDep, user: Planner) -> Response:
    return render(request, "placeholder.html", t, {"section": "plans"})
