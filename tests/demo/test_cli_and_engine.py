"""`junheng demo` end to end, and the standards engine's verdicts on the demo data."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from junheng.cli import main
from junheng.demo import generate
from junheng.domain.dataset import Dataset
from junheng.io.source import load_dataset
from junheng.standards.engine import evaluate

GANZHOU, SUNAN, MINLE, LINZE, GAOTAI, SHANDAN = (
    "620702", "620721", "620722", "620723", "620724", "620725")


def test_demo_command_writes_a_dataset_that_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--seed", "2", "--years", "2023-2024"]) == 0
    assert "demo dataset written" in capsys.readouterr().out
    loaded = load_dataset(str(out))
    expected = generate(seed=2, years=range(2023, 2025))
    for tid in expected:
        assert loaded[tid].height == expected[tid].height, tid
    assert loaded["sections"].sort("year", "school_id", "stage").equals(
        expected["sections"].sort("year", "school_id", "stage"))


def test_demo_command_writes_a_workbook(tmp_path: Path) -> None:
    out = tmp_path / "demo.xlsx"
    assert main(["demo", "--out", str(out), "--years", "2024"]) == 0
    assert load_dataset(str(out))["schools"].height == generate(years=range(2024, 2025))["schools"].height


@pytest.mark.parametrize("years", ["2024-2019", "twenty", "1990-2024"])
def test_demo_command_rejects_bad_years(tmp_path: Path, years: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path / "x"), "--years", years]) == 2
    err = capsys.readouterr().err
    assert "学年" in err or "演示数据" in err
    assert not (tmp_path / "x").exists()


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return generate(seed=0)


def _failed_items(county: dict) -> set[str]:
    return {k for k, v in county["items"].items() if v["status"] != "passed"}


def _failed_parts(county: dict) -> set[str]:
    return {k for k, v in county["parts"].items() if v["status"] != "passed"}


def test_engine_quality_balance_2024_verdicts(ds: Dataset) -> None:
    result = evaluate(ds, "quality-balance-2017", 2024).to_json(include_schools=False)
    by = {c["county_code"]: c for c in result["counties"]}
    assert set(by) == {GANZHOU, SUNAN, MINLE, LINZE, GAOTAI, SHANDAN}
    assert {c for c, r in by.items() if r["passed"]} == {LINZE, GAOTAI}

    assert _failed_parts(by[GANZHOU]) == {"resources", "government"}
    assert _failed_items(by[GANZHOU]) == {"g04_school_size", "g05_class_size"}

    assert _failed_parts(by[SUNAN]) == {"resources"}
    assert _failed_items(by[SUNAN]) == set()
    primary = by[SUNAN]["stages"]["primary"]
    assert primary["schools_passed"] < primary["schools_evaluated"]
    assert primary["indicators"]["sports_area_per_student"]["cv_passed"] is False

    assert _failed_parts(by[MINLE]) == {"resources", "government"}
    assert _failed_items(by[MINLE]) == {"g08_teacher_pay_parity"}
    for stage in by[MINLE]["stages"].values():
        assert stage["schools_passed"] == stage["schools_evaluated"]
    failed_cvs = [(s, i) for s, st in by[MINLE]["stages"].items()
                  for i, v in st["indicators"].items() if v["cv_passed"] is False]
    assert failed_cvs == [("junior", "equipment_value_per_student")]

    assert _failed_parts(by[SHANDAN]) == {"quality"}
    assert _failed_items(by[SHANDAN]) == {"q01_junior_retention"}


def test_engine_basic_balance_2012_one_county_fails(ds: Dataset) -> None:
    result = evaluate(ds, "basic-balance-2012", 2024).to_json(include_schools=False)
    failed = {c["county_code"] for c in result["counties"] if not c["passed"]}
    assert failed == {SUNAN}


def test_engine_shows_pilot_counties_improving(ds: Dataset) -> None:
    early = evaluate(ds, "quality-balance-2017", 2019).to_json(include_schools=False)
    by = {c["county_code"]: c for c in early["counties"]}
    assert not by[LINZE]["passed"] and not by[GAOTAI]["passed"]
    schools = evaluate(ds, "quality-balance-2017", 2024).schools
    assert isinstance(schools, pl.DataFrame) and schools.height > 100
