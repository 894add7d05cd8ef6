"""The county and city 督导评估 reports, rendered as PDF (WeasyPrint) and Excel.

Both renderings read one list of sections built here from the typed report
(``junheng.supervision.report``): each section holds its tables (header and rows of raw
figures), its sentences and its charts (SVG drawn from the same rows). The PDF and the
workbook therefore show the same figures cell for cell; nothing is computed here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from junheng.reports import svg_charts
from junheng.reports.labels import COUNTY_ZH, PART_ZH, STAGE_ZH, fmt_value, status_zh
from junheng.reports.safe_cells import write_cell
from junheng.standards import labels
from junheng.supervision.report import CityReport, CountyReport
from junheng.supervision.status import STATUS_ZH

MEASURE_SERIES = [(STATUS_ZH[k], svg_charts.STATUS_COLOURS[k])
                  for k in ("done", "in_progress", "lagging", "not_reported")]
NOT_REPORTED = "未报送"
# Words of the report that are verdicts: the PDF colours their cells.
_GOOD = {"通过", "已完成", "达标", "符合", "已达到", "是"}
_BAD = {"未通过", "滞后", "未达标", "不符合", "未达到", "否"}
_WAIT = {"推进中", "未报送", "未报送 (不能认定)", "—"}


class Pct(float):
    """A share (0–1): the PDF prints it as a percentage, the workbook keeps the number with a
    percent format; it still equals the float the result holds."""


def _school_year(year: int) -> str:
    """A school year as the pages write it (a school year runs September to July)."""
    return f"{year}—{year + 1} 学年"


def _pct(v: float | None) -> Pct | None:
    return None if v is None else Pct(v)


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]
    widths: list[int] | None = None  # % of the page per column, where the words need it


@dataclass
class Section:
    id: str
    title: str
    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    missing_zh: str | None = None   # the section is 未报送 (why)


@dataclass
class Document:
    title: str
    subtitle: str
    issuer: str
    issued_on: str
    sections: list[Section]


# --- the county ------------------------------------------------------------------------------

def _stage(stage: str | None) -> str:
    return STAGE_ZH.get(stage or "", stage or "")


def _verdict(r: CountyReport) -> Section:
    s = Section("verdict", "一、优质均衡评估结论")
    c = r.county
    if c is None:
        s.missing_zh = r.why_missing("evaluation", "未提供评估数据")
        return s
    s.lines.append(f"{r.county_name}{_school_year(r.year)}县域义务教育优质均衡发展评估结论："
                   f"{COUNTY_ZH.get(c.status, c.status)}。")
    s.lines.extend(c.reasons_zh)
    s.lines.extend(cause.text_zh for cause in r.causes)
    s.tables.append(Table("各部分结论", ["评估部分", "结论"],
                          [[PART_ZH.get(k, p.label), status_zh(p.status)]
                           for k, p in c.parts.items()]))
    return s


def _balance(r: CountyReport) -> Section:
    s = Section("balance", "二、校际差异系数")
    c = r.county
    if c is None:
        s.missing_zh = r.why_missing("evaluation", "未提供评估数据")
        return s
    rows: list[list[Any]] = []
    for stage_id, st in c.stages.items():
        if not st.evaluated:
            continue
        chart_rows: list[tuple[str, float | None, float | None]] = []
        for ind in st.indicators.values():
            rows.append([_stage(stage_id), ind.label, ind.unit, ind.county_value, ind.cv,
                         ind.cv_limit, status_zh(ind.status)])
            chart_rows.append((ind.label, ind.cv, ind.cv_limit))
        if chart_rows:
            s.charts.append(svg_charts.bars_against_limit(
                chart_rows, f"{_stage(stage_id)}各指标差异系数与上限", value_label="差异系数"))
        if st.composite_cv is not None:
            s.lines.append(f"{_stage(stage_id)}：参评学校 {st.schools_evaluated} 所，达到学校"
                           f"要求 {st.schools_passed} 所；综合差异系数 {st.composite_cv:.4f}"
                           f"（上限 {fmt_value(st.composite_cv_limit)}）。")
    s.tables.append(Table("资源配置指标", ["学段", "指标", "单位", "县均值", "差异系数",
                                          "差异系数上限", "结论"], rows))
    return s


def _holding_back(r: CountyReport) -> Section:
    s = Section("holding_back", "三、制约达标的学校和指标")
    c = r.county
    if c is None:
        s.missing_zh = r.why_missing("evaluation", "未提供评估数据")
        return s
    if r.failing_schools:
        s.tables.append(Table("未达到学校要求的学校", ["学校", "学段", "在校生", "达标指标数",
                                                     "缺口"],
                              [[x.school_name or "", _stage(x.stage), x.students, x.met_count,
                                "；".join(f.text_zh for f in x.shortfalls)]
                               for x in r.failing_schools]))
    else:
        s.lines.append("所有参评学校均达到学校要求。")
    for d in r.drivers:
        s.tables.append(Table(
            f"{_stage(d.stage)}“{d.label}”差异系数超限（{_cell(d.cv)}，上限 "
            f"{_cell(d.cv_limit)}）的主要来源",
            ["学校", "在校生", f"学校值（{d.unit}）", f"县均值（{d.unit}）", "贡献占比", "方向"],
            [[row["school_name"], row["students"], row["value"], row["county_value"],
              _pct(row["contribution"]), {"above": "高于县均值", "below": "低于县均值"}.get(
                  row["direction"], "等于县均值")]
             for row in d.schools.iter_rows(named=True)]))
    failed_items = [it for it in c.items.values() if it.status != "passed"]
    if failed_items:
        s.tables.append(Table("未达到或未报送的县级项目", ["部分", "项目", "数值", "要求", "结论"],
                              [[PART_ZH.get(it.part, it.part), it.label,
                                _text(fmt_value(it.value)), _text(fmt_value(it.threshold)),
                                status_zh(it.status)] for it in failed_items]))
    return s


def _text(v: Any) -> Any:
    return "—" if v is None else v


def _plan(r: CountyReport) -> Section:
    s = Section("plan", "四、达标规划及投入")
    p = r.plan
    if p is None:
        s.missing_zh = r.why_missing("plan", NOT_REPORTED)
        return s
    s.lines.append(f"目标学年 {p.target_year}（数据学年 {p.data_year}）；规划状态："
                   f"{p.status_zh}；预计投入 {p.total_cost_yuan:,.0f} 元；"
                   f"另需每年经常性支出 {p.budget_lines_yuan:,.0f} 元。")
    s.lines.extend(p.explanation_zh)
    if p.cost_by_year:
        s.tables.append(Table("分年度投入", ["年份", "投入（元）"],
                              [[int(y), c] for y, c in p.cost_by_year.items()]))
    # Actions summed by kind (an action phased over several years counts once per year).
    by_kind: dict[str, list[Any]] = {}
    for a in p.action_rows():
        row = by_kind.setdefault(a.kind, [a.label_zh, 0, 0.0, a.unit or "", 0.0])
        row[1] += 1
        row[2] += float(a.quantity or 0)
        row[4] += float(a.cost_yuan or 0)
    s.tables.append(Table("措施汇总", ["措施", "项数", "数量", "单位", "投入（元）"],
                          [list(v) for v in by_kind.values()], [40, 10, 18, 10, 22]))
    if p.unattainable:
        s.tables.append(Table("在各校上限内无法达到的要求（须另行研究）", ["说明"],
                              [[u.text_zh] for u in p.unattainable]))
    return s


def _rotation(r: CountyReport) -> Section:
    s = Section("rotation", "五、教师交流轮岗")
    if r.rotation is None:
        s.missing_zh = r.why_missing("rotation", NOT_REPORTED)
        return s
    j = r.rotation.to_json()
    if j["status"] == "unknown":
        # No list within the time limit: not a county that fails the rules.
        s.lines.append("在求解时间上限内没有排出轮岗名单（不表示规则无法满足），请重新生成本报告。")
        return s
    if j["status"] == "feasible":
        s.lines.append("求解达到时间上限：名单满足全部规则，但未证明最优。")
    s.tables.append(Table("轮岗名单概况", ["符合条件教师", "至少需轮岗", "本年轮岗", "轮岗比例",
                                          "其中骨干教师", "骨干占比"],
                          [[j["eligible_teachers"], j["required_rotations"],
                            j["rotated_teachers"], _pct(j["rotated_share"]),
                            j["rotated_backbone_teachers"], _pct(j["backbone_share"])]]))
    s.tables.append(Table("逐条核对", ["要求", "结论"],
                          [[c["text_zh"], "符合" if c["passed"] else "不符合"]
                           for c in j["checks"]], [88, 12]))
    return s


def _finance(r: CountyReport) -> Section:
    s = Section("finance", "六、经费保障")
    if r.finance is None:
        s.missing_zh = r.why_missing("finance", NOT_REPORTED)
        return s
    s.tables.append(Table("经费保障检查", ["检查项", "数值", "结论", "说明"],
                          [[c.label, c.value, status_zh(c.status), c.text_zh]
                           for c in r.finance.checks], [20, 13, 8, 59]))
    tr = r.finance_trend
    if tr is not None and tr.height:
        s.charts.append(svg_charts.line_over_years(
            tr["year"].to_list(),
            [("生均教育支出（元）", "#2f5597", tr["per_student_yuan"].to_list())],
            "生均一般公共预算教育支出"))
    return s


def _aid(r: CountyReport) -> Section:
    s = Section("aid", "七、学生资助")
    if r.aid is None:
        s.missing_zh = r.why_missing("aid", NOT_REPORTED)
        return s
    a = r.aid
    s.tables.append(Table("应助尽助", ["符合条件学生", "应资助项次", "已资助项次",
                                      "未获资助学生", "未资助项次"],
                          [[a["qualified_students"], a["qualified_awards"], a["aided_awards"],
                            a["not_aided_students"], a["gap_awards"]]]))
    return s


def _admissions(r: CountyReport) -> Section:
    s = Section("admissions", "八、入学招生")
    if r.admissions is None:
        s.missing_zh = r.why_missing("admissions", NOT_REPORTED)
        return s
    s.tables.append(Table("招生计划与报名", ["入学学段", "招生计划数", "报名人数"],
                          [[labels.label("entry_stage", row["entry_stage"]) or "",
                            row["seats"], row["applications"]]
                           for row in r.admissions.by_stage.iter_rows(named=True)]))
    return s


def _care_health(r: CountyReport) -> Section:
    s = Section("care_health", "九、关爱与健康")
    if "care_health" in r.missing_zh:
        s.lines.append(r.missing_zh["care_health"] + "。")
    # Indicator by indicator: the share the register computed from the care and health
    # tables (and its target) where the data has them, the evidence state otherwise.
    s.tables.append(Table("关爱与健康措施", ["序号", "指标", "比例", "目标", "状态", "原因"],
                          [[m.measure.no, i.label, _pct(i.value), _pct(i.target),
                            STATUS_ZH[i.status],
                            i.reason_zh]
                           for m, a in r.care_health() for i in a.indicators],
                          [5, 25, 8, 8, 8, 46]))
    return s


def _measures(r: CountyReport) -> Section:
    s = Section("measures", "十、30项措施落实情况")
    rows = r.measure_rows()
    counts = {k: sum(a.status == k for _m, a in rows) for k in STATUS_ZH}
    s.lines.append("；".join(f"{STATUS_ZH[k]} {n} 项" for k, n in counts.items()) + "。")
    s.charts.append(svg_charts.stacked_counts(
        [(r.county_name, [counts[k] for k in ("done", "in_progress", "lagging",
                                              "not_reported")])],
        MEASURE_SERIES, "30项措施状态"))
    s.tables.append(Table("逐项状态", ["序号", "措施", "牵头单位", "状态", "原因"],
                          [[m.measure.no, m.measure.title, "、".join(m.measure.responsible),
                            STATUS_ZH[a.status], a.reason_zh] for m, a in rows],
                          [5, 30, 17, 8, 40]))
    return s


def county_document(r: CountyReport) -> Document:
    return Document(
        title=f"{r.county_name}义务教育优质均衡发展督导评估报告",
        subtitle=_school_year(r.year), issuer=r.issuer.name,
        issued_on=f"{r.issuer.issued_on.year}年{r.issuer.issued_on.month}月"
                  f"{r.issuer.issued_on.day}日",
        sections=[_verdict(r), _balance(r), _holding_back(r), _plan(r), _rotation(r),
                  _finance(r), _aid(r), _admissions(r), _care_health(r), _measures(r)])


# --- the city --------------------------------------------------------------------------------

def city_document(r: CityReport) -> Document:
    n = len(r.counties)
    goal = Section("goals", "一、优质均衡目标进度")
    goal.lines.append(f"{_school_year(r.year)}全市 {n} 个县区中 {r.passed} 个通过优质均衡评估。")
    goal.tables.append(Table("目标", ["目标年份", "要求比例", "须通过县区数", "已通过县区数",
                                     "尚差", "现状"],
                             [[g.target.year, str(g.target.fraction()), g.counties_needed,
                               g.counties_passed, max(0, g.counties_needed - g.counties_passed),
                               "已达到" if g.met else "未达到"] for g in r.goals]))
    goal.lines.extend(f"{g.target.year}年目标依据：{g.target.source}"
                      f"{' ' + g.target.clause if g.target.clause else ''}。" for g in r.goals)
    years = [y for y, _ in r.counties[0].history] if r.counties else []
    passed_by_year = [float(sum(dict(c.history)[y] == "passed" for c in r.counties))
                      for y in years]
    goal.charts.append(svg_charts.line_over_years(
        years, [("通过优质均衡的县区数", "#2f5597", list(passed_by_year))],
        "通过县区数与目标",
        goals=[(g.target.year, float(g.counties_needed), f"{g.target.year}年目标 "
                f"{g.counties_needed}") for g in r.goals]))

    counties = Section("counties", "二、各县区情况")
    # The last five years side by side: enough to see the trend, narrow enough for A4.
    shown = years[-5:]
    counties.tables.append(Table(
        "各县区优质均衡评估", ["县区", "本年结论", "目标年份",
                               *[f"{y}学年" for y in shown], "原因"],
        [[c.name, COUNTY_ZH.get(c.status, c.status), c.target_year,
          *[COUNTY_ZH.get(dict(c.history)[y], "—") for y in shown], "；".join(c.reasons_zh)]
         for c in r.counties],
        [13, 8, 7, *[7] * len(shown), 72 - 7 * len(shown)]))

    m = Section("measures", "三、30项措施落实情况")
    codes = list(r.measures.county_names)
    summary = r.measures.summary()
    m.charts.append(svg_charts.stacked_counts(
        [(r.measures.county_names[cc], [summary[cc][k] for k in ("done", "in_progress",
                                                                 "lagging", "not_reported")])
         for cc in codes], MEASURE_SERIES, "各县区30项措施状态"))
    m.tables.append(Table("措施×县区", ["序号", "措施", *[r.measures.county_names[c]
                                                       for c in codes], "全市"],
                          [[ms.measure.no, ms.measure.title,
                            *[STATUS_ZH[ms.counties[c].status] for c in codes],
                            STATUS_ZH[ms.city.status]] for ms in r.measures.measures]))
    m.lines.extend(r.measures.notes)
    place = r.issuer.name.removesuffix("教育局")
    return Document(title=f"{place}义务教育优质均衡发展督导评估报告",
                    subtitle=_school_year(r.year), issuer=r.issuer.name,
                    issued_on=f"{r.issuer.issued_on.year}年{r.issuer.issued_on.month}月"
                              f"{r.issuer.issued_on.day}日",
                    sections=[goal, counties, m])


# --- renderings ------------------------------------------------------------------------------

def _cell(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, Pct):
        return f"{v * 100:.1f}%".replace(".0%", "%")
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        if v.is_integer() and abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 1000:
            return f"{v:,.2f}"
        return f"{v:.4f}".rstrip("0").rstrip(".")
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10000 else str(v)
    return str(v)


def _cls(v: Any) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return "num"
    if v in _GOOD:
        return "good"
    if v in _BAD:
        return "bad"
    if v in _WAIT:
        return "wait"
    return ""


def render_html(doc: Document) -> str:
    env = Environment(loader=PackageLoader("junheng.reports", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters.update(cell=_cell, cls=_cls)
    return env.get_template("supervision.html").render(d=doc)


def render_pdf(doc: Document) -> bytes:
    from weasyprint import HTML

    out: bytes = HTML(string=render_html(doc)).write_pdf()
    return out


def render_xlsx(doc: Document) -> bytes:
    """One sheet per section: its sentences, then each table with its header; numbers stay
    numbers (the same values the PDF prints)."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    try:
        title = book.add_format({"bold": True, "font_size": 13})
        bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1,
                                "text_wrap": True, "valign": "top"})
        wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
        pct = book.add_format({"num_format": "0.0%", "valign": "top", "border": 1})
        cover = book.add_worksheet("封面")
        cover.write(0, 0, doc.title, title)
        cover.write(1, 0, doc.subtitle)
        cover.write(2, 0, doc.issuer)
        cover.write(3, 0, doc.issued_on)
        cover.set_column(0, 0, 60)
        for k, sec in enumerate(doc.sections):
            sheet = book.add_worksheet(f"{k + 1:02d} {sec.title.split('、', 1)[-1]}"[:31])
            sheet.write(0, 0, sec.title, title)
            row = 1
            if sec.missing_zh:
                sheet.write(row, 0, f"{NOT_REPORTED}：{sec.missing_zh}")
                row += 1
            for line in sec.lines:
                write_cell(sheet, row, 0, line)
                row += 1
            widths: dict[int, int] = {}
            for tbl in sec.tables:
                row += 1
                write_cell(sheet, row, 0, tbl.title, bold)
                row += 1
                for j, h in enumerate(tbl.header):
                    sheet.write_string(row, j, h, bold)
                    widths[j] = max(widths.get(j, 8), min(40, len(h) * 2 + 2))
                row += 1
                for values in tbl.rows:
                    for j, v in enumerate(values):
                        write_cell(sheet, row, j, v, pct if isinstance(v, Pct) else wrap)
                        if isinstance(v, str):
                            widths[j] = max(widths.get(j, 8), min(60, len(v) * 2))
                    row += 1
            for j, w in widths.items():
                sheet.set_column(j, j, w)
    finally:
        book.close()
    return buf.getvalue()


def write_report(doc: Document, out: Path) -> None:
    """PDF or Excel by the file's suffix."""
    if out.suffix.lower() == ".xlsx":
        out.write_bytes(render_xlsx(doc))
    else:
        out.write_bytes(render_pdf(doc))
