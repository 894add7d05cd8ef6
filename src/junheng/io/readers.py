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
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from junheng.domain.fields import Limits, Registry, Table, registry
from junheng.io.problems import Problem

ROW = "__row"  # spreadsheet row number of each data row
# Rows are turned into a columnar frame in chunks, so a large sheet never exists as Python
# strings all at once.
CHUNK_ROWS = 50_000
# How far down a header may start (blank lines above it are tolerated).
HEADER_SCAN_ROWS = 20
_MB = 1_000_000


class TooLarge(Exception):
    """A bound of ``Limits`` was crossed: reading stops at once, with this problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message_en)
        self.problem = problem


def _mb(n: float) -> str:
    return f"{n / _MB:,.0f} MB" if n >= _MB else f"{n:,.0f} B"


@dataclass
class _Budget:
    """Data cells (rows × header width) still allowed over the whole workbook."""

    file: str
    limits: Limits
    used: int = 0

    def take(self, cells: int, sheet: str | None, row: int) -> None:
        self.used += cells
        if self.used > self.limits.cells:
            cap = self.limits.cells
            raise TooLarge(Problem(
                self.file, sheet, row, None,
                f"数据量过大：超过 {cap:,} 个单元格（行数 × 列数），已停止读取。请按区县或学段拆分后分别导入",
                f"too much data: more than {cap:,} cells (rows × columns); reading stopped. "
                "Split the file (by county or stage) and import the parts separately"))


@dataclass
class RawSheet:
    """One table as read: every cell as text (None = empty), plus where it came from."""

    table: Table
    file: str
    sheet: str | None
    frame: pl.DataFrame  # text columns named by column id (or the raw header if unknown) + ROW
    unknown_columns: list[str] = field(default_factory=list)
    # Set when the numbers were parsed while reading (a clean CSV file, read with ``typed``):
    # the int and float columns are already Int64 / Float64, and ``as_text`` reads the file
    # again as text, so that a sheet with any problem is reported from what the clerk typed.
    as_text: Callable[[], RawSheet | None] | None = None


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


def _blank(row: Sequence[Any]) -> bool:
    return row.count(None) == len(row)


def _sheet_to_raw(
    table: Table, file: str, sheet: str | None, rows: Iterable[tuple[int, Sequence[str | None]]],
    problems: list[Problem], limits: Limits, budget: _Budget | None = None,
) -> RawSheet | None:
    """Turn numbered rows of text into a RawSheet, recognising one or two header rows.

    Rows are read only up to the header's width, and (with ``budget``) never more data cells
    than the workbook is allowed; the header itself is at most ``limits.columns`` wide."""
    hmap = _header_map(table)
    it = iter(rows)
    first: tuple[int, Sequence[str | None]] | None = None
    for num, row in it:
        if not _blank(row):  # tolerate blank lines above the header
            first = (num, row)
            break
    if first is None:
        problems.append(Problem(file, sheet, None, None,
                                f"表“{table.label}”({table.id})没有表头行",
                                f"table '{table.id}' has no header row"))
        return None
    header_row, header_cells = first
    header = [(h or "").strip() for h in header_cells]
    while header and not header[-1]:
        header.pop()
    cap = limits.columns
    if len(header) > cap:
        raise TooLarge(Problem(
            file, sheet, header_row, None,
            f"列数过多：表头超过 {cap} 列（本表最多 {len(table.columns)} 列），请删除多余的列",
            f"too many columns: the header is wider than {cap} columns (this table has "
            f"{len(table.columns)}); delete the extra columns"))
    pending: list[tuple[int, Sequence[str | None]]] = []
    # The template writes ids on row 1 and Chinese labels on row 2; accept either order.
    second = next(it, None)
    if second is not None:
        second_header = [(h or "").strip() for h in second[1][:len(header)]]
        second_header += [""] * (len(header) - len(second_header))
        resolved_first = [hmap.get(h.lower(), hmap.get(h)) for h in header]
        resolved_second = [hmap.get(h.lower(), hmap.get(h)) for h in second_header]
        if not (any(resolved_first) and resolved_first == resolved_second):
            pending.append(second)
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
                file, sheet, header_row, h,
                f"列“{h}”重复出现（第{seen[cid] + 1}列和第{idx + 1}列）",
                f"column '{h}' appears twice (columns {seen[cid] + 1} and {idx + 1})"))
            names.append(f"__dup_{idx}")
            continue
        seen[cid] = idx
        names.append(cid)
    for h in unknown:
        problems.append(Problem(
            file, sheet, header_row, h,
            f"未知列“{h}”：已保留，但平台不使用它",
            f"unknown column '{h}': kept, but not used by the platform", severity="warning"))
    width = len(names)
    keep = [i for i, n in enumerate(names) if not n.startswith("__")]
    kept_names = [names[i] for i in keep]
    chunks: list[pl.DataFrame] = []
    columns: list[list[str | None]] = [[] for _ in keep]
    row_numbers: list[int] = []

    def flush() -> None:
        chunks.append(pl.DataFrame(
            {**{n: pl.Series(n, v, dtype=pl.Utf8) for n, v in zip(kept_names, columns,
                                                               strict=True)},
             ROW: pl.Series(ROW, row_numbers, dtype=pl.Int64)}))
        for col in columns:
            col.clear()
        row_numbers.clear()

    def data_rows() -> Iterable[tuple[int, Sequence[str | None]]]:
        yield from pending
        yield from it

    for num, row in data_rows():
        if _blank(row):
            continue  # blank lines between or after data rows are not rows
        if num > limits.rows:
            raise TooLarge(Problem(
                file, sheet, num, None,
                f"行数过多：超过 {limits.rows:,} 行，已停止读取",
                f"too many rows: more than {limits.rows:,}; reading stopped"))
        if budget is not None:
            budget.take(width, sheet, num)
        row_numbers.append(num)
        n = len(row)
        for col, i in zip(columns, keep, strict=True):
            col.append(row[i] if i < n else None)
        if len(row_numbers) >= CHUNK_ROWS:
            flush()
    if row_numbers or not chunks:
        flush()
    frame = pl.concat(chunks, rechunk=True) if len(chunks) > 1 else chunks[0]
    return RawSheet(table, file, sheet, frame, unknown)


def _sheet_for(reg: Registry, sheet_name: str) -> Table | None:
    name = sheet_name.strip()
    for t in reg.tables:
        if name.lower() == t.id or name == t.label or name == f"{t.label}({t.id})":
            return t
    return None


def _refuse(name: str, zh: str, en: str) -> TooLarge:
    return TooLarge(Problem(name, None, None, None, zh, en))


def _check_zip(path: Path, name: str, limits: Limits) -> None:
    """Refuse a workbook whose zip would unpack to too much, before any part is parsed.

    The declared sizes are what ``zipfile`` enforces while reading: a part that inflates to
    more than it declares fails its CRC check (``BadZipFile``), it is never returned in full.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: opening it reports the damage
    if len(infos) > limits.zip_entries:
        raise _refuse(name, f"工作簿结构异常：包含 {len(infos):,} 个部件（上限 {limits.zip_entries:,}）",
                      f"unusual workbook: {len(infos):,} parts (at most {limits.zip_entries:,})")
    total = sum(i.file_size for i in infos)
    if total > limits.unzipped_bytes:
        raise _refuse(
            name, f"工作簿解压后为 {_mb(total)}，超过上限 {_mb(limits.unzipped_bytes)}。"
            "请按区县或学段拆分后分别导入",
            f"the workbook unpacks to {_mb(total)}, more than {_mb(limits.unzipped_bytes)}; "
            "split it (by county or stage) and import the parts separately")
    for info in infos:
        if (info.file_size > limits.part_bytes
                and not info.filename.startswith("xl/worksheets/")):
            raise _refuse(
                name, f"工作簿部件“{info.filename}”解压后为 {_mb(info.file_size)}，超过上限 "
                f"{_mb(limits.part_bytes)}",
                f"workbook part '{info.filename}' unpacks to {_mb(info.file_size)}, more than "
                f"{_mb(limits.part_bytes)}")
        if (info.file_size > _MB
                and info.file_size > limits.compression_ratio * max(info.compress_size, 1)):
            raise _refuse(
                name, f"工作簿部件“{info.filename}”压缩比异常（{_mb(info.compress_size)} 解压为 "
                f"{_mb(info.file_size)}），疑似“压缩炸弹”，已拒绝",
                f"workbook part '{info.filename}' has an abnormal compression ratio "
                f"({_mb(info.compress_size)} unpacks to {_mb(info.file_size)}); refused as a "
                "possible zip bomb")


