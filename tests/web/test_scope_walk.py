"""Every route × every role × another county's ids, in every parameter the route takes.

tests/web/test_authorization.py walks the routes with Ganzhou's ids in the path. Here every
path parameter, query parameter and staged upload belongs to Linze (620723) instead, POST
forms carry the role's valid CSRF token (so the scope check, not the token, is what refuses),
and the expected outcome of each route is declared below as data. The parameters are read
from the app's route table: a new route, or a new parameter nobody gave an other-county value,
fails the test until it is declared here.
"""

from __future__ import annotations

import io

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from junheng.web.services.accounts import create_user, find_user
from tests.web.conftest import ACCOUNTS, PASSWORD, Site, csrf_from
from tests.web.test_authorization import PUBLIC, _outcome, _walk

ALL = {"city", "inspector", "ganzhou", "linze", "clerk", "parent"}
STAFF = ALL - {"parent"}
CITY_WIDE = {"city", "inspector"}
# Linze's own administrator and the city-wide roles: never Ganzhou's, never the clerk of a
# Ganzhou school.
LINZE = CITY_WIDE | {"linze"}

# (method, path) → who may, with Linze's ids in every parameter.
OTHER_COUNTY: dict[tuple[str, str], set[str]] = {
    ("GET", "/welcome"): ALL,
    ("GET", "/account/password"): ALL,
    ("POST", "/account/password"): ALL,
    ("POST", "/logout"): ALL,
    ("GET", "/city"): CITY_WIDE,
    ("GET", "/county/{code}"): LINZE,
    ("GET", "/county/{code}/report.xlsx"): LINZE,
    ("GET", "/county/{code}/report.pdf"): LINZE,
    ("GET", "/school/{school_id}"): LINZE,
    ("GET", "/school/{school_id}/people"): LINZE,
    ("GET", "/school/{school_id}/edit"): {"city", "linze"},
    ("POST", "/school/{school_id}/edit"): {"city", "linze"},
    ("GET", "/data"): {"city", "ganzhou", "linze"},
    ("POST", "/data/upload"): {"city", "ganzhou", "linze"},
    # The staged upload here is Linze's administrator's.
    ("GET", "/data/uploads/{upload_id}"): {"city", "linze"},
    ("POST", "/data/uploads/{upload_id}/confirm"): {"city", "linze"},
    ("POST", "/data/uploads/{upload_id}/cancel"): {"city", "linze"},
    ("GET", "/data/template.xlsx"): STAFF,
    ("GET", "/admin/users"): {"city"},
    ("POST", "/admin/users"): {"city"},
    ("POST", "/admin/users/{user_id}/reset"): {"city"},
    ("POST", "/admin/users/{user_id}/active"): {"city"},
    ("GET", "/admin/audit"): {"city"},
    ("GET", "/api/evaluation"): CITY_WIDE,
    ("GET", "/api/county/{code}"): LINZE,
    ("GET", "/api/school/{school_id}"): LINZE,
    ("GET", "/forecast"): LINZE,
    ("GET", "/zones"): LINZE,
    ("GET", "/zones/lookup"): LINZE,
    # No parameter: each county administrator is sent to the own county's plan.
    ("GET", "/plans"): LINZE | {"ganzhou"},
    ("GET", "/plans/{code}"): LINZE,
    ("GET", "/api/plans/{code}"): LINZE,
    # Rotation: planning staff with personal-data rights; county admins go to their own.
    ("GET", "/rotation"): LINZE | {"ganzhou"},
    ("GET", "/rotation/{code}"): LINZE,
    ("GET", "/rotation/{code}/list.xlsx"): LINZE,
    ("GET", "/measures"): LINZE | {"ganzhou"},
    ("GET", "/measures/{code}"): LINZE,
    # Evidence: only the county's own administrator uploads, only the city administrator
    # reviews; the file {evidence_id} is Linze's, read by Linze and the city-wide roles.
    ("GET", "/measures/{code}/evidence"): LINZE,
    ("POST", "/measures/{code}/evidence"): {"linze"},
    ("POST", "/measures/evidence/{evidence_id}/review"): {"city"},
    ("GET", "/measures/evidence/{evidence_id}/file"): LINZE,
    # Supervision reports: the county's, and the city's (city-wide roles only).
    ("GET", "/county/{code}/supervision.{fmt}"): LINZE,
    ("GET", "/supervision.{fmt}"): CITY_WIDE,
    # Admissions: the application {pk} and its file are the test family's, in Linze.
    ("GET", "/family"): {"parent"},
    ("GET", "/family/apply"): {"parent"},
    ("POST", "/family/apply"): {"parent"},
    ("GET", "/family/applications/{pk}"): {"parent"},
    ("POST", "/family/applications/{pk}/files"): {"parent"},
    ("POST", "/family/applications/{pk}/resubmit"): {"parent"},
    ("GET", "/family/applications/{pk}/files/{file_id}"): {"parent", "city", "linze"},
    ("GET", "/admissions"): {"city", "linze"},
    ("GET", "/admissions/applications/{pk}"): {"city", "linze"},
    ("POST", "/admissions/applications/{pk}/review"): {"city", "linze"},
    ("POST", "/admissions/applications/{pk}/override"): {"city", "linze"},
    ("POST", "/admissions/plans"): {"city", "linze"},
    ("POST", "/admissions/freeze"): {"city", "linze"},
    ("POST", "/admissions/seed"): {"city", "linze"},
    ("POST", "/admissions/draw"): {"city", "linze"},
    ("POST", "/admissions/publish"): {"city", "linze"},
    ("POST", "/admissions/round2"): {"city", "linze"},
    ("GET", "/admissions/result.json"): {"city", "linze"},
    ("GET", "/admissions/results.xlsx"): {"city", "linze"},
    # Finance and aid.
    ("GET", "/finance"): CITY_WIDE,
    ("GET", "/county/{code}/finance"): LINZE,
    ("GET", "/county/{code}/aid"): LINZE,
    ("GET", "/county/{code}/aid.xlsx"): LINZE,
    ("POST", "/county/{code}/aid/review"): {"city", "linze"},
    ("GET", "/school/{school_id}/aid"): LINZE,
}

