"""The county report as the official gets it (issue 13), on the demo data: the page, the Excel
and the PDF count the same classes; the PDF opens with the verdict and its reasons, the issuing
bureau and the date, and its tables fit the A4 page with no column squeezed to one character."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import openpyxl
import polars as pl
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from junheng.demo import generate
from junheng.domain.dataset import Dataset
from junheng.io.db import import_dataset, make_engine
from junheng.standards.engine import evaluate
from junheng.web.access import Role
from junheng.web.app import create_app
from junheng.web.database import prepare
from junheng.web.i18n import Translator
from junheng.web.services import exports
from junheng.web.services.accounts import create_user
from junheng.web.settings import Settings
from tests.web.conftest import PASSWORD, login

pytestmark = pytest.mark.one_backend
GANZHOU, SUNAN, YEAR = "620702", "620721", 2024


@dataclass
class Demo:
    ds: Dataset
    app: object

    def client(self, username: str) -> TestClient:
        c = TestClient(self.app, follow_redirects=False)  # type: ignore[arg-type]
        assert login(c, username, PASSWORD).status_code == 303
        return c


@pytest.fixture(scope="module")
def demo_ds() -> Dataset:
    return generate(0)


@pytest.fixture
def demo(db_url: str, demo_ds: Dataset) -> Iterator[Demo]:
    engine = make_engine(db_url)
    prepare(engine)
    import_dataset(engine, demo_ds)
    create_user(engine, "ganzhou", PASSWORD, Role.COUNTY_ADMIN, county_code=GANZHOU,
                must_change_password=False)
    create_user(engine, "city", PASSWORD, Role.CITY_ADMIN, must_change_password=False)
    app = create_app(Settings(database_url=db_url, secret_key="test-secret"), engine)
    yield Demo(demo_ds, app)
    engine.dispose()


def _pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages)


def test_page_excel_and_pdf_count_the_same_classes(demo: Demo) -> None:
    ev = evaluate(demo.ds, "quality-balance-2017", YEAR, county=GANZHOU)
    county = ev.find_county(GANZHOU)
    assert county is not None
    engine_counts = {st: b.class_bands.classes for st, b in county.stages.items()
                     if b.class_bands is not None}
    # Every class of the county's schools is more than the engine counts (private schools and
    # senior classes are outside the evaluation): counting those was the page's old mistake.
    ids = demo.ds.table("schools").filter(pl.col("county_code") == GANZHOU)["school_id"]
    every = demo.ds.table("classes").filter((pl.col("year") == YEAR)
                                          & pl.col("school_id").is_in(ids.implode()))
    assert every.filter(pl.col("stage") == "primary").height != engine_counts["primary"]

    c = demo.client("ganzhou")
    page = c.get(f"/county/{GANZHOU}?year={YEAR}")
    assert page.status_code == 200
    section = page.text.split('id="county-bands"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>(小学|初中)</td><td class=\"num\">(\d+)</td>", section)
    on_page = {"primary" if s == "小学" else "junior": int(n) for s, n in rows}

    book = openpyxl.load_workbook(io.BytesIO(c.get(f"/county/{GANZHOU}/report.xlsx?year={YEAR}")
                                             .content), read_only=True)
    sheet = list(book["班额"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(sheet) if "班级数" in r)  # under the sheet's title
    head = list(sheet[at])
    in_excel = {"primary" if r[head.index("学段")] == "小学" else "junior":
                int(r[head.index("班级数")]) for r in sheet[at + 1:] if r[0] == GANZHOU}

    pdf = _pdf_text(c.get(f"/county/{GANZHOU}/report.pdf?year={YEAR}").content)
    in_pdf = {"primary" if s == "小学" else "junior": int(n)
              for s, n in re.findall(r"^(小学|初中) (\d+) \d+ \d+ \d+ \d+$", pdf, re.M)}

    assert on_page == in_excel == in_pdf == engine_counts, (on_page, in_excel, in_pdf)


def test_pdf_opens_with_reasons_issuer_and_date(demo: Demo) -> None:
    county = _pdf_text(demo.client("ganzhou").get(f"/county/{GANZHOU}/report.pdf").content)
    first = county.split("小学 —", 1)[0]  # what comes before the first stage's table
    assert "发布单位：甘州区教育局" in first
    assert re.search(r"发布日期：\d{4}年\d{1,2}月\d{1,2}日", first)
    assert "评估结论与原因" in first and "结论：未达标" in first
    assert "尽管各项差异系数均达标" in first  # the resource part's reason, in words
    # The city's account issues it as the city's bureau (the name comes from the data).
    city = _pdf_text(demo.client("city").get(f"/county/{SUNAN}/report.pdf").content)
    first = city.split("小学 —", 1)[0]
    assert "发布单位：张掖市教育局" in first
    # 肃南: which schools make the sports-ground CV, and what would bring it under the limit.
    flat = re.sub(r"\s+", "", first)
    assert "生均体育运动场馆面积：差异系数1.167，上限0.50" in flat
    assert "怎样降到上限以内：补足2所学校的体育运动场馆" in flat
    assert "肃南县红湾小学增加28,706m²" in flat


def _boxes(box: object) -> Iterator[object]:
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child)


def layout_problems(html: str) -> list[str]:
    """What does not fit, read from WeasyPrint's own layout of the report: a table cell narrower
    than two characters of its font (a column of one character per line), a table wider than
    the page's text width, or a run of text that runs past its cell or the page."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    problems: list[str] = []
    doc = HTML(string=html).render()
    for n, page in enumerate(doc.pages, start=1):
        root = page._page_box
        right = root.content_box_x() + root.width + 0.5
        for box in _boxes(root):
            if isinstance(box, boxes.TableBox) and box.position_x + box.margin_width() > right:
                problems.append(f"page {n}: a table is wider than the page")
            if isinstance(box, boxes.TableCellBox):
                em = float(box.style["font_size"])
                text = "".join(t.text for t in _boxes(box) if isinstance(t, boxes.TextBox))
                if box.width < 2 * em:
                    problems.append(f"page {n}: a column {box.width:.0f}px wide for “{text[:20]}”")
                cell_right = box.content_box_x() + box.width + 0.5
                for t in _boxes(box):
                    if isinstance(t, boxes.TextBox) and t.position_x + t.width > cell_right:
                        problems.append(f"page {n}: “{t.text[:20]}” runs past its cell")
            if isinstance(box, boxes.TextBox) and box.position_x + box.width > right:
                problems.append(f"page {n}: “{box.text[:20]}” runs past the page")
    return problems


@pytest.mark.parametrize(("code", "lang"), [(GANZHOU, "zh"), (SUNAN, "en")])
def test_pdf_tables_fit_the_page(demo: Demo, code: str, lang: str) -> None:
    """甘州区 has the longest school list; 肃南 in English the longest reasons."""
    html = exports.county_pdf_html(demo.app.state.data,  # type: ignore[attr-defined]
                                   code, YEAR, Translator(lang), "张掖市", date(2026, 11, 30))
    assert layout_problems(html) == []


def test_layout_check_finds_a_squeezed_column() -> None:
    """The check itself: the old report's schools table, whose 学段 column was squeezed to one
    character per line by a long shortfall column beside it, is caught."""
    long = "生均体育运动场馆面积（差 1,234 m²）；" * 12
    html = ("<html><body style='font-size:9.5pt'><table style='width:100%;border-collapse:"
            "collapse'><tr><td>张掖市甘州区乌江镇中学</td><td>初中</td><td>7</td><td>达标</td>"
            f"<td>{long}</td></tr></table></body></html>")
    assert any("column" in p for p in layout_problems(html))
