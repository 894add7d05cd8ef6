"""Admissions in a real browser (Debian chromium): a parent registers on a 390 px phone screen
with the one-time code, applies for a child and uploads a proof; county staff on a desktop
approve, freeze the list, announce the seed, draw and publish round 1, run round 2 (调剂);
the parent reads the result.
Screenshots go to test-output/screenshots/admissions-*.png."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from junheng.io.db import import_dataset, make_engine
from junheng.web.access import Role
from junheng.web.database import prepare
from junheng.web.services.accounts import create_user
from tests.admissions.web_support import PNG, YEAR, add_county, resident_id
from tests.e2e.server import serve
from tests.e2e.steps import publish_round_one, sign_in
from tests.web import tiny

pytestmark = pytest.mark.e2e
PASSWORD = "zhangye-admissions-2026"
PHONE = "13712345678"
COUNTY = "620702"


def _code_from(log: Path, phone: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = re.findall(rf"code for {phone} is (\d{{6}})", log.read_text("utf-8", "replace"))
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError("the development OTP sender wrote no code to the server log")


def test_parent_applies_on_a_phone_and_staff_draw(browser, screenshots: Path,  # type: ignore[no-untyped-def]
                                                  tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'junheng.sqlite'}"
    engine = make_engine(url)
    prepare(engine)
    import_dataset(engine, tiny.build(extra_names=False))
    add_county(engine, COUNTY)
    create_user(engine, "ganzhou", PASSWORD, Role.COUNTY_ADMIN, county_code=COUNTY,
                must_change_password=False)
    engine.dispose()
    proof = tmp_path / "户口簿.png"
    proof.write_bytes(PNG)
    log = tmp_path / "server.log"
    with serve(url, log=log) as base:
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                    device_scale_factor=2, is_mobile=True, has_touch=True)
        page = phone.new_page()
        page.goto(base + "/family/register")
        page.fill("#phone", PHONE)
        page.fill("#name", "王芳")
        page.fill("#password", PASSWORD)
        page.screenshot(path=str(screenshots / "admissions-register-390.png"), full_page=True)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/family/verify"))
        page.fill("#code", _code_from(log, PHONE))
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/login"))
        sign_in(page, base, PHONE, PASSWORD)
        page.wait_for_url(re.compile(r"/family$"))
        page.goto(f"{base}/family/apply?county={COUNTY}&year={YEAR}")
        page.fill("#child_name", "王小雨")
        rid = resident_id("20191120", "456")
        page.fill("#resident_id", rid[:17] + ("1" if rid[17] != "1" else "2"))
        assert "校验码" in page.inner_text("#resident_id_check")  # checked as it is typed
        page.fill("#resident_id", rid)
        assert "✓" in page.inner_text("#resident_id_check")
        page.select_option("#area_id", f"{COUNTY}-A1")
        page.select_option("#category_claimed", "hukou_house")
        page.select_option("#choice_1", f"{COUNTY}0001")
        page.screenshot(path=str(screenshots / "admissions-apply-390.png"), full_page=True)
        # Nothing sticks out of a phone screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click("form[method=post][action='/family/apply'] button[type=submit]")
        page.wait_for_load_state()
        assert re.search(r"/family/applications/\d+$", page.url), page.inner_text("main")
        page.set_input_files("#file", str(proof))
        page.click("form[enctype] button[type=submit]")
        page.wait_for_load_state()
        assert "户口簿" in page.inner_text("main")
        page.screenshot(path=str(screenshots / "admissions-application-390.png"), full_page=True)
        application_url = page.url

        desk = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        staff = desk.new_page()
        sign_in(staff, base, "ganzhou", PASSWORD)
        staff.goto(f"{base}/admissions?county={COUNTY}&year={YEAR}&stage=primary")
        staff.click("table a.mono")
        staff.click("button[value=approve]")
        staff.wait_for_load_state()
        assert "审核通过" in staff.inner_text("main")
        staff.goto(f"{base}/admissions?county={COUNTY}&year={YEAR}&stage=primary")
        publish_round_one(staff, "20260715-48213")
        assert "第一轮结果已公布" in staff.inner_text("#round-status")
        # Round 2 (调剂) is its own button once round 1 is published.
        staff.fill("#round2-reason", "第一轮公示期满")
        staff.click("#run-round2")
        staff.wait_for_load_state()
        assert "第二轮调剂已完成" in staff.inner_text("#round-status")
        assert "第一轮公示期满" in staff.inner_text("main")
        staff.screenshot(path=str(screenshots / "admissions-staff-1440.png"), full_page=True)

        page.goto(application_url)
        text = page.inner_text("main")
        assert "录取结果" in text and "第一轮录取" in text and "摇号号码" in text
        page.screenshot(path=str(screenshots / "admissions-result-390.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        phone.close()
        desk.close()
