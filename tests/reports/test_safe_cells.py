"""Text that a spreadsheet would run as a formula is neutralised; everything else is kept."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from junheng.reports.safe_cells import safe_cell, write_cell


@pytest.mark.parametrize("text", ["=1+1", "+86 123", "-2", "@SUM(A1)", "\t=cmd", "\r=x"])
def test_dangerous_text_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["临泽县", "6207230001", "a=b", 3, -2.5, True, None])
def test_other_values_unchanged(value: object) -> None:
    assert safe_cell(value) == value


def test_write_cell_never_writes_a_formula(tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    book = xlsxwriter.Workbook(str(out))
    ws = book.add_worksheet()
    for i, v in enumerate(["=HYPERLINK(\"http://x\")", -3, None, True, "学校"]):
        write_cell(ws, i, 0, v)
    book.close()
    values = [r[0] for r in openpyxl.load_workbook(out).active.iter_rows(values_only=True)]
    assert values == ["'=HYPERLINK(\"http://x\")", -3, None, True, "学校"]
