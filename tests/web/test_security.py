"""CSRF, script and formula injection, login throttling, forced password change, cookies and
the audit log."""

from __future__ import annotations

import io

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import select

from junheng.web import models
from junheng.web.services.accounts import create_user
from junheng.web.services.exports import neutralise
from tests.web import tiny
from tests.web.conftest import PASSWORD, Site, csrf_from, login


def test_state_changes_need_the_csrf_token(site: Site) -> None:
    c = site.login("city")
    token = csrf_from(c.get("/admin/users").text)
    form = {"username": "newbie", "role": "inspector"}
    assert c.post("/admin/users", data=form).status_code == 403
    assert c.post("/admin/users", data={**form, "csrf_token": "forged"}).status_code == 403
    assert c.post("/admin/users", data=form, headers={"X-CSRF-Token": "x" * 43}).status_code == 403
    assert c.post("/logout").status_code == 403
    assert "newbie" not in c.get("/admin/users").text
    # With the session's token, in the form or in the htmx header, the same requests pass.
    assert c.post("/admin/users", data={**form, "csrf_token": token}).status_code == 200
    assert "newbie" in c.get("/admin/users").text
    r = c.post("/admin/users", data={"username": "newbie2", "role": "inspector"},
               headers={"X-CSRF-Token": token})
    assert r.status_code == 200
    # Another user's token does not work either.
    other = site.login("inspector")
    other_token = csrf_from(other.get("/account/password").text)
    assert c.post("/admin/users", data={**form, "csrf_token": other_token}).status_code == 403


def test_login_form_needs_its_token(site: Site) -> None:
    c = site.client()
    r = c.post("/login", data={"username": "city", "password": PASSWORD})
    assert r.status_code == 403
    assert "junheng_session" not in c.cookies


def test_script_in_a_school_name_is_text_everywhere(site: Site) -> None:
    """The tiny dataset names a Ganzhou school <script>alert(1)</script>."""
    for who in ("city", "inspector", "ganzhou", "clerk"):
        c = site.login(who)
        pages = ["/school/6207020001", "/school/6207020001/people", "/api/school/6207020001"]
        if who != "inspector":
            pages.append("/school/6207020001/edit")
        if who != "clerk":
            pages += ["/county/620702", "/api/county/620702", "/county/620702?lang=en"]
        if who in ("city", "inspector"):
            pages += ["/city", "/api/evaluation"]
        for path in pages:
            r = c.get(path)
            assert r.status_code == 200, (who, path)
            if path.startswith("/api/"):
                # JSON keeps the name as data; served as JSON with nosniff, never as HTML.
                assert r.headers["content-type"].startswith("application/json")
                assert r.headers["x-content-type-options"] == "nosniff"
                continue
            assert tiny.XSS_NAME not in r.text, (who, path)
            if path != "/city":
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text, path
    # The city page carries names only inside its JSON page data, escaped.
    body = site.login("city").get("/city").text
    assert "<script>alert" not in body
    csp = site.login("city").get("/city").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]


def _cells(content: bytes) -> list[object]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell.value for ws in book.worksheets for row in ws.iter_rows() for cell in row]


def test_excel_report_neutralises_formulas_and_keeps_script_as_text(site: Site) -> None:
    c = site.login("city")
    r = c.get("/county/620702/report.xlsx")
    assert r.status_code == 200
    cells = [v for v in _cells(r.content) if isinstance(v, str)]
    assert tiny.XSS_NAME in cells  # plain text in a cell, harmless in Excel
    for name in tiny.FORMULA_NAMES:
        assert name not in cells, name
        assert "'" + name in cells, name
    assert not any(v.startswith(("=", "+", "-", "@")) for v in cells)
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert all(cell.data_type != "f" for ws in book.worksheets for row in ws.iter_rows()
               for cell in row)


def test_neutralise() -> None:
    for bad in ("=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\t=1"):
        assert str(neutralise(bad)).startswith("'")
    assert neutralise("甘州区") == "甘州区"
    assert neutralise(-1) == -1


def test_wrong_passwords_are_throttled(site: Site) -> None:
    c = site.client()
    for _ in range(site.settings.throttle_free_failures - 1):
        assert login(c, "ganzhou", "wrong-password").status_code == 401
    assert login(c, "ganzhou", "wrong-password").status_code == 429  # the failure that slows
    # This client must wait now: even the right password is refused, with a message saying so.
    r = login(c, "ganzhou", PASSWORD)
    assert r.status_code == 429
    assert "再试" in r.text
    # Another account from the same address is not locked by these few failures.
    assert login(site.client(), "linze", PASSWORD).status_code == 303


def test_throttle_per_address(site: Site) -> None:
    c = site.client()
    for i in range(site.settings.throttle_max_failures_per_ip):
        login(c, f"nobody{i}", "wrong-password")
    assert login(c, "linze", PASSWORD).status_code == 429


