"""Random and hand-made admissions datasets for the tests."""

from __future__ import annotations

import polars as pl
from hypothesis import strategies as st

from junheng.domain.dataset import Dataset

COUNTY = "620723"
OTHER = "620724"
YEAR = 2025
CATEGORIES = ["preferential", "hukou_house", "house", "hukou", "migrant", "other"]


def dataset(schools: list[dict], areas: list[dict], zones: list[tuple[str, str]],
            plans: dict[str, int], apps: list[dict], stage: str = "primary") -> Dataset:
    """Schools: school_id, ownership, (county_code), lat, lon; areas: area_id, lat, lon;
    zones: (area_id, school_id); plans: school_id -> seats; apps: application_id, area_id,
    category, choices (list)."""
    return Dataset.from_frames({
        "counties": pl.DataFrame({"county_code": [COUNTY, OTHER],
                                  "county_name": ["临泽县", "高台县"]}),
        "schools": pl.DataFrame({
            "school_id": [s["school_id"] for s in schools],
            "school_name": [f"学校{s['school_id'][-3:]}" for s in schools],
            "county_code": [s.get("county_code", COUNTY) for s in schools],
            "school_type": ["primary"] * len(schools),
            "ownership": [s["ownership"] for s in schools],
            "locale": ["urban"] * len(schools),
            "latitude": [s.get("lat") for s in schools],
            "longitude": [s.get("lon") for s in schools]},
            schema_overrides={"latitude": pl.Float64, "longitude": pl.Float64}),
        "areas": pl.DataFrame({
            "area_id": [a["area_id"] for a in areas],
            "area_name": [a["area_id"] for a in areas],
            "county_code": [COUNTY] * len(areas),
            "latitude": [a["lat"] for a in areas], "longitude": [a["lon"] for a in areas]}),
        "area_assignments": pl.DataFrame({
            "year": [YEAR] * len(zones), "area_id": [z[0] for z in zones],
            "stage": [stage] * len(zones), "school_id": [z[1] for z in zones]},
            schema_overrides={"year": pl.Int64, "area_id": pl.Utf8, "stage": pl.Utf8,
                              "school_id": pl.Utf8}),
        "admission_plans": pl.DataFrame({
            "year": [YEAR] * len(plans), "school_id": list(plans),
            "entry_stage": [stage] * len(plans), "seats": list(plans.values())},
            schema_overrides={"year": pl.Int64, "school_id": pl.Utf8, "entry_stage": pl.Utf8,
                              "seats": pl.Int64}),
        "applications": pl.DataFrame({
            "year": [YEAR] * len(apps),
            "application_id": [a["application_id"] for a in apps],
            "county_code": [a.get("county_code", COUNTY) for a in apps],
            "entry_stage": [stage] * len(apps),
            "area_id": [a["area_id"] for a in apps],
            "category": [a["category"] for a in apps],
            **{f"choice_{k}": [(a["choices"] + [None] * 5)[k - 1] for a in apps]
               for k in range(1, 6)}},
            schema_overrides={"year": pl.Int64, "application_id": pl.Utf8,
                              "county_code": pl.Utf8, "entry_stage": pl.Utf8,
                              "area_id": pl.Utf8, "category": pl.Utf8,
                              **{f"choice_{k}": pl.Utf8 for k in range(1, 6)}}),
    })


@st.composite
def instances(draw: st.DrawFn, max_schools: int = 7, max_apps: int = 30) -> tuple[Dataset, str]:
    """A county with public and private schools (some without a plan, some of zero seats,
    one in another county), areas zoned to 0-3 schools (多校划片), and applicants whose choices
    include schools that will not accept them; plus a seed."""
    n_schools = draw(st.integers(1, max_schools))
    schools = []
    for i in range(n_schools):
        schools.append({
            "school_id": f"6207230{i:03d}",
            "ownership": draw(st.sampled_from(["public", "public", "private"])),
            "lat": 39.0 + draw(st.integers(0, 400)) / 1000,
            "lon": 100.0 + draw(st.integers(0, 400)) / 1000})
    schools.append({"school_id": "6207240999", "ownership": "private", "county_code": OTHER,
                    "lat": 39.5, "lon": 99.8})
    ids = [s["school_id"] for s in schools]
    n_areas = draw(st.integers(1, 4))
    areas = [{"area_id": f"A{j}", "lat": 39.0 + draw(st.integers(0, 400)) / 1000,
              "lon": 100.0 + draw(st.integers(0, 400)) / 1000} for j in range(n_areas)]
    zones = []
    for a in areas:
        for s in draw(st.lists(st.sampled_from(ids[:-1]), max_size=3, unique=True)):
            zones.append((a["area_id"], s))
    plans = {}
    for s in ids[:-1]:
        if draw(st.booleans()) or draw(st.booleans()):
            plans[s] = draw(st.integers(0, 6))
    n_apps = draw(st.integers(0, max_apps))
    apps = []
    for k in range(n_apps):
        choices = draw(st.lists(st.sampled_from(ids), max_size=5, unique=True))
        apps.append({"application_id": f"P{k:04d}",
                     "area_id": draw(st.sampled_from([a["area_id"] for a in areas])),
                     "category": draw(st.sampled_from(CATEGORIES)), "choices": choices})
    # An application of another county must never enter the list.
    if n_apps and draw(st.booleans()):
        apps.append({"application_id": "Q0001", "area_id": areas[0]["area_id"],
                     "category": "other", "choices": [], "county_code": OTHER})
    seed = draw(st.text(alphabet="0123456789abc", min_size=1, max_size=8))
    return dataset(schools, areas, zones, plans, apps), seed
