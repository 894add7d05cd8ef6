"""The database layer on every backend: migrations, round trip, all-or-nothing imports."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from support.io_data import assert_same_rows, dataset_grid, small_dataset, write_grid_workbook

from junheng.cli import main
from junheng.io import db
from junheng.io.problems import ValidationFailed
from junheng.io.validate import read_dataset
from junheng.io.writers import write_dataset


def _counts(url: str) -> dict[str, int]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        out = {t: conn.execute(sa.select(sa.func.count()).select_from(db.DATA_TABLES[t])).scalar_one()
               for t in db.DATA_TABLES}
    engine.dispose()
    return out


def test_migrations_match_the_registry(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = db.make_engine(db_url)
    db.migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    # Only differences in the data tables matter here (other packages own other tables).
    ours = [d for d in diff if any(getattr(x, "name", None) in db.DATA_TABLES
                                   for x in (d if isinstance(d, tuple) else [d]))]
    assert ours == [], f"the registry changed: write a new Alembic revision ({ours[:3]})"
    engine.dispose()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_through_the_cli(db_url: str, tmp_path: Path, fmt: str) -> None:
    source = tmp_path / ("in.xlsx" if fmt == "xlsx" else "in")
    write_dataset(small_dataset(), source)
    assert main(["import", str(source), "--db", db_url]) == 0
    out = tmp_path / ("out.xlsx" if fmt == "xlsx" else "out")
    assert main(["export", "--db", db_url, "--out", str(out), "--include-personal"]) == 0
    back, _ = read_dataset(str(out))
    assert_same_rows(small_dataset(), back)


def test_export_masks_personal_data_by_default(db_url: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    write_dataset(small_dataset(), tmp_path / "in")
    assert main(["import", str(tmp_path / "in"), "--db", db_url]) == 0
    assert main(["export", "--db", db_url, "--out", str(tmp_path / "o")]) == 0
    assert "students.resident_id" in capsys.readouterr().err
    text = (tmp_path / "o" / "students.csv").read_text("utf-8")
    real = small_dataset().table("students")["resident_id"][0]
    assert real not in text and real[:6] + "********" + real[14:] in text


def test_export_one_year(db_url: str, tmp_path: Path) -> None:
    write_dataset(small_dataset(), tmp_path / "in")
    assert main(["import", str(tmp_path / "in"), "--db", db_url]) == 0
    assert main(["export", "--db", db_url, "--year", "2023", "--out", str(tmp_path / "o")]) == 0
    back, _ = read_dataset(str(tmp_path / "o"))
    assert back.table("sections")["year"].to_list() == [2023]
    assert back.table("schools").height == 3


def test_bad_file_leaves_database_unchanged(db_url: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    write_dataset(small_dataset(), tmp_path / "good")
    assert main(["import", str(tmp_path / "good"), "--db", db_url]) == 0
    before = _counts(db_url)
    grid = dataset_grid(small_dataset())
    grid["sections"].append([2025, "6207230001", "primary", 10, 1, 1, 1])  # fine
    grid["facilities"][1][2] = "很多"  # text in a number column
    bad = write_grid_workbook(tmp_path / "bad.xlsx", grid)
    assert main(["import", str(bad), "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "bad.xlsx" in err and "facilities" in err and "第2行" in err and "未写入" in err
    assert _counts(db_url) == before


def test_database_failure_midway_rolls_back(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.migrate(engine)
    db.import_dataset(engine, small_dataset())
    before = _counts(db_url)
    ds = small_dataset()
    # A value the database rejects only after earlier tables were written: NULL in a NOT NULL
    # column of the last table, bypassing validation on purpose.
    students = ds.table("students").with_columns(pl.lit(None, dtype=pl.Utf8).alias("school_id"))
    with pytest.raises(db.DatabaseWriteError, match="回滚"):
        db.import_dataset(engine, ds.with_table("students", students))
    assert _counts(db_url) == before
    engine.dispose()


def test_reimport_replaces_rows_it_names_and_keeps_the_rest(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.migrate(engine)
    db.import_dataset(engine, small_dataset())
    update = small_dataset()
    sections = update.table("sections").filter(pl.col("school_id") == "6207230001",
                                             pl.col("year") == 2024)
    sections = sections.with_columns(pl.lit(999, dtype=pl.Int64).alias("students"))
    summary = db.import_dataset(engine, type(update)({"sections": sections}))
    assert summary.replaced["sections"] == 1
    back = db.load_dataset(engine)
    s = back.table("sections")
    assert s.height == 4
    assert s.filter(pl.col("school_id") == "6207230001", pl.col("year") == 2024)["students"][0] == 999
    assert s.filter(pl.col("year") == 2023)["students"][0] == 800
    engine.dispose()


def test_import_refers_to_schools_already_in_the_database(db_url: str, tmp_path: Path) -> None:
    engine = db.make_engine(db_url)
    db.migrate(engine)
    db.import_dataset(engine, small_dataset())
    only = type(small_dataset())({"sections": small_dataset().table("sections")})
    db.import_dataset(engine, only)  # no schools table in the file: the database has them
    orphan = only.table("sections").with_columns(pl.lit("6207231234").alias("school_id"))
    with pytest.raises(ValidationFailed) as info:
        db.import_dataset(engine, type(only)({"sections": orphan}))
    assert "6207231234" in info.value.problems[0].message_zh
    engine.dispose()


def test_unknown_columns_are_kept(db_url: str, tmp_path: Path) -> None:
    ds = small_dataset()
    schools = ds.table("schools").with_columns(pl.Series("备注", ["a", None, "c"]))
    ds = ds.with_table("schools", schools)
    write_dataset(ds, tmp_path / "in")
    read, warnings = read_dataset(str(tmp_path / "in"))
    assert any("备注" in w.message_zh for w in warnings)
    engine = db.make_engine(db_url)
    db.migrate(engine)
    db.import_dataset(engine, read)
    back = db.load_dataset(engine).table("schools")
    assert back.sort("school_id")["备注"].to_list() == ["a", None, "c"]
    engine.dispose()