# A Linze value for every parameter name any route takes (path, query, declared form field).
PATH_VALUES = {"code": "620723", "school_id": "6207230001", "fmt": "xlsx"}
QUERY_VALUES = {"year": "2024", "county": "620723", "stage": "primary", "q": "村",
                "target": "2027", "page": "1", "action": "login", "for": "admissions",
                "unmask": "0", "share": "0.1", "max_km": "60", "wait": "1",
                "error": "x",
                # the staff's admissions lists (filters of another county's round)
                "status": "submitted", "claimed": "hukou", "verified": "hukou", "rpage": "1",
                "size": "50", "outcome": "none"}
FORM_VALUES = {"username": "someone-new", "password": "x", "next": "/",
               "current": "wrong-password-1", "new": "x", "confirm": "y",
               "role": "county_admin", "display_name": "x", "county_code": "620723",
               "school_id": "6207230001", "active": "1", "file": None,
               # admissions
               "year": "2026", "entry_stage": "primary", "child_name": "王小", "resident_id":
               "620723202003011230", "hukou": "临泽县", "area_id": "620723-A1",
               "housing": "own", "has_residence_permit": "", "category_claimed": "other",
               "choice_1": "6207230001", "choice_2": "", "choice_3": "", "choice_4": "",
               "choice_5": "", "idempotency_key": "", "kind": "hukou", "action": "approve",
               "reason": "scope walk", "category_verified": "other", "county": "620723",
               "stage": "primary", "seats": "3", "seed": "1",
               # aid review (a Linze pupil's doubtful match)
               "decision": "confirm", "student_id": "S1", "source": "civil_affairs",
               "category": "dibao"}


def _params(route: APIRoute) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"path": [], "query": [], "body": []}
    stack = [route.dependant]
    while stack:
        d = stack.pop()
        out["path"] += [p.name for p in d.path_params]
        out["query"] += [p.alias for p in d.query_params]  # as sent: ?for=, not for_
        for b in d.body_params:
            model = b.field_info.annotation
            # A form declared as one pydantic model sends its fields, not the model's name.
            if isinstance(model, type) and issubclass(model, BaseModel):
                out["body"] += [f.alias or n for n, f in model.model_fields.items()]
            else:
                out["body"].append(b.name)
        stack.extend(d.dependencies)
    return out


