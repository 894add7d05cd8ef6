"""Staff side of admissions: review applications and proofs, set plans, freeze the list and
publish its hash, announce the seed, draw and allocate round 1, publish it with the list
waiting for 调剂, run round 2 (调剂) as its own step, override a result with a written reason. County administrators act on their own
county, the city administrator on every county; each step is logged with who and why."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from junheng.admissions.allocate import Allocation
from junheng.admissions.rules import categories, shipped_rules
from junheng.standards.labels import label
from junheng.web.access import User
from junheng.web.deps import DataDep, EngineDep, Forbidden, TDep, UserDep, client_ip
from junheng.web.routers.admissions_family import category_words, tr
from junheng.web.services import admissions as svc
from junheng.web.services import audit
from junheng.web.services.views import NotFound
from junheng.web.templating import render

router = APIRouter(tags=["admissions-staff"])


def reviewer(user: UserDep) -> User:
    if not svc.is_reviewer(user):
        raise Forbidden()
    return user


ReviewerDep = Annotated[User, Depends(reviewer)]


def reviewed_application(pk: int, engine: EngineDep, user: ReviewerDep) -> dict[str, Any]:
    """The application, if the reviewer's county holds it: judged before any form field."""
    try:
        return svc.get_application(engine, user, pk)
    except svc.Denied:
        raise Forbidden() from None


AppDep = Annotated[dict[str, Any], Depends(reviewed_application)]
Text = Annotated[str, Form(max_length=2000)]
Stage = Annotated[str, Form(pattern="^(primary|junior)$")]
Year = Annotated[int, Form(ge=2000, le=2100)]
County = Annotated[str, Form(max_length=6)]


def _county(user: User, county: str | None, data: DataDep) -> str:
    if user.county_code:
        if county and county != user.county_code:
            raise Forbidden()
        return user.county_code
    if county:
        return county
    from junheng.admissions.catalog import counties

    known = counties(data.dataset())
    return known[0].county_code if known else ""


Error = Annotated[str | None, Query(max_length=500)]


def _back(county: str, year: int, stage: str, error: str | None = None) -> Response:
    from urllib.parse import quote

    url = f"/admissions?county={county}&year={year}&stage={stage}"
    if error:
        url += f"&error={quote(error)}"
    return RedirectResponse(url, status_code=303)


def _run(t: TDep, fn: Any, *args: Any) -> str | None:
    try:
        fn(*args)
    except svc.Denied:
        raise Forbidden() from None
    except svc.AdmissionsError as exc:
        return exc.zh if t.lang == "zh" else exc.en
    return None


Status = Annotated[str, Query(pattern="^(|" + "|".join(svc.QUEUE) + ")$")]
Category = Annotated[str, Query(pattern="^(|" + "|".join(categories()) + ")$")]
Search = Annotated[str, Query(max_length=svc.MAX_SEARCH)]
PageQ = Annotated[int, Query(ge=1, le=1_000_000)]
SizeQ = Annotated[int, Query(ge=1, le=max(svc.PAGE_SIZES))]


