"""Parents' portal (阳光招生网上办), mobile first: register with a phone number, password and a
one-time code; apply for a child; upload proofs; see the zone schools; follow the status; read
the result with its explanation. A family reaches only its own applications and files: any
other id answers 404, exactly like an id that does not exist."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, StringConstraints

from junheng.admissions.rules import categories
from junheng.web import security
from junheng.web.access import Role, User
from junheng.web.deps import DataDep, EngineDep, Forbidden, SettingsDep, TDep, UserDep
from junheng.web.services import admissions as svc
from junheng.web.templating import render

router = APIRouter(tags=["admissions-family"])
OTP_SENDER: svc.OtpSender = svc.LogOtpSender()  # development sender: see LogOtpSender


def tr(t: TDep) -> Any:
    return lambda zh, en: zh if t.lang == "zh" else en


def category_words(t: TDep) -> dict[str, str]:
    """The admission categories in the precedence order, in the reader's words (registry)."""
    return {k: t.label("admission_category", k) for k in categories()}


def family(user: UserDep) -> User:
    if user.role != Role.PARENT:
        raise Forbidden()
    return user


FamilyDep = Annotated[User, Depends(family)]


def own_application(pk: int, engine: EngineDep, user: FamilyDep) -> dict[str, Any]:
    """The family's own application; any other id is "not found", before any form field."""
    return svc.get_application(engine, user, pk)


OwnDep = Annotated[dict[str, Any], Depends(own_application)]


def _page(request: Request, t: TDep, name: str, ctx: dict[str, Any],
          status_code: int = 200) -> Response:
    return render(request, f"admissions/{name}", t,
                  {"tr": tr(t), "categories": category_words(t), "statuses": svc.STATUSES,
                   "housing": svc.words(svc.HOUSING, t.lang),
                   "file_kinds": svc.words(svc.FILE_KINDS, t.lang),
                   "event_labels": svc.EVENT_LABELS,
                   "event_reason": lambda e: svc.event_reason(
                       e, t.lang, ctx.get("names")), **ctx},
                  status_code=status_code)


