"""Every route × every role against the allow/deny matrix declared below as data.

The matrix is checked twice: with the ids of Ganzhou's first school (the clerk's own school)
and with another Ganzhou school (not the clerk's). A route missing from the matrix fails the
test, so a new route cannot be added without deciding who may use it.
"""

from __future__ import annotations

import io

import openpyxl
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from junheng.web.services.accounts import create_user, find_user
from tests.web.conftest import ACCOUNTS, PASSWORD, Site, csrf_from

ALL = {"city", "inspector", "ganzhou", "linze", "clerk", "parent"}
STAFF = ALL - {"parent"}
CITY_WIDE = {"city", "inspector"}
# For the parameters of Ganzhou (620702): its administrator may, Linze's may not.
COUNTY = CITY_WIDE | {"ganzhou"}

# (method, path) → (allowed with the clerk's own school, allowed with another Ganzhou school).
# "anon" is never allowed except on public routes, listed in PUBLIC.
MATRIX: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    ("GET", "/welcome"): (ALL, ALL),
    ("GET", "/account/password"): (ALL, ALL),
    ("POST", "/account/password"): (ALL, ALL),
    ("POST", "/logout"): (ALL, ALL),
    ("GET", "/city"): (CITY_WIDE, CITY_WIDE),
    ("GET", "/county/{code}"): (COUNTY, COUNTY),
    ("GET", "/county/{code}/report.xlsx"): (COUNTY, COUNTY),
    ("GET", "/county/{code}/report.pdf"): (COUNTY, COUNTY),
    # The 督导评估 reports (PDF or Excel by {fmt}): the county's, and the city's.
    ("GET", "/county/{code}/supervision.{fmt}"): (COUNTY, COUNTY),
    ("GET", "/supervision.{fmt}"): (CITY_WIDE, CITY_WIDE),
    ("GET", "/school/{school_id}"): (COUNTY | {"clerk"}, COUNTY),
    ("GET", "/school/{school_id}/people"): (COUNTY | {"clerk"}, COUNTY),
    ("GET", "/school/{school_id}/edit"): ({"city", "ganzhou", "clerk"}, {"city", "ganzhou"}),
    ("POST", "/school/{school_id}/edit"): ({"city", "ganzhou", "clerk"}, {"city", "ganzhou"}),
    ("GET", "/data"): ({"city", "ganzhou", "linze"}, {"city", "ganzhou", "linze"}),
    ("POST", "/data/upload"): ({"city", "ganzhou", "linze"}, {"city", "ganzhou", "linze"}),
    # The staged upload here is the city administrator's: nobody else may see or confirm it.
    ("GET", "/data/uploads/{upload_id}"): ({"city"}, {"city"}),
    ("POST", "/data/uploads/{upload_id}/confirm"): ({"city"}, {"city"}),
    ("POST", "/data/uploads/{upload_id}/cancel"): ({"city"}, {"city"}),
    ("GET", "/data/template.xlsx"): (STAFF, STAFF),
    ("GET", "/admin/users"): ({"city"}, {"city"}),
    ("POST", "/admin/users"): ({"city"}, {"city"}),
    ("POST", "/admin/users/{user_id}/reset"): ({"city"}, {"city"}),
    ("POST", "/admin/users/{user_id}/active"): ({"city"}, {"city"}),
    ("GET", "/admin/audit"): ({"city"}, {"city"}),
    ("GET", "/api/evaluation"): (CITY_WIDE, CITY_WIDE),
    ("GET", "/api/county/{code}"): (COUNTY, COUNTY),
    ("GET", "/api/school/{school_id}"): (COUNTY | {"clerk"}, COUNTY),
    ("GET", "/forecast"): (CITY_WIDE | {"ganzhou", "linze"}, CITY_WIDE | {"ganzhou", "linze"}),
    # /zones without a county opens Ganzhou for city-wide users and the own county otherwise.
    ("GET", "/zones"): (CITY_WIDE | {"ganzhou", "linze"}, CITY_WIDE | {"ganzhou", "linze"}),
    ("GET", "/zones/lookup"): (CITY_WIDE | {"ganzhou", "linze"}, CITY_WIDE | {"ganzhou", "linze"}),
    ("GET", "/plans"): (CITY_WIDE | {"ganzhou", "linze"}, CITY_WIDE | {"ganzhou", "linze"}),
    ("GET", "/plans/{code}"): (COUNTY, COUNTY),
    ("GET", "/api/plans/{code}"): (COUNTY, COUNTY),
    ("GET", "/finance"): (CITY_WIDE, CITY_WIDE),
    ("GET", "/county/{code}/finance"): (COUNTY, COUNTY),
    # Aid lists say who is poor or disabled: personal data, the county's staff only.
    ("GET", "/county/{code}/aid"): (COUNTY, COUNTY),
    ("GET", "/county/{code}/aid.xlsx"): (COUNTY, COUNTY),
    ("POST", "/county/{code}/aid/review"): ({"city", "ganzhou"}, {"city", "ganzhou"}),
    ("GET", "/school/{school_id}/aid"): (COUNTY | {"clerk"}, COUNTY),
    # The rotation list names teachers: planning staff who may see personal data.
    ("GET", "/rotation"): (CITY_WIDE | {"ganzhou", "linze"}, CITY_WIDE | {"ganzhou", "linze"}),
    ("GET", "/rotation/{code}"): (COUNTY, COUNTY),
    ("GET", "/rotation/{code}/list.xlsx"): (COUNTY, COUNTY),
    # The 30 measures: the city's grid (county administrators are sent to their own county).
    ("GET", "/measures"): (CITY_WIDE | {"ganzhou", "linze"}, CITY_WIDE | {"ganzhou", "linze"}),
    ("GET", "/measures/{code}"): (COUNTY, COUNTY),
    # Evidence: the county uploads (not the city on its behalf), the city administrator
    # reviews; the file {evidence_id} is Ganzhou's, read by Ganzhou and city-wide roles.
    ("GET", "/measures/{code}/evidence"): (COUNTY, COUNTY),
    ("POST", "/measures/{code}/evidence"): ({"ganzhou"}, {"ganzhou"}),
    ("POST", "/measures/evidence/{evidence_id}/review"): ({"city"}, {"city"}),
    ("GET", "/measures/evidence/{evidence_id}/file"): (COUNTY, COUNTY),
    # Admissions. The application {pk} (and its file) is the test family's, in Ganzhou.
    ("GET", "/family"): ({"parent"}, {"parent"}),
    ("GET", "/family/apply"): ({"parent"}, {"parent"}),
    ("POST", "/family/apply"): ({"parent"}, {"parent"}),
    ("GET", "/family/applications/{pk}"): ({"parent"}, {"parent"}),
    ("POST", "/family/applications/{pk}/files"): ({"parent"}, {"parent"}),
    ("POST", "/family/applications/{pk}/resubmit"): ({"parent"}, {"parent"}),
    ("GET", "/family/applications/{pk}/files/{file_id}"): (
        {"parent", "city", "ganzhou"}, {"parent", "city", "ganzhou"}),
    ("GET", "/admissions"): ({"city", "ganzhou", "linze"}, {"city", "ganzhou", "linze"}),
    ("GET", "/admissions/applications/{pk}"): ({"city", "ganzhou"}, {"city", "ganzhou"}),
    ("POST", "/admissions/applications/{pk}/review"): ({"city", "ganzhou"}, {"city", "ganzhou"}),
    ("POST", "/admissions/applications/{pk}/override"): (
        {"city", "ganzhou"}, {"city", "ganzhou"}),
    ("POST", "/admissions/plans"): ({"city", "ganzhou", "linze"}, {"city", "ganzhou", "linze"}),
    ("POST", "/admissions/freeze"): ({"city", "ganzhou", "linze"}, {"city", "ganzhou", "linze"}),
    ("POST", "/admissions/seed"): ({"city", "ganzhou", "linze"}, {"city", "ganzhou", "linze"}),
    ("POST", "/admissions/draw"): ({"city", "ganzhou", "linze"}, {"city", "ganzhou", "linze"}),
    ("POST", "/admissions/publish"): ({"city", "ganzhou", "linze"}, {"city", "ganzhou", "linze"}),
    ("POST", "/admissions/round2"): ({"city", "ganzhou", "linze"}, {"city", "ganzhou", "linze"}),
    ("GET", "/admissions/result.json"): (
        {"city", "ganzhou", "linze"}, {"city", "ganzhou", "linze"}),
    ("GET", "/admissions/results.xlsx"): (
        {"city", "ganzhou", "linze"}, {"city", "ganzhou", "linze"}),
}
PUBLIC = {("GET", "/"), ("GET", "/login"), ("POST", "/login"), ("GET", "/assets/{name}"),
          ("GET", "/favicon.ico"),
          ("GET", "/family/register"), ("POST", "/family/register"),
          ("GET", "/family/verify"), ("POST", "/family/verify")}


