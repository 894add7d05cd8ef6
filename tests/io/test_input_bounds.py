"""Every input is bounded: a small crafted file cannot exhaust memory or time, and numbers
that cannot be true (NaN, inf, 1e400, 10^20, backbone teachers above all teachers) are located
errors, never a traceback and never stored (issues #14.3, #14.11, #13)."""

from __future__ import annotations

import dataclasses
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support.io_data import dataset_grid, small_dataset, write_grid_workbook

from junheng.cli import main
from junheng.domain.fields import registry
from junheng.io.problems import ValidationFailed
from junheng.io.readers import read_raw
from junheng.io.validate import read_dataset
from junheng.io.writers import write_dataset

BOMB_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:XFD1048576"/><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>{first}</t></is></c>'
    '<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>'
    '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>y</t></is></c>'
    '<c r="XFD1048576" t="inlineStr"><is><t>z</t></is></c></row>'
    '</sheetData></worksheet>')


def dimension_bomb(path: Path, bomb_sheet: str = "extra") -> Path:
    """A valid dataset plus one sheet that declares A1:XFD1048576 with cells in its corners:
    a few kilobytes that a reader trusting the declaration pads to 17 billion cells."""
    grid = dataset_grid(small_dataset())
    grid.setdefault(bomb_sheet, [["placeholder"]])
    write_grid_workbook(path, grid)
    target = f"xl/worksheets/sheet{list(grid).index(bomb_sheet) + 1}.xml"
    first = grid[bomb_sheet][0][0]
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == target:
                data = BOMB_SHEET.format(first=first).encode()
            dst.writestr(info.filename, data)
    tmp.replace(path)
    return path


_PEAK_PROBE = """
import json, resource, sys, tracemalloc
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
from junheng.io import readers
calls = 0
cell_text = readers._cell_text
def counting(value):
    global calls
    calls += 1
    return cell_text(value)
readers._cell_text = counting
tracemalloc.start()
raw = readers.read_raw(Path(sys.argv[1]))
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"peak": peak, "cells": calls, "sheets": sorted(raw.sheets),
                  "problems": [[p.severity, p.sheet, p.message_en] for p in raw.problems]}))
"""


def _probe(path: Path) -> dict:  # type: ignore[type-arg]
    """Read ``path`` in a child process with 1.5 GB of address space at most, reporting the
    Python heap's peak and how many cells were turned into text."""
    done = subprocess.run([sys.executable, "-c", _PEAK_PROBE, str(path)], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_dimension_bomb_in_an_extra_sheet_is_never_parsed(tmp_path: Path) -> None:
    path = dimension_bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 20_000
    got = _probe(path)
    # Only the data sheets' own cells were read; the bomb sheet was skipped unread.
    assert got["cells"] < 500, got["cells"]
    assert got["peak"] < 32_000_000, got["peak"]
    assert "extra" not in got["sheets"] and "schools" in got["sheets"]
    assert ["warning", "extra", "unknown sheet 'extra' ignored (sheets are named by table id, "
            "e.g. schools)"] in got["problems"]


def test_dimension_bomb_in_a_data_sheet_reads_only_the_header_width(tmp_path: Path) -> None:
    path = dimension_bomb(tmp_path / "bomb.xlsx", bomb_sheet="rooms")
    got = _probe(path)
    # rooms' header is one cell wide (plus XFD1, beyond the column bound and ignored): the
    # million rows in between are never padded to 16,384 columns.
    assert got["cells"] < 1_000, got["cells"]
    assert got["peak"] < 64_000_000, got["peak"]


def test_too_wide_header_is_refused(tmp_path: Path) -> None:
    grid = dataset_grid(small_dataset())
    grid["schools"][0] += [f"extra{i}" for i in range(250)]
    path = write_grid_workbook(tmp_path / "wide.xlsx", grid)
    raw = read_raw(path)
    errors = [p for p in raw.problems if p.severity == "error"]
    assert len(errors) == 1 and "列数过多" in errors[0].message_zh
    assert "too many columns" in errors[0].message_en and errors[0].sheet == "schools"
    assert raw.sheets == {}  # refused as a whole, not partly read


def _limits(**changes: object):  # type: ignore[no-untyped-def]
    return dataclasses.replace(registry().limits, **changes)


def test_too_many_cells_rows_and_sheets_are_refused(tmp_path: Path) -> None:
    path = write_grid_workbook(tmp_path / "ok.xlsx", dataset_grid(small_dataset()))
    assert not [p for p in read_raw(path).problems if p.severity == "error"]
    for limits, zh, en in [
        (_limits(cells=20), "数据量过大", "too much data"),
        (_limits(rows=3), "行数过多", "too many rows"),
        (_limits(sheets=2), "工作表过多", "too many sheets"),
        (_limits(unzipped_bytes=5_000), "解压后为", "unpacks to"),
        (_limits(part_bytes=500), "解压后为", "unpacks to"),
        (_limits(file_bytes=100), "文件过大", "too large"),
    ]:
        raw = read_raw(path, limits)
        errors = [p for p in raw.problems if p.severity == "error"]
        assert len(errors) == 1, (en, [str(p) for p in raw.problems])
        assert zh in errors[0].message_zh and en in errors[0].message_en
        assert raw.sheets == {}


def test_compression_ratio_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    path = write_grid_workbook(tmp_path / "ratio.xlsx", dataset_grid(small_dataset()))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/padding.bin", b"\0" * 3_000_000)  # 3 MB into ~3 KB
    raw = read_raw(path)
    errors = [p for p in raw.problems if p.severity == "error"]
    assert len(errors) == 1 and "压缩比异常" in errors[0].message_zh, raw.problems


def test_part_larger_than_declared_is_never_read_past_its_declaration(tmp_path: Path) -> None:
    """The zip's declared sizes are checked; a part that inflates beyond what it declares is
    cut at the declared size by zipfile and fails its CRC: reported as a damaged file."""
    grid = dataset_grid(small_dataset())
    path = write_grid_workbook(tmp_path / "liar.xlsx", grid)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet2.xml")
    # Declare 100 bytes in the local header and in the central directory.
    struct.pack_into("<I", data, info.header_offset + 22, 100)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + name_len] == b"xl/worksheets/sheet2.xml":
            struct.pack_into("<I", data, central + 24, 100)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    raw = read_raw(path)
    errors = [p for p in raw.problems if p.severity == "error"]
    assert errors and all("已损坏" in p.message_zh for p in errors), raw.problems


