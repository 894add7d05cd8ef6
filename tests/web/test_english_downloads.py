"""No Chinese word in an English download except the data's own names; the admissions
results' reasons in English on the English pages.

Every Excel workbook and PDF the site offers — the GET routes of the application whose path
ends in ``.xlsx``, ``.pdf`` or ``.{fmt}`` (tests/web/test_authorization.py's route table) — is
fetched in English by every role that may fetch it with Linze's ids (the rule table of
tests/web/test_scope_walk.py), with something in it to show: a teacher list for the rotation
list, aid lists and a pupil roll for the aid workbook, a published admissions round (round 1, a staff override and round 2) for its results.
The workbook's sheet names and cells, and the PDF's text, are held to the rule of
tests/web/test_english_pages.py: once the data's names and the cited official documents are
taken out, no CJK character may be left — except in the downloads of ``CHINESE_ONLY``, which
say why they are not in English yet.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from junheng.io.db import import_dataset
from junheng.web.services import supervision_report as sup
from junheng.web.services.accounts import find_user
from tests.web.conftest import Site
from tests.web.test_authorization import _walk, app_routes
from tests.web.test_english_pages import chinese_left, data_names
from tests.web.test_finance_aid import _extra as finance_and_aid
from tests.web.test_no_raw_ids import _pdf_text, _xlsx_text, visible_text
from tests.web.test_rotation_page import _with_teachers
from tests.web.test_scope_walk import OTHER_COUNTY, PATH_VALUES, QUERY_VALUES, _params

COUNTY = "620723"  # Linze: the county of the scope walk's ids
# Files people uploaded (a proof, an evidence document) are theirs, not the site's words.
UPLOADED = ("/family/applications/{pk}/files/{file_id}", "/measures/evidence/{evidence_id}/file")
# Downloads that have no English version yet, and why. They are still fetched by every role
# that may; the test fails once one of them is English, so that it leaves this list.
CHINESE_ONLY = {
    # reports/supervision_report.py writes the 督导评估 report (``junheng report``) in Chinese
    # for the provincial inspectors: its prose, tables and sheet names have no English words.
    "/county/{code}/supervision.{fmt}": "督导评估 report, Chinese only",
    "/supervision.{fmt}": "督导评估 report, Chinese only",
    # io/template.py: the exchange-format template's README, second header row and the 是/否
    # drop-downs are Chinese; an English one needs the importer to take English yes/no.
    "/data/template.xlsx": "data template, Chinese only",
}


def download_urls(site: Site) -> list[tuple[str, str, set[str]]]:
    """(path pattern, url, roles that may fetch it) of every Excel and PDF route."""
    routes = {r.path: r for r in _walk(site.app.routes)}  # type: ignore[attr-defined]
    out = []
    for method, path in sorted(app_routes(site)):
        last = path.rsplit("/", 1)[-1]
        if (method != "GET" or path.startswith(("/api/", "/assets/")) or path in UPLOADED
                or not last.endswith((".xlsx", ".pdf", ".{fmt}"))):
            continue
        query = {n: QUERY_VALUES[n] for n in _params(routes[path])["query"]
                 if n in QUERY_VALUES}
        # The admissions exports are of the round this test runs (2026), not of the data year.
        if path.startswith("/admissions/"):
            query["year"] = "2026"
        fmts = sorted(sup.FORMATS) if "{fmt}" in path else [""]
        for fmt in fmts:
            url = path.format(**{**PATH_VALUES, "fmt": fmt})
            out.append((path, url + ("?" + "&".join(f"{k}={v}" for k, v in query.items())
                                     if query else ""), OTHER_COUNTY[(method, path)]))
    return out


def run_admissions_round(site: Site) -> tuple[int, int]:
    """Two Linze families for the one seat of school 0001: round 1 places one, the staff move
    them to school 0002 with a written reason, round 2 gives school 0001 to the other."""
    from junheng.web.services import admissions as svc
    from tests.admissions.web_support import YEAR, add_application, add_county, resident_id

    engine = site.engine
    add_county(engine, COUNTY)  # type: ignore[arg-type]
    data = site.app.state.data  # type: ignore[attr-defined]
    data.invalidate()
    staff = find_user(engine, "linze")  # type: ignore[arg-type]
    assert staff is not None
    first, _ = add_application(engine, COUNTY)  # type: ignore[arg-type]
    parent = find_user(engine, "parent")  # type: ignore[arg-type]
    assert parent is not None
    second = svc.create_application(engine, parent, svc.ApplicationForm(  # type: ignore[arg-type]
        year=YEAR, county_code=COUNTY, entry_stage="primary", child_name="张小明",
        resident_id=resident_id("20191120", "456"), hukou="甘州区", area_id=f"{COUNTY}-A1",
        housing="rent", has_residence_permit=True, category_claimed="migrant",
        choices=(f"{COUNTY}0001",)), None)
    svc.review(engine, staff, first, "approve", "", "hukou_house")  # type: ignore[arg-type]
    svc.review(engine, staff, second, "approve", "", "migrant")  # type: ignore[arg-type]
    svc.freeze(engine, staff, COUNTY, YEAR, "primary", "报名截止")  # type: ignore[arg-type]
    svc.announce_seed(engine, staff, COUNTY, YEAR, "primary", "20260715-48213", "")  # type: ignore[arg-type]
    svc.draw(engine, staff, COUNTY, YEAR, "primary", data.dataset())  # type: ignore[arg-type]
    svc.publish(engine, staff, COUNTY, YEAR, "primary", "")  # type: ignore[arg-type]
    svc.override(engine, staff, first, f"{COUNTY}0002", "就近安置", data)  # type: ignore[arg-type]
    svc.round_two(engine, staff, COUNTY, YEAR, "primary", "", data.dataset())  # type: ignore[arg-type]
    return first, second


@pytest.mark.db
@pytest.mark.one_backend
def test_english_downloads_show_no_chinese_but_data(site: Site) -> None:
    _with_teachers(site)
    import_dataset(site.engine, finance_and_aid())  # type: ignore[arg-type]
    run_admissions_round(site)
    # What this test typed (the override's written reason, shown as written), and the pupils'
    # names as the aid workbook masks them.
    from junheng.domain.masking import masked_name_text

    names = data_names(site) + ["就近安置"]
    names = sorted({*names, *(masked_name_text(n) for n in names if len(n) <= 4)},
                   key=len, reverse=True)
    urls = download_urls(site)
    kinds = {path for path, _, _ in urls}
    assert {"/county/{code}/report.xlsx", "/county/{code}/report.pdf",
            "/county/{code}/supervision.{fmt}", "/supervision.{fmt}", "/rotation/{code}/list.xlsx",
            "/admissions/results.xlsx", "/county/{code}/aid.xlsx",
            "/data/template.xlsx"} <= kinds, kinds
    problems: list[str] = []
    fetched = 0
    for role in sorted({r for _, _, roles in urls for r in roles}):
        c: TestClient = site.login(role)
        assert c.get("/account/password?lang=en").status_code == 200  # sets the cookie
        for _path, url, roles in urls:
            if role not in roles:
                continue
            r = c.get(url)
            assert r.status_code == 200, (role, url, r.status_code)
            kind = r.headers["content-type"]
            if "pdf" in kind:
                text = _pdf_text(r.content)
            else:
                assert "spreadsheetml" in kind, (url, kind)
                text = _xlsx_text(r.content)
            assert text.strip(), (role, url)
            fetched += 1
            left = chinese_left(text, names)
            if _path in CHINESE_ONLY:
                assert left, f"{url} is English now: take it out of CHINESE_ONLY"
                continue
            problems += [f"{role} {url}: {p}" for p in left]
    assert fetched >= len(urls)
    assert not problems, f"{len(problems)} Chinese words:\n" + "\n".join(sorted(set(problems)))


@pytest.mark.db
def test_admissions_results_give_their_reasons_in_english(site: Site) -> None:
    """The results' reasons (admissions/words.py, stored beside the Chinese) on the English
    pages of the family and the staff; the Chinese pages keep the publication's words."""
    first, second = run_admissions_round(site)
    names = [*data_names(site), "就近安置"]
    fam, staff = site.login("parent"), site.login("linze")
    for c in (fam, staff):
        assert c.get("/account/password?lang=en").status_code == 200
    pages = {"family override": fam.get(f"/family/applications/{first}").text,
             "family round 2": fam.get(f"/family/applications/{second}").text,
             "staff review": staff.get(f"/admissions/applications/{second}").text,
             "staff results": staff.get("/admissions", params={
                 "county": COUNTY, "year": "2026", "stage": "primary"}).text}
    assert "Placed by the admissions staff" in pages["family override"]
    assert "Round 2:" in pages["family round 2"] and "Round 2:" in pages["staff review"]
    # The migrant child's first choice went to the hukou_house child: said by category.
    assert "comes after it in the priority order" in pages["family round 2"]
    assert "Placed by the admissions staff" in pages["staff results"]
    for where, page in pages.items():
        # The event logs (the family's history, the staff's log) are not results: another
        # change says their reasons in English (web/services/admissions.py event_reason).
        body = re.sub(r'<h2>History</h2>\s*<ul>.*?</ul>|<ul class="log">.*?</ul>', " ",
                      page.split("<main", 1)[-1], flags=re.S)
        assert chinese_left(visible_text(body), names) == [], where
    zh = site.login("parent").get(f"/family/applications/{second}").text
    assert "第二轮调剂录取" in zh and "优先顺序在其后" in zh
