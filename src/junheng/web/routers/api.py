"""JSON for other systems, under the same roles and scopes as the pages. Every route declares
its response model (web/api_models.py), so the OpenAPI schema at /docs is the contract."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from junheng.web.access import Permission, User
from junheng.web.api_models import CountyViewOut, EvaluationOut, InvestmentPlanOut, SchoolViewOut
from junheng.web.deps import DataDep, YearQuery, check_county, check_school, require
from junheng.web.services import planning, views

router = APIRouter(prefix="/api", tags=["api"])


def _year(data: DataDep, year: int | None) -> int:
    return views.require_year(data, year, "year")


@router.get("/evaluation", response_model=EvaluationOut, response_model_exclude_unset=True)
def evaluation(data: DataDep, user: Annotated[User, Depends(require(Permission.VIEW_CITY))],
               year: YearQuery = None) -> dict[str, Any]:
    y = _year(data, year)
    ev = data.evaluation(y)
    if ev is None:
        raise views.NotFound(f"year {y}")
    return data.memo(("evaluation-json", data.settings.standard_id, y), ev.to_json)


@router.get("/county/{code}", response_model=CountyViewOut)
def county(code: str, data: DataDep,
           user: Annotated[User, Depends(require(Permission.VIEW_COUNTY))],
           year: YearQuery = None) -> dict[str, Any]:
    check_county(user, code)
    return views.county_view(data, code, _year(data, year)).to_json()


@router.get("/school/{school_id}", response_model=SchoolViewOut)
def school(school_id: str, data: DataDep,
           user: Annotated[User, Depends(require(Permission.VIEW_SCHOOL))],
           year: YearQuery = None) -> dict[str, Any]:
    check_school(user, data, school_id)
    return views.school_view(data, school_id, _year(data, year)).to_json()


@router.get("/plans/{code}", response_model=InvestmentPlanOut, response_model_exclude_unset=True)
def plan(code: str, data: DataDep,
         user: Annotated[User, Depends(require(Permission.VIEW_PLANNING))],
         target: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> dict[str, Any]:
    """The county's investment plan as ``junheng plan`` writes it (the page's plan, cached once)."""
    check_county(user, code)
    if code not in views.county_names(data):
        raise views.NotFound(code)
    year = target or planning.target_year_default(data, code)
    plan = planning.plan_result(data, code, year)
    if isinstance(plan, str):
        raise HTTPException(status_code=422, detail=plan)
    return data.memo(("plan-json", code, year), plan.to_json)
