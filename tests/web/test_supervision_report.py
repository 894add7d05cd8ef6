"""The 督导评估 reports downloaded from the site carry the figures the pages show (one
computation, two renderings): the county page's indicators, the measures page's statuses, the
city page's goals."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from pypdf import PdfReader

from junheng.supervision.status import STATUS_ZH
from junheng.web.services import measures as measures_svc
from junheng.web.services import views
from junheng.web.services.data import DataService
from tests.web.conftest import Site

CODE = "620723"  # 临泽县: a weak school fails the school rule in the tiny data


def _sheet(book: openpyxl.Workbook, title: str) -> list[tuple[Any, ...]]:
    name = next(n for n in book.sheetnames if n[3:].startswith(title))
    return [r for r in book[name].iter_rows(values_only=True) if any(v is not None for v in r)]


def test_county_report_has_the_pages_figures(site: Site) -> None:
    c = site.login("linze")
    page = c.get(f"/county/{CODE}?year=2024").text
    assert f'href="/county/{CODE}/supervision.pdf?year=2024"' in page
    r = c.get(f"/county/{CODE}/supervision.xlsx?year=2024")
    assert r.status_code == 200
    assert "junheng-supervision-620723-2024.xlsx" in r.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    data = DataService(site.engine, site.settings)  # type: ignore[arg-type]
    view = views.county_view(data, CODE, 2024)
    want = [(r_.county_value, r_.cv) for st in view.stages for r_ in st.indicators]
    got = [(row[3], row[4]) for row in _sheet(book, "校际差异系数")
           if row[0] in ("小学", "初中") and isinstance(row[4], float)]
    assert got == want and got
    # The verdict line names the page's status.
    verdict = _sheet(book, "优质均衡评估结论")
    assert any("未通过" in str(row[0]) for row in verdict) == (view.status == "failed")
    # The measures page's statuses, measure by measure.
    m = measures_svc.measures(data, 2024, site.engine)  # type: ignore[arg-type]
    rows = [row for row in _sheet(book, "30项措施落实情况") if isinstance(row[0], int)]
    assert [(row[0], row[3]) for row in rows] == [
        (ms.measure.no, STATUS_ZH[ms.counties[CODE].status]) for ms in m.measures]
    measures_page = c.get(f"/measures/{CODE}?year=2024").text
    for ms in m.measures[:3]:
        assert STATUS_ZH[ms.counties[CODE].status] in measures_page
    # The tiny data has no finance table: that sheet says 未报送 rather than failing.
    assert any(str(row[0]).startswith("未报送") for row in _sheet(book, "经费保障"))
    # Another county's report is not Linze's to download.
    assert c.get("/county/620702/supervision.pdf?year=2024").status_code == 403


def test_city_report_pdf_and_goals_match_the_city_page(site: Site) -> None:
    c = site.login("inspector")
    page = c.get("/city?year=2024").text
    assert 'href="/supervision.pdf?year=2024"' in page
    pdf = c.get("/supervision.pdf?year=2024")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "张掖市教育局" in text and "优质均衡目标进度" in text
    book = openpyxl.load_workbook(io.BytesIO(c.get("/supervision.xlsx?year=2024").content))
    data = DataService(site.engine, site.settings)  # type: ignore[arg-type]
    city = views.city_overview(data, 2024)
    goals = [row for row in _sheet(book, "优质均衡目标进度")
             if isinstance(row[0], int) and row[0] > 2000]
    assert [(g[0], g[1], g[2], g[3]) for g in goals] == [
        (g.year, g.share, g.counties, city.passed) for g in city.goals]
    for g in city.goals:
        assert f"{city.passed} / {g.counties}" in page
    assert c.get("/supervision.doc?year=2024").status_code == 404
