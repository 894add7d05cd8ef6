"""A school: indicators with their traces, classes by size, history, people, and the form
to correct its figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from junheng.web.access import Permission, User
from junheng.web.deps import (
    DataDep,
    EngineDep,
    TDep,
    YearQuery,
    check_school,
    client_ip,
    require,
    require_for_school,
)
from junheng.web.services import audit, editing, views
from junheng.web.templating import render

router = APIRouter(tags=["school"])
SchoolViewer = Annotated[User, Depends(require(Permission.VIEW_SCHOOL))]
PeopleViewer = Annotated[User, Depends(require(Permission.VIEW_PERSONAL))]
SchoolEditor = Annotated[User, Depends(require(Permission.EDIT_SCHOOL))]
# Saving: the school is checked before the form is parsed (a 403, not a form error).
SchoolSaver = Annotated[User, Depends(require_for_school(Permission.EDIT_SCHOOL))]


@router.get("/school/{school_id}")
def school(request: Request, school_id: str, t: TDep, data: DataDep, user: SchoolViewer,
           year: YearQuery = None) -> Response:
    check_school(user, data, school_id)
    y = views.require_year(data, year, school_id)
    return render(request, "school.html", t, {"v": views.school_view(data, school_id, y),
                                              "years": data.years()})


@router.get("/school/{school_id}/people")
def people(request: Request, school_id: str, t: TDep, data: DataDep, engine: EngineDep,
           user: PeopleViewer, year: YearQuery = None) -> Response:
    check_school(user, data, school_id)
    y = views.require_year(data, year, school_id)
    v = views.people_view(data, school_id, y)
    # Every view of personal data is logged, with what was shown.
    audit.record(engine, user, "view_personal", target=f"school:{school_id}",
                 detail={"year": y, "teachers": len(v.teachers),
                         "students": len(v.students)}, ip=client_ip(request))
    return render(request, "people.html", t, {"v": v, "school_id": school_id, "year": y,
                                              "school": views.school_view(data, school_id, y)})


@router.get("/school/{school_id}/edit")
def edit_form(request: Request, school_id: str, t: TDep, data: DataDep, user: SchoolEditor,
              year: YearQuery = None) -> Response:
    check_school(user, data, school_id)
    y = views.require_year(data, year, school_id)
    return render(request, "school_edit.html", t, {
        "form": editing.form_values(data, school_id, y), "problems": [],
        "school": views.school_view(data, school_id, y)})


@router.post("/school/{school_id}/edit")
async def edit_save(request: Request, school_id: str, t: TDep, data: DataDep, engine: EngineDep,
                    user: SchoolSaver, year: Annotated[int, Form()]) -> Response:
    y = year
    # The figures' fields are named by stage and column (editing.SECTION_FIELDS …); the
    # service reads the ones it knows and validates them like an upload.
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    result = editing.save(data, school_id, y, values)
    if result.problems:
        return render(request, "school_edit.html", t, {
            "form": editing.form_values(data, school_id, y, overrides=values),
            "problems": result.problems, "school": views.school_view(data, school_id, y)},
            status_code=400)
    audit.record(engine, user, "edit_school", target=f"school:{school_id}",
                 detail={"year": y, "changes": result.changes}, ip=client_ip(request))
    return RedirectResponse(f"/school/{school_id}?year={y}&saved=1", status_code=303)