def _routes(site: Site) -> dict[tuple[str, str], APIRoute]:
    return {(m, r.path): r for r in _walk(site.app.routes)  # type: ignore[attr-defined]
            for m in r.methods if m != "HEAD"}


def test_every_route_and_parameter_has_an_other_county_rule(site: Site) -> None:
    routes = _routes(site)
    assert set(routes) - set(OTHER_COUNTY) - PUBLIC == set(), "routes without a rule"
    assert set(OTHER_COUNTY) - set(routes) == set(), "rules for routes that no longer exist"
    unknown = []
    for key, route in routes.items():
        if key in PUBLIC:
            continue
        p = _params(route)
        unknown += [(key, "path", n) for n in p["path"]
                    if n not in PATH_VALUES
                    and n not in ("upload_id", "user_id", "pk", "file_id", "evidence_id")]
        unknown += [(key, "query", n) for n in p["query"] if n not in QUERY_VALUES]
        unknown += [(key, "form", n) for n in p["body"] if n not in FORM_VALUES]
    assert unknown == [], "parameters without another county's value"


def _send(c: TestClient, method: str, path: str, query: dict[str, str], token: str | None,
          body: list[str]):  # type: ignore[no-untyped-def]
    headers = {"X-CSRF-Token": token} if token else {}
    if method == "GET":
        return c.get(path, params=query)
    if "file" in body:
        return c.post(path, params=query, headers=headers, files={
            "file": ("x.xlsx", io.BytesIO(b"not a workbook"), "application/octet-stream")})
    # Every declared field, plus the edit form's own (a real change to Linze's school).
    data = {n: FORM_VALUES[n] for n in body if FORM_VALUES.get(n) is not None}
    if path.endswith("/edit"):
        data.update({"year": "2024", "sections.primary.students": "612"})
    return c.post(path, params=query, data=data, headers=headers)


def test_walk_every_route_with_another_countys_ids(site: Site) -> None:
    create_user(site.engine, "victim", PASSWORD, "inspector",  # type: ignore[arg-type]
                must_change_password=False)
    victim = find_user(site.engine, "victim")  # type: ignore[arg-type]
    assert victim is not None
    linze = site.login("linze")
    up = linze.post("/data/upload", headers={"X-CSRF-Token": csrf_from(linze.get("/data").text)},
                    files={"file": ("x.xlsx", io.BytesIO(b"junk"), "application/octet-stream")})
    assert up.status_code == 303
    upload_id = up.headers["location"].rsplit("/", 1)[-1]
    from tests.admissions.web_support import add_application, add_county

    add_county(site.engine, "620723")  # type: ignore[arg-type]
    pk, file_id = add_application(site.engine, "620723")  # type: ignore[arg-type]
    from tests.web.test_measures_evidence import add_evidence

    evidence_id = add_evidence(site, "620723")

    clients: dict[str, TestClient] = {name: site.login(name) for name in ACCOUNTS}
    tokens: dict[str, str | None] = {name: csrf_from(c.get("/account/password").text)
                                     for name, c in clients.items()}
    clients["anon"] = site.client()
    tokens["anon"] = None

    routes = _routes(site)
    failures = []
    requests = 0
    # /logout ends the session it is sent with, so it goes last.
    for key in sorted(OTHER_COUNTY, key=lambda k: k == ("POST", "/logout")):
        method, template = key
        p = _params(routes[key])
        path = template.format(upload_id=upload_id, user_id=victim.id, pk=pk, file_id=file_id,
                               evidence_id=evidence_id, **PATH_VALUES)
        query = {n: QUERY_VALUES[n] for n in p["query"]}
        for role, c in clients.items():
            resp = _send(c, method, path, query, tokens[role], p["body"])
            requests += 1
            got = _outcome(resp)
            want = "allow" if role in OTHER_COUNTY[key] else "deny"
            if got != want:
                failures.append(f"{role} {method} {path} {query}: {got}, expected {want}")
            # Nothing a signed-in user is shown may be kept by a browser or proxy.
            if resp.headers.get("cache-control") != "no-store":
                failures.append(f"{role} {method} {path}: Cache-Control "
                                f"{resp.headers.get('cache-control')!r}")
    assert failures == []
    assert requests == len(OTHER_COUNTY) * (len(ACCOUNTS) + 1)