def test_csv_folder_bounds(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    write_dataset(small_dataset(), folder)
    assert not [p for p in read_raw(folder).problems if p.severity == "error"]
    # A clean CSV is parsed column-wise: its row bound is csv_rows, not the sheet bound (a
    # national class list has 3.4 million rows).
    raw = read_raw(folder, _limits(rows=2))
    assert not [p for p in raw.problems if p.severity == "error"] and raw.sheets
    for limits, zh in [(_limits(csv_rows=2), "行数过多"), (_limits(file_bytes=50), "文件过大"),
                       (_limits(sheets=2), "CSV文件过多"), (_limits(columns=3), "列数过多")]:
        raw = read_raw(folder, limits)
        errors = [p for p in raw.problems if p.severity == "error"]
        assert len(errors) == 1 and zh in errors[0].message_zh, (zh, raw.problems)
        assert raw.sheets == {}
    # The slow path (two header rows) keeps rows only as wide as the header, within the
    # cell budget.
    sections = folder / "sections.csv"
    lines = sections.read_text("utf-8").splitlines()
    sections.write_text("\n".join([lines[0], lines[0], *lines[1:]]) + "\n", "utf-8")
    raw = read_raw(folder, _limits(cells=12))
    errors = [p for p in raw.problems if p.severity == "error"]
    assert len(errors) == 1 and "数据量过大" in errors[0].message_zh, raw.problems


def test_overlong_field_is_a_located_error(tmp_path: Path) -> None:
    grid = dataset_grid(small_dataset())
    grid["schools"][2][1] = "校" * 12_000
    errors = _errors(write_grid_workbook(tmp_path / "long.xlsx", grid))
    assert len(errors) == 1
    p = errors[0]
    assert (p.sheet, p.row, p.column) == ("schools", 3, "学校名称(school_name)")
    assert "内容过长" in p.message_zh


def _errors(path: Path) -> list:  # type: ignore[type-arg]
    with pytest.raises(ValidationFailed) as info:
        read_dataset(str(path))
    return [p for p in info.value.problems if p.severity == "error"]


SENTINEL = 987_654


@pytest.mark.parametrize("value, zh", [
    # As a number cell (<v>…</v>, what a script or a hostile file writes) and as text.
    ("<1e400>", "应为有限的数字"), ("<-1e400>", "应为有限的数字"), ("<1E20>", "不能大于50000"),
    ("1e400", "应为有限的数字"), ("nan", "应为有限的数字"), ("-inf", "应为有限的数字"),
    ("Infinity", "应为有限的数字"),
    (10**20, "不能大于50000"), (10**18, "不能大于50000"), ("1e20", "不能大于50000"),
])
def test_absurd_numbers_in_count_cells_are_located_errors(tmp_path: Path, value: object,
                                                          zh: str) -> None:
    grid = dataset_grid(small_dataset())
    number_cell = isinstance(value, str) and value.startswith("<")
    grid["sections"][2][grid["sections"][0].index("students")] = (
        SENTINEL if number_cell else value)
    path = write_grid_workbook(tmp_path / "absurd.xlsx", grid)
    if number_cell:
        _replace_in_zip(path, f"<v>{SENTINEL}</v>", f"<v>{str(value)[1:-1]}</v>")
    errors = _errors(path)
    assert len(errors) == 1, [str(p) for p in errors]
    p = errors[0]
    assert (p.sheet, p.row, p.column) == ("sections", 3, "在校生数(students)")
    assert zh in p.message_zh and p.message_en


def _replace_in_zip(path: Path, old: str, new: str) -> None:
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/") and old.encode() in data:
                data = data.replace(old.encode(), new.encode())
            dst.writestr(info.filename, data)
    tmp.replace(path)


def test_absurd_numbers_in_csv_and_float_columns(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    write_dataset(small_dataset(), folder)
    fac = folder / "facilities.csv"
    text = fac.read_text("utf-8").replace("4100.5", "1e400").replace("3600.0", "NaN")
    fac.write_text(text, "utf-8")
    errors = _errors(folder)
    assert {(p.sheet, p.row, p.column) for p in errors} == {
        ("facilities", 2, "教学及辅助用房面积(teaching_area_m2)"),
        ("facilities", 3, "教学及辅助用房面积(teaching_area_m2)")}


def test_cli_validate_reports_absurd_numbers_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grid = dataset_grid(small_dataset())
    col = grid["sections"][0].index("students")
    grid["sections"][1][col] = "inf"
    grid["sections"][2][col] = 10**20
    path = write_grid_workbook(tmp_path / "absurd.xlsx", grid)
    assert main(["validate", str(path)]) != 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text and "InvalidOperationError" not in text
    assert "第2行" in text and "第3行" in text and "在校生数(students)" in text


@pytest.mark.parametrize("column, value, other, zh", [
    ("backbone_teachers", 500, "teachers", "不能大于专任教师数"),
    ("degree_teachers", 51, "teachers", "不能大于专任教师数"),
    ("classes", 900, "students", "在校生数不能小于班级数"),
    ("students", 5_000, "classes", "不能大于班级数的150倍"),
])
def test_cross_field_rules_are_located_errors(tmp_path: Path, column: str, value: int,
                                              other: str, zh: str) -> None:
    grid = dataset_grid(small_dataset())
    header = grid["sections"][0]
    if column not in header:
        for row in grid["sections"]:
            row.append(column if row is header else None)
        header = grid["sections"][0]
    grid["sections"][1][header.index(column)] = value
    errors = _errors(write_grid_workbook(tmp_path / "cross.xlsx", grid))
    assert len(errors) == 1, [str(p) for p in errors]
    p = errors[0]
    assert p.sheet == "sections" and p.row == 2 and zh in p.message_zh
    assert str(value) in p.message_zh and p.message_en


def test_every_writer_passes_the_same_door(db_url: str) -> None:
    """A dataset that never was a file (a generator, a script) is checked too: bounds and
    cross-field rules, nothing written."""
    import polars as pl

    from junheng.io import db

    engine = db.make_engine(db_url)
    db.migrate(engine)
    db.import_dataset(engine, small_dataset())
    ds = small_dataset()
    bad = ds.table("sections").with_columns(
        pl.when(pl.col("school_id") == "6207230002").then(500).otherwise(None)
        .alias("backbone_teachers"),
        pl.when(pl.col("school_id") == "6207240001").then(10**18).otherwise(pl.col("students"))
        .alias("students"))
    from junheng.domain.dataset import Dataset

    with pytest.raises(ValidationFailed) as info:
        db.import_dataset(engine, Dataset({**{t: ds.table(t) for t in ds}, "sections": bad}))
    text = "\n".join(str(p) for p in info.value.problems)
    assert "县级以上骨干教师数为500，专任教师数为48" in text and "school_id=6207230002" in text
    assert "1000000000000000000" in text and "school_id=6207240001" in text
    stored = db.load_dataset(engine).table("sections")
    assert stored["backbone_teachers"].is_null().all()
    assert stored["students"].max() == 820
    engine.dispose()
