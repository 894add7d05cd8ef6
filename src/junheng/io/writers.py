"""Writing a dataset in the exchange format: an .xlsx workbook or a folder of UTF-8 CSV files.

Written values read back identically (``read_dataset(write_dataset(ds)) == ds``): text cells are
stored as text (so a code like 0123456789 keeps its zero), booleans as 是/否 in workbooks and
true/false in CSV. Text that a spreadsheet could run as a formula (``=cmd|' /C calc'!A0``, or
anything starting with = + - @) is written with a leading single quote, in workbooks and CSV
alike, as every web export does (reports/safe_cells.py); import takes that quote off again, so
the round trip stays exact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.fields import Table, registry
from junheng.reports.safe_cells import safe_cell, safe_expr

Headers = Literal["id", "label", "both"]


def tables_to_write(ds: Dataset) -> list[tuple[Table, pl.DataFrame]]:
    """Registry order; required tables always, optional ones when they have rows."""
    out = []
    for table in registry().tables:
        if table.id in ds and (ds.table(table.id).height or not table.optional):
            frame = ds.table(table.id)
        elif not table.optional:
            frame = table.empty()
        else:
            continue
        cols = table.column_ids + [c for c in frame.columns if c not in table.column_ids]
        frame = frame.select(cols)
        if table.key:
            frame = frame.sort(list(table.key), nulls_last=True)
        out.append((table, frame))
    return out


def _header_rows(table: Table, columns: list[str], headers: Headers) -> list[list[str]]:
    labels = {c.id: c.label for c in table.columns}
    ids = list(columns)
    zh = [labels.get(c, c) for c in columns]
    return {"id": [ids], "label": [zh], "both": [ids, zh]}[headers]


def write_csv_folder(ds: Dataset, out: Path, headers: Headers = "id") -> None:
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in tables_to_write(ds):
        rows = _header_rows(table, frame.columns, headers)
        # Numbers and dates stay as they are (a negative number is no formula); text of
        # every other kind, unknown columns included, is neutralised.
        text_frame = frame.with_columns(
            [pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S") if isinstance(frame.schema[c], pl.Datetime)
             else pl.col(c).cast(pl.Utf8) if frame.schema[c].is_numeric()
             or frame.schema[c] in (pl.Boolean, pl.Date)
             else safe_expr(pl.col(c).cast(pl.Utf8)) for c in frame.columns]
        )
        path = out / f"{table.id}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            import csv

            writer = csv.writer(fh)
            writer.writerows(rows)
        with path.open("a", encoding="utf-8", newline="") as fh:
            text_frame.write_csv(fh, include_header=False)


def write_workbook(ds: Dataset, out: Path, headers: Headers = "id") -> None:
    import xlsxwriter

    out.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False, "strings_to_numbers": False})
    try:
        head_fmt = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
        for table, frame in tables_to_write(ds):
            ws = book.add_worksheet(table.id)
            rows = _header_rows(table, frame.columns, headers)
            for r, row in enumerate(rows):
                ws.write_row(r, 0, row, head_fmt)
            types = {c.id: c.type for c in table.columns}
            base = len(rows)
            for j, name in enumerate(frame.columns):
                ws.set_column(j, j, max(10, min(30, len(name) + 2)))
            # constant_memory mode needs rows written in order.
            for i, rec in enumerate(frame.iter_rows()):
                for j, value in enumerate(rec):
                    if value is None:
                        continue
                    kind = types.get(frame.columns[j], "text")
                    if kind == "bool":
                        ws.write_string(base + i, j, "是" if value else "否")
                    elif kind in ("int", "float"):
                        ws.write_number(base + i, j, value)
                    elif kind == "datetime":
                        ws.write_string(base + i, j, value.strftime("%Y-%m-%d %H:%M:%S"))
                    else:
                        ws.write_string(base + i, j, safe_cell(str(value)))
            ws.freeze_panes(base, 0)
    finally:
        book.close()


def write_dataset(ds: Dataset, out: Path, headers: Headers = "id") -> None:
    """An .xlsx path gets a workbook; any other path a folder of CSV files."""
    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        write_workbook(ds, out, headers)
    else:
        write_csv_folder(ds, out, headers)
