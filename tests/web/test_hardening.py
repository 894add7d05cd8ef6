"""Issue 14's findings on the web side: per-client login throttling with backoff and alerts,
aggregated failure audit rows, trusted proxies only, bounded paging and caches, weak
passwords, and no-store on every page."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from junheng.web import models, security
from junheng.web.services import accounts
from tests.web.conftest import PASSWORD, Site, csrf_from, login

ATTACKER = ("198.51.100.66", 40000)
ADMIN_DESK = ("192.0.2.10", 40001)


def _client(site: Site, addr: tuple[str, int]) -> TestClient:
    return TestClient(site.app, follow_redirects=False, client=addr)  # type: ignore[arg-type]


def _audit(site: Site, action: str) -> list[tuple[str | None, str | None, dict]]:  # type: ignore[type-arg]
    a = models.audit_log
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(select(a.c.target, a.c.ip, a.c.detail)
                            .where(a.c.action == action)).all()
    return [(r.target, r.ip, json.loads(r.detail or "{}")) for r in rows]


def _age_attempts(site: Site, seconds: float) -> None:
    """Move every recorded attempt into the past, as if that much time had gone by."""
    a = models.login_attempts
    with site.engine.begin() as conn:  # type: ignore[attr-defined]
        for row in conn.execute(select(a.c.id, a.c.at)).all():
            conn.execute(update(a).where(a.c.id == row.id)
                         .values(at=row.at - timedelta(seconds=seconds)))


# --- 6: nobody can lock anyone else out -----------------------------------------------------

def test_guessing_client_does_not_lock_the_account_for_others(site: Site) -> None:
    attacker = _client(site, ATTACKER)
    for _ in range(30):
        assert login(attacker, "ganzhou", "wrong-password").status_code in (401, 429)
    assert login(attacker, "ganzhou", PASSWORD).status_code == 429
    # The right password from another address still works at once.
    assert login(_client(site, ADMIN_DESK), "ganzhou", PASSWORD).status_code == 303


def test_known_device_signs_in_behind_the_same_address(site: Site) -> None:
    """An office behind one NAT address: the attacker shares the admin's address, but the
    admin's browser holds the device cookie of an earlier successful login."""
    desk = _client(site, ATTACKER)
    assert login(desk, "ganzhou", PASSWORD).status_code == 303
    assert security.DEVICE_COOKIE in desk.cookies
    attacker = _client(site, ATTACKER)
    for _ in range(10):
        login(attacker, "ganzhou", "wrong-password")
    assert login(attacker, "ganzhou", PASSWORD).status_code == 429
    desk.cookies.delete(security.SESSION_COOKIE)
    assert login(desk, "ganzhou", PASSWORD).status_code == 303
    # A device cookie is worth nothing for another account, nor when forged.
    forged = _client(site, ATTACKER)
    forged.cookies.set(security.DEVICE_COOKIE, desk.cookies[security.DEVICE_COOKIE][:-3] + "abc")
    assert login(forged, "ganzhou", PASSWORD).status_code == 429


def test_backoff_doubles_and_expires(site: Site) -> None:
    s = site.settings
    waits = [security._backoff_seconds(n, s.throttle_free_failures, s) for n in range(0, 16)]
    free = s.throttle_free_failures
    assert waits[:free] == [0.0] * free
    assert waits[free] == s.throttle_backoff_base_seconds
    assert waits[free + 1] == 2 * waits[free] and waits[free + 2] == 4 * waits[free]
    assert max(waits) == s.throttle_backoff_max_seconds
    c = _client(site, ATTACKER)
    for i in range(free + 2):
        if i:
            _age_attempts(site, 60)  # each wait (2 s, 4 s) has passed before the next try
        assert login(c, "ganzhou", "wrong-password").status_code == (429 if i >= free - 1
                                                                     else 401)
    # Five failures: the wait has doubled twice.
    wait = security.locked_for(site.engine, s, "ganzhou", ATTACKER[0])  # type: ignore[arg-type]
    assert 3 * s.throttle_backoff_base_seconds < wait <= 4 * s.throttle_backoff_base_seconds
    assert login(c, "ganzhou", PASSWORD).status_code == 429
    _age_attempts(site, 60)
    assert login(c, "ganzhou", PASSWORD).status_code == 303


