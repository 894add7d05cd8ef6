"""Reading a dataset from disk as raw text: an Excel workbook or a folder of CSV files.

Everything is read as text first, so that validation can say exactly what a clerk typed
("12.5" in a count column, a school code that Excel turned into a number). Typing happens in
``validate``. Row numbers are those the clerk sees in the spreadsheet (header = row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from junheng.domain.fields import Registry, Table, registry
from junheng.io.problems import Problem

ROW = "__row"  # spreadsheet row number of each data row


@dataclass
class RawSheet:
    """One table as read: every cell as text (None = empty), plus where it came from."""

    table: Table
    file: str
    sheet: str | None
    frame: pl.DataFrame  # text columns named by column id (or the raw header if unknown) + ROW
    unknown_columns: list[str] = field(default_factory=list)


@dataclass
class RawDataset:
    source: str
    sheets: dict[str, RawSheet] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Tables that are present but could not be read: already reported, so neither "missing"
    # nor the references into them are reported again.
    unreadable: set[str] = field(default_factory=set)


def _cell_text(value: object) -> str | None:
    """A cell as the text a clerk would recognise. Excel stores whole numbers as floats."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _header_map(table: Table) -> dict[str, str]:
    """Accepted header spellings -> column id (English id or Chinese label, case-insensitive id)."""
    out: dict[str, str] = {}
    for col in table.columns:
        out[col.id.lower()] = col.id
        out[col.label] = col.id
        if col.unit:
            out[f"{col.label} ({col.unit})"] = col.id
            out[f"{col.label}({col.unit})"] = col.id
    return out


def _sheet_to_raw(
    table: Table, file: str, sheet: str | None, rows: list[list[str | None]],
    problems: list[Problem],
) -> RawSheet | None:
    """Turn a grid of text into a RawSheet, recognising one or two header rows."""
    hmap = _header_map(table)
    while rows and all(v is None for v in rows[0]):
        rows = rows[1:]  # tolerate blank lines above the header
    if not rows:
        problems.append(Problem(file, sheet, None, None,
                                f"表“{table.label}”({table.id})没有表头行",
                                f"table '{table.id}' has no header row"))
        return None
    header = [(h or "").strip() for h in rows[0]]
    n_header = 1
    # The template writes ids on row 1 and Chinese labels on row 2; accept either order.
    if len(rows) > 1:
        second = [(h or "").strip() for h in rows[1]]
        resolved_first = [hmap.get(h.lower(), hmap.get(h)) for h in header]
        resolved_second = [hmap.get(h.lower(), hmap.get(h)) for h in second]
        if any(resolved_first) and resolved_first == resolved_second:
            n_header = 2
    names: list[str] = []
    unknown: list[str] = []
    seen: dict[str, int] = {}
    for idx, h in enumerate(header):
        if not h:
            names.append(f"__blank_{idx}")
            continue
        cid = hmap.get(h.lower(), hmap.get(h))
        if cid is None:
            unknown.append(h)
            cid = h
        if cid in seen:
            problems.append(Problem(
                file, sheet, 1, h,
                f"列“{h}”重复出现（第{seen[cid] + 1}列和第{idx + 1}列）",
                f"column '{h}' appears twice (columns {seen[cid] + 1} and {idx + 1})"))
            names.append(f"__dup_{idx}")
            continue
        seen[cid] = idx
        names.append(cid)
    for h in unknown:
        problems.append(Problem(
            file, sheet, 1, h,
            f"未知列“{h}”：已保留，但平台不使用它",
            f"unknown column '{h}': kept, but not used by the platform", severity="warning"))
    data = rows[n_header:]
    width = len(names)
    columns: dict[str, list[str | None]] = {n: [] for n in names}
    row_numbers: list[int] = []
    for offset, row in enumerate(data):
        if all(v is None for v in row):
            continue  # blank lines between or after data rows are not rows
        row_numbers.append(offset + n_header + 1)
        padded = list(row[:width]) + [None] * (width - len(row))
        for name, value in zip(names, padded, strict=True):
            columns[name].append(value)
    frame = pl.DataFrame(
        {**{n: pl.Series(n, v, dtype=pl.Utf8) for n, v in columns.items()
            if not n.startswith("__")},
         ROW: pl.Series(ROW, row_numbers, dtype=pl.Int64)}
    )
    return RawSheet(table, file, sheet, frame, unknown)


