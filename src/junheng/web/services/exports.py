"""The county evaluation report as Excel and PDF, and the empty data template.

Excel cells that begin with = + - @ (or a tab / carriage return) are written as text with a
leading apostrophe, so a school name such as ``=cmd|' /C calc'!A0`` can never run as a formula
when the file is opened or re-saved as CSV.
"""

from __future__ import annotations

import io
import tempfile
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from junheng.domain.needs import TableNeeds
from junheng.web.i18n import Translator
from junheng.web.services import views
from junheng.web.services.data import DataService
from junheng.web.templating import CHINA

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell value that spreadsheet software will not read as a formula."""
    try:
        from junheng.reports.safe_cells import safe_cell  # the reports' shared neutraliser

        return safe_cell(value)
    except ImportError:
        pass
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _write_rows(book: Any, name: str, header: list[str], rows: list[list[Any]],
                t: Translator) -> None:
    # Excel limits sheet names to 31 characters without []:*?/\
    safe = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31]
    sheet = book.add_worksheet(safe)
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    for c, h in enumerate(header):
        sheet.write_string(0, c, h, bold)
        sheet.set_column(c, c, max(10, min(40, len(h) * 2 + 2)))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            value = neutralise(value)
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_string(r, c, t("common.yes") if value else t("common.no"))
            elif isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            else:
                # write_string: text is never interpreted as a formula by xlsxwriter itself.
                sheet.write_string(r, c, str(value))
    sheet.freeze_panes(1, 0)


def county_xlsx(data: DataService, code: str, year: int, lang: str = "zh") -> bytes:
    """The county's evaluation workbook: in Chinese, the supervisors' layout from
    ``junheng.reports.evaluation_xlsx`` over an evaluation of this county only (so the file
    holds no other county's schools); in English, a compact bilingual summary."""
    if lang == "zh":
        return data.memo(("xlsx", code, year, lang), lambda: _supervisor_xlsx(data, code, year))
    return data.memo(("xlsx", code, year, lang), lambda: _county_xlsx(data, code, year, lang))


def _supervisor_xlsx(data: DataService, code: str, year: int) -> bytes:
    from junheng.reports.evaluation_xlsx import write_evaluation_xlsx
    from junheng.standards.engine import evaluate

    if code not in views.county_names(data):
        raise views.NotFound(code)
    ev = evaluate(data.dataset(), data.settings.standard_id, year, county=code)
    with tempfile.TemporaryDirectory(prefix="junheng-report-") as tmp:
        path = Path(tmp) / "report.xlsx"
        write_evaluation_xlsx(ev, path)
        return path.read_bytes()


def _county_xlsx(data: DataService, code: str, year: int, lang: str) -> bytes:
    import xlsxwriter

    t = Translator(lang)
    v = views.county_view(data, code, year)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    _write_rows(book, t("xlsx.summary"), [t("county.county"), t("common.year"),
                                          t("common.status")],
                [[v.name, year, t(f"status.{v.status}")]], t)
    for stage in v.stages:
        _write_rows(book, t.label("stage", stage.id),
                    [t("county.indicator"), "id", t("county.county_value"), t("county.cv"),
                     t("county.cv_limit"), t("county.cv_passed"), t("county.prev_value")],
                    [[t.label("ind", r.id), r.id, r.county_value, r.cv,
                      r.cv_limit, r.cv_passed, r.prev_value]
                     for r in stage.indicators], t)
    _write_rows(book, t("county.items"),
                [t("county.item"), "id", t("common.value"), t("common.threshold"),
                 t("common.passed")],
                [[t.label("item", r.id), r.id, _plain(r.value),
                  _plain(r.threshold), r.passed] for r in v.county_items], t)
    _write_rows(book, t("county.schools"),
                [t("school.id"), t("school.name"), t("common.stage"), t("school.met_count"),
                 t("common.passed"), t("county.shortfalls")],
                [[s.school_id, s.name, t.label("stage", s.stage), s.met_count,
                  s.passed, ("；" if t.lang == "zh" else "; ").join(
                      _shortfall_text(t, f) for f in s.failing)]
                 for s in v.schools], t)
    book.close()
    return buf.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return value


def _shortfall_text(t: Translator, f: views.FailingIndicator) -> str:
    text = t.label("ind", f.id)
    shortfall = f.shortfall_en if t.lang == "en" else f.shortfall
    if shortfall is not None:
        text += f" ({_plain(shortfall)})"
    return text


def county_pdf(data: DataService, code: str, year: int, t: Translator,
               city_level: bool = False) -> bytes:
    """The county's evaluation report as PDF, issued by the county's bureau, or by the city's
    when a city-level account downloads it, dated today in China time. Rendering takes a second
    or two (font subsetting); the same report is served from cache for the rest of the day."""
    issuer = views.report_issuer(data, code, city_level)
    today = datetime.now(CHINA).date()
    return data.memo(("pdf", code, year, t.lang, issuer, today.isoformat()),
                     lambda: _county_pdf(data, code, year, t, issuer, today))


def _county_pdf(data: DataService, code: str, year: int, t: Translator, issuer: str,
                today: date) -> bytes:
    from weasyprint import HTML

    return HTML(string=county_pdf_html(data, code, year, t, issuer, today)).write_pdf()  # type: ignore[no-any-return]


def county_pdf_html(data: DataService, code: str, year: int, t: Translator, issuer: str,
                    today: date) -> str:
    """The HTML the PDF is printed from (the layout test reads it with WeasyPrint)."""
    from junheng.web.templating import templates

    v = views.county_view(data, code, year)
    causes = views.county_causes(data, code, year)
    return templates.env.get_template("report_pdf.html").render(
        v=v, causes=causes, t=t, lang=t.lang, issuer=issuer,
        issued=t("pdf.date", y=today.year, m=today.month, d=today.day))


@lru_cache(maxsize=1)
def template_xlsx(needs: TableNeeds | None = None) -> bytes:
    """The whole template, or only the sheets one function reads."""
    from junheng.io.template import write_template

    with tempfile.TemporaryDirectory(prefix="junheng-template-") as tmp:
        path = Path(tmp) / "template.xlsx"
        write_template(path, needs)
        return path.read_bytes()
