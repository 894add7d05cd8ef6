"""A county official on a 390 px phone (Debian chromium), on the demo as 肃南's bureau: the site
header folds its menu behind one button that opens it (by touch and from the keyboard) with
every link inside the screen; the county, school, plan, zones, rotation and data pages are no
wider than the screen, no table cell squeezes its text to one character per line, and every
form field and button is within reach.

The same on a phone for the pages of the supervision evidence (the county uploads, the city
administrator rejects with a reason from its queue, the county uploads again, the city
accepts), the forecast with its backtest, and admissions (staff freeze, draw, publish, override
with a reason and run round 2 (调剂); the families read their results): each upload, result
and backtest row reads as a card inside the screen, the review and round-2 controls are on it,
no button's words break, and no English code or raw value (True, None, inf) shows. A round of
130 applications reads a page at a time on the phone: the status counts, the filters and the
page links fit the screen and keep the filters without JavaScript.
Screenshots: test-output/screenshots/phone-*.png, and desk-admissions-round2-1440.png and
desk-admissions-queue-1440.png for the staff lists on a desktop."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from junheng.demo import generate
from junheng.io.db import import_dataset, make_engine
from junheng.web import admissions_models as am
from junheng.web.access import Role
from junheng.web.database import prepare
from junheng.web.services import admissions as svc
from junheng.web.services.accounts import create_user, find_user
from tests.admissions.web_support import PNG, YEAR, add_county, add_many, many_status, resident_id
from tests.e2e.server import serve
from tests.e2e.steps import publish_round_one, sign_in
from tests.web import tiny

pytestmark = pytest.mark.e2e
PASSWORD = "qilian-phone-check-2027"
WIDTH = 390
PAGES = [("county", "/county/620721?year=2024"), ("school", "/school/6207210001?year=2024"),
         ("plan", "/plans/620721"), ("zones", "/zones"), ("rotation", "/rotation"),
         ("data", "/data"), ("edit", "/school/6207210001/edit")]

# Cells narrower than three characters of their own font whose text (two or more characters)
# breaks onto several lines, short button labels broken onto two lines, controls that stick
# out of the screen, raw codes in the text, and the page's overflow, measured in the browser.
MEASURE = """() => {
  // How many lines an element's text takes (a narrow cell of "李**" on one line is fine).
  const lines = el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].filter(q => q.width > 0).map(q => Math.round(q.top))).size;
  };
  const out = {overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
               squeezed: [], outside: []};
  for (const c of document.querySelectorAll('main td, main th')) {
    const text = c.innerText.trim();
    const r = c.getBoundingClientRect();
    if (text.length < 2 || r.width === 0) continue;
    const cs = getComputedStyle(c);
    const inner = r.width - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    if (inner < Math.min(text.length, 3) * 1.05 * parseFloat(cs.fontSize) && lines(c) > 1) out.squeezed.push(text.slice(0, 20));
  }
  for (const el of document.querySelectorAll('main input:not([type=hidden]), main select, main button, main textarea')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;
    // A button with a short label ("审核通过", "退回") whose words break onto a second line.
    const label = el.tagName === 'BUTTON' ? el.innerText.trim() : '';
    if (label.length >= 2 && label.length <= 8 && lines(el) > 1) out.squeezed.push('button ' + label);
    // A control inside a box that scrolls sideways is reached by scrolling that box.
    let scroller = el.parentElement;
    while (scroller && scroller !== document.body && getComputedStyle(scroller).overflowX !== 'auto') scroller = scroller.parentElement;
    if (scroller && scroller !== document.body) continue;
    if (r.left < -1 || r.right > window.innerWidth + 1) out.outside.push(el.name || el.innerText.slice(0, 20));
  }
  // What a reader must never see: an English code (snake_case) or a raw Python value.
  out.raw = (document.querySelector('main').innerText.match(/\\b(?:[a-z]+_[a-z0-9_]+|True|False|None|nan|inf)\\b/g) || []);
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
    create_user(engine, "city", PASSWORD, Role.CITY_ADMIN, must_change_password=False)
    engine.dispose()
    return url


