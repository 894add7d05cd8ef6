"""Neutralise spreadsheet formula injection (CSV/Excel injection).

A text cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return, which some
spreadsheet programs strip before parsing) can be run as a formula when a clerk opens the file.
Every report and web export writes cells through :func:`safe_cell`, which prefixes such text
with a single quote; numbers, booleans and dates are left as they are.
"""

from __future__ import annotations

from typing import Any

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` unchanged unless it is text that a spreadsheet could read as a formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def write_cell(worksheet: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
    """Write one cell with xlsxwriter, text always as a string (never parsed as a formula)."""
    if value is None:
        worksheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        worksheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        worksheet.write_number(row, col, value, fmt)
    else:
        worksheet.write_string(row, col, str(safe_cell(value)), fmt)
