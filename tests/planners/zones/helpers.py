"""Small instances built in memory in the exchange format."""

from __future__ import annotations

import polars as pl

from junheng.domain.dataset import Dataset

COUNTY = "620702"


def dataset(areas: list[tuple[str, float, float, int]],
            schools: list[tuple[str, float, float, int]],
            current: dict[str, str] | None = None, year: int = 2024,
            stage: str = "primary") -> Dataset:
    """areas: (area_id, lat, lon, children); schools: (school_id, lat, lon, capacity)."""
    a = pl.DataFrame({
        "area_id": [x[0] for x in areas], "area_name": [f"村{x[0]}" for x in areas],
        "county_code": [COUNTY] * len(areas), "latitude": [x[1] for x in areas],
        "longitude": [x[2] for x in areas],
    })
    # All children aged 7 (primary) or 13 (junior): one row per area.
    age = 7 if stage == "primary" else 13
    kids = pl.DataFrame({"year": [year] * len(areas), "area_id": [x[0] for x in areas],
                         "age": [age] * len(areas), "children": [x[3] for x in areas]})
    s = pl.DataFrame({
        "school_id": [x[0] for x in schools], "school_name": [f"学校{x[0]}" for x in schools],
        "county_code": [COUNTY] * len(schools), "school_type": [stage] * len(schools),
        "ownership": ["public"] * len(schools), "latitude": [x[1] for x in schools],
        "longitude": [x[2] for x in schools], "locale": ["urban"] * len(schools),
    })
    sec = pl.DataFrame({"year": [year] * len(schools), "school_id": [x[0] for x in schools],
                        "stage": [stage] * len(schools), "capacity": [x[3] for x in schools],
                        "students": [0] * len(schools)})
    frames = {"counties": pl.DataFrame({"county_code": [COUNTY], "county_name": ["甘州区"]}),
              "areas": a, "area_children": kids, "schools": s, "sections": sec}
    if current:
        frames["area_assignments"] = pl.DataFrame({
            "year": [year] * len(current), "area_id": list(current),
            "stage": [stage] * len(current), "school_id": list(current.values())})
    return Dataset.from_frames(frames)
