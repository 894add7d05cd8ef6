"""The 30 measures in Excel, in the supervisors' layout: a grid of measures × counties with the
status in words, then every indicator with its reason."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from junheng.reports.safe_cells import write_cell
from junheng.supervision.status import STATUS_ZH, MeasuresResult

_FILL = {"done": "#E3F2E6", "in_progress": "#FFF4D6", "lagging": "#FBE3E1",
         "not_reported": "#EEF1F5"}


def write_measures_xlsx(result: MeasuresResult, out: Path) -> None:
    book = xlsxwriter.Workbook(str(out))
    try:
        bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1,
                                "text_wrap": True, "valign": "top"})
        wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
        fills = {k: book.add_format({"bg_color": v, "border": 1, "align": "center",
                                     "valign": "top"}) for k, v in _FILL.items()}
        codes = list(result.county_names)
        grid = book.add_worksheet("措施落实情况")
        grid.write(0, 0, f"{result.register.label}（{result.register.source}）落实情况 · "
                   f"{result.year} 学年", book.add_format({"bold": True, "font_size": 13}))
        heads = ["序号", "措施", "牵头单位", *[result.county_names[c] for c in codes], "全市"]
        for j, h in enumerate(heads):
            grid.write(2, j, h, bold)
        for i, ms in enumerate(result.measures):
            r = 3 + i
            grid.write_number(r, 0, ms.measure.no, wrap)
            write_cell(grid, r, 1, ms.measure.title, wrap)
            write_cell(grid, r, 2, "、".join(ms.measure.responsible), wrap)
            for j, cc in enumerate([*codes, None]):
                s = ms.city if cc is None else ms.counties[cc]
                grid.write(r, 3 + j, STATUS_ZH[s.status], fills[s.status])
        grid.set_column(0, 0, 6)
        grid.set_column(1, 1, 48)
        grid.set_column(2, 2, 22)
        grid.set_column(3, 3 + len(codes), 12)
        grid.freeze_panes(3, 2)
        note_row = 4 + len(result.measures)
        grid.write(note_row, 0, result.register.responsible_note)
        for k, n in enumerate(result.notes):
            grid.write(note_row + 1 + k, 0, n)

        detail = book.add_worksheet("指标与原因")
        for j, h in enumerate(["序号", "区县", "指标", "状态", "来自数据", "原因"]):
            detail.write(0, j, h, bold)
        r = 1
        for ms in result.measures:
            for cc in codes:
                for ind in ms.counties[cc].indicators:
                    detail.write_number(r, 0, ms.measure.no)
                    write_cell(detail, r, 1, result.county_names[cc])
                    write_cell(detail, r, 2, ind.label)
                    detail.write(r, 3, STATUS_ZH[ind.status], fills[ind.status])
                    detail.write(r, 4, "是" if ind.computed else "否（佐证材料）")
                    write_cell(detail, r, 5, ind.reason_zh)
                    r += 1
        detail.set_column(0, 0, 6)
        detail.set_column(1, 1, 16)
        detail.set_column(2, 2, 40)
        detail.set_column(3, 4, 12)
        detail.set_column(5, 5, 80)
        detail.freeze_panes(1, 0)
    finally:
        book.close()