def _too_many_sheets(name: str, n: int, limits: Limits) -> TooLarge:
    return _refuse(name, f"工作表过多：共 {n} 张（上限 {limits.sheets}）",
                   f"too many sheets: {n} (at most {limits.sheets})")


def _unknown_sheet(name: str, sheet_name: str) -> Problem:
    return Problem(
        name, sheet_name, None, None,
        f"未知工作表“{sheet_name}”，已忽略（工作表名应为表代码，如 schools）",
        f"unknown sheet '{sheet_name}' ignored (sheets are named by table id, e.g. schools)",
        severity="warning")


def _damaged(name: str, exc: Exception) -> Problem:
    return Problem(
        name, None, None, None,
        "无法打开工作簿：文件已损坏，或不是 .xlsx 格式（请用 Excel 另存为 .xlsx 后重试）",
        f"cannot open the workbook: damaged or not an .xlsx file ({exc.__class__.__name__})")


def _xlsx_rows(ws: Any, min_row: int, max_row: int, max_col: int,
               ) -> Iterable[tuple[int, list[str | None]]]:
    # Explicit max_row / max_col: openpyxl otherwise trusts the sheet's declared <dimension>
    # and pads every row to it (A1:XFD1048576 = 16,384 columns × a million rows).
    for num, values in enumerate(ws.iter_rows(min_row=min_row, max_row=max_row, max_col=max_col,
                                              values_only=True), start=min_row):
        if values.count(None) == len(values):
            yield num, []  # gaps are filled with empty rows; skip them cheaply
        else:
            yield num, [None if v is None else _cell_text(v) for v in values]


