"""The attendance zones in force in the demo (``area_assignments``).

Real zones were drawn by hand long ago around each school, so the demo's are each area's
nearest public school of the stage in that year (教学点 count for primary). Nearest-school
zones ignore seats, which is exactly why the crowded city's zones in force overload its
schools: the zoning planner has something to improve. No randomness is drawn here, so adding
this table leaves every other figure of a seed unchanged.
"""

from __future__ import annotations

import polars as pl

from junheng.domain.geo import haversine

_EARTH_M = 6_371_000.0
_ZONED_STAGES = ("primary", "junior")


def zones_in_force(areas: pl.DataFrame, schools: pl.DataFrame,
                   sections: pl.DataFrame) -> pl.DataFrame:
    """(year, area_id, stage, school_id): each area's nearest public school of the stage."""
    offered = (sections.filter(pl.col("stage").is_in(_ZONED_STAGES) & (pl.col("students") > 0))
               .select("year", "school_id", "stage")
               .join(schools.filter(pl.col("ownership") == "public")
                     .select("school_id", "county_code", "latitude", "longitude"),
                     on="school_id"))
    pairs = offered.join(
        areas.select("area_id", "county_code", pl.col("latitude").alias("a_lat"),
                     pl.col("longitude").alias("a_lon")),
        on="county_code")
    d = haversine(pairs["latitude"].to_numpy(), pairs["longitude"].to_numpy(),
                  pairs["a_lat"].to_numpy(), pairs["a_lon"].to_numpy(), radius=_EARTH_M)
    pairs = pairs.with_columns(pl.Series("d", d))
    return (pairs.sort("d", "school_id")
            .group_by("year", "area_id", "stage", maintain_order=True).first()
            .select("year", "area_id", "stage", "school_id")
            .sort("year", "area_id", "stage"))