def _sheet_for(reg: Registry, sheet_name: str) -> Table | None:
    name = sheet_name.strip()
    for t in reg.tables:
        if name.lower() == t.id or name == t.label or name == f"{t.label}({t.id})":
            return t
    return None


def read_workbook(path: Path) -> RawDataset:
    """Read an .xlsx (openpyxl) or a legacy .xls (xlrd) workbook."""
    reg = registry()
    raw = RawDataset(source=str(path))
    name = path.name
    if path.stat().st_size == 0:
        raw.problems.append(Problem(name, None, None, None, "文件是空的（0字节）",
                                    "the file is empty (0 bytes)"))
        return raw
    grids: dict[str, list[list[str | None]]] = {}
    if path.suffix.lower() == ".xls":
        try:
            import xlrd

            book = xlrd.open_workbook(str(path))
        except Exception as exc:  # xlrd raises many types for damaged files
            raw.problems.append(Problem(
                name, None, None, None,
                f"无法读取 .xls 文件（文件已损坏或不是Excel 97-2003格式）：{exc}",
                f"cannot read the .xls file (damaged or not Excel 97-2003): {exc}"))
            return raw
        for sh in book.sheets():
            grid = []
            for r in range(sh.nrows):
                row = []
                for c in range(sh.ncols):
                    cell = sh.cell(r, c)
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        row.append(_cell_text(xlrd.xldate.xldate_as_datetime(
                            cell.value, book.datemode)))
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        row.append(_cell_text(bool(cell.value)))
                    else:
                        row.append(_cell_text(cell.value if cell.value != "" else None))
                grid.append(row)
            grids[sh.name] = grid
    else:
        try:
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raw.problems.append(Problem(
                name, None, None, None,
                "无法打开工作簿：文件已损坏，或不是 .xlsx 格式（请用 Excel 另存为 .xlsx 后重试）",
                f"cannot open the workbook: damaged or not an .xlsx file ({exc.__class__.__name__})"))
            return raw
        try:
            for ws in book.worksheets:
                grids[ws.title] = [[_cell_text(v) for v in row]
                                   for row in ws.iter_rows(values_only=True)]
        finally:
            book.close()
    for sheet_name, grid in grids.items():
        table = _sheet_for(reg, sheet_name)
        if table is None:
            if sheet_name.strip() not in {"README", "说明"}:
                raw.problems.append(Problem(
                    name, sheet_name, None, None,
                    f"未知工作表“{sheet_name}”，已忽略（工作表名应为表代码，如 schools）",
                    f"unknown sheet '{sheet_name}' ignored (sheets are named by table id, "
                    "e.g. schools)", severity="warning"))
            continue
        sheet = _sheet_to_raw(table, name, sheet_name, grid, raw.problems)
        if sheet is not None:
            raw.sheets[table.id] = sheet
    return raw


