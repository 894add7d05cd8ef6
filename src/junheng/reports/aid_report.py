"""Excel rendering of the aid match (``AidResult.to_json()``). The JSON carries 学籍号 and
codes only, never names or 身份证号, so the workbook holds no masked columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from junheng.domain.fields import registry
from junheng.reports.safe_cells import write_cell

KIND_ZH = {"bad_checksum": "身份证号校验码错误", "name_differs": "同一身份证号姓名不一致（待复核）",
           "ambiguous": "姓名和出生日期对应多名学生", "not_on_roll": "学籍中无此人",
           "missing_identity": "无身份证号且姓名或出生日期缺失"}
METHOD_ZH = {"resident_id": "身份证号", "name_birth_date": "姓名+出生日期"}


def _labels() -> dict[str, dict[str, str]]:
    e = registry().enums
    return {"source": {**e["aid_source"], "students": "学籍"}, "category": {
        **e["aid_category"], "family_hardship": "家庭经济困难 (学籍认定)"},
        "program": e["aid_program"], "kind": KIND_ZH, "method": METHOD_ZH}


def write_aid_xlsx(doc: dict[str, Any], out: Path) -> None:
    import xlsxwriter

    lab = _labels()

    def zh(kind: str, v: Any) -> Any:
        if isinstance(v, list):
            return "、".join(str(lab[kind].get(x, x)) for x in v)
        return lab[kind].get(v, v) if v is not None else None

    book = xlsxwriter.Workbook(str(out))
    try:
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        sheets: list[tuple[str, list[dict[str, Any]], list[tuple[str, str, str | None]]]] = [
            ("应助未助", doc["not_aided"], [
                ("county_code", "区县代码", None), ("school_id", "学校标识码", None),
                ("student_id", "学籍号", None), ("category", "类别", "category"),
                ("categories", "全部类别", "category"), ("programs", "未获资助项目", "program")]),
            ("比对结果", doc["matches"], [
                ("student_id", "学籍号", None), ("school_id", "学校标识码", None),
                ("source", "来源部门", "source"), ("category", "类别", "category"),
                ("method", "比对方式", "method"), ("needs_review", "待复核", None),
                ("row", "名单行号", None)]),
            ("问题", doc["problems"], [
                ("source", "来源", "source"), ("row", "行号", None),
                ("kind", "问题", "kind"), ("category", "类别", "category")]),
            ("覆盖率_学校", doc["coverage"]["schools"], [
                ("county_code", "区县代码", None), ("school_id", "学校标识码", None),
                ("qualified_students", "应助学生数", None),
                ("not_aided_students", "应助未助学生数", None),
                ("qualified_awards", "应助项目人次", None), ("aided_awards", "已助人次", None),
                ("gap_awards", "缺口人次", None)]),
            ("覆盖率_区县", doc["coverage"]["counties"], [
                ("county_code", "区县代码", None), ("qualified_students", "应助学生数", None),
                ("not_aided_students", "应助未助学生数", None),
                ("qualified_awards", "应助项目人次", None), ("aided_awards", "已助人次", None),
                ("gap_awards", "缺口人次", None)]),
        ]
        for title, rows, cols in sheets:
            ws = book.add_worksheet(title)
            for j, (_k, label, _kind) in enumerate(cols):
                write_cell(ws, 0, j, label, head)
            for i, rec in enumerate(rows, start=1):
                for j, (key, _label, kind) in enumerate(cols):
                    v = rec.get(key)
                    if kind is not None:
                        v = zh(kind, v)
                    elif isinstance(v, bool):
                        v = "是" if v else "否"
                    write_cell(ws, i, j, v)
            ws.set_column(0, len(cols) - 1, 18)
            ws.freeze_panes(1, 0)
    finally:
        book.close()
