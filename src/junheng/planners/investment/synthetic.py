"""A synthetic county of any size for benchmarks and solver tests (explicit seed, no real data).

Resources are drawn around the 2017 thresholds with a wide spread, so that a realistic share of
schools miss one or more indicators and a few CVs sit above their limits.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from junheng.domain.dataset import Dataset


def synthetic_county(n_schools: int = 200, seed: int = 0, year: int = 2024,
                     county_code: str = "629901", spread: float = 0.55) -> Dataset:
    """``spread`` is the log-normal sigma of the facility stocks: 0.55 puts several CVs above
    their limits while most schools already pass, so the CV cones bind."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(["primary", "junior", "nine_year"], size=n_schools, p=[0.7, 0.2, 0.1])
    locale = rng.choice(["urban", "town", "rural"], size=n_schools, p=[0.3, 0.3, 0.4])
    ids = [f"{county_code}{i + 1:04d}" for i in range(n_schools)]
    base = {"urban": 1200, "town": 600, "rural": 150}
    size = np.array([rng.lognormal(np.log(base[loc]), 0.5) for loc in locale]).clip(55, 1900).astype(int)
    schools = pl.DataFrame({
        "school_id": ids, "school_name": [f"合成学校{i + 1}" for i in range(n_schools)],
        "county_code": county_code, "school_type": kinds.tolist(), "ownership": "public",
        "locale": locale.tolist(), "is_boarding": False,
        "latitude": 38.93 + rng.normal(0, 0.15, n_schools), "longitude": 100.45 + rng.normal(0, 0.2, n_schools),
    })
    rows = []
    for sid, kind, p in zip(ids, kinds, size, strict=False):
        stages = {"primary": [("primary", p)], "junior": [("junior", p)],
                  "nine_year": [("primary", int(p * 0.65)), ("junior", p - int(p * 0.65))]}[kind]
        for st, ps in stages:
            per100 = {"primary": (4.2, 1.0, 0.9), "junior": (5.3, 1.0, 0.9)}[st]
            f = rng.lognormal(0.1, 0.35, 3)
            cap = 45 if st == "primary" else 50
            classes = max(1, int(np.ceil(ps / (cap + rng.integers(-8, 6)))))
            rows.append({
                "year": year, "school_id": sid, "stage": st, "students": int(ps), "classes": classes,
                "teachers": int(ps / 14) + 2,
                "degree_teachers": round(per100[0] * ps / 100 * f[0]),
                "backbone_teachers": round(per100[1] * ps / 100 * f[1]),
                "pe_art_teachers": round(per100[2] * ps / 100 * f[2]),
                "senior_title_teachers": int(ps / 40), "certified_teachers": int(ps / 14) + 2,
            })
    sections = pl.DataFrame(rows)
    tot = sections.group_by("school_id").agg(pl.col("students").sum()).sort("school_id")
    p_tot = tot["students"].to_numpy().astype(float)
    g = rng.lognormal(0.25, spread, (len(p_tot), 4))
    facilities = pl.DataFrame({
        "year": year, "school_id": tot["school_id"],
        "teaching_area_m2": np.round(5.0 * p_tot * g[:, 0], 1),
        "sports_area_m2": np.round(8.5 * p_tot * g[:, 1], 1),
        "equipment_value_yuan": np.round(2200 * p_tot * g[:, 2], 0),
        "multimedia_rooms": np.round(2.4 * p_tot / 100 * g[:, 3]).astype(int),
    })
    counties = pl.DataFrame({"county_code": [county_code], "county_name": ["合成县"]})
    return Dataset.from_frames({"counties": counties, "schools": schools, "sections": sections,
                                "facilities": facilities})
