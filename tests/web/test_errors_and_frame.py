"""Errors are pages of the site (in its frame and language), not JSON; the language switch
keeps the page and its parameters; times are China time; the site has an icon."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from junheng.web.templating import china_time
from tests.web.conftest import Site

pytestmark = [pytest.mark.db, pytest.mark.one_backend]


def _is_site_page(r) -> bool:  # type: ignore[no-untyped-def]
    return (r.headers["content-type"].startswith("text/html")
            and 'class="topbar"' in r.text and "/static/app.css" in r.text)


def test_unknown_page_is_a_page_in_the_frame(site: Site) -> None:
    c = site.login("city")
    r = c.get("/no/such/page")
    assert r.status_code == 404 and _is_site_page(r)
    assert "未找到您要的页面或数据" in r.text
    assert 'href="/city"' in r.text  # the signed-in user's navigation is there
    en = c.get("/no/such/page?lang=en")
    assert en.status_code == 404 and "Page or data not found" in en.text
    # Signed out too, and the API keeps JSON.
    anon = site.client().get("/nothing-here")
    assert anon.status_code == 404 and _is_site_page(anon)
    api = c.get("/api/no-such")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")


def test_wrong_method_and_route_refusals_are_pages(site: Site) -> None:
    c = site.login("city")
    r = c.delete("/city")
    assert r.status_code in (403, 405) and _is_site_page(r)
    r = c.get("/county/999999")
    assert r.status_code == 404 and _is_site_page(r)


def test_server_error_is_a_page(site: Site) -> None:
    app = site.app

    @app.get("/__boom")  # type: ignore[attr-defined, untyped-decorator]
    def boom() -> None:
        raise RuntimeError("boom")

    c = TestClient(app, raise_server_exceptions=False)  # type: ignore[arg-type]
    r = c.get("/__boom")
    assert r.status_code == 500 and _is_site_page(r)
    assert "服务器出错" in r.text and "RuntimeError" not in r.text and "Traceback" not in r.text


def test_language_switch_keeps_page_and_parameters(site: Site) -> None:
    c = site.login("city")
    page = c.get("/county/620723?year=2023").text
    assert 'href="/county/620723?year=2023&amp;lang=en"' in page
    en = c.get("/county/620723?year=2023&lang=en").text
    assert 'href="/county/620723?year=2023&amp;lang=zh"' in en


def test_times_in_china_time(site: Site) -> None:
    assert china_time(datetime(2024, 3, 1, 16, 30, tzinfo=UTC)) == "2024-03-02 00:30"
    assert china_time(datetime(2024, 3, 1, 16, 30)) == "2024-03-02 00:30"  # stored UTC
    assert china_time("2024-03-01T16:30:00+00:00") == "2024-03-02 00:30"
    c = site.login("city")
    before = datetime.now(UTC)
    c.get("/city")
    audit = c.get("/admin/audit").text
    assert china_time(before) in audit or china_time(datetime.now(UTC)) in audit


def test_favicon(site: Site) -> None:
    c = site.client()
    r = c.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.content.lstrip().startswith(b"<svg")
    assert '<link rel="icon" href="/static/favicon.svg"' in c.get("/login").text
    assert c.get("/static/favicon.svg").status_code == 200
