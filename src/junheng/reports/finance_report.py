"""Excel and HTML renderings of a ``FinanceResult`` (no business logic here: every figure,
verdict and sentence comes from the finance checks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape

from junheng.finance.checks import AreaResult, FinanceResult
from junheng.reports.labels import STATUS_ZH
from junheng.reports.safe_cells import write_cell

FINANCE_STATUS_ZH = {**{k: STATUS_ZH[k] for k in ("passed", "failed", "not_reported")},
                     "no_rule": "无适用规则"}


def _areas(result: FinanceResult) -> list[tuple[str, str, AreaResult]]:
    out = [(a.code, a.name, a) for a in result.counties]
    if result.city is not None:
        out.append((result.city.code, result.city.name + "（全市）", result.city))
    return out


def write_finance_xlsx(result: FinanceResult, out: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(out))
    try:
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                "text_wrap": True})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        money = book.add_format({"num_format": "#,##0.00", "valign": "top"})
        ws = book.add_worksheet("检查结果")
        cols = ["区县代码", "区县", "检查项", "结论", "数值", "上年", "标准/应达", "单位",
                "依据", "条款", "说明（可直接用于报告）"]
        for j, h in enumerate(cols):
            write_cell(ws, 0, j, h, head)
        r = 1
        for code, name, area in _areas(result):
            for c in area.checks:
                row = [code, name, c.label, FINANCE_STATUS_ZH.get(c.status, c.status), c.value,
                       c.previous if c.against_previous else None,
                       None if c.against_previous else c.limit, c.unit, c.source, c.clause,
                       c.text_zh]
                for j, v in enumerate(row):
                    write_cell(ws, r, j, v, money if j in (4, 5, 6) else wrap)
                r += 1
        ws.set_column(0, 1, 10)
        ws.set_column(2, 2, 28)
        ws.set_column(4, 6, 16)
        ws.set_column(8, 9, 22)
        ws.set_column(10, 10, 90)
        ws.freeze_panes(1, 0)
        _table_sheet(book, head, "历年经费", result.trend, [
            ("code", "区县代码"), ("year", "年度"), ("edu_budget_yuan", "一般公共预算教育支出 (元)"),
            ("students", "在校生数"), ("per_student_yuan", "生均 (元)"),
            ("teacher_avg_pay_yuan", "教师平均工资收入 (元)"),
            ("civil_servant_avg_pay_yuan", "当地公务员平均工资收入 (元)"),
            ("public_funds_yuan", "公用经费拨付额 (元)")])
        _table_sheet(book, head, "经费随学籍流动", result.flows, [
            ("from_county", "转出区县"), ("to_county", "转入区县"),
            ("from_school_id", "转出学校标识码"), ("to_school_id", "转入学校标识码"),
            ("transfers", "转学人数"), ("required_yuan", "应划转 (元)"),
            ("moved_yuan", "已划转 (元)"), ("short_transfers", "未足额人数"),
            ("shortfall_yuan", "差额 (元)")])
    finally:
        book.close()


def _table_sheet(book: Any, head: Any, title: str, frame: pl.DataFrame,
                 cols: list[tuple[str, str]]) -> None:
    ws = book.add_worksheet(title)
    for j, (_key, label) in enumerate(cols):
        write_cell(ws, 0, j, label, head)
    # select: a column the finance checks no longer give fails here, not as a blank column.
    for i, row in enumerate(frame.select([k for k, _ in cols]).iter_rows(), start=1):
        for j, value in enumerate(row):
            write_cell(ws, i, j, value)
    ws.set_column(0, len(cols) - 1, 16)
    ws.freeze_panes(1, 0)


def render_finance_html(result: FinanceResult) -> str:
    env = Environment(loader=PackageLoader("junheng.reports", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["status_zh"] = lambda s: FINANCE_STATUS_ZH.get(s, s)
    env.filters["money"] = lambda v: "—" if v is None else f"{v:,.2f}"
    return env.get_template("finance.html").render(r=result, flows=result.flows.to_dicts(),
                                                      areas=_areas(result))


def write_finance_html(result: FinanceResult, out: Path) -> None:
    out.write_text(render_finance_html(result), encoding="utf-8")
