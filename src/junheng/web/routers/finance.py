"""Finance guarantees (city roll-up, county page with trends) and student aid (county
coverage, review of doubtful matches, school lists, export).

Aid pages show who is poor, disabled or an orphan: every one of them requires the personal-data
permission and is logged; names and 身份证号 are masked unless the viewer's role may unmask
(``unmask=1``), and an unmasked view is logged as such.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from junheng.web.access import Permission, User
from junheng.web.deps import (
    DataDep,
    EngineDep,
    TDep,
    YearQuery,
    check_county,
    check_school,
    client_ip,
    require,
    require_in_county,
)
from junheng.web.services import audit, views
from junheng.web.services import finance_aid as fa
from junheng.web.templating import render

router = APIRouter(tags=["finance"])
CityViewer = Annotated[User, Depends(require(Permission.VIEW_CITY))]
CountyViewer = Annotated[User, Depends(require(Permission.VIEW_COUNTY))]
PeopleViewer = Annotated[User, Depends(require(Permission.VIEW_PERSONAL))]
Reviewer = Annotated[User, Depends(require_in_county(Permission.REVIEW_AID))]
UnmaskQuery = Annotated[int, Query(ge=0, le=1)]
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(years: list[int], year: int | None) -> int | None:
    if year is None:
        return years[-1] if years else None
    if year not in years:
        raise views.NotFound(str(year))
    return year


def _empty(request: Request, t: Any, *tables: str) -> Response:
    names = t("common.list_sep").join(t.label("table", x) for x in tables)
    return render(request, "finance_empty.html", t, {"tables": names})


def _unmask(user: User, unmask: int) -> bool:
    if unmask and not user.can(Permission.UNMASK_PERSONAL):
        raise HTTPException(status_code=403)
    return bool(unmask)


def _log_personal(engine: Any, user: User, request: Request, target: str, year: int,
                  unmasked: bool, rows: int, fmt: str | None = None) -> None:
    detail: dict[str, Any] = {"year": year, "rows": rows, "unmasked": unmasked}
    if fmt:
        detail["format"] = fmt
    audit.record(engine, user, "view_personal_unmasked" if unmasked else "view_personal",
                 target=target, detail=detail, ip=client_ip(request))


@router.get("/finance")
def city_finance(request: Request, t: TDep, data: DataDep, user: CityViewer,
                 year: YearQuery = None) -> Response:
    years = fa.finance_years(data)
    y = _year(years, year)
    if y is None:
        return _empty(request, t, "finance")
    res = fa.finance_result(data, y)
    city = res.city
    page = {"kind": "finance_city", "city": fa.chart_series(res, city.code) if city else None,
            "counties": {a.code: fa.chart_series(res, a.code) for a in res.counties},
            "names": {a.code: a.name for a in res.counties},
            "labels": {"budget": t("finance.budget"), "per_student": t("finance.per_student"),
                       "teacher_pay": t("finance.teacher_pay"),
                       "civil_pay": t("finance.civil_pay")}}
    return render(request, "finance_city.html", t, {
        "r": res, "years": years, "v": {"year": y}, "page_data": page, "charts": True})


@router.get("/county/{code}/finance")
def county_finance(request: Request, code: str, t: TDep, data: DataDep, user: CountyViewer,
                   year: YearQuery = None) -> Response:
    check_county(user, code)
    years = fa.finance_years(data)
    y = _year(years, year)
    if y is None:
        return _empty(request, t, "finance")
    res = fa.finance_result(data, y)
    area = next((a for a in res.counties if a.code == code), None)
    if area is None:
        raise views.NotFound(code)
    flows = res.flows.filter((res.flows["from_county"] == code)
                             | (res.flows["to_county"] == code)).to_dicts()
    page = {"kind": "finance", "series": fa.chart_series(res, code),
            "labels": {"budget": t("finance.budget"), "per_student": t("finance.per_student"),
                       "teacher_pay": t("finance.teacher_pay"),
                       "civil_pay": t("finance.civil_pay"),
                       "public_funds": t("finance.public_funds")}}
    return render(request, "finance_county.html", t, {
        "area": area, "year": y, "years": years, "v": {"year": y}, "flows": flows,
        "page_data": page, "charts": True, "city_wide": user.is_city_wide})


@router.get("/county/{code}/aid")
def county_aid(request: Request, code: str, t: TDep, data: DataDep, engine: EngineDep,
               user: PeopleViewer, year: YearQuery = None, unmask: UnmaskQuery = 0) -> Response:
    check_county(user, code)
    show = _unmask(user, unmask)
    years = fa.aid_years(data)
    y = _year(years, year)
    if y is None:
        return _empty(request, t, "students", "aid_lists")
    name = fa.county_name(data, code)
    v = fa.county_aid(data, engine, code, y, show)
    _log_personal(engine, user, request, f"county:{code}", y, show, v.people)
    return render(request, "finance_aid_county.html", t, {
        "v": v, "code": code, "name": name, "years": years,
        "can_unmask": user.can(Permission.UNMASK_PERSONAL),
        "can_review": user.can(Permission.REVIEW_AID)})


@router.post("/county/{code}/aid/review")
def review(request: Request, code: str, data: DataDep, engine: EngineDep, user: Reviewer,
           year: Annotated[int, Form()], decision: Annotated[fa.Decision, Form()],
           student_id: Annotated[str, Form(max_length=64)],
           source: Annotated[str, Form(max_length=64)],
           category: Annotated[str, Form(max_length=64)]) -> Response:
    # Only a doubtful match of this county's schools may be decided (judged on the stored
    # match, not on what the form says).
    if (year not in fa.aid_years(data)
            or not fa.is_doubtful(data, code, year, student_id, source, category)):
        raise views.NotFound(student_id)
    audit.record(engine, user, fa.REVIEW_ACTION,
                 target=fa.review_key(year, student_id, source, category),
                 detail=fa.ReviewDetail(year=year, decision=decision).model_dump(),
                 ip=client_ip(request))
    return RedirectResponse(f"/county/{code}/aid?year={year}#review", status_code=303)


@router.get("/county/{code}/aid.xlsx")
def county_aid_xlsx(request: Request, code: str, t: TDep, data: DataDep, engine: EngineDep,
                    user: PeopleViewer, year: YearQuery = None,
                    unmask: UnmaskQuery = 0) -> Response:
    check_county(user, code)
    show = _unmask(user, unmask)
    y = _year(fa.aid_years(data), year)
    if y is None:
        raise views.NotFound(code)
    v = fa.county_aid(data, engine, code, y, show)
    body = _aid_workbook(v, t)
    _log_personal(engine, user, request, f"county:{code}", y, show, v.people, fmt="xlsx")
    return Response(body, media_type=XLSX_MIME, headers={
        "Content-Disposition": f'attachment; filename="junheng-aid-{code}-{y}.xlsx"'})


@router.get("/school/{school_id}/aid")
def school_aid(request: Request, school_id: str, t: TDep, data: DataDep, engine: EngineDep,
               user: PeopleViewer, year: YearQuery = None, unmask: UnmaskQuery = 0) -> Response:
    check_school(user, data, school_id)
    show = _unmask(user, unmask)
    years = fa.aid_years(data)
    y = _year(years, year)
    if y is None:
        return _empty(request, t, "students", "aid_lists")
    v = fa.school_aid(data, engine, school_id, y, show)
    _log_personal(engine, user, request, f"school:{school_id}", y, show, v.people)
    return render(request, "finance_aid_school.html", t, {
        "v": v, "school_id": school_id, "years": years,
        "school": views.school_view(data, school_id, y) if y in data.years() else None,
        "can_unmask": user.can(Permission.UNMASK_PERSONAL)})


def _aid_workbook(v: fa.CountyAid, t: Any) -> bytes:
    import xlsxwriter

    from junheng.reports.safe_cells import write_cell

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})

    def sheet(title: str, rows: list[dict[str, Any]], cols: list[tuple[str, str]]) -> None:
        ws = book.add_worksheet(title)
        for j, (_k, label) in enumerate(cols):
            write_cell(ws, 0, j, label, head)
        for i, r in enumerate(rows, start=1):
            for j, (k, _label) in enumerate(cols):
                val = r.get(k)
                if k in ("source", "category", "program") and val is not None:
                    val = t.label({"source": "aid_source", "category": "aid_category",
                                   "program": "aid_program"}[k], val, t("aid.family_hardship"))
                elif k == "programs" and val is not None:
                    val = "、".join(t.label("aid_program", p) for p in val)
                elif k == "decision" and val is not None:
                    val = t(f"aid.decision.{val}")
                elif val is not None and not isinstance(val, int | float | str):
                    val = str(val)
                write_cell(ws, i, j, val)
        ws.set_column(0, len(cols) - 1, 18)

    person = [("student_id", t("aid.student_id")), ("name", t("aid.name")),
              ("resident_id", t("aid.resident_id")), ("birth_date", t("aid.birth_date"))]
    sheet(t("aid.gap"), v.gap, [("school_name", t("aid.school")), *person,
                                   ("category", t("aid.category")),
                                   ("programs", t("aid.programs"))])
    sheet(t("aid.review"), v.queue, [("school_name", t("aid.school")), *person,
                                        ("list_name", t("aid.list_name")),
                                        ("source", t("aid.source")),
                                        ("category", t("aid.category")),
                                        ("decision", t("aid.decision"))])
    sheet(t("aid.coverage"), v.coverage, [
        ("school_name", t("aid.school")), ("qualified_students", t("aid.qualified")),
        ("not_aided_students", t("aid.not_aided")), ("gap_awards", t("aid.gap_awards"))])
    book.close()
    return buf.getvalue()
