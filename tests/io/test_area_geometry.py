"""An area's outline (areas.geometry) is read when it is a GeoJSON Polygon or MultiPolygon in
WGS84 degrees, and refused, located to its row, when it is not (issue 13: areas drawn as
polygons when the data has them)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from support.io_data import small_dataset

from junheng.domain.dataset import Dataset
from junheng.domain.outline import polygon_ok
from junheng.io.problems import ValidationFailed
from junheng.io.validate import read_dataset
from junheng.io.writers import write_dataset

SQUARE = [[100.45, 38.93], [100.46, 38.93], [100.46, 38.94], [100.45, 38.94], [100.45, 38.93]]


def _areas(geometries: list[str | None]) -> pl.DataFrame:
    n = len(geometries)
    return pl.DataFrame({
        "area_id": [f"A{i}" for i in range(n)], "area_name": [f"村{i}" for i in range(n)],
        "county_code": ["620723"] * n, "latitude": [38.935] * n, "longitude": [100.455] * n,
        "geometry": geometries}, schema_overrides={"geometry": pl.Utf8})


def _with_areas(geometries: list[str | None]) -> Dataset:
    return Dataset.from_frames({**small_dataset().tables, "areas": _areas(geometries)})


def test_polygon_ok() -> None:
    assert polygon_ok(json.dumps({"type": "Polygon", "coordinates": [SQUARE]}))
    assert polygon_ok(json.dumps({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]}))
    assert not polygon_ok(json.dumps({"type": "Point", "coordinates": [100.45, 38.93]}))
    assert not polygon_ok(json.dumps({"type": "Polygon", "coordinates": [SQUARE[:-1]]}))  # open
    assert not polygon_ok(json.dumps({"type": "Polygon", "coordinates": [[[p[1], p[0] + 90]
                                                                         for p in SQUARE]]}))
    assert not polygon_ok("{not json")
    assert not polygon_ok('{"type": "Polygon", "coordinates": [[["a", 1], [1, 1], [1, 2], ["a", 1]]]}')
    assert not polygon_ok('{"type": "Polygon", "coordinates": []}')


def test_outline_read_and_refused(tmp_path: Path) -> None:
    good = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})
    ok = _with_areas([good, None])
    write_dataset(ok, tmp_path / "ok")
    read, _ = read_dataset(str(tmp_path / "ok"))
    assert read.table("areas")["geometry"].to_list() == [good, None]

    bad = _with_areas([
        good, json.dumps({"type": "Polygon", "coordinates": [SQUARE[:-1]]}), "38.93,100.45"])
    write_dataset(bad, tmp_path / "bad")
    with pytest.raises(ValidationFailed) as info:
        read_dataset(str(tmp_path / "bad"))
    problems = [p for p in info.value.problems if p.severity == "error"]
    assert [(p.sheet, p.row) for p in problems] == [("areas", 3), ("areas", 4)], \
        [str(p) for p in problems]
    assert all("片区边界无效" in p.message_zh and "GeoJSON" in p.message_en for p in problems)
