"""A county official on a 390 px phone (Debian chromium), on the demo as 肃南's bureau: the site
header folds its menu behind one button that opens it (by touch and from the keyboard) with
every link inside the screen; the county, school, plan, zones, rotation and data pages are no
wider than the screen, no table cell squeezes its text to one character per line, and every
form field and button is within reach. Screenshots: test-output/screenshots/phone-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from junheng.demo import generate
from junheng.io.db import import_dataset, make_engine
from junheng.web.database import prepare
from junheng.web.services.accounts import create_user
from tests.e2e.server import serve

pytestmark = pytest.mark.e2e
PASSWORD = "qilian-phone-check-2027"
WIDTH = 390
PAGES = [("county", "/county/620721?year=2024"), ("school", "/school/6207210001?year=2024"),
         ("plan", "/plans/620721"), ("zones", "/zones"), ("rotation", "/rotation"),
         ("data", "/data"), ("edit", "/school/6207210001/edit")]

# Cells narrower than three characters of their own font (text of two or more characters),
# controls that stick out of the screen, and the page's overflow, measured in the browser.
MEASURE = """() => {
  const out = {overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
               squeezed: [], outside: []};
  for (const c of document.querySelectorAll('main td, main th')) {
    const text = c.innerText.trim();
    const r = c.getBoundingClientRect();
    if (text.length < 2 || r.width === 0) continue;
    const cs = getComputedStyle(c);
    const inner = r.width - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    if (inner < Math.min(text.length, 3) * 0.95 * parseFloat(cs.fontSize)) out.squeezed.push(text.slice(0, 20));
  }
  for (const el of document.querySelectorAll('main input:not([type=hidden]), main select, main button, main textarea')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;
    // A control inside a box that scrolls sideways is reached by scrolling that box.
    let scroller = el.parentElement;
    while (scroller && scroller !== document.body && getComputedStyle(scroller).overflowX !== 'auto') scroller = scroller.parentElement;
    if (scroller && scroller !== document.body) continue;
    if (r.left < -1 || r.right > window.innerWidth + 1) out.outside.push(el.name || el.innerText.slice(0, 20));
  }
  return out;
}"""


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('phone') / 'junheng.sqlite'}"
    engine = make_engine(url)
    prepare(engine)
    import_dataset(engine, generate())
    create_user(engine, "sunan", PASSWORD, "county_admin", county_code="620721",
                must_change_password=False)
    engine.dispose()
    return url


def test_county_official_on_a_phone(browser, demo_db: str, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    with serve(demo_db) as base:
        page = browser.new_page(viewport={"width": WIDTH, "height": 844}, locale="zh-CN")
        page.set_default_timeout(90_000)  # shared CI machine: patient, never flaky
        page.goto(base + "/login")
        page.fill("input[name=username]", "sunan")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda u: "/login" not in u)

        # The header is one short bar: the menu is folded, its button shows.
        header = page.locator("header.topbar")
        assert header.bounding_box()["height"] < 80  # type: ignore[index]
        toggle = page.locator("label.navtoggle")
        assert toggle.is_visible()
        zones_link = page.locator("nav.mainnav a[href='/zones']")
        assert not zones_link.is_visible()
        toggle.click()
        assert zones_link.is_visible()
        page.screenshot(path=str(screenshots / "phone-menu-390.png"))
        for link in page.locator("nav.mainnav a, .usermenu a, .usermenu button").all():
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH + 1, \
                link.inner_text()
        zones_link.click()
        page.wait_for_url(lambda u: u.endswith("/zones"))
        # From the keyboard: Enter on the menu button opens it.
        page.locator("label.navtoggle").focus()
        page.keyboard.press("Enter")
        assert page.locator("nav.mainnav a[href='/rotation']").is_visible()

        for name, path in PAGES:
            page.goto(base + path)
            page.wait_for_selector("main h1")
            if name == "zones":  # computed on first visit; the page refreshes itself when done
                page.wait_for_selector("#zones-proposed canvas")
            page.screenshot(path=str(screenshots / f"phone-{name}-390.png"), full_page=True)
            found = page.evaluate(MEASURE)
            assert found["overflow"] <= 1, f"{path} is {found['overflow']}px wider than the screen"
            assert found["squeezed"] == [], f"{path}: squeezed cells {found['squeezed'][:5]}"
            assert found["outside"] == [], f"{path}: controls off the screen {found['outside']}"
        page.close()
