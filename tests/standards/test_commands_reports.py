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


def _without_traces(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_traces(v) for k, v in value.items() if k != "trace"}
    if isinstance(value, list):
        return [_without_traces(v) for v in value]
    return value


def test_json_is_compact_without_school_traces_unless_asked(data_dir: Path, tmp_path: Path) -> None:
    args = ["evaluate", str(data_dir), "--standard", "quality-balance-2017", "--year", "2024"]
    compact, indented, traced = tmp_path / "c.json", tmp_path / "i.json", tmp_path / "t.json"
    assert main([*args, "--out", str(compact)]) == 0
    assert main([*args, "--indent", "2", "--out", str(indented)]) == 0
    assert main([*args, "--trace", "--out", str(traced)]) == 0
    text = compact.read_text(encoding="utf-8")
    assert "\n" not in text.rstrip("\n") and "临泽县" in text  # one line, Chinese unescaped
    assert indented.read_text(encoding="utf-8").startswith('{\n  "standard"')
    c, i, t = (json.loads(p.read_text(encoding="utf-8")) for p in (compact, indented, traced))
    assert c == i  # indentation is presentation only
    school = next(s for s in c["schools"] if s["school_id"] == "6207230001")
    assert "trace" not in school and all("trace" not in v for v in school["indicators"].values())
    sports = school["indicators"]["sports_area_per_student"]
    assert sports["status"] == "failed" and sports["shortfall"] == 90
    assert school["indicators"]["equipment_value_per_student"]["shortfall"] is None
    # --trace gives the full document: every school's rule, clause and inputs.
    full = next(s for s in t["schools"] if s["school_id"] == "6207230001")
    assert full["trace"]["rule"] == "school_rule"
    assert full["indicators"]["sports_area_per_student"]["trace"]["source"] == "教督〔2017〕6号"
    # Everything but the traces is the same in both; without --trace the counties carry none
    # either (CV inputs, item checks with their offending schools).
    county = next(x for x in c["counties"] if x["county_code"] == "620723")
    assert "trace" not in county["items"]["g03_music_art_rooms"]["checks"][0]
    assert "trace" not in county["stages"]["primary"]["indicators"]["teaching_area_per_student"]
    assert "trace" in next(x for x in t["counties"] if x["county_code"] == "620723")[
        "items"]["g03_music_art_rooms"]["checks"][0]
    assert c["counties"] == _without_traces(t["counties"])
    for key in ("excluded", "rules", "notes", "indicators"):
        assert c[key] == t[key]
    assert [s["status"] for s in c["schools"]] == [s["status"] for s in t["schools"]]
    assert ([x["text_zh"] for x in school["shortfalls"]]
            == [x["text_zh"] for x in full["shortfalls"]])


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_tables_one_per_level(data_dir: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "tables"
    assert main(["evaluate", str(data_dir), "--standard", "quality-balance-2017", "--year", "2024",
                 "--format", fmt, "--out", str(out)]) == 0
    read = pl.read_parquet if fmt == "parquet" else pl.read_csv
    names = {p.stem for p in out.iterdir()}
    assert names == {"counties", "stages", "indicators", "items", "schools", "excluded", "rules"}
    counties = read(out / f"counties.{fmt}")
    assert counties.row(0, named=True)["county_code"] in ("620723", 620723)
    assert counties["status"].to_list() == ["failed"]
    schools = read(out / f"schools.{fmt}", **({} if fmt == "parquet" else
                                              {"schema_overrides": {"school_id": pl.Utf8}}))
    row = schools.filter(pl.col("school_id") == "6207230001").row(0, named=True)
    assert row["met_count"] == 5 and row["passed"] is False
    assert row["sports_area_per_student__status"] == "failed"
    assert row["sports_area_per_student__shortfall"] == 90
    assert row["shortfalls_zh"] == "+1 县级以上骨干教师；+90 m² 体育运动场馆"
    indicators = read(out / f"indicators.{fmt}")
    assert indicators.height == 2 * 7  # two stages × seven indicators
    items = read(out / f"items.{fmt}")
    from junheng.standards.loader import load_standard

    assert set(items["item"]) == {i.id for i in load_standard("quality-balance-2017").items}


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


@pytest.mark.parametrize("standard", ["quality-balance-2017", "zhangye-2024-targets"])
def test_items_table_from_frames_equals_the_traced_items(data_dir: Path, standard: str) -> None:
    # The items table is read from the check frames without building the traced items; it
    # says what the traced items say, check for check.
    from junheng.io.source import load_dataset
    from junheng.reports.evaluation_tables import _text, items_table
    from junheng.standards.engine import evaluate

    ev = evaluate(load_dataset(str(data_dir)), standard, 2024)
    fast = items_table(ev).rows()  # first, before anything builds the traced items
    traced = [(c.county_code, iid, chk.id, it.part, it.label, chk.status, it.status,
               _text(chk.value), chk.comparison, _text(chk.threshold), chk.trace.rule.source,
               chk.trace.rule.clause)
              for c in ev.counties for iid, it in c.items.items() for chk in it.checks]
    assert traced and fast == traced
