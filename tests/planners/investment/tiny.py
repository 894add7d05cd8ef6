"""Hand-made counties small enough that the least cost is known by hand or by enumeration.

Every school gets resources at ``comfort`` times each 2017 threshold (so every indicator is met
and every CV is 0) unless a test overrides one stock; thresholds are read from the standard, not
repeated here.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.planners.investment.rules import load_rules

COUNTY = "629801"


def school_id(i: int) -> str:
    return f"{COUNTY}{i:04d}"


def tiny_county(students: list[int], overrides: dict[int, dict[str, float]] | None = None,
                comfort: float = 1.5, year: int = 2024, stage: str = "primary",
                coords: list[tuple[float, float]] | None = None) -> Dataset:
    rules = load_rules(year)
    t = {k: v[stage] for k, v in rules.thresholds.items()}
    overrides = overrides or {}
    sec, fac = [], []
    for i, p in enumerate(students):
        o = overrides.get(i, {})
        row: dict[str, Any] = {
            "year": year, "school_id": school_id(i), "stage": stage, "students": p,
            "classes": -(-p // 40), "teachers": p // 12,
            "degree_teachers": o.get("degree_teachers", round(comfort * t["degree_teachers_per_100"] * p / 100)),
            "backbone_teachers": o.get("backbone_teachers", round(comfort * t["backbone_teachers_per_100"] * p / 100)),
            "pe_art_teachers": o.get("pe_art_teachers", round(comfort * t["pe_art_teachers_per_100"] * p / 100)),
            "certified_teachers": p // 12,
        }
        sec.append(row)
        fac.append({
            "year": year, "school_id": school_id(i),
            "teaching_area_m2": o.get("teaching_area_m2", comfort * t["teaching_area_per_student"] * p),
            "sports_area_m2": o.get("sports_area_m2", comfort * t["sports_area_per_student"] * p),
            "equipment_value_yuan": o.get("equipment_value_yuan", comfort * t["equipment_value_per_student"] * p),
            "multimedia_rooms": int(o.get("multimedia_rooms", round(comfort * t["multimedia_rooms_per_100"] * p / 100))),
        })
    coords = coords or [(39.0 + 0.01 * i, 100.0) for i in range(len(students))]
    schools = pl.DataFrame({
        "school_id": [school_id(i) for i in range(len(students))],
        "school_name": [f"测试学校{i}" for i in range(len(students))],
        "county_code": COUNTY, "school_type": "primary" if stage == "primary" else "junior",
        "ownership": "public", "locale": "rural",
        "latitude": [c[0] for c in coords], "longitude": [c[1] for c in coords],
    })
    return Dataset.from_frames({
        "counties": pl.DataFrame({"county_code": [COUNTY], "county_name": ["测试县"]}),
        "schools": schools, "sections": pl.DataFrame(sec), "facilities": pl.DataFrame(fac),
    })
