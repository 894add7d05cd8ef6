"""Excel workbooks of an investment plan and of a rotation list (in Chinese; the rotation list
also in English, for the web's English download).

Input is the typed ``InvestmentPlan`` / ``RotationPlan.to_json()``; nothing is recomputed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter

from junheng.planners.investment.results import STATUS_ZH, InvestmentPlan
from junheng.reports.safe_cells import write_cell
from junheng.standards.labels import vocabulary

# Stage and item-status words come from the one label source; None is a whole-school line.
_STAGE: dict[str | None, str] = {None: "全校", **{k: v[0] for k, v in vocabulary("stage").items()}}
_ROTATION_STATUS = {"optimal": "已证明最优", "feasible": "满足全部规则（未证明最优）",
                    "infeasible": "无法满足全部规则", "unknown": "限时内未找到名单"}
_ITEM_STATUS = {k: v[0] for k, v in vocabulary("status").items()}
_SCHEDULE_STATUS = {"funded": "预算内全部安排", "budget_short": "预算不足", "no_budget": "未给年度预算（按需要的年份安排）"}
_UNATTAINABLE_KIND = {"cv": "差异系数", "school_floor": "学校单项低于85%", "school_count": "学校达标项不足"}


def _words(value: Any) -> Any:
    """A value of an item as the reader writes it: nothing for none, 小学 45；初中 50 for a
    mapping by stage (never Python's repr)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "；".join(f"{_STAGE.get(k, k)} {v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return value


def _sheet(book: Any, name: str, headers: list[str], rows: list[list[Any]], widths: list[int]) -> None:
    ws = book.add_worksheet(name)
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    for c, h in enumerate(headers):
        write_cell(ws, 0, c, h, head)
        ws.set_column(c, c, widths[c] if c < len(widths) else 14)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            write_cell(ws, r, c, v)
    ws.freeze_panes(1, 0)


def _r2(v: Any) -> Any:
    """A figure of the action list as its JSON rendering rounds it."""
    return round(v, 2) if isinstance(v, float) else v


def write_plan_xlsx(plan: InvestmentPlan, out: Path) -> None:
    book = xlsxwriter.Workbook(str(out))
    check, passing, sched = plan.check, plan.passing, plan.schedule
    summary: list[list[Any]] = [
        ["区县代码", plan.county_code], ["目标学年", plan.target_year], ["数据学年", plan.data_year],
        ["规划状态", plan.status_zh],
        ["求解状态", STATUS_ZH.get(plan.solver_status, plan.solver_status)],
        ["投资总额（元，= 措施清单各项之和）", round(plan.total_cost_yuan, 2)],
        ["另：经常性预算事项（元/年）", plan.budget_lines_yuan],
        ["最优性间隙", None if plan.gap is None else round(plan.gap, 8)],
        ["下界（元）", None if plan.lower_bound_yuan is None else round(plan.lower_bound_yuan, 2)],
        ["求解用时（秒）", round(plan.solve_seconds, 3)],
        ["规划后资源配置", "达标" if check.resources_passed else "未达标"],
        ["规划后全县结论", "通过" if check.county_passed else "未通过"],
        *[[f"{y} 年措施金额（元）", c] for y, c in plan.cost_by_year.items()],
        ["达标学校·学段（规划前）", f"{passing.before}/{passing.before_total}"],
        ["达标学校·学段（规划后）", f"{passing.after}/{passing.after_total}"
         + (f"（含新校区 {passing.new_campus_sections} 个学段）" if passing.new_campus_sections else "")],
        ["年度预算状态", None if sched is None else _SCHEDULE_STATUS.get(sched.status, sched.status)],
        ["预算缺口（元）", None if sched is None else sched.missing_yuan],
    ]
    summary += [["说明", n] for n in plan.notes_json]
    _sheet(book, "汇总", ["项目", "内容"], summary, [22, 80])
    acts: list[list[Any]] = [
        [a.year, a.school_id, a.school_name, _STAGE.get(a.stage, a.stage), a.label_zh, _r2(a.quantity), a.unit,
         _r2(a.cost_yuan), a.from_school_name or a.from_school_id, _r2(a.distance_km)]
        for a in plan.action_rows()]
    acts.append(["合计", None, None, None, None, None, None, round(plan.total_cost_yuan, 2), None, None])
    _sheet(book, "措施清单", ["年度", "学校标识码", "学校名称", "学段", "措施", "数量", "单位", "费用（元）",
                          "调出学校（县内调配）", "距离（公里）"], acts, [8, 14, 30, 8, 28, 12, 6, 14, 28, 10])
    lines = [[b.label_zh, b.gap, b.gap_unit, b.quantity, b.quantity_unit,
              b.cost_yuan, "是" if b.recurring else "否", b.text_zh] for b in plan.budget_lines]
    _sheet(book, "预算事项", ["名称", "差距", "单位", "数量", "单位", "费用（元/年）", "每年发生", "说明"],
           lines, [30, 10, 10, 10, 12, 14, 8, 50])
    outside = [[o.label_zh or o.item, _ITEM_STATUS.get(o.status, o.status), _words(o.value), _words(o.threshold),
                o.gap, o.how_zh] for o in plan.outside_plan]
    _sheet(book, "规划外事项", ["名称", "状态", "现值", "要求", "差距", "解决途径"], outside,
           [40, 10, 14, 14, 10, 50])
    unatt = [[_UNATTAINABLE_KIND.get(u.kind, u.kind), _STAGE.get(u.stage),
              u.indicator_label or u.indicator, u.school_name or u.school_id,
              u.value_now, u.best_reachable, u.required, u.text_zh] for u in plan.unattainable]
    _sheet(book, "无法达到", ["类型", "学段", "指标", "学校", "现值", "上限内最好", "要求", "原因"], unatt,
           [12, 8, 28, 14, 10, 12, 10, 80])
    what_if = plan.what_if_no_limits
    if what_if is not None:
        rows: list[list[Any]] = [["说明", what_if.text_zh], ["取消上限后总成本（元）", what_if.total_cost_yuan],
                                 ["比本规划多（元）", what_if.extra_cost_yuan]]
        rows += [[o.school_name or o.school_id, o.text_zh] for o in what_if.over_limit]
        _sheet(book, "取消上限测算", ["项目", "内容"], rows, [28, 90])
    years = sched.years if sched is not None else ()
    budget = sched.budget_by_year if sched is not None else {}
    spent = sched.spent_by_year if sched is not None else {}
    _sheet(book, "年度安排", ["年度", "预算（元）", "支出（元）"],
           [[y, budget.get(str(y)), spent.get(str(y))] for y in years], [8, 16, 16])
    book.close()


# The rotation workbook's words, Chinese and English (the reasons come in the plan already said
# in the reader's language: ``explanation``, each check's ``text``, each move's ``to_reason``).
_ROTATION_WORDS: dict[str, dict[str, Any]] = {
    "zh": {"status": _ROTATION_STATUS, "yes": "是", "no": "否", "passed": "通过", "failed": "未通过",
           "sheets": ("汇总", "轮岗名单", "规则复核"), "summary_head": ["项目", "内容"],
           "summary": ["区县代码", "学年", "求解状态", "符合条件教师（人）", "轮岗教师（人）", "轮岗比例",
                       "其中骨干（人）", "骨干占比", "从其他学校调出（人）", "其中去往乡村、薄弱学校（人）",
                       "轮岗骨干去往乡村、薄弱学校（人）", "说明"],
           "moves": ["教师编号", "学段", "学科", "调出学校", "调出学校名称", "调入学校", "调入学校名称",
                     "调入学校类别", "距离（公里）", "骨干", "本校任教年限"],
           "checks": ["结论", "值", "说明"]},
    "en": {"status": {"optimal": "Proven optimal", "feasible": "Meets every rule (not proven optimal)",
                      "infeasible": "Cannot meet every rule", "unknown": "No list found in time"},
           "yes": "yes", "no": "no", "passed": "passed", "failed": "failed",
           "sheets": ("Summary", "Rotation list", "Rules re-checked"), "summary_head": ["Item", "Value"],
           "summary": ["County code", "School year", "Solver status", "Eligible teachers",
                       "Teachers rotated", "Share rotated", "Backbone teachers among them",
                       "Backbone share", "Leaving other schools",
                       "Of them to rural or weak schools", "Backbone teachers to rural or weak schools",
                       "Note"],
           "moves": ["Teacher ID", "Stage", "Subject", "From school", "From school name", "To school",
                     "To school name", "Why the destination", "Distance (km)", "Backbone",
                     "Years at the school"],
           "checks": ["Result", "Value", "Rule"]},
}


def write_rotation_xlsx(plan: dict[str, Any], out: Path, lang: str = "zh") -> None:
    """The rotation list as a workbook in ``lang``. ``plan`` is ``RotationPlan.to_json()``,
    whose reasons are in Chinese, or the web's rendering of it with them in the reader's
    language (``explanation`` and each check's ``text``, see web/services/rotation.py)."""
    w = _ROTATION_WORDS.get(lang, _ROTATION_WORDS["zh"])
    stage = _STAGE if lang == "zh" else {k: v[1] or v[0] for k, v in vocabulary("stage").items()}
    book = xlsxwriter.Workbook(str(out))
    d = plan["direction"]
    values = [plan["county_code"], plan["year"], w["status"].get(plan["status"], plan["status"]),
              plan["eligible_teachers"], plan["rotated_teachers"], plan["rotated_share"],
              plan["rotated_backbone_teachers"], plan["backbone_share"], d["moves_from_other"],
              d["moves_toward"], d["backbone_toward"]]
    summary: list[list[Any]] = [[k, v] for k, v in zip(w["summary"], values, strict=False)]
    summary += [[w["summary"][-1], t] for t in plan.get("explanation", plan["explanation_zh"])]
    _sheet(book, w["sheets"][0], w["summary_head"], summary, [20, 100])
    # Rows of the rotation's move frame: every column is there (rotation.py gives it a schema).
    moves = [[m["teacher_id"], stage.get(m["stage"]), m["subject"], m["from_school_id"], m["from_school_name"],
              m["to_school_id"], m["to_school_name"], m["to_reason"] or "", m["distance_km"],
              w["yes"] if m["is_backbone"] else w["no"], m["years_at_school"]] for m in plan["moves"]]
    _sheet(book, w["sheets"][1], w["moves"], moves, [18, 6, 10, 14, 28, 14, 28, 30, 10, 6, 10])
    checks = [[w["passed"] if c["passed"] else w["failed"], "" if c["value"] is None else c["value"],
               c.get("text", c["text_zh"])] for c in plan["checks"]]
    _sheet(book, w["sheets"][2], w["checks"], checks, [8, 10, 80])
    book.close()