def _phone(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    """A signed-in page on a 390 px screen."""
    page = browser.new_page(viewport={"width": WIDTH, "height": 844}, locale="zh-CN")
    page.set_default_timeout(90_000)  # shared CI machine: patient, never flaky
    sign_in(page, base, username, PASSWORD)
    return page


def _check(page, name: str, screenshots: Path, on_screen: str = "") -> None:  # type: ignore[no-untyped-def]
    """The page as it is now: screenshot, then nothing wider than the screen, no squeezed cell
    or button, no control off the screen, no raw code; ``on_screen``: elements that must be
    inside the screen itself, not in a box that scrolls sideways."""
    page.screenshot(path=str(screenshots / f"phone-{name}-390.png"), full_page=True)
    found = page.evaluate(MEASURE)
    where = f"{name} ({page.url})"
    assert found["overflow"] <= 1, f"{where} is {found['overflow']}px wider than the screen"
    assert found["squeezed"] == [], f"{where}: squeezed {found['squeezed'][:5]}"
    assert found["outside"] == [], f"{where}: controls off the screen {found['outside']}"
    assert found["raw"] == [], f"{where}: raw codes shown {found['raw'][:5]}"
    if on_screen:
        boxes = [b for b in (e.bounding_box() for e in page.locator(on_screen).all()) if b]
        assert boxes, f"{where}: nothing matches {on_screen}"
        off = [b for b in boxes if b["x"] < -1 or b["x"] + b["width"] > WIDTH + 1]
        assert off == [], f"{where}: {len(off)} of {on_screen} off the screen"


def test_county_official_on_a_phone(browser, demo_db: str, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    with serve(demo_db) as base:
        page = browser.new_page(viewport={"width": WIDTH, "height": 844}, locale="zh-CN")
        page.set_default_timeout(90_000)  # shared CI machine: patient, never flaky
        sign_in(page, base, "sunan", PASSWORD)

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
            _check(page, name, screenshots)
        page.close()


PDF = b"%PDF-1.4\n% evidence\n" + b"0" * 200
IND = "m28_evidence"  # 措施28: 纳入工作要点和考核的文件佐证


def test_evidence_and_forecast_on_a_phone(browser, demo_db: str, screenshots: Path,  # type: ignore[no-untyped-def]
                                          tmp_path: Path) -> None:
    proof = tmp_path / "考核文件.pdf"
    proof.write_bytes(PDF)
    evidence = "/measures/620721/evidence?year=2024"
    section = f"section#{IND}"
    with serve(demo_db) as base:
        county = _phone(browser, base, "sunan")
        county.goto(base + evidence)
        _check(county, "evidence-empty", screenshots, "form.upload-form button")

        def upload(note: str) -> None:
            county.fill(f"{section} textarea[name=note]", note)
            county.set_input_files(f"{section} input[type=file]", str(proof))
            county.click(f"{section} form.upload-form button")
            county.wait_for_load_state()

        upload("已列入2024年县政府工作要点")
        assert "待审核" in county.inner_text(section)

        city = _phone(browser, base, "city")
        city.goto(base + "/measures?year=2024")
        assert "待审核的佐证材料（1 份）" in city.inner_text("#evidence-queue")
        _check(city, "measures-city", screenshots, "#evidence-queue a")
        city.click("#evidence-queue a")
        city.wait_for_selector(f"{section} .review-form")
        # Each upload is a card: the review buttons and the reason box are on the screen.
        _check(city, "evidence-review", screenshots,
               f"{section} .review-form button, {section} .review-form input[name=reason]")
        city.fill(f"{section} .review-form input[name=reason]", "文件未盖章，请上传正式文件")
        city.click(f"{section} .review-form button[value=reject]")
        city.wait_for_load_state()
        assert "已退回" in city.inner_text(section)

        county.goto(base + evidence)
        text = county.inner_text(section)
        assert "文件未盖章，请上传正式文件" in text and "重新上传" in text
        _check(county, "evidence-rejected", screenshots, f"{section} td, {section} .upload-form button")
        upload("正式文件（已盖章）")
        city.goto(base + evidence)
        city.click(f"{section} .review-form button[value=accept]")
        city.wait_for_load_state()
        county.goto(base + evidence)
        assert "已完成" in county.inner_text(section)
        _check(county, "evidence-accepted", screenshots, f"{section} td")
        city.close()

        # The forecast: the backtest compares the method with both baselines, every figure
        # of every horizon on the screen (a card per horizon), with its unit.
        county.goto(base + "/forecast")
        county.wait_for_selector("#forecast-chart canvas")
        backtest = county.inner_text("#forecast-backtest")
        assert "持续法" in backtest and "三年队列存活法" in backtest and "1 年后" in backtest
        assert "（人）" in county.inner_text("#forecast-table >> xpath=..")
        _check(county, "forecast", screenshots, "#backtest-table td")
        county.close()


def test_admissions_staff_and_families_on_a_phone(browser, db_url: str,  # type: ignore[no-untyped-def]
                                                  screenshots: Path) -> None:
    """On every backend: the staff's round on a phone, through round 2 and an override."""
    county = "620702"
    engine = make_engine(db_url)
    prepare(engine)
    import_dataset(engine, tiny.build(extra_names=False))
    add_county(engine, county)  # its schools have no coordinates: round 2 has no distance
    create_user(engine, "ganzhou", PASSWORD, Role.COUNTY_ADMIN, county_code=county,
                must_change_password=False)
    staff_user = find_user(engine, "ganzhou")
    assert staff_user is not None
    apps = {}
    for who, child, born, category in [("wang", "王小雨", "20191120", "hukou_house"),
                                       ("li", "李小红", "20191011", "migrant")]:
        create_user(engine, who, PASSWORD, Role.PARENT, must_change_password=False)
        parent = find_user(engine, who)
        assert parent is not None
        form = svc.ApplicationForm(
            year=YEAR, county_code=county, entry_stage="primary", child_name=child,
            resident_id=resident_id(born, "456"), hukou="甘州区", area_id=f"{county}-A1",
            housing="own", has_residence_permit=category == "migrant",
            category_claimed=category, choices=(f"{county}0001",))
        pk = svc.create_application(engine, parent, form, None)
        svc.add_file(engine, parent, pk, "hukou", "户口簿.png", PNG)
        svc.review(engine, staff_user, pk, "approve", "", category)
        apps[who] = pk
    engine.dispose()

    overview = f"/admissions?county={county}&year={YEAR}&stage=primary"
    with serve(db_url) as base:
        staff = _phone(browser, base, "ganzhou")
        staff.goto(base + overview)
        publish_round_one(staff, "20260715-48213")
        staff.wait_for_selector("#run-round2")
        # Round 1 published (the hash in the log breaks instead of widening the page); the
        # round-2 step and every result card are on the screen.
        _check(staff, "admissions-round1", screenshots, "#run-round2, #result-list td")

        # An override with a written reason, from the phone.
        staff.goto(f"{base}/admissions/applications/{apps['wang']}")
        staff.select_option("form[action$='/override'] select", f"{county}0002")
        staff.fill("form[action$='/override'] textarea", "残疾儿童就近安置（特殊情况）")
        staff.click("form[action$='/override'] button")
        staff.wait_for_load_state()
        assert "残疾儿童就近安置" in staff.inner_text("main")
        _check(staff, "admissions-review", screenshots, "form[action$='/override'] button")

        staff.goto(base + overview)
        staff.fill("#round2-reason", "第一轮公示期满")
        staff.click("#run-round2")
        staff.wait_for_load_state()
        assert "第二轮调剂已完成" in staff.inner_text("#round-status")
        assert "第2轮" in staff.inner_text("#result-list")
        _check(staff, "admissions-round2", screenshots, "#result-list td, #application-list td")
        staff.close()
        # The same results on a desktop: the short cells (摇号号码, 儿童, 轮次) beside a long
        # override explanation keep their words on one line.
        desk = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        sign_in(desk, base, "ganzhou", PASSWORD)
        desk.goto(base + overview)
        desk.screenshot(path=str(screenshots / "desk-admissions-round2-1440.png"), full_page=True)
        found = desk.evaluate(MEASURE)
        assert found["squeezed"] == [] and found["raw"] == [], found
        desk.close()

        wang = _phone(browser, base, "wang")
        wang.goto(f"{base}/family/applications/{apps['wang']}")
        assert "残疾儿童就近安置" in wang.inner_text("#override-note")
        _check(wang, "admissions-override-result", screenshots)
        wang.close()
        li = _phone(browser, base, "li")
        li.goto(f"{base}/family/applications/{apps['li']}")
        text = li.inner_text("main")
        assert "第二轮调剂录取" in text and "无法计算距离" in text
        _check(li, "admissions-round2-result", screenshots)
        li.close()


def test_admissions_queue_pages_on_a_phone(browser, db_url: str,  # type: ignore[no-untyped-def]
                                           screenshots: Path) -> None:
    """On every backend: 130 applications a page at a time, filtered by status from the
    form (no script needed), the next page keeping the filter; then the results' pages."""
    county = "620702"
    engine = make_engine(db_url)
    prepare(engine)
    import_dataset(engine, tiny.build(extra_names=False))
    add_county(engine, county)
    create_user(engine, "ganzhou", PASSWORD, Role.COUNTY_ADMIN, county_code=county,
                must_change_password=False)
    create_user(engine, "parent", PASSWORD, Role.PARENT, must_change_password=False)
    rows = add_many(engine, county, 130)
    engine.dispose()
    approved = sum(many_status(k) == "approved" for k in range(130))
    overview = f"/admissions?county={county}&year={YEAR}&stage=primary"
    with serve(db_url) as base:
        staff = _phone(browser, base, "ganzhou")
        staff.goto(base + overview)
        assert staff.locator("#application-list tbody tr").count() == 50
        first = staff.inner_text("#application-list tbody tr >> nth=0")
        assert "待审核" in first  # the queue: those awaiting review first
        _check(staff, "admissions-queue", screenshots,
               "#application-list td, #status-counts a, .filters select, .pager a")
        staff.select_option("#f-status", "approved")
        staff.click(".filters button[type=submit]")
        staff.wait_for_load_state()
        assert "status=approved" in staff.url
        assert f"符合条件 {approved} 份" in staff.inner_text("#application-range")
        staff.click("#applications .pager a[rel=next]")
        staff.wait_for_load_state()
        assert "status=approved" in staff.url and "page=2" in staff.url
        statuses = staff.locator("#application-list td[data-label=状态]").all_inner_texts()
        assert len(statuses) == min(50, approved - 50)
        assert set(statuses) == {"审核通过"}
        _check(staff, "admissions-queue-page2", screenshots, "#application-list td, .pager a")
        desk = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        sign_in(desk, base, "ganzhou", PASSWORD)
        desk.goto(base + overview)
        desk.screenshot(path=str(screenshots / "desk-admissions-queue-1440.png"), full_page=True)
        found = desk.evaluate(MEASURE)
        assert found["squeezed"] == [] and found["raw"] == [] and found["overflow"] <= 1, found
        desk.close()

        # Drawn (the ones waiting decided first): the results, a page at a time.
        waiting = make_engine(db_url)
        with waiting.begin() as conn:
            conn.execute(sa.update(am.applications).where(am.applications.c.status.in_(
                ("submitted", "returned"))).values(status="approved",
                                                   category_verified="hukou_house"))
        waiting.dispose()
        assert rows
        staff.goto(base + overview)
        publish_round_one(staff, "20260715-48213")
        staff.wait_for_selector("#result-list")
        assert staff.locator("#result-list tbody tr").count() == 50
        staff.click("#results .pager a[rel=next]")
        staff.wait_for_load_state()
        assert "rpage=2" in staff.url
        numbers = staff.locator("#result-list td[data-label=摇号号码]").all_inner_texts()
        assert numbers[0] == "51"
        _check(staff, "admissions-results-page2", screenshots, "#result-list td, .pager a")
        staff.close()
