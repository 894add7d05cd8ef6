"""Class-size bands and school-size compliance, over all classes and schools at once.

The numbers are the standard's (``standards.policy``): the class bands of the 2017 method
(≤45 normal, 46–55 偏大, 56–65 大班额, 66+ 超大班额, classified by ``standards.bands``) and the
school-size caps of its g04 (小学、初中 ≤ 2000; 九年一贯制和十二年一贯制 compulsory part ≤ 2500).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.standards.bands import BANDS, band_expr
from junheng.standards.engine import Evaluation
from junheng.standards.policy import class_band_limits, school_size_caps

_LIMITS = class_band_limits()
SIZE_CAPS = school_size_caps()


def band_words() -> dict[str, int]:
    """The numbers the bands' names show (45; 46–55; 56–65; 66+)."""
    n, lg, b = _LIMITS["normal_max"], _LIMITS["large_max"], _LIMITS["big_max"]
    return {"normal_max": n, "large_min": n + 1, "large_max": lg, "big_min": lg + 1,
            "big_max": b, "huge_min": b + 1}


def classes_with_county(ds: Dataset, year: int) -> pl.DataFrame:
    """The year's classes with their school's county and their band (the engine's own band
    expression, ``standards.bands.band_expr``). Only for listing classes; counts of classes
    per band come from the evaluation (``StageResult.class_bands``), so that the page, the
    Excel and the PDF count the same classes."""
    classes = ds.table("classes").filter(pl.col("year") == year)
    schools = ds.table("schools").select("school_id", "county_code", "school_name")
    return classes.join(schools, on="school_id", how="left").with_columns(
        band_expr(pl.col("students"), _LIMITS).alias("band"))


def county_bands(ev: Evaluation | None) -> dict[str, list[dict[str, Any]]]:
    """Per county, one row per stage: total classes and classes per band, as the engine counted
    them (in-scope schools of the evaluated stages)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for c in ev.counties if ev is not None else ():
        for stage, block in c.stages.items():
            b = block.class_bands
            if b is None:
                continue
            out.setdefault(c.county_code, []).append(
                {"stage": stage, "total": b.classes,
                 **{name: int(b.counts.get(name, 0)) for name, _ in BANDS}})
    return out


def school_sizes(ds: Dataset, year: int) -> pl.DataFrame:
    """Compulsory-stage students of each compulsory school, with its limit."""
    sections = ds.table("sections").filter(
        (pl.col("year") == year) & pl.col("stage").is_in(["primary", "junior"]))
    totals = sections.group_by("school_id").agg(pl.col("students").sum().alias("students"))
    schools = ds.table("schools").filter(pl.col("school_type").is_in(list(SIZE_CAPS)))
    return (schools.select("school_id", "school_name", "county_code", "school_type")
            .join(totals, on="school_id", how="inner")
            .with_columns(pl.col("school_type").replace_strict(SIZE_CAPS, return_dtype=pl.Int64)
                          .alias("limit"))
            .with_columns((pl.col("students") > pl.col("limit")).alias("is_over")))
