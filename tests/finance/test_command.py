"""`junheng finance` on a finance bureau's own file: counties and finance only."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from junheng.cli import main


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "fin"
    folder.mkdir()
    pl.DataFrame({"county_code": ["620702"], "county_name": ["甘州区"]}).write_csv(
        folder / "counties.csv")
    pl.DataFrame({"year": [2023, 2024], "county_code": ["620702", "620702"],
                  "edu_budget_yuan": [1000.0, 999.0], "students": [10, 10],
                  "teacher_avg_pay_yuan": [None, 5000.0],
                  "civil_servant_avg_pay_yuan": [None, 5000.0]}).write_csv(
        folder / "finance.csv")
    return folder


def test_needs_only_counties_and_finance(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["finance", str(_folder(tmp_path)), "--year", "2024"]) == 0
    doc = json.loads(capsys.readouterr().out)
    checks = {c["id"]: c for c in doc["counties"][0]["checks"]}
    assert checks["budget_not_decreasing"]["passed"] is False
    assert checks["budget_not_decreasing"]["previous"] == 1000.0
    assert checks["teacher_pay_parity"]["passed"] is True
    assert checks["public_funds_norm"]["passed"] is None
    assert "未报送" in checks["funds_follow_students"]["text_zh"]
    assert doc["city"]["checks"][0]["id"] == "budget_not_decreasing"


@pytest.mark.parametrize("fmt", ["xlsx", "html"])
def test_reports(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"r.{fmt}"
    assert main(["finance", str(_folder(tmp_path)), "--year", "2024", "--format", fmt,
                 "--out", str(out)]) == 0
    assert out.stat().st_size > 0
    if fmt == "html":
        assert "未达到“逐年只增不减”" in out.read_text("utf-8")


def test_missing_finance_table_is_named(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path)
    (folder / "finance.csv").unlink()
    assert main(["finance", str(folder), "--year", "2024"]) == 2
    assert "finance" in capsys.readouterr().err


def test_unknown_county(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["finance", str(_folder(tmp_path)), "--year", "2024", "--county",
                 "999999"]) == 2
    assert "999999" in capsys.readouterr().err