def _read_xlsx_sheet(ws: Any, table: Table, name: str, sheet_name: str, limits: Limits,
                     budget: _Budget, problems: list[Problem]) -> RawSheet | None:
    # The header is read one column wider than allowed, to see whether it is too wide; data
    # rows only as wide as the header.
    head = list(_xlsx_rows(ws, 1, HEADER_SCAN_ROWS, limits.columns + 1))
    found = next(((num, row) for num, row in head if not _blank(row)), None)
    if found is None:
        return _sheet_to_raw(table, name, sheet_name, head, problems, limits, budget)
    header_row, header = found
    width = max(i + 1 for i, v in enumerate(header) if v is not None)
    rows = [(num, row) for num, row in head if num <= header_row]
    rest = _xlsx_rows(ws, header_row + 1, limits.rows + 1, min(width, limits.columns))
    return _sheet_to_raw(table, name, sheet_name, _chain(rows, rest), problems, limits,
                         budget)


def _chain(first: list[tuple[int, list[str | None]]],
           rest: Iterable[tuple[int, list[str | None]]],
           ) -> Iterable[tuple[int, Sequence[str | None]]]:
    yield from first
    yield from rest


def read_workbook(path: Path, limits: Limits | None = None) -> RawDataset:
    """Read an .xlsx (openpyxl, streaming) or a legacy .xls (xlrd) workbook, within ``limits``.

    Only sheets named after a table are read; others are reported and never parsed."""
    reg = registry()
    limits = limits or reg.limits
    raw = RawDataset(source=str(path))
    name = path.name
    size = path.stat().st_size
    if size == 0:
        raw.problems.append(Problem(name, None, None, None, "文件是空的（0字节）",
                                    "the file is empty (0 bytes)"))
        return raw
    budget = _Budget(name, limits)
    try:
        if size > limits.file_bytes:
            raise _refuse(name, f"文件过大：{_mb(size)}（上限 {_mb(limits.file_bytes)}）",
                          f"the file is too large: {_mb(size)} (at most {_mb(limits.file_bytes)})")
        if path.suffix.lower() == ".xls":
            _read_xls(path, name, reg, limits, budget, raw)
        else:
            _read_xlsx(path, name, reg, limits, budget, raw)
    except TooLarge as exc:
        raw.problems.append(exc.problem)
        raw.sheets.clear()
    return raw


