"""admission_plans and applications go through the exchange format like every other table:
template, located bilingual validation, all-or-nothing import, round trip on every backend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from support.io_data import assert_same_rows, dataset_grid, small_dataset, write_grid_workbook

from junheng.cli import main
from junheng.domain.dataset import Dataset
from junheng.io import db
from junheng.io.problems import ValidationFailed
from junheng.io.validate import read_dataset
from junheng.io.writers import write_dataset


def admissions_dataset() -> Dataset:
    base = small_dataset()
    frames = {tid: base.table(tid) for tid in base}
    frames["areas"] = pl.DataFrame({
        "area_id": ["A1", "A2"], "area_name": ["城关社区", "沙河村"],
        "county_code": ["620723", "620723"], "latitude": [39.15, 39.10],
        "longitude": [100.16, 100.10]})
    frames["admission_plans"] = pl.DataFrame({
        "year": [2025, 2025], "school_id": ["6207230001", "6207230002"],
        "entry_stage": ["primary", "junior"], "seats": [45, 0]})
    frames["applications"] = pl.DataFrame({
        "year": [2025, 2025], "application_id": ["P0001", "P0002"],
        "county_code": ["620723", "620723"], "entry_stage": ["primary", "primary"],
        "area_id": ["A1", "A2"], "category": ["hukou_house", "migrant"],
        "choice_1": ["6207230001", None], "choice_2": [None, None], "choice_3": [None, None],
        "choice_4": [None, None], "choice_5": [None, None],
        "submitted_at": [dt.datetime(2025, 6, 1, 8, 30, 5), None]},
        schema_overrides={"submitted_at": pl.Datetime("us")})
    return Dataset.from_frames(frames)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_through_file_and_database(db_url: str, tmp_path: Path, fmt: str) -> None:
    source = tmp_path / ("in.xlsx" if fmt == "xlsx" else "in")
    write_dataset(admissions_dataset(), source)
    back, _ = read_dataset(str(source))
    assert_same_rows(admissions_dataset(), back)
    assert main(["import", str(source), "--db", db_url]) == 0
    out = tmp_path / ("out.xlsx" if fmt == "xlsx" else "out")
    assert main(["export", "--db", db_url, "--out", str(out), "--include-personal"]) == 0
    again, _ = read_dataset(str(out))
    assert_same_rows(admissions_dataset(), again)


def test_bad_rows_are_located_in_both_languages_and_nothing_is_written(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine = db.make_engine(db_url)
    db.migrate(engine)
    engine.dispose()
    grid = dataset_grid(admissions_dataset())
    apps = grid["applications"]
    head = apps[0]
    apps[2][head.index("choice_2")] = "6207230001"  # the same school twice
    apps[2][head.index("choice_1")] = "6207230001"
    apps[1][head.index("category")] = "vip"          # not a category
    apps[1][head.index("submitted_at")] = "昨天"
    grid["admission_plans"][1][grid["admission_plans"][0].index("seats")] = -3
    bad = write_grid_workbook(tmp_path / "bad.xlsx", grid)
    with pytest.raises(ValidationFailed) as info:
        read_dataset(str(bad))
    found = {(p.sheet, p.row, p.column): (p.message_zh, p.message_en)
             for p in info.value.problems}
    assert any(k == ("applications", 3, "志愿2(choice_2)") and "重复" in v[0] and "repeats" in v[1]
               for k, v in found.items()), found
    assert any(k[:2] == ("applications", 2) and "category" in (k[2] or "") and "vip" in v[0]
               for k, v in found.items())
    assert any(k[:2] == ("applications", 2) and "submitted_at" in (k[2] or "")
               for k, v in found.items())
    assert any(k[:2] == ("admission_plans", 2) for k in found)
    assert main(["import", str(bad), "--db", db_url]) == 1
    assert "未写入" in capsys.readouterr().err
    engine = db.make_engine(db_url)
    assert "applications" not in db.load_dataset(engine)
    engine.dispose()


def test_template_has_the_admissions_sheets(tmp_path: Path) -> None:
    import openpyxl

    assert main(["template", str(tmp_path / "t.xlsx")]) == 0
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    sheet = book["applications"]
    assert [c.value for c in sheet[2]][:6] == ["学年", "申请编号", "区县代码", "入学学段",
                                               "居住片区", "入学类别"]
    assert "admission_plans" in book.sheetnames
