"""No raw id on any Chinese page or report: every page each role can reach from its home page
(following the site's own links), the county reports (Excel and PDF) and the upload
confirmation are read as the official reads them, and any code the bureau does not use —
an indicator or item id (``g04``, ``q01``), a column, table or action id
(``degree_teachers_per_100``, ``area_assignments``, ``add_classrooms``), a key
(``explanation_zh``), a module name or JSON text — fails the test with the page it is on."""

from __future__ import annotations

import html
import io
import re
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import openpyxl
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from junheng.domain.fields import registry
from tests.web import tiny
from tests.web.conftest import ACCOUNTS, Site, csrf_from
from tests.web.workbooks import WEAK_SCHOOL, write_fixed

ROLES = ("city", "inspector", "ganzhou", "clerk")
# Words a Chinese page may show in Latin letters: file types, the product's name, and the
# accounts' user names (data the administrator typed, shown on the user and audit pages).
ALLOWED = {"xlsx", "xls", "pdf", "excel", "junheng", "cv", "km", "id", "https", "http",
           *ACCOUNTS}
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_ITEM = re.compile(r"\b[gqv]\d{2}\b")
_MODULE = re.compile(r"\bjunheng\.[a-z_.]+")
_JSON = re.compile(r'\{\s*"|"\s*:\s*[\[{"\d]')
_WORD = re.compile(r"(?<![A-Za-z0-9_.@/-])[a-z]{3,}(?![A-Za-z0-9_@/-])")
_TAGS = re.compile(r"<[^>]+>")
_INVISIBLE = re.compile(r"<(script|style|template)\b.*?</\1>", re.S | re.I)
_ATTRS = re.compile(r'\b(?:title|placeholder|alt|aria-label)="([^"]*)"')
_HREF = re.compile(r'\bhref="([^"#]+)')


def _ids() -> set[str]:
    """Every table and column id of the exchange format."""
    out = set()
    for table in registry().tables:
        out.add(table.id)
        out.update(table.column_ids)
    return out


TABLE_AND_COLUMN_IDS = _ids()


# Latin words in the names the test data gives its schools (a script injection and formulas,
# which the pages must show as text) and the client address the test client reports.
ALLOWED |= set(re.findall(r"[a-z]{3,}", " ".join([tiny.XSS_NAME, *tiny.FORMULA_NAMES]).lower()))
ALLOWED.add("testclient")


def raw_ids(text: str) -> list[str]:
    """The raw ids in a text the reader sees."""
    found = set(_SNAKE.findall(text)) | set(_ITEM.findall(text)) | set(_MODULE.findall(text))
    found |= {m.group(0) for m in _JSON.finditer(text)}
    for word in _WORD.findall(text):
        if word not in ALLOWED and (word in TABLE_AND_COLUMN_IDS or word.isascii()):
            found.add(word)
    return sorted(found)


def visible_text(page: str) -> str:
    body = _INVISIBLE.sub(" ", page)
    attrs = " ".join(_ATTRS.findall(body))
    return html.unescape(_TAGS.sub(" ", body) + " " + attrs)


def _links(page: str, base: str) -> list[str]:
    out = []
    for href in _HREF.findall(page):
        url = urljoin(base, html.unescape(href))
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver"):
            continue
        path = parts.path
        if path.startswith(("/assets", "/api", "/logout", "/static")) or "lang=" in parts.query:
            continue
        out.append(path + (f"?{parts.query}" if parts.query else ""))
    return out


def crawl(c: TestClient, start: str | Iterable[str] = "/", limit: int = 400) -> dict[str, str]:
    """Every page reachable from ``start`` (one path or several) by the site's links:
    path → HTML (downloads are read separately)."""
    seen: dict[str, str] = {}
    todo = deque([start] if isinstance(start, str) else start)
    while todo and len(seen) < limit:
        url = todo.popleft()
        if url in seen:
            continue
        r = c.get(url, follow_redirects=True)
        seen[url] = ""
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        seen[url] = r.text
        todo.extend(link for link in _links(r.text, str(r.url)) if link not in seen)
    return seen


def _xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             for v in row if isinstance(v, str)]
    return "\n".join([*book.sheetnames, *cells])


def _pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages)


def _problems(where: str, text: str) -> list[str]:
    ids = raw_ids(text)
    return [f"{where}: {', '.join(ids)}"] if ids else []


def test_the_detector_catches_what_it_should() -> None:
    for bad in ("g04", "q01 学校", "每百名 degree_teachers_per_100", "add_classrooms",
                "explanation_zh", "junheng.planners.zones", '{"a": 1}', "area_assignments",
                "facilities", "passed"):
        assert raw_ids(bad), bad
    for good in ("每百名学生拥有高于规定学历教师数 12.5 人", "下载评估报告（Excel）", "6207020001",
                 "学校数据.xlsx", "city", "2027年目标（三分之二区县）"):
        assert not raw_ids(good), good


@pytest.mark.db
@pytest.mark.one_backend
@pytest.mark.parametrize("role", ROLES)
def test_every_page_in_chinese_shows_no_raw_id(site: Site, role: str) -> None:
    c = site.login(role)
    c.get("/admin/audit")  # the audit log shows its own entries: make there be some
    pages = crawl(c)
    assert len(pages) > 3, pages.keys()
    problems = [p for url, page in pages.items() if page
                for p in _problems(url, visible_text(page))]
    assert not problems, "\n".join(problems)


@pytest.mark.db
@pytest.mark.one_backend
def test_reports_show_no_raw_id(site: Site) -> None:
    c = site.login("city")
    problems: list[str] = []
    for code in tiny.COUNTIES:
        xlsx = c.get(f"/county/{code}/report.xlsx")
        assert xlsx.status_code == 200
        problems += _problems(f"/county/{code}/report.xlsx", _xlsx_text(xlsx.content))
        pdf = c.get(f"/county/{code}/report.pdf")
        assert pdf.status_code == 200
        problems += _problems(f"/county/{code}/report.pdf", _pdf_text(pdf.content))
    # The 督导评估 reports: a county with hostile school names, one failing, and the city.
    for path in ("/county/620702/supervision", "/county/620723/supervision", "/supervision"):
        for fmt, read in (("xlsx", _xlsx_text), ("pdf", _pdf_text)):
            r = c.get(f"{path}.{fmt}")
            assert r.status_code == 200
            problems += _problems(f"{path}.{fmt}", read(r.content))
    assert not problems, "\n".join(problems)


@pytest.mark.db
@pytest.mark.one_backend
def test_upload_confirmation_shows_no_raw_id(site: Site, tmp_path: Path) -> None:
    fixed = write_fixed(tiny.build(), WEAK_SCHOOL, 2024, tmp_path / "学校数据.xlsx")
    c = site.login("city")
    token = csrf_from(c.get("/data").text)
    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": ("学校数据.xlsx", fixed.read_bytes())}, follow_redirects=True)
    assert 'id="confirm-import"' in r.text
    problems = _problems("upload", visible_text(r.text))
    r = c.post(r.url.path + "/confirm", data={"csrf_token": token}, follow_redirects=True)
    problems += _problems("imported", visible_text(r.text))
    # And the audit log that recorded both.
    problems += _problems("/admin/audit", visible_text(c.get("/admin/audit").text))
    assert not problems, "\n".join(problems)
