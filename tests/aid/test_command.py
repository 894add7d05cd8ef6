"""`junheng aid match` from files, and department lists that the import must not refuse."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from aid.helpers import D, bad, dataset, listed, rid, student
from junheng.cli import main
from junheng.io.validate import read_dataset
from junheng.io.writers import write_dataset

ID1 = rid("62070220150308001")


def _files(tmp_path: Path) -> Path:
    ds = dataset([student("s1", resident_id=ID1, name="张三", birth_date=D,
                          family_hardship_level=1)],
                 [listed("dibao", resident_id=ID1, name="张三"),
                  listed("tekun", resident_id=bad("62070220150308002")),
                  listed("orphan", name="李四", birth_date=D)])
    out = tmp_path / "data"
    write_dataset(ds, out)
    return out


def test_bad_checksums_in_lists_are_warnings_not_a_refused_import(tmp_path: Path) -> None:
    ds, warnings = read_dataset(str(_files(tmp_path)))
    assert ds.table("aid_lists").height == 3
    assert any("身份证号无效" in w.message_zh and "已保留" in w.message_zh for w in warnings)


def test_bad_checksums_on_the_roll_still_refuse_the_import(tmp_path: Path) -> None:
    from junheng.io.problems import ValidationFailed

    folder = _files(tmp_path)
    roll = pl.read_csv(folder / "students.csv", infer_schema=False)
    roll.with_columns(pl.lit(bad("62070220150308001")).alias("resident_id")).write_csv(
        folder / "students.csv")
    with pytest.raises(ValidationFailed):
        read_dataset(str(folder))


def test_aid_match_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["aid", "match", str(_files(tmp_path)), "--year", "2024"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["matches"] == [{"student_id": "s1", "school_id": "6207020001",
                               "source": "civil_affairs", "category": "dibao",
                               "method": "resident_id", "needs_review": False, "row": 1}]
    assert [(p["row"], p["kind"]) for p in doc["problems"]] == [(2, "bad_checksum"),
                                                                (3, "not_on_roll")]
    assert doc["not_aided"][0]["student_id"] == "s1"
    assert doc["not_aided"][0]["programs"] == ["living_allowance"]
    assert ID1 not in json.dumps(doc) and "张三" not in json.dumps(doc, ensure_ascii=False)


def test_aid_match_xlsx(tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "aid.xlsx"
    assert main(["aid", "match", str(_files(tmp_path)), "--year", "2024", "--format", "xlsx",
                 "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "应助未助"
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True)
             for c in row]
    assert "身份证号校验码错误" in cells and "两免一补生活补助" in cells
    assert ID1 not in cells and "张三" not in cells
