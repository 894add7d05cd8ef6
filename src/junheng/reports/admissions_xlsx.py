"""Excel workbook of an allocation, for publication (录取结果公示).

Input is an ``Allocation``; nothing is recomputed here. It carries pseudonymous application ids
only (names and 身份证号 stay in the portal's store), so it can be posted as it is. Sheets:
说明 (list hash, seed, precedence with its source, how to check), 录取结果 (every application
with lottery number, category, school, choice obtained and the reason), 未录取原因 (why each
better choice was not obtained), 学校 (seats, admitted, last admitted category and number).
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from junheng.admissions.allocate import Allocation
from junheng.admissions.rules import categories
from junheng.reports.safe_cells import write_cell
from junheng.standards.labels import label

ROUND_ZH = {1: "第一轮", 2: "第二轮调剂"}


def _rank_zh(rank: str | None) -> str:
    if rank is None:
        return ""
    return "划片安排" if rank == "zone" else f"第{rank}志愿"


def write_allocation_xlsx(alloc: Allocation, out: Path) -> None:
    labels = categories()
    out.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    try:
        ws = book.add_worksheet("说明")
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 90)
        facts = [
            ("区县代码", alloc.county_code), ("学年", alloc.year),
            ("入学学段", label("entry_stage", alloc.stage) or alloc.stage),
            ("申请人数", alloc.applicants),
            ("冻结名单 SHA-256", alloc.list_sha256), ("摇号种子", alloc.seed),
            ("类别优先顺序", alloc.precedence.describe_zh()),
            ("优先顺序依据", f"{alloc.precedence.source}（{alloc.precedence.date.isoformat()}）"),
            ("摇号方法", "每个申请的键 = SHA-256(名单哈希 + 换行 + 种子 + 换行 + 申请编号)，"
             "按键从小到大排序，依次编号 1..N（详见 docs/admissions.md）"),
            ("第二轮调剂", "已运行" if alloc.round_2 else "尚未运行（本表为第一轮结果）"),
            ("人工调整", f"{len(alloc.overrides)} 项，见“人工调整”表（复核时一并重放）"),
            ("复核", "junheng admissions verify DATA --county C --year Y --stage S --result 结果.json"),
        ]
        for r, (k, v) in enumerate(facts):
            write_cell(ws, r, 0, k, head)
            write_cell(ws, r, 1, v)

        ws = book.add_worksheet("录取结果")
        cols = ["申请编号", "摇号号码", "入学类别", "录取轮次", "录取学校标识码", "录取学校",
                "所得志愿", "是否划片学校", "说明"]
        widths = [16, 10, 22, 12, 14, 22, 10, 10, 70]
        for c, (h, w) in enumerate(zip(cols, widths, strict=True)):
            write_cell(ws, 0, c, h, head)
            ws.set_column(c, c, w)
        for r, rec in enumerate(alloc.results.iter_rows(named=True), start=1):
            row = [rec["application_id"], rec["lottery_number"],
                   labels.get(rec["category"], rec["category"]),
                   ROUND_ZH.get(rec["round"], "未录取") if rec["round"] else "未录取",
                   rec["school_id"], rec["school_name"], _rank_zh(rec["choice_rank"]),
                   ("是" if rec["in_zone"] else "否") if rec["school_id"] else "",
                   rec["reason_zh"]]
            for c, v in enumerate(row):
                write_cell(ws, r, c, v)
        ws.freeze_panes(1, 1)

        ws = book.add_worksheet("未录取原因")
        cols = ["申请编号", "学校标识码", "志愿", "原因"]
        for c, (h, w) in enumerate(zip(cols, [16, 14, 10, 90], strict=True)):
            write_cell(ws, 0, c, h, head)
            ws.set_column(c, c, w)
        for r, rec in enumerate(alloc.why_not.iter_rows(named=True), start=1):
            for c, v in enumerate([rec["application_id"], rec["school_id"],
                                   _rank_zh(rec["choice_rank"]), rec["reason_zh"]]):
                write_cell(ws, r, c, v)
        ws.freeze_panes(1, 1)

        ws = book.add_worksheet("学校")
        cols = ["学校标识码", "学校名称", "办学性质", "招生计划数", "录取人数", "第一轮", "第二轮调剂",
                "第一轮末位录取类别", "第一轮末位摇号号码"]
        for c, h in enumerate(cols):
            write_cell(ws, 0, c, h, head)
            ws.set_column(c, c, 14 if c != 1 else 24)
        for r, rec in enumerate(alloc.schools.iter_rows(named=True), start=1):
            row = [rec["school_id"], rec["school_name"], "民办" if rec["is_private"] else "公办",
                   rec["seats"], rec["admitted"], rec["admitted_round_1"],
                   rec["admitted_round_2"],
                   labels.get(rec["last_category"] or "", "") if rec["last_category"] else "",
                   rec["last_lottery_number"]]
            for c, v in enumerate(row):
                write_cell(ws, r, c, v)
        ws.freeze_panes(1, 1)

        # Staff overrides are part of the publication: who changed which result, when and why.
        ws = book.add_worksheet("人工调整")
        cols = ["申请编号", "调整后学校标识码", "调整时点", "理由", "经办人", "时间"]
        for c, (h, w) in enumerate(zip(cols, [16, 16, 16, 60, 16, 20], strict=True)):
            write_cell(ws, 0, c, h, head)
            ws.set_column(c, c, w)
        for r, o in enumerate(alloc.overrides, start=1):
            for c, v in enumerate([o.application_id, o.school_id,
                                   "第一轮结果公布后" if o.after_round == 1 else "第二轮调剂后",
                                   o.reason, o.by, o.at]):
                write_cell(ws, r, c, v)
    finally:
        book.close()
