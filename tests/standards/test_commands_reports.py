"""``junheng evaluate`` end to end on a CSV folder, in the three formats."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from junheng.cli import main
from junheng.domain.dataset import Dataset

from .conftest import build_dataset


def _write_csv_folder(ds: Dataset, folder: Path) -> None:
    folder.mkdir()
    for tid, frame in ds.tables.items():
        frame.write_csv(folder / f"{tid}.csv")


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    ds = build_dataset({
        "counties": [{"county_code": "620723", "county_name": "临泽县"}],
        "schools": [
            {"school_id": "6207230001", "school_name": "=HYPERLINK(\"x\")小学", "county_code": "620723",
             "school_type": "primary", "ownership": "public", "locale": "urban"},
            {"school_id": "6207230002", "school_name": "乙中学", "county_code": "620723",
             "school_type": "junior", "ownership": "public", "locale": "urban"},
        ],
        "sections": [
            {"year": 2024, "school_id": "6207230001", "stage": "primary", "students": 100, "classes": 4,
             "teachers": 8, "degree_teachers": 5, "backbone_teachers": 0, "pe_art_teachers": 1},
            {"year": 2024, "school_id": "6207230002", "stage": "junior", "students": 100, "classes": 2,
             "teachers": 10, "degree_teachers": 6, "backbone_teachers": 1, "pe_art_teachers": 1},
        ],
        "facilities": [
            {"year": 2024, "school_id": "6207230001", "teaching_area_m2": 500.0, "sports_area_m2": 660.0,
             "equipment_value_yuan": 200000.0, "multimedia_rooms": 3},
            {"year": 2024, "school_id": "6207230002", "teaching_area_m2": 600.0, "sports_area_m2": 1100.0,
             "equipment_value_yuan": 300000.0, "multimedia_rooms": 3},
        ],
    })
    folder = tmp_path / "data"
    _write_csv_folder(ds, folder)
    return folder


def test_json_output(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert main(["evaluate", str(data_dir), "--standard", "quality-balance-2017", "--year", "2024",
                 "--format", "json", "--out", str(out)]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    assert r["standard"] == "quality-balance-2017" and r["year"] == 2024
    c = r["counties"][0]
    assert c["county_code"] == "620723" and c["passed"] is False
    assert set(c["stages"]) == {"primary", "junior"}
    school = next(s for s in r["schools"] if s["school_id"] == "6207230001")
    # backbone 0 and sports 6.6 (88 %) both missed: 5 of 7 → fails, with shortfalls in real units
    assert school["met_count"] == 5 and school["passed"] is False
    texts = {s["text_zh"] for s in school["shortfalls"]}
    assert texts == {"+1 县级以上骨干教师", "+90 m² 体育运动场馆"}


def test_xlsx_output_is_chinese_and_safe(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    assert main(["evaluate", str(data_dir), "--standard", "quality-balance-2017", "--year", "2024",
                 "--format", "xlsx", "--out", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    assert {"汇总", "小学资源配置", "初中资源配置", "学校", "县级项目", "依据"} <= set(wb.sheetnames)
    ws = wb["学校"]
    headers = [c.value for c in ws[2]]
    assert "学校名称" in headers and "要求" in headers and "缺口" in headers
    names = [row[2].value for row in ws.iter_rows(min_row=3)]
    assert "'=HYPERLINK(\"x\")小学" in names  # neutralised, never a formula
    assert all(not (isinstance(c.value, str) and c.value.startswith("=")) for row in ws.iter_rows() for c in row)
    summary = [c.value for c in wb["汇总"][3]]
    assert summary[:3] == ["620723", "临泽县", "未通过"]


def test_html_output(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert main(["evaluate", str(data_dir), "--standard", "quality-balance-2017", "--year", "2024",
                 "--format", "html", "--out", str(out), "--param", "teaching_point_min_students=30"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "县域义务教育优质均衡发展督导评估办法" in html and "未通过" in html
    assert "+90 m² 体育运动场馆" in html
    assert "&#34;x&#34;" in html or "&quot;x&quot;" in html  # escaped
    assert "http://" not in html and "https://" not in html  # offline: no remote assets


def test_bad_param_is_a_user_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["evaluate", str(data_dir), "--standard", "quality-balance-2017", "--year", "2024",
               "--param", "no_such_rule=1"])
    assert rc == 2
    assert "未知参数" in capsys.readouterr().err


def test_school_stage_table_columns() -> None:
    from junheng.standards.engine import school_stage_table

    ds = build_dataset({
        "counties": [{"county_code": "620723", "county_name": "临泽县"}],
        "schools": [{"school_id": "6207230001", "school_name": "甲", "county_code": "620723",
                     "school_type": "nine_year", "ownership": "public", "locale": "urban"}],
        "sections": [
            {"year": 2024, "school_id": "6207230001", "stage": "primary", "students": 100, "teachers": 6},
            {"year": 2024, "school_id": "6207230001", "stage": "junior", "students": 100, "teachers": 9},
        ],
        "facilities": [{"year": 2024, "school_id": "6207230001", "sports_area_m2": 2100.0}],
    })
    t = school_stage_table(ds, "quality-balance-2017", 2024)
    assert t.height == 2
    for col in ("county_code", "school_type", "students", "teachers", "sports_area_m2",
                "stock_share", "sports_area_per_student", "threshold__sports_area_per_student",
                "met__sports_area_per_student", "shortfall__sports_area_per_student", "passed"):
        assert col in t.columns
    by_stage = {r["stage"]: r for r in t.iter_rows(named=True)}
    assert by_stage["primary"]["sports_area_m2"] == pytest.approx(1000.0)  # 2100 × 100/210
    assert by_stage["junior"]["sports_area_m2"] == pytest.approx(1100.0)   # 2100 × 110/210
    assert t.schema["students"] == pl.Int64
