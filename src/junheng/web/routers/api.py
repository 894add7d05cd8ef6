"""JSON for other systems, under the same roles and scopes as the pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from junheng.web.access import Permission, User
from junheng.web.deps import DataDep, YearQuery, check_county, check_school, require
from junheng.web.services import views

router = APIRouter(prefix="/api", tags=["api"])


def _year(data: DataDep, year: int | None) -> int:
    return views.require_year(data, year, "year")


@router.get("/evaluation")
def evaluation(data: DataDep, user: Annotated[User, Depends(require(Permission.VIEW_CITY))],
               year: YearQuery = None) -> dict[str, Any]:
    return data.evaluation(_year(data, year))


@router.get("/county/{code}")
def county(code: str, data: DataDep,
           user: Annotated[User, Depends(require(Permission.VIEW_COUNTY))],
           year: YearQuery = None) -> dict[str, Any]:
    check_county(user, code)
    return views.county_view(data, code, _year(data, year))


@router.get("/school/{school_id}")
def school(school_id: str, data: DataDep,
           user: Annotated[User, Depends(require(Permission.VIEW_SCHOOL))],
           year: YearQuery = None) -> dict[str, Any]:
    check_school(user, data, school_id)
    return views.school_view(data, school_id, _year(data, year))
