"""Neutralise spreadsheet formula injection (CSV/Excel injection).

A text cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return, which some
spreadsheet programs strip before parsing) can be run as a formula when a clerk opens the file.
Every report, web export and ``junheng export`` writes text through :func:`safe_cell`, which
prefixes such text with a single quote; numbers, booleans and dates are left as they are.

So that an exported dataset imports back exactly, the quote is reversible: text that already
starts with quotes followed by such a character gets one more quote too, and import
(:func:`restore_expr`) takes exactly one quote off text of that shape. ``=SUM(A1)`` exports as
``'=SUM(A1)`` and ``'=x`` as ``''=x``; both read back as they were.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_LIKE = r"^'*[=+\-@\t\r]"  # what gets a quote (quotes first, so it can be undone)
_QUOTED = r"^'('*[=+\-@\t\r])"  # what loses one on import
_FORMULA_RE = re.compile(_FORMULA_LIKE)


def safe_cell(value: Any) -> Any:
    """``value`` unchanged unless it is text that a spreadsheet could read as a formula."""
    if isinstance(value, str) and _FORMULA_RE.match(value):
        return "'" + value
    return value


def safe_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`safe_cell` for a whole text column."""
    return expr.str.replace(f"^({_FORMULA_LIKE[1:]})", "'${1}")


def restore_expr(expr: pl.Expr) -> pl.Expr:
    """Undo :func:`safe_cell` on a text column read from a file."""
    return expr.str.replace(_QUOTED, "${1}")


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
