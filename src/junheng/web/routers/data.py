"""Data collection: upload a workbook, see every problem, confirm, import all-or-nothing;
download the template."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from junheng.web.access import Permission, User
from junheng.web.deps import (
    DataDep,
    EngineDep,
    Forbidden,
    SettingsDep,
    TDep,
    client_ip,
    require,
)
from junheng.web.i18n import Translator
from junheng.web.services import audit, exports, readiness, uploads, views
from junheng.web.services.data import DataService
from junheng.web.templating import render

router = APIRouter(tags=["data"])
Importer = Annotated[User, Depends(require(Permission.IMPORT_DATA))]
TemplateUser = Annotated[User, Depends(require(Permission.DOWNLOAD_TEMPLATE))]


@router.get("/data")
def data_home(request: Request, t: TDep, data: DataDep, engine: EngineDep,
              user: Importer) -> Response:
    return render(request, "data.html", t, {
        "recent": uploads.recent(engine, user), "years": data.years(),
        "counts": uploads.table_counts(data) if user.is_city_wide else [],
        "readiness": readiness.readiness(data, t.lang)})


def _busy(request: Request, t: Translator, engine: Engine, data: DataService,
          user: User) -> Response:
    response = render(request, "data.html", t, {
        "recent": uploads.recent(engine, user), "years": data.years(), "counts": [],
        "readiness": readiness.readiness(data, t.lang), "error": t("data.busy")},
        status_code=503)
    response.headers["Retry-After"] = "10"
    return response


@router.post("/data/upload")
async def upload(request: Request, t: TDep, data: DataDep, engine: EngineDep,
                 settings: SettingsDep, user: Importer, file: UploadFile) -> Response:
    content = await file.read(settings.upload_max_bytes + 1)
    if len(content) > settings.upload_max_bytes:
        return render(request, "data.html", t, {
            "recent": uploads.recent(engine, user), "years": data.years(),
            "counts": [], "error": t("data.too_large")}, status_code=413)
    # Reading and checking a workbook is seconds of CPU: it runs in a worker thread so the
    # event loop keeps answering everyone else, and at most upload_check_slots at once.
    slots: threading.BoundedSemaphore = request.app.state.upload_slots
    if not slots.acquire(blocking=False):
        return await run_in_threadpool(_busy, request, t, engine, data, user)
    try:
        staged = await run_in_threadpool(uploads.stage, engine, data, user,
                                         file.filename or "upload.xlsx", content,
                                         settings.upload_retention_hours)
    finally:
        slots.release()
    del content
    await run_in_threadpool(audit.record, engine, user, "upload", target=f"upload:{staged.id}",
                            detail={"file": staged.filename, "status": staged.status},
                            ip=client_ip(request))
    return RedirectResponse(f"/data/uploads/{staged.id}", status_code=303)


@router.get("/data/uploads/{upload_id}")
def upload_result(request: Request, upload_id: str, t: TDep, engine: EngineDep,
                  user: Importer) -> Response:
    staged = uploads.get(engine, upload_id)
    if staged is None:
        raise views.NotFound(upload_id)
    if not uploads.visible_to(staged, user):
        raise Forbidden()
    return render(request, "upload.html", t, {"u": staged})


@router.post("/data/uploads/{upload_id}/confirm")
def confirm(request: Request, upload_id: str, t: TDep, data: DataDep, engine: EngineDep,
            user: Importer) -> Response:
    staged = uploads.get(engine, upload_id)
    if staged is None:
        raise views.NotFound(upload_id)
    if not uploads.visible_to(staged, user):
        raise Forbidden()
    # A confirm checks the workbook again: it shares the upload checks' slots.
    slots: threading.BoundedSemaphore = request.app.state.upload_slots
    if not slots.acquire(blocking=False):
        return _busy(request, t, engine, data, user)
    try:
        outcome = uploads.import_staged(engine, data, staged, user)
    finally:
        slots.release()
    audit.record(engine, user, "import", target=f"upload:{upload_id}",
                 detail={"file": staged.filename, "ok": outcome.ok, "rows": outcome.counts},
                 ip=client_ip(request))
    if outcome.busy:
        # Another import held the database: nothing written, the upload stays ready.
        page = render(request, "upload.html", t, {"u": uploads.get(engine, upload_id),
                                                  "busy": True}, status_code=503)
        page.headers["Retry-After"] = "10"
        return page
    if not outcome.ok:
        return render(request, "upload.html", t, {"u": uploads.get(engine, upload_id)},
                      status_code=400)
    return RedirectResponse(f"/data/uploads/{upload_id}?imported=1", status_code=303)


@router.post("/data/uploads/{upload_id}/cancel")
def cancel(request: Request, upload_id: str, engine: EngineDep, user: Importer) -> Response:
    staged = uploads.get(engine, upload_id)
    if staged is None:
        raise views.NotFound(upload_id)
    if not uploads.visible_to(staged, user):
        raise Forbidden()
    uploads.cancel(engine, staged)
    audit.record(engine, user, "upload_cancel", target=f"upload:{upload_id}",
                 detail={"file": staged.filename}, ip=client_ip(request))
    return RedirectResponse(f"/data/uploads/{upload_id}", status_code=303)


@router.get("/data/template.xlsx")
def template(user: TemplateUser, for_: Annotated[str | None, Query(alias="for",
                                                                    max_length=40)] = None
             ) -> Response:
    """The whole template, or ``?for=forecast``: only the sheets that function reads."""
    needs = None
    if for_ is not None:
        needs = readiness.needs_of(for_)
        if needs is None:
            raise views.NotFound(for_)
    name = f"junheng-template-{needs.command}.xlsx" if needs else "junheng-template.xlsx"
    return Response(exports.template_xlsx(needs), media_type=exports.XLSX_MIME, headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