def _read_xlsx(path: Path, name: str, reg: Registry, limits: Limits, budget: _Budget,
               raw: RawDataset) -> None:
    _check_zip(path, name, limits)
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raw.problems.append(_damaged(name, exc))
        return
    try:
        if len(book.sheetnames) > limits.sheets:
            raise _too_many_sheets(name, len(book.sheetnames), limits)
        for sheet_name in book.sheetnames:
            table = _sheet_for(reg, sheet_name)
            if table is None:
                if sheet_name.strip() not in {"README", "说明"}:
                    raw.problems.append(_unknown_sheet(name, sheet_name))
                continue
            try:
                sheet = _read_xlsx_sheet(book[sheet_name], table, name, sheet_name, limits,
                                         budget, raw.problems)
            except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
                raw.problems.append(_damaged(name, exc))
                raw.unreadable.add(table.id)
                continue
            if sheet is not None:
                raw.sheets[table.id] = sheet
    finally:
        book.close()


def _read_xls(path: Path, name: str, reg: Registry, limits: Limits, budget: _Budget,
              raw: RawDataset) -> None:
    try:
        import xlrd

        # on_demand: a sheet is parsed only when asked for, so unknown sheets cost nothing.
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:  # xlrd raises many types for damaged files
        raw.problems.append(Problem(
            name, None, None, None,
            f"无法读取 .xls 文件（文件已损坏或不是Excel 97-2003格式）：{exc}",
            f"cannot read the .xls file (damaged or not Excel 97-2003): {exc}"))
        return
    try:
        names = book.sheet_names()
        if len(names) > limits.sheets:
            raise _too_many_sheets(name, len(names), limits)
        for sheet_name in names:
            table = _sheet_for(reg, sheet_name)
            if table is None:
                if sheet_name.strip() not in {"README", "说明"}:
                    raw.problems.append(_unknown_sheet(name, sheet_name))
                continue
            sh = book.sheet_by_name(sheet_name)

            def cells(sh: Any = sh) -> Iterable[tuple[int, list[str | None]]]:
                width = min(sh.ncols, limits.columns + 1)
                for r in range(min(sh.nrows, limits.rows + 1)):
                    row: list[str | None] = []
                    for c in range(min(width, sh.row_len(r))):
                        cell = sh.cell(r, c)
                        if cell.ctype == xlrd.XL_CELL_DATE:
                            row.append(_cell_text(xlrd.xldate.xldate_as_datetime(
                                cell.value, book.datemode)))
                        elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                            row.append(_cell_text(bool(cell.value)))
                        else:
                            row.append(_cell_text(cell.value if cell.value != "" else None))
                    yield r + 1, row

            sheet = _sheet_to_raw(table, name, sheet_name, cells(), raw.problems, limits,
                                  budget)
            if sheet is not None:
                raw.sheets[table.id] = sheet
            book.unload_sheet(sheet_name)
    finally:
        book.release_resources()


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