def _walk(routes: list) -> list[APIRoute]:  # type: ignore[type-arg]
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.120)
            found.extend(_walk(route.original_router.routes))
        elif hasattr(route, "routes") and not hasattr(route, "app"):
            found.extend(_walk(route.routes))
    return found


def app_routes(site: Site) -> set[tuple[str, str]]:
    """Every (method, path) the application answers, included routers unfolded."""
    routes = _walk(site.app.routes)  # type: ignore[attr-defined]
    assert routes, "no routes found"
    return {(m, r.path) for r in routes for m in r.methods if m != "HEAD"}


def test_every_route_is_in_the_matrix(site: Site) -> None:
    routes = app_routes(site)
    declared = set(MATRIX) | PUBLIC
    assert routes - declared == set(), "routes without a declared access rule"
    assert declared - routes == set(), "matrix entries for routes that no longer exist"


def _request(c: TestClient, method: str, path: str, token: str | None):  # type: ignore[no-untyped-def]
    headers = {"X-CSRF-Token": token} if token else {}
    if method == "GET":
        return c.get(path)
    if path == "/data/upload":
        files = {"file": ("x.xlsx", io.BytesIO(b"not a workbook"), "application/octet-stream")}
        return c.post(path, files=files, headers=headers)
    data = {"year": "2024", "current": "wrong-password-1", "new": "x", "confirm": "y",
            "username": "", "role": "inspector", "active": "1"}
    return c.post(path, data=data, headers=headers)


