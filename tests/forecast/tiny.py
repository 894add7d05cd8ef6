"""Hand-made datasets small enough to check by calculator."""

from __future__ import annotations

import polars as pl

from junheng.domain.dataset import Dataset

COUNTY = "620702"
OTHER = "620722"


def school_row(sid: str, county: str = COUNTY) -> dict[str, object]:
    return {"school_id": sid, "school_name": f"学校{sid[-2:]}", "county_code": county,
            "school_type": "primary", "ownership": "public", "locale": "urban",
            "is_boarding": False}


def make(rows: list[tuple[int, str, int, int]], births: dict[int, int] | None = None,
         schools: list[str] | None = None, county_of: dict[str, str] | None = None) -> Dataset:
    """rows: (year, school_id, grade, students)."""
    county_of = county_of or {}
    ids = schools or sorted({r[1] for r in rows})
    frames = {
        "counties": pl.DataFrame({"county_code": [COUNTY, OTHER],
                                  "county_name": ["甘州区", "民乐县"]}),
        "schools": pl.DataFrame([school_row(s, county_of.get(s, COUNTY)) for s in ids]),
        "grade_enrollment": pl.DataFrame(
            rows, schema=["year", "school_id", "grade", "students"], orient="row"),
    }
    if births:
        frames["births"] = pl.DataFrame({
            "year": list(births), "county_code": [COUNTY] * len(births),
            "births": list(births.values()),
        })
    return Dataset.from_frames(frames)