@router.get("/admissions")
def overview(request: Request, t: TDep, engine: EngineDep, data: DataDep, user: ReviewerDep,
             county: Annotated[str | None, Query(max_length=6)] = None,
             year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
             stage: Annotated[str, Query(pattern="^(primary|junior)$")] = "primary",
             error: Error = None, status: Status = "", claimed: Category = "",
             verified: Category = "", q: Search = "", page: PageQ = 1, rpage: PageQ = 1,
             outcome: Annotated[str, Query(pattern="^(|" + "|".join(svc.OUTCOMES) + ")$")] = "",
             size: SizeQ = svc.PAGE_SIZES[0]) -> Response:
    """The round's page. The applications come one page at a time in the queue's order
    (待审核 first), narrowed by status, claimed or verified category and part of the
    application id; the results one page at a time in lottery order. Every filter is in the
    address, so the page links keep it and the page works without JavaScript. The results
    are narrowed by outcome (round 1, round 2, not placed) and the same application id."""
    code = _county(user, county, data)
    # No year in the address: the county's latest round or plan (svc.default_year).
    year = year or svc.default_year(engine, data, code, stage)
    size = size if size in svc.PAGE_SIZES else svc.PAGE_SIZES[0]
    which = svc.ListFilter(status or None, claimed or None, verified or None, q.strip())
    cat = svc.county_catalog(data, code, year, stage)
    rnd = svc.get_round(engine, code, year, stage)
    counts = svc.status_counts(engine, code, year, stage)
    apps = svc.application_page(engine, code, year, stage, which, page, size)
    results = (svc.result_page(engine, rnd, which.search, rpage, size, outcome)
               if rnd.has_results else None)
    outcomes = svc.result_counts(engine, rnd) if rnd.has_results else {}
    admitted = svc.admitted_counts(engine, rnd) if rnd.has_results else {}
    params = {"county": code, "year": year, "stage": stage, "status": which.status or "",
              "claimed": which.claimed or "", "verified": which.verified or "",
              "q": which.search, "size": size, "page": apps.page,
              "rpage": results.page if results else 1, "outcome": outcome}

    def link(anchor: str = "", changes: dict[str, Any] | None = None, **more: Any) -> str:
        """This page's address with ``changes``, the defaults left out, and ``#anchor``."""
        merged = {**params, **(changes or {}), **more}
        kept = {k: v for k, v in merged.items()
                if v not in ("", None) and not (k in ("page", "rpage") and v == 1)
                and not (k == "size" and v == svc.PAGE_SIZES[0])}
        return "/admissions?" + urlencode(kept) + (f"#{anchor}" if anchor else "")

    return render(request, "admissions/staff.html", t, {
        "tr": tr(t), "county": code, "year": year, "stage": stage, "round": rnd,
        "apps": apps, "counts": counts, "total": sum(counts.values()), "which": which,
        "page_sizes": svc.PAGE_SIZES, "size": size, "link": link,
        "schools": cat.schools, "listed": cat.listed(), "results": results,
        "admitted": admitted, "outcomes": outcomes, "outcome": outcome,
        "counties": [c for c in cat.counties
                     if not user.county_code or c.county_code == code],
        "categories": category_words(t), "statuses": svc.STATUSES, "mask_name": svc.mask_name,
        "event_reason": lambda e: svc.event_reason(e, t.lang, cat.school_names),
        "round_statuses": svc.ROUND_STATUSES,
        "events": svc.round_events(engine, rnd.round_key), "event_labels": svc.EVENT_LABELS,
        "precedence": shipped_rules().for_county(code, year), "error": error})


@router.get("/admissions/applications/{pk}")
def review_page(request: Request, t: TDep, engine: EngineDep, data: DataDep,
                user: ReviewerDep, pk: int, app: AppDep, error: Error = None) -> Response:
    # The reviewer sees the name and 身份证号 unmasked: logged as every personal-data view.
    audit.record(engine, user, "view_personal", target=f"application:{app['application_id']}",
                 ip=client_ip(request))
    cat = svc.county_catalog(data, app["county_code"], app["year"], app["entry_stage"])
    return render(request, "admissions/review.html", t, {
        "tr": tr(t), "app": app, "names": cat.school_names, "areas": cat.area_names,
        "zone": cat.zone_schools(app["area_id"]),
        "files": svc.files_of(engine, pk), "events": svc.events_of(engine, pk),
        "result": svc.result_for(engine, user, pk), "categories": category_words(t),
        "statuses": svc.STATUSES, "housing": svc.words(svc.HOUSING, t.lang),
        "file_kinds": svc.words(svc.FILE_KINDS, t.lang),
        "event_reason": lambda e: svc.event_reason(e, t.lang, cat.school_names),
        "event_labels": svc.EVENT_LABELS,
        "choices": [c for c in app["choices"].split(",") if c],
        "county_schools": cat.choosable(),
        "round": svc.get_round(engine, app["county_code"], app["year"], app["entry_stage"]),
        "error": error})


@router.post("/admissions/applications/{pk}/review")
def review(t: TDep, engine: EngineDep, user: ReviewerDep, pk: int, app: AppDep,
           action: Annotated[str, Form(pattern="^(approve|return|reject)$")],
           reason: Text = "", category_verified: Annotated[str, Form(max_length=32)] = ""
           ) -> Response:
    from urllib.parse import quote

    error = _run(t, svc.review, engine, user, pk, action, reason, category_verified or None)
    suffix = f"?error={quote(error)}" if error else ""
    return RedirectResponse(f"/admissions/applications/{pk}{suffix}", status_code=303)


@router.post("/admissions/applications/{pk}/override")
def override(t: TDep, engine: EngineDep, data: DataDep, user: ReviewerDep, pk: int,
             app: AppDep, school_id: Annotated[str, Form(max_length=10)], reason: Text = "") -> Response:
    from urllib.parse import quote

    error = _run(t, svc.override, engine, user, pk, school_id, reason, data)
    suffix = f"?error={quote(error)}" if error else ""
    return RedirectResponse(f"/admissions/applications/{pk}{suffix}", status_code=303)


