"""Bad input gets a clear, located, bilingual error; many problems are reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlwt
from support.io_data import assert_same_rows, dataset_grid, small_dataset, write_grid_workbook

from junheng.io.problems import ValidationFailed
from junheng.io.validate import read_dataset
from junheng.io.writers import write_dataset


def _errors(path: Path) -> list:
    with pytest.raises(ValidationFailed) as info:
        read_dataset(str(path))
    return [p for p in info.value.problems if p.severity == "error"]


def _tampered(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    grid = dataset_grid(small_dataset())
    edit(grid)
    return write_grid_workbook(tmp_path / "bad.xlsx", grid)


def _col(grid: dict, table: str, column: str) -> int:
    return grid[table][0].index(column)


def _only(problems: list, **expect: object):  # type: ignore[no-untyped-def]
    assert len(problems) == 1, [str(p) for p in problems]
    p = problems[0]
    for key, value in expect.items():
        assert getattr(p, key) == value, (key, str(p))
    assert p.message_zh and p.message_en
    return p


def test_valid_workbook_reads(tmp_path: Path) -> None:
    path = write_grid_workbook(tmp_path / "ok.xlsx", dataset_grid(small_dataset()))
    ds, warnings = read_dataset(str(path))
    assert_same_rows(small_dataset(), ds)
    assert warnings == []


def test_unknown_enum_code(tmp_path: Path) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        g["schools"][2][_col(g, "schools", "school_type")] = "middle"
    p = _only(_errors(_tampered(tmp_path, edit)), sheet="schools", row=3,
              column="办学类型(school_type)")
    assert "middle" in p.message_zh and "primary（小学）" in p.message_zh
    assert "allowed" in p.message_en


def test_enum_accepts_chinese_label(tmp_path: Path) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        g["schools"][1][_col(g, "schools", "school_type")] = "小学"
    ds, _ = read_dataset(str(_tampered(tmp_path, edit)))
    assert ds.table("schools")["school_type"][0] == "primary"


def test_text_in_number_column(tmp_path: Path) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        g["sections"][2][_col(g, "sections", "students")] = "六百"
    p = _only(_errors(_tampered(tmp_path, edit)), sheet="sections", row=3,
              column="在校生数(students)")
    assert "应为数字" in p.message_zh and "六百" in p.message_zh
    assert "expected a number" in p.message_en


@pytest.mark.parametrize("value, zh, en", [
    (-5, "不能为负数", "at least 0"),
    (12.5, "应为整数", "whole number"),
])
def test_negative_or_fractional_count(tmp_path: Path, value: float, zh: str, en: str) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        g["sections"][1][_col(g, "sections", "classes")] = value
    p = _only(_errors(_tampered(tmp_path, edit)), sheet="sections", row=2,
              column="班级数(classes)")
    assert zh in p.message_zh and en in p.message_en


def test_rate_above_one(tmp_path: Path) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        g["county_facts"][1][_col(g, "county_facts", "recognition_rate")] = 91
    p = _only(_errors(_tampered(tmp_path, edit)), sheet="county_facts", row=2)
    assert "0.95" in p.message_zh and "fraction" in p.message_en


def test_duplicate_keys(tmp_path: Path) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        g["sections"].append(list(g["sections"][1]))
    p = _only(_errors(_tampered(tmp_path, edit)), sheet="sections", row=6)
    assert "重复" in p.message_zh and "第2行" in p.message_zh
    assert "duplicate" in p.message_en


def test_school_whose_county_does_not_exist(tmp_path: Path) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        g["schools"][3][_col(g, "schools", "county_code")] = "620799"
    p = _only(_errors(_tampered(tmp_path, edit)), sheet="schools", row=4,
              column="区县代码(county_code)")
    assert "620799" in p.message_zh and "不存在" in p.message_zh


def test_row_for_unknown_school(tmp_path: Path) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        g["facilities"][2][_col(g, "facilities", "school_id")] = "6207239999"
    p = _only(_errors(_tampered(tmp_path, edit)), sheet="facilities", row=3,
              column="学校标识码(school_id)")
    assert "6207239999" in p.message_zh and "unknown school" in p.message_en


def test_missing_required_column(tmp_path: Path) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        i = _col(g, "schools", "school_name")
        for row in g["schools"]:
            del row[i]
    p = _only(_errors(_tampered(tmp_path, edit)), sheet="schools")
    assert "缺少必填列" in p.message_zh and "school_name" in p.message_en


def test_missing_sheet(tmp_path: Path) -> None:
    p = _only(_errors(_tampered(tmp_path, lambda g: g.pop("facilities"))), sheet="facilities")
    assert "缺少工作表" in p.message_zh and "missing" in p.message_en


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    p = _only(_errors(path), file="empty.xlsx")
    assert "空" in p.message_zh and "empty" in p.message_en


def test_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file at all" * 10)
    p = _only(_errors(path), file="corrupt.xlsx")
    assert "损坏" in p.message_zh and "damaged" in p.message_en


def test_legacy_xls_is_read(tmp_path: Path) -> None:
    grid = dataset_grid(small_dataset())
    book = xlwt.Workbook()
    for name, rows in grid.items():
        ws = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value if not isinstance(value, bool) else ("是" if value else "否"))
    path = tmp_path / "old.xls"
    book.save(str(path))
    ds, _ = read_dataset(str(path))
    assert_same_rows(small_dataset(), ds)


def test_gbk_csv_is_read_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    write_dataset(small_dataset(), folder, headers="label")
    path = folder / "schools.csv"
    path.write_bytes(path.read_text("utf-8").encode("gbk"))
    ds, warnings = read_dataset(str(folder))
    assert ds.table("schools")["school_name"].to_list()[0] == "临泽县第一小学"
    assert any("GBK" in w.message_zh and w.file == "schools.csv" for w in warnings)


def test_undecodable_csv_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    write_dataset(small_dataset(), folder)
    (folder / "counties.csv").write_bytes(b"county_code,county_name\n620723,\xff\xfe\xfa\xfb\n")
    p = _only(_errors(folder), file="counties.csv")
    assert "UTF-8" in p.message_zh and "GBK" in p.message_en


def test_school_code_that_lost_its_leading_zero(tmp_path: Path) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        g["schools"][1][_col(g, "schools", "school_id")] = 123456789  # typed as a number
        g["schools"][1][_col(g, "schools", "school_id")] = 123456789
    problems = _errors(_tampered(tmp_path, edit))
    lost = [p for p in problems if p.sheet == "schools"]
    assert len(lost) == 1 and lost[0].row == 2
    assert "开头的0" in lost[0].message_zh and "leading zero" in lost[0].message_en


def test_resident_id_with_bad_check_digit(tmp_path: Path) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        i = _col(g, "students", "resident_id")
        good = g["students"][1][i]
        g["students"][1][i] = good[:17] + ("0" if good[17] != "0" else "1")
    p = _only(_errors(_tampered(tmp_path, edit)), sheet="students", row=2,
              column="身份证号(resident_id)")
    assert "校验码" in p.message_zh and "check digit" in p.message_en


def test_many_problems_reported_at_once_up_to_a_limit(tmp_path: Path) -> None:
    def edit(g):  # type: ignore[no-untyped-def]
        g["schools"][1][_col(g, "schools", "school_type")] = "x"
        g["sections"][1][_col(g, "sections", "students")] = "abc"
        g["facilities"][2][_col(g, "facilities", "teaching_area_m2")] = -1
        for k in range(300):
            g["sections"].append([2030 + k, "6207230001", "小学", f"n{k}", "x", -1, 0.5])
    problems = _errors(_tampered(tmp_path, edit))
    sheets = {p.sheet for p in problems}
    assert {"schools", "sections", "facilities"} <= sheets
    assert len(problems) == 200
    with pytest.raises(ValidationFailed) as info:
        read_dataset(str(_tampered(tmp_path, edit)))
    assert info.value.truncated and "仅显示前" in info.value.report()