def test_sustained_attack_raises_an_alert(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    site.settings.throttle_alert_failures = 6
    caplog.set_level(logging.WARNING, logger="junheng.web.security")
    for i in range(10):  # a botnet: each address tries once
        assert login(_client(site, (f"203.0.113.{i + 1}", 1000)), "city",
                     "wrong-password").status_code == 401
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "'city'" in warnings[0].getMessage()
    alerts = _audit(site, "login_alert")
    assert len(alerts) == 1
    target, _, detail = alerts[0]
    assert target == "city" and detail["failures"] == 10 and detail["clients"] == 10
    html = site.login("city").get("/admin/audit").text
    assert "持续的登录失败" in html and "账号 city" in html and "10 次登录失败" in html


# --- 15: failed logins are counted, not written one row each -----------------------------

def test_failed_logins_are_aggregated(site: Site) -> None:
    c = _client(site, ATTACKER)
    for _ in range(25):
        login(c, "ganzhou", "wrong-password")
    login(_client(site, ADMIN_DESK), "ganzhou", "wrong-password")
    rows = _audit(site, "login_failed")
    assert len(rows) == 2
    by_ip = {ip: d for _, ip, d in rows}
    assert by_ip[ATTACKER[0]]["count"] == 25
    # Most were refused unchecked while the client had to wait.
    assert by_ip[ATTACKER[0]]["refused"] >= 20
    assert by_ip[ADMIN_DESK[0]]["count"] == 1
    # Refused attempts are not recorded as attempts either.
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        n = len(conn.execute(select(models.login_attempts.c.id)).all())
    assert n <= 6


# --- 14: X-Forwarded-For only from configured proxies -------------------------------------

def test_forwarded_for_is_ignored_unless_from_a_trusted_proxy(site: Site) -> None:
    spoof = {"X-Forwarded-For": "10.9.9.9"}
    c = _client(site, ATTACKER)
    page = c.get("/login")
    c.post("/login", data={"username": "ganzhou", "password": "wrong-password",
                           "csrf_token": csrf_from(page.text)}, headers=spoof)
    assert [ip for _, ip, _ in _audit(site, "login_failed")] == [ATTACKER[0]]
    # Spoofing a fresh address per try does not escape the throttle.
    for i in range(10):
        login(c, "ganzhou", "wrong-password")
        c.headers["X-Forwarded-For"] = f"10.0.0.{i}"
    assert login(c, "ganzhou", PASSWORD).status_code == 429

    site.settings.trusted_proxies = ["192.0.2.0/24"]
    proxy = _client(site, ADMIN_DESK)
    page = proxy.get("/login")
    proxy.post("/login", data={"username": "linze", "password": "wrong-password",
                               "csrf_token": csrf_from(page.text)},
               headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.9, 192.0.2.77"})
    assert ("linze", "203.0.113.9") in [(t, ip) for t, ip, _ in _audit(site, "login_failed")]


# --- 12: bounded paging --------------------------------------------------------------------

def test_paging_parameters_are_bounded(site: Site) -> None:
    c = site.login("city")
    for bad in ("99999999999999999999", "0", "-1", "abc", "100001"):
        r = c.get(f"/admin/audit?page={bad}")
        assert r.status_code == 400, bad
        assert "请求参数无效" in r.text
    assert c.get("/admin/audit?action=" + "x" * 65).status_code == 400
    # The connection (and the app) carry on.
    assert c.get("/admin/audit?page=1").status_code == 200
    assert c.get("/admin/audit?page=100000").status_code == 200
    for path in ("/plans/620702?target=99999999999999999999", "/zones/lookup?q=" + "村" * 201,
                 "/api/evaluation?year=99999999999999999999"):
        assert c.get(path).status_code == 400, path


# --- 9: caches keyed by valid parameters only, and bounded --------------------------------

def test_unknown_years_are_404_and_never_cached(site: Site) -> None:
    c = site.login("city")
    assert c.get("/city").status_code == 200
    assert c.get("/county/620702").status_code == 200
    data = site.app.state.data  # type: ignore[attr-defined]
    before = len(data)
    for year in range(1990, 2020):
        assert c.get(f"/city?year={year}").status_code == 404
        assert c.get(f"/county/620702?year={year}").status_code == 404
    assert c.get("/city?year=abc").status_code == 400
    assert c.get("/county/999999").status_code == 404
    assert c.get("/zones?county=999999").status_code == 404
    assert len(data) == before
    # Known years are served and cached as before.
    assert c.get("/city?year=2023").status_code == 200
    assert c.get("/school/6207020001?year=1999").status_code == 404


def test_page_cache_is_bounded(site: Site) -> None:
    site.settings.cache_max_entries = 12
    c = site.login("city")
    for code in ("620702", "620721", "620722", "620723", "620724", "620725"):
        for year in (2023, 2024):
            for lang in ("zh", "en"):
                assert c.get(f"/county/{code}?year={year}&lang={lang}").status_code == 200
    assert len(site.app.state.data) <= 12  # type: ignore[attr-defined]
    assert c.get("/city").status_code == 200


def test_a_result_the_cache_must_not_keep_is_computed_again(site: Site) -> None:
    """A rotation whose solver ran out of time is shown but not cached (rotation_view's
    ``keep``); a proven one is computed once."""
    data = site.app.state.data  # type: ignore[attr-defined]
    runs: list[str] = []

    def timed_out() -> str:
        runs.append("unknown")
        return "unknown"

    for _ in range(3):
        assert data.memo(("rotation-test", 1), timed_out, keep=lambda v: v != "unknown") \
            == "unknown"
    assert len(runs) == 3
    runs.clear()
    for _ in range(3):
        assert data.memo(("rotation-test", 2), lambda: runs.append("optimal") or "optimal",
                         keep=lambda v: v != "unknown") == "optimal"
    assert runs == ["optimal"]


# --- 13: weak passwords -------------------------------------------------------------------

@pytest.mark.parametrize("weak", ["1234567890", "password12", "qwertyuiop", "ganzhou2024!",
                                  "aaaaaaaaaaaa", "zhangye2024", "iloveyou123"])
def test_weak_passwords_are_refused(weak: str) -> None:
    problem = security.password_problem(weak, "ganzhou")
    assert problem is not None, weak
    assert problem[0].startswith("密码")


def test_strong_and_random_passwords_pass() -> None:
    for good in (PASSWORD, "zhangye-balanced-2027", "绿洲-黑河-祁连-42"):
        assert security.password_problem(good, "ganzhou") is None, good
    for name in ("admin", "city", "abc"):
        for _ in range(50):
            assert security.password_problem(security.random_password(name), name) is None


def test_web_password_change_refuses_weak_passwords(site: Site) -> None:
    c = site.login("ganzhou")
    token = csrf_from(c.get("/account/password").text)
    for weak in ("1234567890", "password12", "my-ganzhou-secret"):
        r = c.post("/account/password", data={"current": PASSWORD, "new": weak,
                                               "confirm": weak, "csrf_token": token})
        assert r.status_code == 400, weak
    assert "密码不能包含用户名" in r.text
    with pytest.raises(accounts.AccountError):
        accounts.create_user(site.engine, "weakling", "password12", "inspector")  # type: ignore[arg-type]


# --- 17: nothing personal or signed-in is kept by a browser or proxy -------------------------

def test_no_store_on_personal_and_signed_in_pages(site: Site) -> None:
    c = site.login("city")
    for path in ("/school/6207020001/people", "/school/6207020001", "/city",
                 "/county/620702/report.xlsx", "/api/school/6207020001", "/admin/audit",
                 "/login", "/county/999999"):
        assert c.get(path).headers.get("cache-control") == "no-store", path
    assert c.get("/static/app.js").headers.get("cache-control") != "no-store"


# --- the per-worker session cache never outlives a revocation in the same worker ----------

def test_revoked_sessions_end_at_once_despite_the_session_cache(site: Site) -> None:
    site.settings.session_cache_seconds = 60.0
    c = site.login("ganzhou")
    assert c.get("/county/620702").status_code == 200  # now cached
    gz = accounts.find_user(site.engine, "ganzhou")  # type: ignore[arg-type]
    assert gz is not None
    accounts.set_active(site.engine, gz.id, False)  # type: ignore[arg-type]
    assert c.get("/county/620702").status_code == 303
    accounts.set_active(site.engine, gz.id, True)  # type: ignore[arg-type]
    c = site.login("ganzhou")
    assert c.get("/county/620702").status_code == 200
    accounts.reset_password(site.engine, "ganzhou")  # type: ignore[arg-type]
    assert c.get("/county/620702").status_code == 303


def test_audit_details_write_years_as_years() -> None:
    """A school year in an audit row's detail reads 2024, never the thousands-grouped 2,024
    that a count would get."""
    import json

    from junheng.web.i18n import Translator
    from junheng.web.templating import audit_detail

    for lang in ("zh", "en"):
        words = audit_detail(json.dumps({"year": 2024, "rows": 12345, "years": [2023, 2024]}),
                             Translator(lang))
        assert "2024" in words and "2,024" not in words and "2023" in words
        assert "12,345" in words  # counts keep their grouping
