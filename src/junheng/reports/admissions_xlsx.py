"""Excel workbook of an allocation, for publication (录取结果公示).

Input is an ``Allocation``; nothing is recomputed here. It carries pseudonymous application ids
only (names and 身份证号 stay in the portal's store), so it can be posted as it is. Sheets:
说明 (list hash, seed, precedence with its source, how to check), 录取结果 (every application
with lottery number, category, school, choice obtained and the reason), 未录取原因 (why each
better choice was not obtained), 学校 (seats, admitted, last admitted category and number).
In English (``lang="en"``, the web's English download) the same sheets in English words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter

from junheng.admissions.allocate import Allocation
from junheng.reports.safe_cells import write_cell
from junheng.standards.labels import label

ROUND_ZH = {1: "第一轮", 2: "第二轮调剂"}

# The workbook's own words, Chinese (as published) and English; the reasons come from
# admissions/words.py.
WORDS: dict[str, dict[str, Any]] = {
    "zh": {"sheets": ("说明", "录取结果", "未录取原因", "学校", "人工调整"),
           "facts": ("区县代码", "学年", "入学学段", "申请人数", "冻结名单 SHA-256", "摇号种子", "类别优先顺序",
                     "优先顺序依据", "摇号方法", "第二轮调剂", "人工调整", "复核"),
           "lottery": "每个申请的键 = SHA-256(名单哈希 + 换行 + 种子 + 换行 + 申请编号)，"
                      "按键从小到大排序，依次编号 1..N（详见 docs/admissions.md）",
           "round_2": ("已运行", "尚未运行（本表为第一轮结果）"),
           "overrides": "{n} 项，见“人工调整”表（复核时一并重放）",
           "verify": "junheng admissions verify DATA --county C --year Y --stage S --result 结果.json",
           "results": ["申请编号", "摇号号码", "入学类别", "录取轮次", "录取学校标识码", "录取学校",
                       "所得志愿", "是否划片学校", "说明"],
           "round": ROUND_ZH, "not_placed": "未录取", "yes": "是", "no": "否",
           "why_not": ["申请编号", "学校标识码", "志愿", "原因"],
           "schools": ["学校标识码", "学校名称", "办学性质", "招生计划数", "录取人数", "第一轮", "第二轮调剂",
                       "第一轮末位录取类别", "第一轮末位摇号号码"],
           "private": ("民办", "公办"),
           "override_cols": ["申请编号", "调整后学校标识码", "调整时点", "理由", "经办人", "时间"],
           "after_round": ("第一轮结果公布后", "第二轮调剂后")},
    "en": {"sheets": ("About", "Results", "Why not", "Schools", "Overrides"),
           "facts": ("County code", "School year", "Entry stage", "Applications",
                     "Frozen list SHA-256", "Lottery seed", "Priority order of categories",
                     "Basis of the order", "Lottery method", "Round 2", "Staff overrides", "Check"),
           "lottery": "each application's key = SHA-256(list hash + newline + seed + newline + "
                      "application id); keys sorted ascending and numbered 1..N (see "
                      "docs/admissions.md)",
           "round_2": ("run", "not run yet (these are the round-1 results)"),
           "overrides": "{n}, see the sheet “Overrides” (replayed by the check)",
           "verify": "junheng admissions verify DATA --county C --year Y --stage S --result "
                     "result.json",
           "results": ["Application", "Lottery number", "Category", "Round", "School id", "School",
                       "Choice obtained", "Zone school", "Explanation"],
           "round": {1: "Round 1", 2: "Round 2"}, "not_placed": "Not placed", "yes": "yes",
           "no": "no",
           "why_not": ["Application", "School id", "Choice", "Reason"],
           "schools": ["School id", "School", "Ownership", "Seats", "Admitted", "Round 1",
                       "Round 2", "Last admitted category (round 1)",
                       "Last admitted lottery number (round 1)"],
           "private": ("private", "public"),
           "override_cols": ["Application", "School id after the override", "Made", "Reason",
                             "By", "At"],
           "after_round": ("after round 1 was published", "after round 2")},
}


def _rank_words(rank: str | None, lang: str) -> str:
    if rank is None:
        return ""
    if lang == "en":
        return "by zone" if rank == "zone" else f"choice {rank}"
    return "划片安排" if rank == "zone" else f"第{rank}志愿"


def write_allocation_xlsx(alloc: Allocation, out: Path, lang: str = "zh") -> None:
    from junheng.admissions.words import (
        by_words,
        category_words,
        result_reasons,
        why_not_reasons,
    )

    w = WORDS.get(lang, WORDS["zh"])
    lang = lang if lang in WORDS else "zh"
    labels = category_words(lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    try:
        ws = book.add_worksheet(w["sheets"][0])
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 90)
        values = [
            alloc.county_code, alloc.year, label("entry_stage", alloc.stage, lang) or alloc.stage,
            alloc.applicants, alloc.list_sha256, alloc.seed,
            alloc.precedence.describe_zh() if lang == "zh" else alloc.precedence.describe(lang),
            f"{alloc.precedence.source}（{alloc.precedence.date.isoformat()}）" if lang == "zh"
            else f"{alloc.precedence.source} ({alloc.precedence.date.isoformat()})",
            w["lottery"], w["round_2"][0] if alloc.round_2 else w["round_2"][1],
            w["overrides"].format(n=len(alloc.overrides)), w["verify"]]
        for r, (k, v) in enumerate(zip(w["facts"], values, strict=True)):
            write_cell(ws, r, 0, k, head)
            write_cell(ws, r, 1, v)

        ws = book.add_worksheet(w["sheets"][1])
        widths = [16, 10, 22, 12, 14, 22, 10, 10, 70]
        for c, (h, wd) in enumerate(zip(w["results"], widths, strict=True)):
            write_cell(ws, 0, c, h, head)
            ws.set_column(c, c, wd)
        reasons = result_reasons(alloc, lang)
        for r, (rec, why) in enumerate(zip(alloc.results.iter_rows(named=True), reasons,
                                           strict=True), start=1):
            row = [rec["application_id"], rec["lottery_number"],
                   labels.get(rec["category"], rec["category"]),
                   w["round"].get(rec["round"], w["not_placed"]) if rec["round"] else w["not_placed"],
                   rec["school_id"], rec["school_name"], _rank_words(rec["choice_rank"], lang),
                   (w["yes"] if rec["in_zone"] else w["no"]) if rec["school_id"] else "",
                   why]
            for c, v in enumerate(row):
                write_cell(ws, r, c, v)
        ws.freeze_panes(1, 1)

        ws = book.add_worksheet(w["sheets"][2])
        for c, (h, wd) in enumerate(zip(w["why_not"], [16, 14, 10, 90], strict=True)):
            write_cell(ws, 0, c, h, head)
            ws.set_column(c, c, wd)
        reasons = why_not_reasons(alloc, lang)
        for r, (rec, why) in enumerate(zip(alloc.why_not.iter_rows(named=True), reasons,
                                           strict=True), start=1):
            for c, v in enumerate([rec["application_id"], rec["school_id"],
                                   _rank_words(rec["choice_rank"], lang), why]):
                write_cell(ws, r, c, v)
        ws.freeze_panes(1, 1)

        ws = book.add_worksheet(w["sheets"][3])
        for c, h in enumerate(w["schools"]):
            write_cell(ws, 0, c, h, head)
            ws.set_column(c, c, 14 if c != 1 else 24)
        for r, rec in enumerate(alloc.schools.iter_rows(named=True), start=1):
            row = [rec["school_id"], rec["school_name"],
                   w["private"][0] if rec["is_private"] else w["private"][1],
                   rec["seats"], rec["admitted"], rec["admitted_round_1"],
                   rec["admitted_round_2"],
                   labels.get(rec["last_category"] or "", "") if rec["last_category"] else "",
                   rec["last_lottery_number"]]
            for c, v in enumerate(row):
                write_cell(ws, r, c, v)
        ws.freeze_panes(1, 1)

        # Staff overrides are part of the publication: who changed which result, when and why.
        ws = book.add_worksheet(w["sheets"][4])
        for c, (h, wd) in enumerate(zip(w["override_cols"], [16, 16, 16, 60, 16, 20], strict=True)):
            write_cell(ws, 0, c, h, head)
            ws.set_column(c, c, wd)
        for r, o in enumerate(alloc.overrides, start=1):
            for c, v in enumerate([o.application_id, o.school_id,
                                   w["after_round"][0] if o.after_round == 1 else w["after_round"][1],
                                   o.reason, by_words(o.by, lang), o.at]):
                write_cell(ws, r, c, v)
    finally:
        book.close()