def _outcome(resp) -> str:  # type: ignore[no-untyped-def]
    if resp.status_code in (401, 403):
        return "deny"
    # Signed out: sent to "/login?next=…" (POST /logout itself answers with a plain "/login").
    if resp.status_code == 303 and resp.headers["location"].startswith("/login?"):
        return "deny"
    assert resp.status_code < 500, resp.text[:2000]
    return "allow"


def test_matrix(site: Site) -> None:
    create_user(site.engine, "victim", PASSWORD, "inspector", must_change_password=False)
    victim = find_user(site.engine, "victim")
    assert victim is not None
    admin = site.login("city")
    up = admin.post("/data/upload", headers={"X-CSRF-Token": csrf_from(admin.get("/data").text)},
                    files={"file": ("x.xlsx", io.BytesIO(b"junk"), "application/octet-stream")})
    upload_id = up.headers["location"].rsplit("/", 1)[-1]
    from tests.admissions.web_support import add_application, add_county

    add_county(site.engine, "620702")
    pk, file_id = add_application(site.engine, "620702")
    from tests.web.test_measures_evidence import add_evidence

    evidence_id = add_evidence(site, "620702")

    clients: dict[str, TestClient] = {name: site.login(name) for name in ACCOUNTS}
    tokens = {name: csrf_from(c.get("/account/password").text) for name, c in clients.items()}
    clients["anon"] = site.client()
    tokens["anon"] = None  # type: ignore[assignment]

    param_sets = [
        {"code": "620702", "school_id": "6207020001", "fmt": "pdf"},
        {"code": "620702", "school_id": "6207020002", "fmt": "xlsx"},
    ]
    failures = []
    # /logout ends the session it is sent with, so it goes last.
    ordered = sorted(MATRIX, key=lambda k: k == ("POST", "/logout"))
    for which, params in enumerate(param_sets):
        for method, template in ordered:
            if (method, template) == ("POST", "/logout") and which == 0:
                continue
            path = template.format(upload_id=upload_id, user_id=victim.id, pk=pk,
                                   file_id=file_id, evidence_id=evidence_id, **params)
            allowed = MATRIX[(method, template)][which]
            for role, c in clients.items():
                got = _outcome(_request(c, method, path, tokens[role]))
                want = "allow" if role in allowed else "deny"
                if got != want:
                    failures.append(f"{role} {method} {path}: {got}, expected {want}")
    assert failures == []


def test_public_routes(site: Site) -> None:
    c = site.client()
    assert c.get("/login").status_code == 200
    assert c.get("/assets/echarts.min.js").status_code in (200, 503)
    assert c.get("/assets/../../etc/passwd").status_code == 404


def test_county_admin_never_sees_another_county(site: Site) -> None:
    """Every page, download and API answer Ganzhou's administrator gets holds no Linze data,
    and every Linze URL is refused."""
    c = site.login("ganzhou")
    linze_ids = [f"620723{i:04d}" for i in range(1, 5)]
    own = ["/", "/county/620702", "/county/620702/report.xlsx",
           "/county/620702/report.xlsx?lang=en", "/api/county/620702",
           "/school/6207020001", "/api/school/6207020001", "/school/6207020001/people",
           "/school/6207020001/edit", "/county/620702?year=2023"]
    for path in own:
        r = c.get(path, follow_redirects=True)
        assert r.status_code == 200, path
        body = r.content.decode("utf-8", "replace")
        if path.endswith(".xlsx"):
            book = openpyxl.load_workbook(io.BytesIO(r.content))
            body = " ".join(str(cell.value) for ws in book.worksheets for row in ws.iter_rows()
                            for cell in row if cell.value is not None)
            assert "6207020001" in body  # the report does hold Ganzhou's schools
        assert not any(sid in body for sid in linze_ids), path
        assert "临泽县" not in body, path
    for path in ["/county/620723", "/county/620723/report.xlsx", "/county/620723/report.pdf",
                 "/api/county/620723", "/school/6207230001", "/api/school/6207230001",
                 "/school/6207230001/people", "/school/6207230001/edit", "/api/evaluation",
                 "/city", "/forecast?county=620723", "/plans/620723", "/api/plans/620723", "/zones?county=620723",
                 "/zones/lookup?county=620723&q=村"]:
        assert c.get(path).status_code == 403, path
    token = csrf_from(c.get("/account/password").text)
    r = c.post("/school/6207230001/edit", data={"year": "2024", "sections.primary.students": "1"},
               headers={"X-CSRF-Token": token})
    assert r.status_code == 403
