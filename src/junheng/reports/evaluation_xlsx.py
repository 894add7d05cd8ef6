"""Excel workbook of an evaluation, laid out like the supervisors' tables (督导评估表).

Input is the typed :class:`~junheng.standards.engine.Evaluation`; nothing is recomputed here. Sheets: 汇总 (county verdicts),
one sheet per stage (county value and CV of every indicator), 学校 (every school with each
indicator, threshold and 达标/未达标, shortfalls), 县级项目 (g/q items with value, threshold and
source), 班额 (class-size bands), 未参评学校, 依据 (every rule used, with its source).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter

from junheng.reports.labels import (
    COMPARISON_ZH,
    PART_ZH,
    STAGE_ZH,
    county_verdict_zh,
    fmt_value,
    ids_zh,
    key_zh,
    status_zh,
)
from junheng.reports.safe_cells import write_cell
from junheng.standards.engine import Evaluation


class _Sheet:
    def __init__(self, book: Any, name: str, headers: list[str], widths: list[int] | None = None,
                 title: str | None = None):
        self.ws = book.add_worksheet(name)
        self.book = book
        self.row = 0
        self.head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                     "text_wrap": True, "valign": "vcenter"})
        if title:
            write_cell(self.ws, 0, 0, title, book.add_format({"bold": True, "font_size": 13}))
            self.row = 1
        for c, h in enumerate(headers):
            write_cell(self.ws, self.row, c, h, self.head)
            self.ws.set_column(c, c, (widths[c] if widths and c < len(widths) else 12))
        self.ws.freeze_panes(self.row + 1, 0)
        self.row += 1

    def add(self, values: list[Any], fmts: dict[int, Any] | None = None) -> None:
        for c, v in enumerate(values):
            write_cell(self.ws, self.row, c, v, (fmts or {}).get(c))
        self.row += 1


def write_evaluation_xlsx(ev: Evaluation, out: Path, include_schools: bool = True) -> None:
    """Write the typed evaluation ``ev`` to ``out`` (.xlsx); ``include_schools=False`` leaves
    the school and excluded-school sheets out."""
    book = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False})
    bad = book.add_format({"font_color": "#C00000", "bold": True})
    good = book.add_format({"font_color": "#006100"})
    warn = book.add_format({"font_color": "#9C5700"})

    def verdict_fmt(status: str | None) -> Any:
        return {"passed": good, "failed": bad, "not_reported": warn}.get(status or "")

    std = ev.standard
    indicators = list(std.indicators)
    title = f"{std.label} ({std.source}) — {ev.year}学年"

    # 汇总
    parts = sorted({p for c in ev.counties for p in c.parts},
                   key=lambda p: list(PART_ZH).index(p) if p in PART_ZH else 99)
    sh = _Sheet(book, "汇总", ["区县代码", "区县名称", "结论"] + [PART_ZH.get(p, p) for p in parts]
                + ["触发一票否决的项目", "未报告项目", "原因"], [10, 18, 14] + [12] * len(parts) + [18, 30, 80],
                title=title)
    for c in ev.counties:
        row = [c.county_code, c.county_name, county_verdict_zh(c.status)]
        row += [status_zh(c.parts[p].status if p in c.parts else None) for p in parts]
        row += [ids_zh(list(c.veto_triggered)), ids_zh(list(c.not_reported)), "；".join(c.reasons_zh)]
        sh.add(row, {2: verdict_fmt(c.status)})

    city = ev.city
    if city is not None:
        sh = _Sheet(book, "全市目标", ["项目", "数值"], [40, 30])
        sh.add(["区县总数", city.counties_total])
        sh.add(["实现优质均衡的区县数", city.counties_passed])
        sh.add(["比例", city.share])
        sh.add(["现行目标比例", city.target_share if city.target_in_force else "尚无生效目标"])
        sh.add(["是否达到", status_zh("passed" if city.passed else "failed") if city.passed is not None else "—"])
        if city.next_target is not None:
            nt = city.next_target
            sh.add(["下一目标", f"{nt.share} ({nt.effective_from} 起, {nt.source})"])
        sh.add(["依据", f"{city.trace.source or ''} {city.trace.clause or ''}"])

    # 分学段: 县均值与差异系数
    for stage in std.stages:
        rows = [(c, c.stages[stage]) for c in ev.counties
                if stage in c.stages and c.stages[stage].evaluated]
        if not rows:
            continue
        sh = _Sheet(book, f"{STAGE_ZH.get(stage, stage)}资源配置",
                    ["区县代码", "区县名称", "参评学校数", "达标学校数", "指标", "单位", "县均值",
                     "差异系数", "差异系数上限", "结论", "综合差异系数", "综合上限", "学段结论"],
                    [10, 18, 10, 10, 36, 8, 12, 10, 10, 10, 12, 10, 10],
                    title=f"{STAGE_ZH.get(stage, stage)} 校际差异系数 — {title}")
        for c, s in rows:
            for ind in indicators:
                v = s.indicators.get(ind.id)
                if v is None:
                    continue
                sh.add([c.county_code, c.county_name, s.schools_evaluated,
                        s.schools_passed, ind.label, ind.unit, v.county_value, v.cv,
                        v.cv_limit, status_zh(v.status), s.composite_cv,
                        s.composite_cv_limit, status_zh(s.status)],
                       {9: verdict_fmt(v.status), 12: verdict_fmt(s.status)})

    # 学校
    schools = ev.school_results() if include_schools else []
    if schools:
        judged = {i.id for i in indicators if i.rule is not None}
        cols = ["区县代码", "学校标识码", "学校名称", "学段", "在校生数"]
        for ind in indicators:
            cols += [f"{ind.label} ({ind.unit})"]
            if ind.id in judged:
                cols += ["要求", "达标"]
        cols += ["达标项数", "结论", "缺口"] if judged else []
        sh = _Sheet(book, "学校", cols, [10, 12, 24, 6, 8] + [10] * (len(cols) - 5), title=title)
        for r in schools:
            cells: list[Any] = [r.county_code, r.school_id, r.school_name,
                              STAGE_ZH.get(r.stage, r.stage), r.students]
            fmts: dict[int, Any] = {}
            for ind in indicators:
                si = r.indicators.get(ind.id)
                cells.append(si.value if si else None)
                if ind.id in judged:
                    cells.append(si.threshold if si else None)
                    status = si.status if si else None
                    fmts[len(cells)] = verdict_fmt(status)
                    cells.append(status_zh(status))
            if judged:
                cells += [r.met_count, status_zh(r.status), "；".join(s.text_zh for s in r.shortfalls)]
                fmts[len(cells) - 2] = verdict_fmt(r.status)
            sh.add(cells, fmts)

    # 县级项目
    if any(c.items for c in ev.counties):
        sh = _Sheet(book, "县级项目", ["区县代码", "区县名称", "部分", "检查项", "项目", "数值",
                                   "比较", "要求", "结论", "依据", "说明"],
                    [10, 18, 12, 26, 50, 16, 6, 24, 10, 28, 50], title=title)
        for c in ev.counties:
            for it in c.items.values():
                for chk in it.checks:
                    t = chk.trace.rule
                    note = "待核: " + (t.note or "") if t.unverified else ""
                    if t.overridden:
                        note = ("已按参数覆盖 " + note).strip()
                    sh.add([c.county_code, c.county_name, PART_ZH.get(it.part, it.part),
                            "" if len(it.checks) == 1 else key_zh(chk.id), it.label,
                            fmt_value(chk.value), COMPARISON_ZH.get(chk.comparison or "", ""),
                            fmt_value(chk.threshold), status_zh(chk.status),
                            f"{t.source or ''} {t.clause or ''}".strip(), note],
                           {8: verdict_fmt(chk.status)})

    # 班额
    bands = [(c, st, b.class_bands) for c in ev.counties
             for st, b in c.stages.items() if b.class_bands is not None]
    if bands:
        sh = _Sheet(book, "班额", ["区县代码", "区县名称", "学段", "班级数", "正常(≤45)", "偏大(46–55)",
                                 "大班额(56–65)", "超大班额(66+)", "大班额占比", "超大班额占比"],
                    [10, 18, 6, 8, 10, 10, 12, 12, 10, 10], title=title)
        for c, st, b in bands:
            n = b.counts
            sh.add([c.county_code, c.county_name, STAGE_ZH.get(st, st), b.classes,
                    n["normal"], n["large"], n["big"], n["super"], b.shares["big"],
                    b.shares["super"]])

    if include_schools and ev.excluded.height:
        sh = _Sheet(book, "未参评学校", ["区县代码", "学校标识码", "学校名称", "学段", "在校生数", "原因"],
                    [10, 12, 24, 6, 8, 40])
        for e in ev.excluded.iter_rows(named=True):
            sh.add([e["county_code"], e["school_id"], e["school_name"], STAGE_ZH.get(e["stage"], e["stage"]),
                    e["students"], e["reason"]])

    sh = _Sheet(book, "依据", ["名称", "数值", "单位", "出处", "条款", "生效日期", "失效日期",
                             "待核", "说明", "参数覆盖"], [40, 30, 8, 24, 20, 12, 12, 6, 40, 8])
    for rt in ev.rules.rule_traces().values():
        sh.add([rt.label, fmt_value(rt.value), rt.unit, rt.source, rt.clause,
                rt.effective_from, rt.effective_to, "是" if rt.unverified else "",
                rt.note, "是" if rt.overridden else ""])
    book.close()
