"""What the admissions portal needs from the exchange tables for one county, year and entry
stage, as typed values: the counties, the county's areas and schools with their plans, the zone
schools of each area, and school names.

Built once per data version and shared by every request of a worker (``web.services``
memoises it), so a submission checks its area and choices against sets instead of filtering
frames; and pages read named fields instead of digging through rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import polars as pl

from junheng.domain.dataset import Dataset


@dataclass(frozen=True)
class County:
    county_code: str
    county_name: str


@dataclass(frozen=True)
class Area:
    area_id: str
    area_name: str
    township: str | None


@dataclass(frozen=True)
class School:
    school_id: str
    school_name: str
    ownership: str
    seats: int | None  # None: no plan for the stage (accepts nobody)

    @property
    def is_private(self) -> bool:
        return self.ownership == "private"


@dataclass(frozen=True)
class Catalog:
    county_code: str
    year: int
    stage: str
    counties: tuple[County, ...]
    areas: tuple[Area, ...]
    schools: tuple[School, ...]  # every school of the county, school_id order
    zones: Mapping[str, tuple[str, ...]]  # area_id -> its zone schools (area_assignments)
    school_names: Mapping[str, str]  # every school of the dataset
    area_names: Mapping[str, str]  # every area of the dataset
    teaching: frozenset[str]  # every school with a section of the stage (any year)

    # Computed once per catalog (which lives as long as the data version): every submission
    # asks these.
    @cached_property
    def area_ids(self) -> frozenset[str]:
        return frozenset(a.area_id for a in self.areas)

    @cached_property
    def school_ids(self) -> frozenset[str]:
        return frozenset(s.school_id for s in self.schools)

    def listed(self) -> tuple[School, ...]:
        """The schools of the stage's plan table: those that teach the stage or have a plan
        for it (a kindergarten or a senior school has no line among grade-1 plans). A plan
        can still be set for any school of the county, e.g. one opening this year."""
        return tuple(s for s in self.schools if s.seats is not None or s.school_id in self.teaching)

    def choosable(self) -> tuple[School, ...]:
        """The schools a family may choose: those with seats in the plan."""
        return tuple(s for s in self.schools if s.seats)

    def zone_schools(self, area_id: str) -> tuple[School, ...]:
        by_id = {s.school_id: s for s in self.schools}
        return tuple(by_id.get(sid) or School(sid, self.school_names.get(sid, sid), "public",
                                              None)
                     for sid in self.zones.get(area_id, ()))


def counties(ds: Dataset) -> tuple[County, ...]:
    rows = ds.table("counties").select("county_code", "county_name").sort("county_code")
    return tuple(County(c, n) for c, n in rows.iter_rows())


def catalog(ds: Dataset, county_code: str, year: int, stage: str) -> Catalog:
    plans = (ds.table("admission_plans")
             .filter((pl.col("year") == year) & (pl.col("entry_stage") == stage))
             .group_by("school_id").agg(pl.col("seats").sum()))
    all_schools = ds.table("schools")
    schools = (all_schools.filter(pl.col("county_code") == county_code)
               .join(plans, on="school_id", how="left")
               .select("school_id", "school_name", "ownership", "seats").sort("school_id"))
    all_areas = ds.table("areas")
    areas = (all_areas.filter(pl.col("county_code") == county_code)
             .select("area_id", "area_name", "township").sort("area_id"))
    zones = (ds.table("area_assignments")
             .filter((pl.col("year") == year) & (pl.col("stage") == stage))
             .select("area_id", "school_id").unique().sort("area_id", "school_id")
             .group_by("area_id", maintain_order=True).agg("school_id"))
    return Catalog(
        county_code, year, stage, counties(ds),
        tuple(Area(*row) for row in areas.iter_rows()),
        tuple(School(*row) for row in schools.iter_rows()),
        {a: tuple(ss) for a, ss in zones.iter_rows()},
        dict(all_schools.select("school_id", "school_name").iter_rows()),
        dict(all_areas.select("area_id", "area_name").iter_rows()),
        frozenset(ds.table("sections").filter(pl.col("stage") == stage)["school_id"].to_list()))