def _public_page(request: Request, t: TDep, settings: SettingsDep, name: str,
                 ctx: dict[str, Any], status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = _page(request, t, name, {"login_csrf": token, **ctx}, status_code)
    response.set_cookie(security.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax",
                        secure=settings.cookie_secure, max_age=3600)
    return response


@router.get("/family/register")
def register_form(request: Request, t: TDep, settings: SettingsDep) -> Response:
    return _public_page(request, t, settings, "register.html", {})


@router.post("/family/register")
def register(request: Request, t: TDep, settings: SettingsDep, engine: EngineDep,
             phone: Annotated[str, Form(max_length=16)],
             password: Annotated[str, Form(max_length=256)],
             name: Annotated[str, Form(max_length=64)] = "") -> Response:
    try:
        svc.register_family(engine, phone, password, name, OTP_SENDER)
    except svc.AdmissionsError as exc:
        return _public_page(request, t, settings, "register.html",
                            {"error": exc.zh if t.lang == "zh" else exc.en, "phone": phone},
                            status_code=400)
    return RedirectResponse(f"/family/verify?phone={phone.strip()}", status_code=303)


@router.get("/family/verify")
def verify_form(request: Request, t: TDep, settings: SettingsDep,
                phone: Annotated[str, Query(max_length=16)] = "") -> Response:
    return _public_page(request, t, settings, "verify.html", {"phone": phone})


@router.post("/family/verify")
def verify(request: Request, t: TDep, settings: SettingsDep, engine: EngineDep,
           phone: Annotated[str, Form(max_length=16)],
           code: Annotated[str, Form(max_length=8)]) -> Response:
    if not svc.activate_family(engine, phone.strip(), code):
        return _public_page(request, t, settings, "verify.html", {
            "phone": phone, "error": tr(t)("验证码不对或已过期", "wrong or expired code")},
            status_code=400)
    return RedirectResponse("/login?next=/family", status_code=303)


@router.get("/family")
def my_applications(request: Request, t: TDep, engine: EngineDep, user: FamilyDep) -> Response:
    apps = svc.family_applications(engine, user)
    return _page(request, t, "family.html", {"apps": apps})


def _form_context(data: DataDep, county: str | None, stage: str, year: int) -> dict[str, Any]:
    from junheng.admissions.catalog import counties

    known = counties(data.dataset())
    county = county or (known[0].county_code if known else "")
    cat = svc.county_catalog(data, county, year, stage)
    return {"counties": cat.counties, "county": county, "stage": stage, "year": year,
            "areas": cat.areas, "schools": cat.choosable()}


def _refused(engine: EngineDep, data: DataDep, county: str, stage: str, year: int
             ) -> tuple[str, str] | None:
    """Why a family may not apply for ``year`` here (zh, en), or None: only the coming entry
    year and the years whose round is open (svc.apply_years), whatever the address says."""
    allowed = svc.apply_years(engine, data, county, stage)
    return None if year in allowed else svc.year_refused(year, allowed)


@router.get("/family/apply")
def apply_form(request: Request, t: TDep, engine: EngineDep, data: DataDep, user: FamilyDep,
               county: Annotated[str | None, Query(max_length=6)] = None,
               stage: Annotated[str, Query(pattern="^(primary|junior)$")] = "primary",
               year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> Response:
    # The coming entry year (svc.entry_year: this year until 31 August, Beijing time, then
    # the next) unless the address names another year open for applications; a year that is
    # not is refused with the years that are, above the form for the coming one.
    coming = svc.entry_year()
    ctx = _form_context(data, county, stage, year or coming)
    refused = _refused(engine, data, ctx["county"], stage, ctx["year"]) if year else None
    if refused:
        ctx = _form_context(data, ctx["county"], stage, coming)
    return _page(request, t, "apply.html", {
        **ctx, "idempotency_key": secrets.token_hex(16), "form": {},
        "problems": [refused[0] if t.lang == "zh" else refused[1]] if refused else []},
        status_code=400 if refused else 200)


Short = Annotated[str, StringConstraints(max_length=128)]


class ChildFields(BaseModel):
    """What a family fills in about the child (the apply and the resubmit forms), as one typed
    form model: bounded, and validated by FastAPI in one step."""

    child_name: Short
    resident_id: Short
    area_id: Short
    category_claimed: Short
    housing: Short = ""
    hukou: Short = ""
    has_residence_permit: Short = ""
    choice_1: Short = ""
    choice_2: Short = ""
    choice_3: Short = ""
    choice_4: Short = ""
    choice_5: Short = ""

    def application(self, year: int, county_code: str, entry_stage: str
                    ) -> svc.ApplicationForm:
        choices = (self.choice_1, self.choice_2, self.choice_3, self.choice_4, self.choice_5)
        return svc.ApplicationForm(
            year=year, county_code=county_code, entry_stage=entry_stage,
            child_name=self.child_name, resident_id=self.resident_id, hukou=self.hukou,
            area_id=self.area_id, housing=self.housing,
            has_residence_permit=self.has_residence_permit in ("1", "on", "true"),
            category_claimed=self.category_claimed, choices=tuple(c for c in choices if c))


class ApplyFields(ChildFields):
    year: Annotated[int, Field(ge=2000, le=2100)]
    county_code: Short
    entry_stage: Short
    idempotency_key: Annotated[str, StringConstraints(max_length=64)] = ""


@router.post("/family/apply")
def apply(request: Request, t: TDep, engine: EngineDep, data: DataDep, user: FamilyDep,
          fields: Annotated[ApplyFields, Form()]) -> Response:
    year, county_code, entry_stage = fields.year, fields.county_code, fields.entry_stage
    form = fields.application(year, county_code, entry_stage)
    # Without a query in the common case (the coming year, or a year with the county's
    # plan): a plan year whose round is frozen is refused by create_application, which
    # checks the round in the statement it runs anyway.
    refused = None
    if entry_stage in svc.STAGES and year != svc.entry_year() and year not in svc.plan_years(
            data, county_code, entry_stage):
        refused = _refused(engine, data, county_code, entry_stage, year)
    if refused:
        # Nothing else is checked, nothing stored: the form again, for the coming year.
        year = svc.entry_year()
        form = fields.application(year, county_code, entry_stage)
    problems = [refused] if refused else svc.validate_form(
        form, svc.county_catalog(data, county_code, year, entry_stage))
    if not problems:
        try:
            pk = svc.create_application(engine, user, form, fields.idempotency_key or None)
        except svc.AdmissionsError as exc:
            problems = [(exc.zh, exc.en)]
        except svc.Denied:
            raise Forbidden() from None
    if problems:
        ctx = _form_context(data, county_code if entry_stage else None,
                            entry_stage if entry_stage in svc.STAGES else "primary", year)
        return _page(request, t, "apply.html", {
            **ctx, "idempotency_key": fields.idempotency_key, "form": form,
            "problems": [p[0] if t.lang == "zh" else p[1] for p in problems]}, status_code=400)
    return RedirectResponse(f"/family/applications/{pk}", status_code=303)


@router.get("/family/applications/{pk}")
def application_page(request: Request, t: TDep, engine: EngineDep, data: DataDep,
                     user: FamilyDep, pk: int, app: OwnDep,
                     error: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    cat = svc.county_catalog(data, app["county_code"], app["year"], app["entry_stage"])
    result = svc.result_for(engine, user, pk)
    rnd = svc.get_round(engine, app["county_code"], app["year"], app["entry_stage"])
    ctx = _form_context(data, app["county_code"], app["entry_stage"], app["year"])
    return _page(request, t, "application.html", {
        **ctx, "app": app, "zone": cat.zone_schools(app["area_id"]), "names": cat.school_names,
        "result": result, "round": rnd,
        "files": svc.files_of(engine, pk), "events": svc.events_of(engine, pk),
        "choices": [c for c in app["choices"].split(",") if c], "error": error})


@router.post("/family/applications/{pk}/files")
async def upload_file(engine: EngineDep, user: FamilyDep, pk: int, t: TDep, app: OwnDep,
                      kind: Annotated[str, Form(max_length=32)],
                      file: Annotated[UploadFile, File()]) -> Response:
    content = await file.read(svc.FILE_MAX_BYTES + 1)
    try:
        svc.add_file(engine, user, pk, kind, file.filename or "file", content)
    except svc.AdmissionsError as exc:
        from urllib.parse import quote

        msg = quote(exc.zh if t.lang == "zh" else exc.en)
        return RedirectResponse(f"/family/applications/{pk}?error={msg}", status_code=303)
    return RedirectResponse(f"/family/applications/{pk}", status_code=303)


@router.get("/family/applications/{pk}/files/{file_id}")
def download_file(engine: EngineDep, user: UserDep, pk: int,
                  file_id: Annotated[str, PathParam(max_length=32)]) -> Response:
    """For the family and the reviewing county only; never cached, always a download."""
    from junheng.web.services import audit

    try:
        row = svc.get_file(engine, user, pk, file_id)
    except svc.Denied:
        raise Forbidden() from None
    if user.role != Role.PARENT:
        audit.record(engine, user, "view_personal", target=f"application_file:{pk}/{file_id[:8]}")
    return Response(row["content"], media_type=row["content_type"], headers={
        "Content-Disposition": f'attachment; filename="proof-{file_id[:8]}"'})


@router.post("/family/applications/{pk}/resubmit")
def resubmit(request: Request, t: TDep, engine: EngineDep, data: DataDep, user: FamilyDep,
             pk: int, app: OwnDep, fields: Annotated[ChildFields, Form()]) -> Response:
    from urllib.parse import quote

    form = fields.application(app["year"], app["county_code"], app["entry_stage"])
    problems = svc.validate_form(form, svc.county_catalog(
        data, app["county_code"], app["year"], app["entry_stage"]))
    if not problems:
        try:
            svc.resubmit(engine, user, pk, form)
        except svc.AdmissionsError as exc:
            problems = [(exc.zh, exc.en)]
    if problems:
        msg = quote("；".join(p[0] if t.lang == "zh" else p[1] for p in problems))
        return RedirectResponse(f"/family/applications/{pk}?error={msg}", status_code=303)
    return RedirectResponse(f"/family/applications/{pk}", status_code=303)