def read_csv_folder(path: Path, limits: Limits | None = None, *,
                    tables: Collection[str] | None = None, typed: bool = False) -> RawDataset:
    """Read a folder of ``<table>.csv`` files (UTF-8, or GBK with a warning), within ``limits``.

    ``tables``: read only these tables' files (a command never pays for a file it does not
    use; the others are not opened). ``typed``: parse the numbers of a clean file while
    reading (see ``RawSheet.as_text``)."""
    reg = registry()
    limits = limits or reg.limits
    raw = RawDataset(source=str(path))
    files = [f for f in sorted(path.iterdir()) if f.suffix.lower() == ".csv"]
    try:
        if len(files) > limits.sheets:
            raise _refuse(path.name, f"CSV文件过多：共 {len(files)} 个（上限 {limits.sheets}）",
                          f"too many CSV files: {len(files)} (at most {limits.sheets})")
        for file in files:
            _read_csv_file(file, reg, limits, raw, tables, typed)
    except TooLarge as exc:
        raw.problems.append(exc.problem)
        raw.sheets.clear()
    return raw


def _read_csv_file(file: Path, reg: Registry, limits: Limits, raw: RawDataset,
                   tables: Collection[str] | None = None, typed: bool = False) -> None:
    table = _sheet_for(reg, file.stem)
    if table is None:
        raw.problems.append(Problem(
            file.name, None, None, None,
            f"未知文件“{file.name}”，已忽略（文件名应为表代码，如 schools.csv）",
            f"unknown file '{file.name}' ignored (files are named by table id, "
            "e.g. schools.csv)", severity="warning"))
        return
    if tables is not None and table.id not in tables:
        return
    size = file.stat().st_size
    if size > limits.file_bytes:
        raise _refuse(file.name, f"文件过大：{_mb(size)}（上限 {_mb(limits.file_bytes)}）",
                      f"the file is too large: {_mb(size)} (at most {_mb(limits.file_bytes)})")
    data = file.read_bytes()
    # isspace() scans without copying: strip() would copy a 150 MB class list to ask this.
    if not data or data.isspace():
        raw.problems.append(Problem(file.name, None, None, None,
                                    "文件是空的", "the file is empty"))
        raw.unreadable.add(table.id)
        return
    if typed:
        # Polars refuses bytes that are not UTF-8, so a file it parses needs no separate
        # decoding pass (a GBK file falls through to _decode_csv below).
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        sheet = _typed_csv(table, file, body, limits)
        del body
        if sheet is not None:
            raw.sheets[table.id] = sheet
            return
    utf8 = _decode_csv(data, file.name, raw.problems)
    del data
    if utf8 is None:
        raw.unreadable.add(table.id)
        return
    sheet = _csv_text_to_raw(table, file.name, utf8, raw.problems, limits)
    if sheet is not None:
        raw.sheets[table.id] = sheet
    else:
        raw.unreadable.add(table.id)


