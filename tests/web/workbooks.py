"""Workbooks for upload tests: one failing school brought up to standard, and the same
workbook with errors a clerk might make."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl

from junheng.domain.dataset import Dataset
from junheng.io.writers import write_dataset

WEAK_SCHOOL = "6207230002"  # fails the school rule in 2024 in the tiny dataset
TEACHER_COLUMNS = ("teachers", "degree_teachers", "backbone_teachers", "pe_art_teachers",
                   "senior_title_teachers", "certified_teachers")
STOCK_COLUMNS = ("teaching_area_m2", "sports_area_m2", "equipment_value_yuan",
                 "multimedia_rooms", "computers", "books")


def boosted(ds: Dataset, school_id: str, year: int, factor: float = 3.0) -> Dataset:
    """This school's ``year`` figures with every resource multiplied by ``factor`` (teachers
    capped at the number the school could certify), ready to upload."""
    this = (pl.col("school_id") == school_id) & (pl.col("year") == year)
    sections = ds.table("sections").filter(this).with_columns(
        [(pl.col(c) * factor).round(0).cast(pl.Int64).alias(c) for c in TEACHER_COLUMNS])
    facilities = ds.table("facilities").filter(this).with_columns(
        [(pl.col(c) * factor).alias(c) if ds.table("facilities").schema[c].is_float()
         else (pl.col(c) * factor).round(0).cast(pl.Int64).alias(c) for c in STOCK_COLUMNS])
    return Dataset({"counties": ds.table("counties"),
                    "schools": ds.table("schools").filter(pl.col("school_id") == school_id),
                    "sections": sections, "facilities": facilities})


def write_fixed(ds: Dataset, school_id: str, year: int, path: Path) -> Path:
    write_dataset(boosted(ds, school_id, year), path)
    return path


def write_broken(ds: Dataset, school_id: str, year: int, path: Path) -> Path:
    """The fixed workbook with a text in a number column and a negative count."""
    write_fixed(ds, school_id, year, path)
    book = openpyxl.load_workbook(path)
    sheet = book["sections"]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("students") + 1, "六百")
    sheet.cell(2, header.index("teachers") + 1, -3)
    book.save(path)
    return path