@router.post("/admissions/plans")
def set_plan(t: TDep, engine: EngineDep, data: DataDep, user: ReviewerDep, county: County,
             year: Year, stage: Stage, school_id: Annotated[str, Form(max_length=10)],
             seats: Annotated[int, Form(ge=0, le=100_000)]) -> Response:
    error = _run(t, svc.set_plan, engine, user, county, year, stage, school_id, seats,
                 svc.county_catalog(data, county, year, stage))
    data.invalidate()
    return _back(county, year, stage, error)


@router.post("/admissions/freeze")
def freeze(t: TDep, engine: EngineDep, data: DataDep, user: ReviewerDep, county: County,
           year: Year, stage: Stage, reason: Text = "") -> Response:
    error = _run(t, svc.freeze, engine, user, county, year, stage, reason)
    data.invalidate()
    return _back(county, year, stage, error)


@router.post("/admissions/seed")
def seed(t: TDep, engine: EngineDep, user: ReviewerDep, county: County, year: Year,
         stage: Stage, seed: Annotated[str, Form(max_length=128)], reason: Text = ""
         ) -> Response:
    return _back(county, year, stage,
                 _run(t, svc.announce_seed, engine, user, county, year, stage, seed, reason))


@router.post("/admissions/draw")
def draw(t: TDep, engine: EngineDep, data: DataDep, user: ReviewerDep, county: County,
         year: Year, stage: Stage) -> Response:
    error = _run(t, svc.draw, engine, user, county, year, stage, data.dataset())
    return _back(county, year, stage, error)


@router.post("/admissions/publish")
def publish(t: TDep, engine: EngineDep, user: ReviewerDep, county: County, year: Year,
            stage: Stage, reason: Text = "") -> Response:
    return _back(county, year, stage,
                 _run(t, svc.publish, engine, user, county, year, stage, reason))


@router.post("/admissions/round2")
def round_two(t: TDep, engine: EngineDep, data: DataDep, user: ReviewerDep, county: County,
              year: Year, stage: Stage, reason: Text = "") -> Response:
    return _back(county, year, stage, _run(t, svc.round_two, engine, user, county, year,
                                           stage, reason, data.dataset()))


def _published(engine: EngineDep, data: DataDep, user: User, county: str, year: int,
               stage: str) -> Allocation:
    """The allocation as published so far (round 1, or both rounds, with the overrides)."""
    rnd = svc.get_round(engine, _county(user, county, data), year, stage)
    if not rnd.has_results:
        raise NotFound()
    try:
        return svc.publication(engine, rnd, data.dataset())
    except svc.AdmissionsError:
        raise NotFound() from None


CountyQ = Annotated[str, Query(max_length=6)]
YearQ = Annotated[int, Query(ge=2000, le=2100)]
StageQ = Annotated[str, Query(pattern="^(primary|junior)$")]


@router.get("/admissions/result.json")
def result_json(engine: EngineDep, data: DataDep, user: ReviewerDep, county: CountyQ,
                year: YearQ, stage: StageQ) -> Response:
    """The publication: the file `junheng admissions verify` checks (pseudonymous ids only),
    with round_2 and the staff overrides (who and why) that it replays."""
    alloc = _published(engine, data, user, county, year, stage)
    return Response(alloc.json_text(), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="admissions-{alloc.county_code}-{year}-'
                               f'{stage}.json"'})


@router.get("/admissions/results.xlsx")
def results_xlsx(engine: EngineDep, data: DataDep, user: ReviewerDep, t: TDep, county: CountyQ,
                 year: YearQ, stage: StageQ) -> Response:
    """The results for publication (公示): pseudonymous application ids, lottery numbers, the
    school and the reason; no names or 身份证号. Replayed from the frozen list and the seed."""
    import tempfile
    from pathlib import Path

    from junheng.reports.admissions_xlsx import write_allocation_xlsx

    alloc = _published(engine, data, user, county, year, stage)
    code = alloc.county_code
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.xlsx"
        write_allocation_xlsx(alloc, path, t.lang)
        content = path.read_bytes()
    grade = label("entry_stage", stage) or stage
    audit.record(engine, user, "download_report", target=f"admission_results:{code} {year} {grade}")
    return Response(content, media_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), headers={
        "Content-Disposition": f'attachment; filename="admissions-{code}-{year}-{stage}.xlsx"'})
