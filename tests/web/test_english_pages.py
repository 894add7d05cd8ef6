"""No Chinese word on an English page except the data's own names.

Every role signs in, switches to English, and opens every page route of the application (the
route table of tests/web/test_authorization.py, filled with Ganzhou's ids) and every page those
pages link to (the crawl of tests/web/test_no_raw_ids.py). The words the site shows in place of
an id — table and column labels, the values of coded columns (school type, ownership, stage,
status), indicator and item labels, measure names, validation messages — come from the field
registry, the standards and the message catalogue, which all have English. What may stay
Chinese is data: the names and free text the dataset, the accounts and this test put in (a
county, school, area or person name, a note), which no catalogue translates. Those strings are
taken out of the page's text first; any CJK character left fails the test with its context.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode

import polars as pl
import pytest
from fastapi.testclient import TestClient

from junheng.domain.yaml_text import load_yaml
from junheng.io.db import load_dataset
from junheng.web.services.admissions import mask_name
from tests.admissions.web_support import add_application, add_county
from tests.web import tiny
from tests.web.conftest import ACCOUNTS, Site, csrf_from
from tests.web.test_authorization import _walk, app_routes
from tests.web.test_measures_evidence import add_evidence
from tests.web.test_no_raw_ids import crawl, visible_text
from tests.web.test_scope_walk import QUERY_VALUES, _params
from tests.web.workbooks import WEAK_SCHOOL, write_broken

# CJK ideographs and the full-width punctuation that only appears next to them.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]+")
# The ids every page route's parameters are filled with: Ganzhou's (the clerk's school).
PATH_VALUES = {"code": "620702", "school_id": "6207020001", "fmt": "pdf"}
# Free text this test types itself (besides the dataset): the evidence note and the county
# name the evidence service is given (tests/web/test_measures_evidence.py, "县区", shown on the
# audit page as the county's name), the uploaded file's name, and the number written in words
# into a number cell of the broken workbook, which the validation message quotes back.
TYPED = ("说明", "县区", "学校数据.xlsx", "六百")
# The rules files whose citations are kept in Chinese (see ``citations``); the rotation
# planner's parameters cite the Zhangye measure its direction rule serves.
RULE_FILES = [*resources.files("junheng.standards").joinpath("data").iterdir(),
              *resources.files("junheng.supervision").joinpath("data").iterdir(),
              *resources.files("junheng.admissions").joinpath("data").iterdir(),
              *resources.files("junheng.planners.teachers").joinpath("data").iterdir()]


def citations() -> set[str]:
    """Every ``source`` and ``clause`` of the rules files: the official number and article of
    a Chinese document ("教督〔2017〕6号", "第五条(一)"), cited as the document itself is
    titled, so that a reader can find it; they have no English version to cite."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("source", "clause") and isinstance(v, str):
                    found.add(v.strip())
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for f in RULE_FILES:
        if f.name.endswith(".yaml"):
            walk(load_yaml(f.read_text("utf-8")))
    return found


def data_names(site: Site) -> list[str]:
    """Every Chinese string that is data: the text values of every table of the imported
    dataset (county, school, area, township, class names …; coded columns hold ids, never
    Chinese), the accounts' display names, the admissions application's child name and hukou
    (tests/admissions/web_support.py), what this test typed, and the rules' citations of
    Chinese documents. Longest first, so a school name goes before the county name it begins
    with."""
    names: set[str] = set(TYPED)
    ds = load_dataset(site.engine)  # type: ignore[arg-type]
    for table in ds:
        frame = ds.table(table)
        for col, dtype in frame.schema.items():
            if dtype == pl.Utf8:
                names.update(v for v in frame[col].drop_nulls().unique().to_list()
                             if _CJK.search(v))
    from junheng.web.services.accounts import find_user

    for username in ACCOUNTS:
        user = find_user(site.engine, username)  # type: ignore[arg-type]
        assert user is not None
        if user.display_name and _CJK.search(user.display_name):
            names.add(user.display_name)
    # The application of tests/admissions/web_support.py: the child's name, as typed and as
    # the staff list masks it, and the typed household registration.
    names.update(("张小明", mask_name("张小明"), "甘州区"))
    # The zone lookup's search text (test_scope_walk's "q"), which the answer quotes back.
    names.add(QUERY_VALUES["q"])
    names.update(citations())
    return sorted(names, key=len, reverse=True)


