"""The empty workbook clerks fill in: every table, two header rows (id, Chinese label),
drop-down lists for enum and yes/no columns, and a README sheet in Chinese."""

from __future__ import annotations

from pathlib import Path

from junheng.domain.fields import registry
from junheng.domain.needs import TableNeeds

HEADER_ROWS = 2
TEMPLATE_ROWS = 2000  # how far down drop-downs and number checks reach


def write_template(out: Path, needs: TableNeeds | None = None) -> None:
    """The whole format, or with ``needs`` only the sheets one command reads (a forecaster
    gets counties, schools, enrolment by grade, births and children by area)."""
    import xlsxwriter

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    reg = registry()
    tables = [t for t in reg.tables if needs is None or t.id in needs.tables()]
    book = xlsxwriter.Workbook(str(out))
    try:
        bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
        req = book.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        title = book.add_format({"bold": True, "font_size": 14})
        text_fmt = book.add_format({"num_format": "@"})

        readme = book.add_worksheet("README")
        readme.set_column(0, 0, 22)
        readme.set_column(1, 1, 28)
        readme.set_column(2, 2, 34)
        readme.set_column(3, 3, 70)
        readme.write(0, 0, "均衡平台数据模板（交换格式第1版）", title)
        notes = [
            "每个工作表对应一张表，工作表名为表代码（如 schools），请勿改名。",
            "第1行为列代码，第2行为中文列名；请从第3行开始填写数据。",
            "空白单元格表示“未报告”，不会被当作0；比率填小数（如 0.95），不填百分数。",
            "学校标识码（10位）和区县代码（6位）请保持“文本”格式，以免开头的0丢失。",
            "带下拉框的列请从下拉列表中选择；是/否列填“是”或“否”。",
            "学年以开始的日历年表示（2024 表示 2024—2025 学年）；金额单位为元，面积单位为平方米。",
            "导入时全部检查：有任何错误都不会写入数据，并逐条指出工作表、行、列和原因。",
        ]
        if needs is not None:
            notes.append(f"本模板只含 {needs.command} 命令读取的工作表：{needs.summary_zh()}。")
        for i, note in enumerate(notes):
            readme.write(2 + i, 0, f"{i + 1}. {note}")
        row = 3 + len(notes)
        for j, head in enumerate(["工作表 (表代码)", "列代码", "中文列名", "填写说明"]):
            readme.write(row, j, head, bold)
        row += 1
        for table in tables:
            for col in table.columns:
                readme.write(row, 0, f"{table.label} ({table.id})")
                readme.write(row, 1, col.id)
                readme.write(row, 2, col.label)
                readme.write(row, 3, col.describe_zh(), wrap)
                row += 1

        for table in tables:
            ws = book.add_worksheet(table.id)
            for j, col in enumerate(table.columns):
                fmt = req if col.required else bold
                ws.write_string(0, j, col.id, fmt)
                ws.write_string(1, j, col.label, fmt)
                ws.write_comment(1, j, col.describe_zh(), {"x_scale": 2, "y_scale": 1.5})
                ws.set_column(j, j, max(12, min(28, len(col.label) * 2 + 2)),
                              text_fmt if col.type == "text" else None)
                first, last = HEADER_ROWS, HEADER_ROWS + TEMPLATE_ROWS
                if col.type == "enum":
                    ws.data_validation(first, j, last, j, {
                        "validate": "list", "source": list(col.values),
                        "input_title": col.label,
                        "input_message": "; ".join(f"{k} {v}" for k, v in col.values.items())[:250],
                    })
                elif col.type == "bool":
                    ws.data_validation(first, j, last, j,
                                       {"validate": "list", "source": ["是", "否"]})
                elif col.type == "int" and col.min is not None:
                    ws.data_validation(first, j, last, j, {
                        "validate": "integer", "criteria": ">=", "value": int(col.min),
                        "error_message": f"{col.label}：{col.describe_zh()}"[:250]})
                elif col.type == "float" and col.max == 1:
                    ws.data_validation(first, j, last, j, {
                        "validate": "decimal", "criteria": "between", "minimum": 0,
                        "maximum": 1, "error_message": "比率填0到1之间的小数，如 0.95"})
            ws.freeze_panes(HEADER_ROWS, 0)
    finally:
        book.close()
