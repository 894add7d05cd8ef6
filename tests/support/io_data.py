"""Small hand-made datasets and file builders for the io tests."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl

from junheng.domain.dataset import Dataset
from junheng.io.validate import resident_id_check_char


def valid_resident_id(first17: str = "62072320150301123") -> str:
    return first17 + resident_id_check_char(first17)


def small_dataset() -> Dataset:
    return Dataset.from_frames({
        "counties": pl.DataFrame({
            "county_code": ["620723", "620724"], "county_name": ["临泽县", "高台县"],
            "prefecture_name": ["张掖市", "张掖市"], "quality_target_year": [2025, 2026]}),
        "schools": pl.DataFrame({
            "school_id": ["6207230001", "6207230002", "6207240001"],
            "school_name": ["临泽县第一小学", "临泽县第二中学", "高台县城关小学"],
            "county_code": ["620723", "620723", "620724"],
            "school_type": ["primary", "junior", "primary"],
            "ownership": ["public", "public", "public"],
            "locale": ["urban", "town", "rural"], "is_boarding": [False, True, None],
            "latitude": [39.15, 39.14, 39.38], "longitude": [100.16, 100.17, 99.82]}),
        "sections": pl.DataFrame({
            "year": [2024, 2024, 2024, 2023], "school_id": ["6207230001", "6207230002",
                                                            "6207240001", "6207230001"],
            "stage": ["primary", "junior", "primary", "primary"],
            "students": [820, 600, 95, 800], "classes": [18, 12, 6, 18],
            "teachers": [50, 48, 9, 49], "degree_teachers": [40, 36, 5, 38]}),
        "facilities": pl.DataFrame({
            "year": [2024, 2024, 2024], "school_id": ["6207230001", "6207230002", "6207240001"],
            "teaching_area_m2": [4100.5, 3600.0, 700.0], "sports_area_m2": [7000.0, 6500.0, None],
            "equipment_value_yuan": [1.9e6, 1.6e6, 2.2e5], "multimedia_rooms": [20, 16, 3]}),
        "county_facts": pl.DataFrame({
            "year": [2024], "county_code": ["620723"], "recognition_rate": [0.91],
            "g01_layout_planned": [True]}),
        "students": pl.DataFrame({
            "year": [2024], "student_id": ["G620723201503011234"],
            "school_id": ["6207230001"], "grade": [3], "resident_id": [valid_resident_id()]}),
    })


def write_grid_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook with exactly these cells (first row = header), typed as given."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def dataset_grid(ds: Dataset) -> dict[str, list[list[object]]]:
    """The dataset as header + rows of Python values, to be tampered with by a test."""
    out: dict[str, list[list[object]]] = {}
    for tid in ds:
        frame = ds.table(tid)
        out[tid] = [list(frame.columns), *[list(r) for r in frame.iter_rows()]]
    return out


def sorted_frame(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def assert_same_rows(a: Dataset, b: Dataset) -> None:
    for tid in a:
        left = a.table(tid)
        right = b.table(tid)
        assert set(left.columns) <= set(right.columns), tid
        right = right.select(left.columns)
        assert sorted_frame(left).equals(sorted_frame(right)), (
            f"table {tid} differs:\n{sorted_frame(left)}\n{sorted_frame(right)}")