def chinese_left(text: str, names: list[str]) -> list[str]:
    """The Chinese runs (with some context) left once the data's names are taken out."""
    for name in names:
        text = text.replace(name, " ")
    # The language switch says "中文" in Chinese on purpose: it is read by who wants Chinese.
    text = text.replace("中文", " ")
    out = []
    for m in _CJK.finditer(text):
        around = text[max(0, m.start() - 30):m.end() + 30]
        out.append(f"{m.group(0)!r} in …{' '.join(around.split())}…")
    return out


def _setup(site: Site, tmp_path: Path) -> dict[str, str]:
    """Admissions data, an evidence upload and a staged upload with errors, so the pages that
    show them have something to show; the ids of what was created."""
    add_county(site.engine, "620702")  # type: ignore[arg-type]
    pk, file_id = add_application(site.engine, "620702")  # type: ignore[arg-type]
    evidence_id = add_evidence(site, "620702")
    broken = write_broken(tiny.build(), WEAK_SCHOOL, 2024, tmp_path / "学校数据.xlsx")
    city = site.login("city")
    up = city.post("/data/upload", headers={"X-CSRF-Token": csrf_from(city.get("/data").text)},
                   files={"file": ("学校数据.xlsx", broken.read_bytes())})
    assert up.status_code == 303
    from junheng.web.services.accounts import find_user

    city_user = find_user(site.engine, "city")  # type: ignore[arg-type]
    assert city_user is not None
    return {"upload_id": up.headers["location"].rsplit("/", 1)[-1], "pk": str(pk),
            "file_id": file_id, "evidence_id": str(evidence_id), "user_id": str(city_user.id)}


def page_urls(site: Site, ids: dict[str, str]) -> list[str]:
    """Every GET route of the application with its path parameters filled in, once bare and
    once with every query parameter it declares set as tests/web/test_scope_walk.py sets it
    (a county, a stage, ``wait=1`` for the zone solver's answer …)."""
    routes = {(m, r.path): r for r in _walk(site.app.routes)  # type: ignore[attr-defined]
              for m in r.methods}
    urls = set()
    for method, path in app_routes(site):
        if method != "GET" or path.startswith(("/api/", "/assets/")):
            continue
        url = path.format(**PATH_VALUES, **ids)
        urls.add(url)
        # The public pages' parameters (a phone number) have no value there: left out.
        query = {n: QUERY_VALUES[n] for n in _params(routes[(method, path)])["query"]
                 if n in QUERY_VALUES}
        if query:
            urls.add(url + "?" + urlencode(query))
    return sorted(urls)


@pytest.mark.db
@pytest.mark.one_backend
def test_english_pages_show_no_chinese_but_data(site: Site, tmp_path: Path) -> None:
    ids = _setup(site, tmp_path)
    names = data_names(site)
    urls = page_urls(site, ids)
    problems: list[str] = []
    for role in ACCOUNTS:
        c: TestClient = site.login(role)
        assert c.get("/account/password?lang=en").status_code == 200  # sets the cookie
        pages = crawl(c, urls, limit=1000)
        assert len(pages) < 1000, f"{role}: the crawl stopped at its limit"
        html_pages = {u: p for u, p in pages.items() if p}
        assert len(html_pages) > 3, (role, pages.keys())
        for url, page in html_pages.items():
            # A fragment (the zone lookup's answer) has no <html>; a whole page says its language.
            assert "<html" not in page or '<html lang="en">' in page, f"{role} {url}: not English"
            # The logo is the character 均 drawn as a mark, the same in both languages.
            page = page.replace('<span class="logo">均</span>', "")
            problems += [f"{role} {url}: {p}" for p in chinese_left(visible_text(page), names)]
    assert not problems, f"{len(problems)} Chinese words:\n" + "\n".join(sorted(set(problems)))


def test_the_check_keeps_data_names_and_catches_labels() -> None:
    names = ["甘州区第2学校", "甘州区"]
    assert chinese_left("School 甘州区第2学校 in 甘州区 · 中文", names) == []
    assert chinese_left("Type: 小学", names)
    assert chinese_left("Ownership：public", names)  # a full-width colon is Chinese too