def _decode_csv(data: bytes, name: str, problems: list[Problem]) -> bytes | None:
    """The file as UTF-8 bytes (re-encoded from GBK if need be), or None if undecodable.
    Bytes rather than text, so a large file is not held twice while Polars parses it."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        # Excel on Chinese Windows saves CSV in GBK; GB18030 is its superset.
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        problems.append(Problem(
            name, None, None, None,
            f"文件编码无法识别：既不是UTF-8也不是GBK（第{utf8_error.start}字节附近）。"
            "请在Excel中“另存为 CSV UTF-8”",
            f"unknown text encoding: neither UTF-8 nor GBK (near byte {utf8_error.start}); "
            "save as 'CSV UTF-8' in Excel"))
        return None
    problems.append(Problem(
        name, None, None, None, "文件为GBK编码，已按GBK读取（建议今后保存为UTF-8）",
        "the file is GBK-encoded and was read as GBK (UTF-8 is preferred)", severity="warning"))
    return text.encode("utf-8")


def read_csv_folder(path: Path) -> RawDataset:
    """Read a folder of ``<table>.csv`` files (UTF-8, or GBK with a warning)."""
    reg = registry()
    raw = RawDataset(source=str(path))
    for file in sorted(path.iterdir()):
        if file.suffix.lower() != ".csv":
            continue
        table = _sheet_for(reg, file.stem)
        if table is None:
            raw.problems.append(Problem(
                file.name, None, None, None,
                f"未知文件“{file.name}”，已忽略（文件名应为表代码，如 schools.csv）",
                f"unknown file '{file.name}' ignored (files are named by table id, "
                "e.g. schools.csv)", severity="warning"))
            continue
        data = file.read_bytes()
        if not data.strip():
            raw.problems.append(Problem(file.name, None, None, None,
                                        "文件是空的", "the file is empty"))
            raw.unreadable.add(table.id)
            continue
        utf8 = _decode_csv(data, file.name, raw.problems)
        del data
        if utf8 is None:
            raw.unreadable.add(table.id)
            continue
        sheet = _csv_text_to_raw(table, file.name, utf8, raw.problems)
        if sheet is not None:
            raw.sheets[table.id] = sheet
    return raw


def _csv_text_to_raw(table: Table, name: str, data: bytes,
                     problems: list[Problem]) -> RawSheet | None:
    # Fast path for large clean files: polars parses. The csv module handles everything the
    # fast path does not (two header rows, duplicate headers, ragged lines) with exact rows.
    try:
        frame: pl.DataFrame | None = pl.read_csv(io.BytesIO(data), infer_schema=False)
    except Exception:
        frame = None
    if frame is not None and not _looks_two_header(table, frame):
        hmap = _header_map(table)
        resolved = [hmap.get(h.strip().lower(), hmap.get(h.strip(), h.strip()))
                    for h in frame.columns]
        if len(set(resolved)) == len(resolved) and all(h.strip() for h in frame.columns):
            return _frame_to_raw(table, name, frame, problems)
    text = data.decode("utf-8")
    grid = [[(v.strip() or None) for v in row] for row in csv.reader(io.StringIO(text))]
    return _sheet_to_raw(table, name, None, grid, problems)


def _looks_two_header(table: Table, frame: pl.DataFrame) -> bool:
    if frame.height == 0:
        return False
    hmap = _header_map(table)
    return any(v is not None and (hmap.get(str(v).strip().lower()) or hmap.get(str(v).strip()))
               for v in frame.row(0))


def _frame_to_raw(table: Table, name: str, frame: pl.DataFrame,
                  problems: list[Problem]) -> RawSheet:
    hmap = _header_map(table)
    rename: dict[str, str] = {}
    unknown: list[str] = []
    for h in frame.columns:
        cid = hmap.get(h.strip().lower(), hmap.get(h.strip()))
        if cid is None:
            unknown.append(h.strip())
            problems.append(Problem(
                name, None, 1, h, f"未知列“{h}”：已保留，但平台不使用它",
                f"unknown column '{h}': kept, but not used by the platform", severity="warning"))
        rename[h] = cid or h.strip()
    data_cols = [rename[h] for h in frame.columns]
    # One lazy pass, so a large file is not copied once per step.
    # CSV line 1 is the header, so data starts on line 2.
    query = (frame.lazy().rename(rename)
             .with_columns([pl.col(c).str.strip_chars().replace("", None) for c in data_cols])
             .with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64)))
    if data_cols:
        # Lines that are entirely blank are not rows, as a spreadsheet user would expect.
        query = query.filter(~pl.all_horizontal([pl.col(c).is_null() for c in data_cols]))
    return RawSheet(table, name, None, query.select([*data_cols, ROW]).collect(), unknown)


def read_raw(path: Path) -> RawDataset:
    """Read a workbook or CSV folder without interpreting any value."""
    if not path.exists():
        raw = RawDataset(source=str(path))
        raw.problems.append(Problem(path.name, None, None, None,
                                    f"找不到文件或文件夹：{path}", f"no such file or folder: {path}"))
        return raw
    if path.is_dir():
        return read_csv_folder(path)
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        return read_workbook(path)
    if suffix == ".csv":
        raw = RawDataset(source=str(path))
        raw.problems.append(Problem(
            path.name, None, None, None,
            "单个CSV文件无法构成数据集：请把各表的CSV放在同一文件夹中（如 schools.csv），"
            "然后导入该文件夹",
            "a single CSV is not a dataset: put one CSV per table (e.g. schools.csv) in a "
            "folder and import the folder"))
        return raw
    raw = RawDataset(source=str(path))
    raw.problems.append(Problem(
        path.name, None, None, None,
        f"不支持的文件类型“{suffix or '无扩展名'}”：请使用 .xlsx 工作簿或 CSV 文件夹",
        f"unsupported file type '{suffix}': use an .xlsx workbook or a folder of CSV files"))
    return raw