def test_initial_admin_must_change_password(site: Site) -> None:
    create_user(site.engine, "fresh", "initial-pass-123", "city_admin")
    c = site.client()
    r = login(c, "fresh", "initial-pass-123")
    assert r.headers["location"] == "/account/password"
    # Every page sends them back to the password form until it is changed.
    for path in ("/city", "/county/620702", "/admin/users"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/account/password", path
    assert c.get("/api/evaluation").status_code == 403
    token = csrf_from(c.get("/account/password").text)
    bad = c.post("/account/password", data={"current": "initial-pass-123", "new": "short",
                                            "confirm": "short", "csrf_token": token})
    assert bad.status_code == 400
    ok = c.post("/account/password", data={"current": "initial-pass-123",
                                           "new": "a-much-better-pass", "confirm":
                                           "a-much-better-pass", "csrf_token": token})
    assert ok.status_code == 303
    assert c.get("/city").status_code == 200


def test_session_cookie_flags(site: Site) -> None:
    c = site.client()
    r = login(c, "city", PASSWORD)
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    # The cookie is signed: a tampered one is no session.
    c.cookies.set("junheng_session", c.cookies["junheng_session"][:-2] + "xx")
    assert c.get("/city").status_code == 303


def test_secure_cookie_setting(site: Site) -> None:
    site.settings.cookie_secure = True
    c = TestClient(site.app, base_url="https://testserver", follow_redirects=False)
    r = login(c, "city", PASSWORD)
    assert "Secure" in r.headers["set-cookie"]


def test_logout_ends_the_session(site: Site) -> None:
    c = site.login("city")
    cookie = c.cookies["junheng_session"]
    token = csrf_from(c.get("/account/password").text)
    assert c.post("/logout", data={"csrf_token": token}).status_code == 303
    replay = site.client()
    replay.cookies.set("junheng_session", cookie)
    assert replay.get("/city").status_code == 303


def test_audit_log_records_personal_data_views_and_changes(site: Site) -> None:
    clerk = site.login("clerk")
    assert clerk.get("/school/6207020001/people").status_code == 200
    token = csrf_from(clerk.get("/school/6207020001/edit?year=2024").text)
    r = clerk.post("/school/6207020001/edit", data={
        "year": "2024", "sections.primary.students": "610", "csrf_token": token})
    assert r.status_code == 303
    with site.engine.connect() as conn:
        rows = conn.execute(select(models.audit_log.c.username, models.audit_log.c.action,
                                   models.audit_log.c.target)).all()
    assert ("clerk", "view_personal", "school:6207020001") in rows
    assert ("clerk", "edit_school", "school:6207020001") in rows
    # The log itself is for the city administrator only.
    assert clerk.get("/admin/audit").status_code == 403
    assert site.login("inspector").get("/admin/audit").status_code == 403
    page = site.login("city").get("/admin/audit").text
    assert "查看个人信息" in page and "修改学校数据" in page


def test_reflected_input_is_escaped(site: Site) -> None:
    c = site.login("city")
    r = c.get("/zones/lookup", params={"county": "620702", "q": "<img src=x onerror=alert(1)>"})
    assert r.status_code == 200
    assert "<img src=x" not in r.text and "&lt;img src=x" in r.text
    r = c.get("/login", params={"next": "https://evil.example/"})
    assert 'value="https://evil.example/"' not in r.text


def test_a_failed_sign_in_keeps_where_the_user_was_going(site: Site) -> None:
    # The form posts ``next``; the page shown again after a wrong password must carry it on
    # (the POST's URL has no ?next=), and still only a same-site path.
    c = site.client()
    page = c.get("/login", params={"next": "/county/620702"})
    token = csrf_from(page.text)
    assert 'name="next" value="/county/620702"' in page.text
    again = c.post("/login", data={"username": "city", "password": "wrong-password-1",
                                   "next": "/county/620702", "csrf_token": token})
    assert again.status_code == 401
    assert 'name="next" value="/county/620702"' in again.text
    token = csrf_from(again.text)
    ok = c.post("/login", data={"username": "city", "password": PASSWORD,
                                "next": "/county/620702", "csrf_token": token})
    assert ok.status_code == 303 and ok.headers["location"] == "/county/620702"
    evil = site.client().get("/login", params={"next": "//evil.example/"})
    assert 'name="next" value=""' in evil.text


def test_an_account_scoped_to_an_unknown_county_or_school_is_refused(site: Site) -> None:
    """The web's user page checks the scope as the console does: an account for a mistyped
    county or school would see nothing, and nobody would notice."""
    c = site.login("city")
    token = csrf_from(c.get("/admin/users").text)
    for form, words in (
            ({"username": "typo-county", "role": "county_admin", "county_code": "620799"},
             "区县代码“620799”不存在"),
            ({"username": "typo-school", "role": "school_clerk", "school_id": "6207029999"},
             "学校标识码“6207029999”不存在")):
        r = c.post("/admin/users", data={**form, "csrf_token": token})
        assert r.status_code == 400 and words in r.text
        assert form["username"] not in c.get("/admin/users").text
    ok = {"username": "sunan-admin", "role": "county_admin", "county_code": "620721"}
    assert c.post("/admin/users", data={**ok, "csrf_token": token}).status_code == 200
    assert "sunan-admin" in c.get("/admin/users").text
