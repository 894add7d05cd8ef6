"""Class-size bands and school-size compliance, over all classes and schools at once.

Bands follow standards.md §5 (≤45 normal, 46–55 偏大, 56–65 大班额, 66+ 超大班额); school size
limits follow 优质均衡 g04 and the Zhangye 2035 targets (小学、初中 ≤ 2000; 九年一贯制和
十二年一贯制 compulsory part ≤ 2500).
"""

from __future__ import annotations

import polars as pl

from junheng.domain.dataset import Dataset

BANDS: list[tuple[str, int, int | None]] = [
    ("normal", 0, 45),
    ("large", 46, 55),
    ("big", 56, 65),
    ("huge", 66, None),
]
SIZE_LIMIT_DEFAULT = 2000
SIZE_LIMIT_COMBINED = 2500
_COMBINED = ("nine_year", "twelve_year")
_COMPULSORY_SCHOOLS = ("primary", "teaching_point", "junior", "nine_year", "complete_secondary",
                       "twelve_year")


def band_expr(col: str = "students") -> pl.Expr:
    expr = pl.lit("huge")
    for name, _lo, hi in reversed(BANDS[:-1]):
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
        *[(pl.col("band") == name).sum().alias(name) for name, _, _ in BANDS],
    ).sort(by)


def school_sizes(ds: Dataset, year: int) -> pl.DataFrame:
    """Compulsory-stage students of each compulsory school, with its limit."""
    sections = ds.get("sections").filter(
        (pl.col("year") == year) & pl.col("stage").is_in(["primary", "junior"]))
    totals = sections.group_by("school_id").agg(pl.col("students").sum().alias("students"))
    schools = ds.get("schools").filter(pl.col("school_type").is_in(_COMPULSORY_SCHOOLS))
    return (schools.select("school_id", "school_name", "county_code", "school_type")
            .join(totals, on="school_id", how="inner")
            .with_columns(pl.when(pl.col("school_type").is_in(_COMBINED))
                          .then(SIZE_LIMIT_COMBINED).otherwise(SIZE_LIMIT_DEFAULT).alias("limit"))
            .with_columns((pl.col("students") > pl.col("limit")).alias("is_over")))