def _csv_text_to_raw(table: Table, name: str, data: bytes,
                     problems: list[Problem], limits: Limits) -> RawSheet | None:
    # Fast path for large clean files: polars parses. The csv module handles everything the
    # fast path does not (two header rows, duplicate headers, ragged lines) with exact rows.
    # Memory is bounded by the file's bytes (columnar); the slow path keeps rows only as wide
    # as the header and at most ``limits.cells`` of them.
    try:
        frame: pl.DataFrame | None = pl.read_csv(io.BytesIO(data), infer_schema=False)
    except Exception:
        frame = None
    if frame is not None and frame.width > limits.columns:
        raise TooLarge(Problem(
            name, None, 1, None,
            f"列数过多：表头超过 {limits.columns} 列（本表最多 {len(table.columns)} 列），请删除多余的列",
            f"too many columns: the header is wider than {limits.columns} columns (this table "
            f"has {len(table.columns)}); delete the extra columns"))
    if frame is not None and frame.height + 1 > limits.csv_rows:
        raise TooLarge(Problem(
            name, None, limits.csv_rows + 1, None,
            f"行数过多：超过 {limits.csv_rows:,} 行，请拆分后分别导入",
            f"too many rows: more than {limits.csv_rows:,}; split the file and import the "
            "parts"))
    if frame is not None and not _looks_two_header(table, frame):
        hmap = _header_map(table)
        resolved = [hmap.get(h.strip().lower(), hmap.get(h.strip(), h.strip()))
                    for h in frame.columns]
        if len(set(resolved)) == len(resolved) and all(h.strip() for h in frame.columns):
            return _frame_to_raw(table, name, frame, problems)
    del frame
    text = data.decode("utf-8")
    # A field over csv's own limit (131,072 characters) ends the read with csv.Error, reported
    # with its line; shorter overlong fields are reported, located, by validation.
    reader = csv.reader(io.StringIO(text))
    grid = ((num, [(v.strip() or None) for v in row]) for num, row in enumerate(reader, start=1))
    budget = _Budget(name, limits)
    try:
        return _sheet_to_raw(table, name, None, grid, problems, limits, budget)
    except csv.Error as exc:
        problems.append(Problem(name, None, reader.line_num, None,
                                f"CSV格式错误：{exc}", f"malformed CSV: {exc}"))
        return None


def _typed_csv(table: Table, file: Path, data: bytes, limits: Limits) -> RawSheet | None:
    """The fast path for a clean file: Polars parses each number column straight into its
    type (no text copy of a million figures, no second parse in validation). None (the text
    path decides) for anything unusual: a header that is not exactly the table's columns, a
    value Polars cannot parse as its column's type, a second header row, too many rows."""
    # Sliced at the first newline: split() would copy the rest of the file to return it.
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).rstrip(b"\r")
    try:
        header = next(csv.reader([first.decode("utf-8")]))
    except (csv.Error, StopIteration, UnicodeDecodeError):
        return None
    hmap = _header_map(table)
    ids = [hmap.get(h.strip().lower(), hmap.get(h.strip())) for h in header]
    if (not ids or any(i is None for i in ids) or len(set(ids)) != len(ids)
            or len(ids) > limits.columns):
        return None
    numeric = {h: table.column(i).dtype for h, i in zip(header, ids, strict=True)
               if i is not None and table.column(i).type in ("int", "float")}
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, schema_overrides=numeric)
    except Exception:
        return None
    if frame.columns != header or frame.height + 1 > limits.csv_rows:
        return None
    if frame.height and _looks_two_header(table, frame.head(1).select(
            [pl.col(h).cast(pl.Utf8) for h in frame.columns])):
        return None
    names = [i for i in ids if i is not None]
    text = [i for i in names if table.column(i).type not in ("int", "float")]
    query = (frame.lazy().rename(dict(zip(header, names, strict=True)))
             .with_columns([pl.col(c).str.strip_chars().replace("", None) for c in text])
             .with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
             .filter(~pl.all_horizontal([pl.col(c).is_null() for c in names])))

    def as_text() -> RawSheet | None:
        again = _decode_csv(file.read_bytes(), file.name, [])
        return None if again is None else _csv_text_to_raw(table, file.name, again, [], limits)

    return RawSheet(table, file.name, None, query.collect(), [], as_text)


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


def read_raw(path: Path, limits: Limits | None = None, *,
             tables: Collection[str] | None = None, typed: bool = False) -> RawDataset:
    """Read a workbook or CSV folder without interpreting any value, within ``limits`` (by
    default the registry's). For a CSV folder, ``tables`` limits the files read and ``typed``
    parses the numbers of clean files while reading (``read_csv_folder``)."""
    if not path.exists():
        raw = RawDataset(source=str(path))
        raw.problems.append(Problem(path.name, None, None, None,
                                    f"找不到文件或文件夹：{path}", f"no such file or folder: {path}"))
        return raw
    if path.is_dir():
        return read_csv_folder(path, limits, tables=tables, typed=typed)
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        return read_workbook(path, limits)
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
