"""The finance and aid pages on the demo, in a real browser, at desktop (1440 px) and phone
(390 px) widths: charts drawn, no page wider than the screen, personal data masked.
Screenshots go to test-output/screenshots/ (finance-*.png)."""

from __future__ import annotations

from pathlib import Path

import pytest

from junheng.demo import generate
from junheng.io.db import import_dataset, make_engine
from junheng.web.database import prepare
from junheng.web.services.accounts import create_user
from tests.e2e.server import serve
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e
PASSWORD = "zhangye-finance-2027"
PAGES = [("city", "/finance?year=2024", "#fin-budget canvas"),
         ("county", "/county/620702/finance?year=2024", "#fin-pay canvas"),
         ("aid", "/county/620702/aid?year=2024", "#review"),
         ("school-aid", "/school/6207020037/aid?year=2024", "table")]


@pytest.fixture(scope="module")
def finance_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('fin') / 'junheng.sqlite'}"
    engine = make_engine(url)
    prepare(engine)
    import_dataset(engine, generate())
    create_user(engine, "shi", PASSWORD, "city_admin", must_change_password=False)
    engine.dispose()
    return url


def test_finance_and_aid_pages(browser, finance_db: str, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    with serve(finance_db) as base:
        for width in (1440, 390):
            _pages(browser, base, screenshots, width)


def _pages(browser, base: str, screenshots: Path, width: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")
    page.set_default_timeout(60_000)
    sign_in(page, base, "shi", PASSWORD)
    for name, path, ready in PAGES:
        page.goto(base + path)
        page.wait_for_selector(ready)
        page.screenshot(path=str(screenshots / f"finance-{name}-{width}.png"),
                        full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than the screen"
        body = page.inner_text("body")
        assert "********" in body or name in ("city", "county")
    page.close()
