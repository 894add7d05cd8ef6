"""Clean CSV files are typed while reading (the national evaluation's fast path, issue #15);
a file with any problem is reported from its text, word for word as the text path reports it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from support.io_data import small_dataset

from junheng.io.problems import ValidationFailed
from junheng.io.readers import read_raw
from junheng.io.validate import read_dataset, validate_raw
from junheng.io.writers import write_dataset
from junheng.standards.commands import NEEDS


def _folder(tmp_path: Path) -> Path:
    out = tmp_path / "csv"
    write_dataset(small_dataset(), out)
    return out


def _text_path(folder: Path) -> tuple[object, list[str]]:
    """What the text path (every value read as text) makes of the folder."""
    ds, problems, _ = validate_raw(read_raw(folder, tables=NEEDS.tables()), needs=NEEDS)
    return ds, [str(p) for p in problems]


def test_clean_folder_is_typed_while_reading_and_equals_the_text_path(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    raw = read_raw(folder, tables=NEEDS.tables(), typed=True)
    sections = raw.sheets["sections"]
    assert sections.as_text is not None and sections.frame.schema["students"] == pl.Int64
    typed, _ = read_dataset(str(folder), needs=NEEDS)
    text, problems = _text_path(folder)
    assert problems == [] and text is not None
    for tid in text:  # type: ignore[attr-defined]
        assert typed.table(tid).equals(text.table(tid)), tid  # type: ignore[attr-defined]


def test_only_the_commands_tables_are_read(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "grade_enrollment.csv").write_text("not,a\nvalid,table\n", encoding="utf-8")
    raw = read_raw(folder, tables=NEEDS.tables(), typed=True)
    assert "grade_enrollment" not in raw.sheets and "sections" in raw.sheets


@pytest.mark.parametrize(("table", "column", "value"), [
    ("sections", "students", "-3"),        # parses as a number, fails its bound
    ("sections", "students", "12.5"),      # not a whole number: the typed read refuses it
    ("facilities", "teaching_area_m2", "1e400"),  # parses as infinity
    ("facilities", "teaching_area_m2", "abc"),
])
def test_bad_value_is_reported_as_the_text_path_reports_it(
        tmp_path: Path, table: str, column: str, value: str) -> None:
    folder = _edited(tmp_path, table, column, value)
    _, expected = _text_path(folder)
    with pytest.raises(ValidationFailed) as failed:
        read_dataset(str(folder), needs=NEEDS)
    got = [str(p) for p in failed.value.problems]
    assert got == expected and any("第3行" in p or "row 3" in p for p in got), got


def test_number_the_typed_read_refuses_but_the_text_path_accepts(tmp_path: Path) -> None:
    # Spaces and a thousands separator: a clerk's 1,200 is 1200, read through the text path.
    folder = _edited(tmp_path, "sections", "students", " 1,200 ")
    typed, _ = read_dataset(str(folder), needs=NEEDS)
    assert typed.table("sections")["students"][1] == 1200


def _edited(tmp_path: Path, table: str, column: str, value: str) -> Path:
    """The small dataset as CSV with ``value`` typed into ``column`` on spreadsheet row 3."""
    folder = _folder(tmp_path)
    frame = pl.read_csv(folder / f"{table}.csv", infer_schema=False)
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(pl.lit(value))
                               .otherwise(pl.col(column)).alias(column))
    frame.write_csv(folder / f"{table}.csv")
    return folder
