"""Supervision of the 30 measures (措施督导): the city's grid of measures × counties and each
county's measures with their indicators and reasons. City-wide roles see every county; a
county administrator sees the own county."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUploadFile

from junheng.supervision.status import STATUS_ZH
from junheng.web.access import Permission, Role, User
from junheng.web.deps import (
    DataDep,
    EngineDep,
    Forbidden,
    TDep,
    YearQuery,
    check_county,
    client_ip,
    require,
)
from junheng.web.services import evidence as ev
from junheng.web.services import measures as svc
from junheng.web.services import views
from junheng.web.templating import render

router = APIRouter(tags=["measures"])
Viewer = Annotated[User, Depends(require(Permission.VIEW_COUNTY))]


@router.get("/measures")
async def measures_city(request: Request, t: TDep, data: DataDep, engine: EngineDep,
                        user: Viewer, year: YearQuery = None) -> Response:
    if not user.is_city_wide:
        if user.role == Role.COUNTY_ADMIN and user.county_code:
            return RedirectResponse(f"/measures/{user.county_code}", status_code=303)
        raise views.NotFound("measures")
    y = await views.checked_year(data, year)
    if y is None:
        raise views.NotFound("year")
    result = await run_in_threadpool(svc.measures, data, y, engine)
    # The city administrator's queue: uploads awaiting review, oldest first.
    pending = (await run_in_threadpool(ev.pending, engine, y)
               if user.can(Permission.REVIEW_EVIDENCE) else [])
    return render(request, "measures_city.html", t, {
        "r": result, "year": y, "years": data.years(), "status_zh": STATUS_ZH,
        "summary": result.summary(), "pending": pending,
        "indicator_labels": {s.indicator.id: s.indicator.label_in(t.lang) for s in ev.slots()}})


@router.get("/measures/{code}")
async def measures_county(request: Request, code: str, t: TDep, data: DataDep,
                          engine: EngineDep, user: Viewer, year: YearQuery = None) -> Response:
    check_county(user, code)
    await views.checked_county(data, code)
    y = await views.checked_year(data, year)
    if y is None:
        raise views.NotFound("year")
    result = await run_in_threadpool(svc.measures, data, y, engine)
    if code not in result.county_names:
        raise views.NotFound(code)
    return render(request, "measures_county.html", t, {
        "r": result, "code": code, "name": result.county_names[code], "year": y,
        "years": data.years(), "status_zh": STATUS_ZH, "city_wide": user.is_city_wide,
        "summary": result.summary()[code]})


# --- evidence (佐证材料): upload by the county, review by the city ---------------------------

Submitter = Annotated[User, Depends(require(Permission.SUBMIT_EVIDENCE))]
Reviewer = Annotated[User, Depends(require(Permission.REVIEW_EVIDENCE))]


def _back(code: str, year: int, error: str | None = None, anchor: str = "") -> Response:
    url = f"/measures/{code}/evidence?year={year}"
    if error:
        url += "&error=" + quote(error)
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


@router.get("/measures/{code}/evidence")
async def evidence_page(request: Request, code: str, t: TDep, data: DataDep, engine: EngineDep,
                        user: Viewer, year: YearQuery = None,
                        error: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    check_county(user, code)
    await views.checked_county(data, code)
    y = await views.checked_year(data, year)
    if y is None:
        raise views.NotFound("year")
    result = await run_in_threadpool(svc.measures, data, y, engine)
    history = await run_in_threadpool(ev.history, engine, y, code)
    statuses = {i.id: i for ms in result.measures for i in ms.counties[code].indicators}
    return render(request, "measures_evidence.html", t, {
        "code": code, "name": result.county_names[code], "year": y, "years": data.years(),
        "slots": ev.slots(), "statuses": statuses, "history": history,
        "state_words": ev.STATE_ZH if t.lang == "zh" else ev.STATE_EN,
        "can_upload": user.role == Role.COUNTY_ADMIN and user.county_code == code,
        "can_review": user.can(Permission.REVIEW_EVIDENCE), "city_wide": user.is_city_wide,
        "max_mb": ev.FILE_MAX_BYTES // (1024 * 1024),
        "error": error})


@router.post("/measures/{code}/evidence")
async def evidence_upload(request: Request, code: str, t: TDep, data: DataDep,
                          engine: EngineDep, user: Submitter) -> Response:
    # Before a byte of the form is parsed: the county's own administrator only (the county
    # reports, the city reviews).
    if user.role != Role.COUNTY_ADMIN or user.county_code != code:
        raise Forbidden()
    await views.checked_county(data, code)
    form = await request.form()
    try:
        y = int(str(form.get("year", "")))
    except ValueError:
        raise views.NotFound(code) from None
    if await views.checked_year(data, y) is None:
        raise views.NotFound("year")
    upload = form.get("file")
    indicator_id, note = str(form.get("indicator_id", ""))[:64], str(form.get("note", ""))
    if not isinstance(upload, StarletteUploadFile):
        msg = "请选择文件" if t.lang == "zh" else "choose a file"
        return _back(code, y, msg, indicator_id)
    content = await upload.read(ev.FILE_MAX_BYTES + 1)
    names = await run_in_threadpool(views.county_names, data)
    try:
        await run_in_threadpool(ev.upload, engine, user, y, code, names.get(code, ""),
                                indicator_id, note, upload.filename or "file", content,
                                client_ip(request))
    except ev.Denied:
        raise Forbidden() from None
    except ev.EvidenceError as exc:
        return _back(code, y, exc.zh if t.lang == "zh" else exc.en, indicator_id)
    return _back(code, y, anchor=indicator_id)


@router.post("/measures/evidence/{evidence_id}/review")
async def evidence_review(request: Request, evidence_id: Annotated[int, PathParam(ge=1, le=2**31)],
                          t: TDep, data: DataDep, engine: EngineDep, user: Reviewer,
                          action: Annotated[str, Form(max_length=16)],
                          reason: Annotated[str, Form()] = "") -> Response:
    # The service judges action and reason and says what is wrong in the bureau's words.
    names = await run_in_threadpool(views.county_names, data)
    try:
        row = await run_in_threadpool(ev.review, engine, user, evidence_id, action, reason,
                                      names, client_ip(request))
    except ev.Denied:
        raise Forbidden() from None
    except ev.EvidenceError as exc:
        stored = await run_in_threadpool(ev.row_of, engine, evidence_id)
        return _back(stored["county_code"], stored["year"],
                     exc.zh if t.lang == "zh" else exc.en, stored["indicator_id"])
    return _back(row["county_code"], row["year"], anchor=row["indicator_id"])


@router.get("/measures/evidence/{evidence_id}/file")
def evidence_file(request: Request, evidence_id: Annotated[int, PathParam(ge=1, le=2**31)],
                  data: DataDep, engine: EngineDep, user: Viewer) -> Response:
    """For the owning county and city-wide roles only; never cached, always a download."""
    try:
        row = ev.get_file(engine, user, evidence_id, views.county_names(data),
                          client_ip(request))
    except ev.Denied:
        raise Forbidden() from None
    ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[
        row["content_type"]]
    return Response(row["content"], media_type=row["content_type"], headers={
        "Content-Disposition": f'attachment; filename="evidence-{evidence_id}.{ext}"',
        "Cache-Control": "no-store"})
