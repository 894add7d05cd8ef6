"""The demo's schools: each county's school groups expanded into schools with ids, names,
places and the per-school parameters that drive enrolment, staffing and facilities."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from junheng.demo.places import Township
from junheng.demo.profiles import TYPE_STAGES, CountyProfile, SchoolGroup

# How far from its area's centre a school stands (degrees).
_JITTER = {"urban": 0.003, "town": 0.003, "rural": 0.004}


def _pick_townships(group: SchoolGroup, county: CountyProfile, towns: list[Township],
                    rng: np.random.Generator) -> list[Township]:
    wanted: list[Township] = []
    for sel in group.townships:
        for t in towns:
            if t.code in county.seat or t.code in group.exclude:
                continue
            if sel == t.code or (sel == "town" and t.kind == "town") or (
                    sel == "rural" and t.kind == "township"):
                wanted.append(t)
    if group.pick is not None and group.pick < len(wanted):
        idx = np.sort(rng.choice(len(wanted), size=group.pick, replace=False))
        wanted = [wanted[i] for i in idx]
    return wanted


def _pick_villages(n: int, areas: pl.DataFrame, used: set[str],
                   rng: np.random.Generator) -> pl.DataFrame:
    """n rural villages without a school yet, spread over as many townships as possible."""
    pool = areas.filter((pl.col("locale") == "rural") & ~pl.col("area_id").is_in(list(used)))
    pool = pool.with_columns(pl.Series("u", rng.random(pool.height)))
    pool = pool.with_columns(pl.col("u").rank("ordinal").over("township_code").alias("nth"))
    return pool.sort(["nth", "u"]).head(n)


def build_roster(county: CountyProfile, towns: list[Township], areas: pl.DataFrame,
                 rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(schools, streams): one row per school with its parameters, and one row per school ×
    stage with the entry cohort size and the class size the school aims at."""
    schools: list[dict[str, object]] = []
    streams: list[dict[str, object]] = []
    by_township = {t.code: t for t in towns}
    used_villages: set[str] = set()
    seat_urban = areas.filter(pl.col("township_code").is_in(list(county.seat))
                              & (pl.col("locale") == "urban"))

    def add(group: SchoolGroup, name: str, area: dict[str, Any], locale: str) -> None:
        ordinal = len(schools) + 1
        school_id = f"{county.code}{ordinal:04d}"
        prefix = county.school_prefix if group.name_prefix is None else group.name_prefix
        jitter = _JITTER[locale]
        trend = group.trend if group.trend is not None else county.trend[locale]
        survival = group.survival if group.survival is not None else county.survival[locale]
        boost = group.equipment_boost or (1.0, 9999)
        schools.append({
            "school_id": school_id,
            "school_name": prefix + name,
            "county_code": county.code,
            "school_type": group.type,
            "ownership": group.ownership,
            "locale": locale,
            "is_boarding": group.boarding,
            "latitude": round(float(area["latitude"]) + rng.normal(0, jitter), 5),
            "longitude": round(float(area["longitude"]) + rng.normal(0, jitter), 5),
            "township_code": area["township_code"],
            "area_id": area["area_id"],
            "trend": trend + rng.normal(0, 0.006),
            "survival": survival + rng.normal(0, 0.003),
            "is_crowded": group.crowded,
            "is_short_staffed": group.short_staffed,
            "boost_factor": boost[0],
            "boost_from": boost[1],
        })
        for stage in TYPE_STAGES[group.type]:
            lo, hi = group.grade_range(stage)
            clo, chi = group.class_range(stage)
            streams.append({
                "school_id": school_id,
                "stage": stage,
                "entry": float(rng.uniform(lo, hi)),
                "class_target": int(rng.integers(int(clo), int(chi) + 1)),
            })

    for group in county.schools:
        if group.names:
            for name in group.names:
                area = seat_urban.row(int(rng.integers(seat_urban.height)), named=True)
                add(group, name, area, group.locale or "urban")
        elif group.townships:
            for t in _pick_townships(group, county, towns, rng):
                centre = areas.filter((pl.col("township_code") == t.code)
                                      & (pl.col("locale") != "rural"))
                if centre.height:
                    area = centre.row(0, named=True)
                else:  # a 乡 without a 镇区: the school stands at the township centre
                    area = {"latitude": t.latitude, "longitude": t.longitude,
                            "township_code": t.code, "area_id": None}
                locale = group.locale or ("town" if t.kind == "town" else "rural")
                assert group.name is not None
                add(group, group.name.format(township=t.short_name), area, locale)
        else:
            picked = _pick_villages(group.villages, areas, used_villages, rng)
            for area in picked.iter_rows(named=True):
                used_villages.add(str(area["area_id"]))
                t = by_township[str(area["township_code"])]
                assert group.name is not None
                name = group.name.format(township=t.short_name,
                                         village=str(area["area_name"]).removesuffix("村"))
                add(group, name, area, group.locale or "rural")

    frame = pl.DataFrame(schools)
    frame = frame.with_columns(_parents(frame).alias("parent_school_id"))
    return frame, pl.DataFrame(streams)


def _parents(schools: pl.DataFrame) -> pl.Series:
    """A 教学点's central school: the public primary or 一贯制 school of its township, else the
    county's first public primary."""
    central = schools.filter(pl.col("school_type").is_in(["primary", "nine_year"])
                             & (pl.col("ownership") == "public"))
    by_town: dict[str, str] = {}
    for sid, town in central.select("school_id", "township_code").iter_rows():
        by_town.setdefault(town, sid)
    fallback = central["school_id"][0]
    return pl.Series([
        (by_town.get(town, fallback) if stype == "teaching_point" else None)
        for stype, town in schools.select("school_type", "township_code").iter_rows()
    ], dtype=pl.Utf8)
