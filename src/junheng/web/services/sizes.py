"""Class-size bands and school-size compliance, over all classes and schools at once.

The numbers are the standard's (``standards.policy``): the class bands of the 2017 method
(≤45 normal, 46–55 偏大, 56–65 大班额, 66+ 超大班额) and the school-size caps of its g04
(小学、初中 ≤ 2000; 九年一贯制和十二年一贯制 compulsory part ≤ 2500).
"""

from __future__ import annotations

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.standards.policy import class_band_limits, school_size_caps

_LIMITS = class_band_limits()
# The page's band names (the standard calls the last one ``super``), upper limits from the rule.
BANDS: list[tuple[str, int | None]] = [
    ("normal", _LIMITS["normal_max"]), ("large", _LIMITS["large_max"]),
    ("big", _LIMITS["big_max"]), ("huge", None),
]
SIZE_CAPS = school_size_caps()


def band_words() -> dict[str, int]:
    """The numbers the bands' names show (45; 46–55; 56–65; 66+)."""
    n, lg, b = _LIMITS["normal_max"], _LIMITS["large_max"], _LIMITS["big_max"]
    return {"normal_max": n, "large_min": n + 1, "large_max": lg, "big_min": lg + 1,
            "big_max": b, "huge_min": b + 1}


def band_expr(col: str = "students") -> pl.Expr:
    expr = pl.lit("huge")
    for name, hi in reversed(BANDS[:-1]):
        expr = pl.when(pl.col(col) <= hi).then(pl.lit(name)).otherwise(expr)
    return pl.when(pl.col(col).is_null()).then(None).otherwise(expr).alias("band")


def classes_with_county(ds: Dataset, year: int) -> pl.DataFrame:
    classes = ds.get("classes").filter(pl.col("year") == year)
    schools = ds.get("schools").select("school_id", "county_code", "school_name")
    return classes.join(schools, on="school_id", how="left").with_columns(band_expr())


def band_counts(classes: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """One row per group: total classes and the count in each band."""
    if classes.height == 0:
        return pl.DataFrame()
    return classes.group_by(by).agg(
        pl.len().alias("total"),
        *[(pl.col("band") == name).sum().alias(name) for name, _ in BANDS],
    ).sort(by)


def school_sizes(ds: Dataset, year: int) -> pl.DataFrame:
    """Compulsory-stage students of each compulsory school, with its limit."""
    sections = ds.get("sections").filter(
        (pl.col("year") == year) & pl.col("stage").is_in(["primary", "junior"]))
    totals = sections.group_by("school_id").agg(pl.col("students").sum().alias("students"))
    schools = ds.get("schools").filter(pl.col("school_type").is_in(list(SIZE_CAPS)))
    return (schools.select("school_id", "school_name", "county_code", "school_type")
            .join(totals, on="school_id", how="inner")
            .with_columns(pl.col("school_type").replace_strict(SIZE_CAPS, return_dtype=pl.Int64)
                          .alias("limit"))
            .with_columns((pl.col("students") > pl.col("limit")).alias("is_over")))
