"""The forecast command end to end, and the future-year dataset for the standards engine."""

from __future__ import annotations

import csv
import json

import polars as pl
import pytest

from forecast.tiny import make
from junheng.cli import main
from junheng.demo import generate
from junheng.forecast import project_dataset
from junheng.io.writers import write_dataset


@pytest.fixture(scope="module")
def demo():
    return generate(0)


@pytest.fixture(scope="module")
def demo_folder(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "data"
    write_dataset(demo, out)
    return out


def test_csv_json_xlsx(demo_folder, tmp_path):
    out = tmp_path / "f.csv"
    assert main(["forecast", str(demo_folder), "--horizon", "3", "--level", "county",
                 "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["year", "level", "unit_id", "grade", "students", "lower", "upper"]
    assert {r["level"] for r in rows} == {"county"}
    assert {r["year"] for r in rows} == {"2025", "2026", "2027"}
    assert "total" in {r["grade"] for r in rows}
    js = tmp_path / "f.json"
    assert main(["forecast", str(demo_folder), "--horizon", "2", "--method", "gpr-ewm",
                 "--window", "3", "--format", "json", "--out", str(js)]) == 0
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert doc["metadata"]["options"]["method"] == "gpr-ewm"
    assert doc["metadata"]["options"]["window"] == 3
    assert {r["level"] for r in doc["rows"]} == {"school", "county", "city"}
    xl = tmp_path / "f.xlsx"
    assert main(["forecast", str(demo_folder), "--horizon", "1", "--format", "xlsx",
                 "--out", str(xl)]) == 0
    assert xl.stat().st_size > 0


def test_backtest_json_shape(demo_folder, tmp_path):
    out = tmp_path / "bt.json"
    assert main(["forecast", str(demo_folder), "--backtest", "--horizon", "3", "--format",
                 "json", "--out", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    cell = doc["levels"]["county"]["horizons"]["1"]
    for key in ("mape", "bias", "n", "coverage80"):
        assert key in cell
    assert set(cell["baselines"]) == {"persistence", "csr3"}


def test_user_errors_are_bilingual(tmp_path, capsys):
    short = make([(2021, "6207020001", 1, 30), (2021, "6207020001", 2, 28)])
    folder = tmp_path / "short"
    write_dataset(short, folder)
    assert main(["forecast", str(folder), "--horizon", "2"]) == 2
    err = capsys.readouterr().err
    assert "至少需要" in err and "at least" in err
    assert main(["forecast", str(folder), "--horizon", "11"]) == 2
    assert main(["forecast", str(folder), "--clip", "x"]) == 2


def test_project_dataset_sections_and_classes(demo):
    last = int(demo["grade_enrollment"]["year"].max())
    future = project_dataset(demo, last + 2)
    ge = future["grade_enrollment"].filter(pl.col("year") == last + 2)
    assert ge.height > 0 and ge["students"].min() >= 0
    stage = pl.when(pl.col("grade") == 0).then(pl.lit("preschool")).when(pl.col("grade") <= 6) \
        .then(pl.lit("primary")).when(pl.col("grade") <= 9).then(pl.lit("junior")) \
        .otherwise(pl.lit("senior"))
    sums = ge.with_columns(stage=stage).group_by("school_id", "stage").agg(
        pl.col("students").sum().alias("expected"))
    sec = future["sections"].filter(pl.col("year") == last + 2)
    joined = sec.join(sums, on=["school_id", "stage"], how="inner")
    assert joined.height == sums.height
    assert (joined["students"] == joined["expected"]).all()
    # Classes at the current average class size, rounded up.
    now = demo["sections"].filter(pl.col("year") == last).select(
        "school_id", "stage", s0="students", c0="classes")
    check = joined.join(now, on=["school_id", "stage"]).filter(
        (pl.col("c0") > 0) & (pl.col("s0") > 0) & (pl.col("students") > 0))
    expected = (check["students"] / (check["s0"] / check["c0"])).ceil().cast(pl.Int64)
    assert (check["classes"] == expected).all()
    # Facilities carried forward unchanged.
    fac_now = demo["facilities"].filter(pl.col("year") == last).drop("year").sort("school_id")
    fac_then = future["facilities"].filter(pl.col("year") == last + 2).drop("year") \
        .sort("school_id")
    assert fac_now.equals(fac_then)


def test_evaluate_a_projected_year(demo_folder, tmp_path):
    out = tmp_path / "eval.json"
    assert main(["forecast", str(demo_folder), "--horizon", "2", "--evaluate",
                 "quality-balance-2017", "--out", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["year"] == 2026
    assert doc["forecast"]["origin_year"] == 2024
