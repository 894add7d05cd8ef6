"""``junheng export`` neutralises formula-like text like the web exports do, and an export
imports back exactly (issue 14, finding 16)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from support.io_data import assert_same_rows, small_dataset

from junheng.cli import main
from junheng.domain.dataset import Dataset
from junheng.io import db
from junheng.io.validate import read_dataset
from junheng.io.writers import write_dataset

HOSTILE = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1:A2)", "'=already quoted", "'普通"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _hostile() -> Dataset:
    ds = small_dataset()
    schools = ds.table("schools")
    n = schools.height
    names, notes = (HOSTILE * 2)[:n], (HOSTILE * 2)[n:2 * n]
    assert set(names + notes) == set(HOSTILE)
    return ds.with_table("schools", schools.with_columns(
        pl.Series("school_name", names), pl.Series("备注", notes)))  # unknown columns too


def _texts(out: Path) -> list[str]:
    if out.suffix == ".xlsx":
        book = openpyxl.load_workbook(out)
        cells = [c for ws in book.worksheets for r in ws.iter_rows() for c in r]
        assert all(c.data_type != "f" for c in cells)
        return [c.value for c in cells if isinstance(c.value, str)]
    return [v for f in sorted(out.glob("*.csv"))
            for r in csv.reader(f.open(encoding="utf-8")) for v in r]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_neutralises_formulas_and_imports_back_exactly(db_url: str, tmp_path: Path,
                                                              fmt: str) -> None:
    source = tmp_path / "in"
    write_dataset(_hostile(), source)
    assert main(["import", str(source), "--db", db_url]) == 0
    out = tmp_path / ("out.xlsx" if fmt == "xlsx" else "out")
    assert main(["export", "--db", db_url, "--out", str(out), "--include-personal"]) == 0
    texts = _texts(out)
    for name in HOSTILE[:4]:
        assert name not in texts and "'" + name in texts, name
    numbers = {"-1"}  # a negative number in a number column is no formula
    assert not [t for t in texts if t.startswith(FORMULA_START) and t not in numbers]
    # Importing the export gives back what was exported, quotes of its own included.
    back, _ = read_dataset(str(out))
    assert_same_rows(_hostile(), back)
    engine = db.make_engine(db_url)
    db.import_dataset(engine, back)
    stored = db.load_dataset(engine).table("schools").sort("school_id")
    assert stored["school_name"].to_list() == _hostile().table("schools").sort(
        "school_id")["school_name"].to_list()
    engine.dispose()
