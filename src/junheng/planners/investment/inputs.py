"""The planner's input: one row per school-stage part of a county, with students and resources.

Taken from the standards engine's ``school_stage_table`` so that the combined-school split, the
scope and the exclusions are exactly those of the evaluation. Each part carries ``share`` (the
engine's ``stock_share``): the fraction of its school's whole-school stocks (area, equipment,
rooms) that the split gives it, so building ``x`` m² at a combined school adds ``share · x`` to
each part — the weighted-student split is linear in the stock.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.planners.investment.rules import INDICATORS, STANDARD_ID

FACILITY_COLUMNS = ("teaching_area_m2", "sports_area_m2", "equipment_value_yuan", "multimedia_rooms")
TEACHER_COLUMNS = ("degree_teachers", "backbone_teachers", "pe_art_teachers")


def school_stage_parts(ds: Dataset, year: int, county: str,
                       params: dict[str, Any] | None = None) -> pl.DataFrame:
    """Parts of ``county``'s schools counted by the resource indicators in ``year``.

    Unreported resources (null) are read as zero for planning — the plan then supplies them in
    full — and listed by ``plan_county`` in its notes, since the evaluation calls them not reported.
    """
    from junheng.standards.engine import school_stage_table

    table = school_stage_table(ds, STANDARD_ID, year, params, county=county)
    coords = ds.table("schools").select("school_id", "latitude", "longitude")
    return (
        table.join(coords, on="school_id", how="left")
        .with_columns(
            pl.col("stock_share").fill_null(1.0).alias("share"),
            *[pl.col(c).is_null().alias(f"missing__{c}") for c in (*TEACHER_COLUMNS, *FACILITY_COLUMNS)],
        )
        .with_columns([pl.col(c).cast(pl.Float64).fill_null(0.0) for c in (*TEACHER_COLUMNS, *FACILITY_COLUMNS)])
        .select("county_code", "school_id", "school_name", "school_type", "locale", "stage",
                "students", "classes", "teachers", *TEACHER_COLUMNS, *FACILITY_COLUMNS, "share",
                "latitude", "longitude", pl.selectors.starts_with("missing__"))
        .sort("stage", "school_id")
    )


def indicator_values(parts: pl.DataFrame) -> pl.DataFrame:
    """The seven indicator values of every part (for reports and the heuristic)."""
    return parts.with_columns(
        [(pl.col(ind.resource) * ind.scale / pl.col("students")).alias(ind.id) for ind in INDICATORS]
    )
