"""An independent, deliberately plain reading of 教督〔2017〕6号 §1.1 and the 2012 composite
coefficient (standards.md §1, §3, §4), used to check that the demo data tell the stories they
are meant to. It does not import the standards engine on purpose."""

from __future__ import annotations

import polars as pl

from junheng.domain.dataset import Dataset

COMPULSORY_TYPES = ["primary", "teaching_point", "junior", "nine_year", "complete_secondary",
                    "twelve_year"]
WEIGHTS = {"primary": 1.0, "junior": 1.1, "senior": 1.32}

# indicator -> (resource expression, per-100 scale, primary threshold, junior threshold)
Q2017 = {
    "degree_teachers_per_100": ("degree_teachers", 100, 4.2, 5.3),
    "backbone_teachers_per_100": ("backbone_teachers", 100, 1.0, 1.0),
    "pe_art_teachers_per_100": ("pe_art_teachers", 100, 0.9, 0.9),
    "teaching_area_per_student": ("teaching_area_m2", 1, 4.5, 5.8),
    "sports_area_per_student": ("sports_area_m2", 1, 7.5, 10.2),
    "equipment_value_per_student": ("equipment_value_yuan", 1, 2000, 2500),
    "multimedia_rooms_per_100": ("multimedia_rooms", 100, 2.3, 2.4),
}
B2012 = {
    "teaching_area_per_student": "teaching_area_m2",
    "sports_area_per_student": "sports_area_m2",
    "equipment_value_per_student": "equipment_value_yuan",
    "computers_per_100": "computers",
    "books_per_student": "books",
    "teachers_per_student": "teachers",
    "degree_teachers_per_student": "degree_teachers",
    "senior_title_teachers_per_student": "senior_title_teachers",
}
_STOCKS = ["teaching_area_m2", "sports_area_m2", "equipment_value_yuan", "multimedia_rooms",
           "computers", "books"]


def school_stages(ds: Dataset, year: int) -> pl.DataFrame:
    """One row per school × compulsory stage with the school-wide stocks split by weighted
    students (primary 1 : junior 1.1 : senior 1.32) and the section's own teacher counts."""
    sec = ds.table("sections").filter((pl.col("year") == year) & (pl.col("stage") != "preschool"))
    sec = sec.with_columns(
        (pl.col("students") * pl.col("stage").replace_strict(WEIGHTS, return_dtype=pl.Float64))
        .alias("w"))
    sec = sec.with_columns((pl.col("w") / pl.col("w").sum().over("school_id")).alias("share"))
    fac = ds.table("facilities").filter(pl.col("year") == year).drop("year")
    out = sec.join(fac, on="school_id", how="left").with_columns(
        *[(pl.col(c) * pl.col("share")).alias(c) for c in _STOCKS])
    out = out.join(ds.table("schools").select("school_id", "county_code", "school_type",
                                            "ownership"), on="school_id")
    return out.filter(pl.col("stage").is_in(["primary", "junior"]))


def counted_2017(ds: Dataset, year: int, min_teaching_point: int = 50) -> pl.DataFrame:
    t = school_stages(ds, year)
    return t.filter(
        (pl.col("ownership") == "public") & pl.col("school_type").is_in(COMPULSORY_TYPES)
        & ~((pl.col("school_type") == "teaching_point") & (pl.col("students") < min_teaching_point))
        & (pl.col("students") > 0))


def counted_2012(ds: Dataset, year: int) -> pl.DataFrame:
    t = school_stages(ds, year)
    return t.filter(
        (pl.col("ownership") == "public")
        & pl.col("school_type").is_in([c for c in COMPULSORY_TYPES if c != "teaching_point"])
        & (pl.col("students") > 0))


def school_rule(ds: Dataset, year: int) -> pl.DataFrame:
    """Per school × stage: indicators met, and whether §1.1's school rule holds (≥ 6 of 7, the
    missed one at ≥ 85 % of its threshold)."""
    t = counted_2017(ds, year)
    met, weak = [], []
    for ind, (col, scale, p_thr, j_thr) in Q2017.items():
        thr = pl.when(pl.col("stage") == "primary").then(p_thr).otherwise(j_thr)
        value = pl.col(col) * scale / pl.col("students")
        t = t.with_columns(value.alias(ind))
        met.append((value >= thr).cast(pl.Int32))
        weak.append((value < 0.85 * thr).cast(pl.Int32))
    t = t.with_columns(pl.sum_horizontal(met).alias("met"), pl.sum_horizontal(weak).alias("weak"))
    return t.with_columns(((pl.col("met") >= 6) & (pl.col("weak") == 0)).alias("passes"))


def weighted_cv(t: pl.DataFrame, resources: dict[str, str]) -> pl.DataFrame:
    """Student-weighted CV per county × stage × indicator (standards.md §3)."""
    rows = []
    for ind, col in resources.items():
        g = t.select("county_code", "stage", "students", pl.col(col).alias("y")).with_columns(
            (pl.col("y") / pl.col("students")).alias("x"))
        g = g.with_columns(
            (pl.col("y").sum() / pl.col("students").sum()).over("county_code", "stage")
            .alias("xbar"),
            (pl.col("students") / pl.col("students").sum().over("county_code", "stage"))
            .alias("p"))
        cv = g.group_by("county_code", "stage").agg(
            ((pl.col("p") * (pl.col("x") - pl.col("xbar")) ** 2).sum().sqrt()
             / pl.col("xbar").first()).alias("cv"))
        rows.append(cv.with_columns(pl.lit(ind).alias("indicator")))
    return pl.concat(rows)


def cv_2017(ds: Dataset, year: int) -> pl.DataFrame:
    cv = weighted_cv(counted_2017(ds, year), {k: v[0] for k, v in Q2017.items()})
    limit = pl.when(pl.col("stage") == "primary").then(0.50).otherwise(0.45)
    return cv.with_columns((pl.col("cv") <= limit).alias("passes"))


def composite_2012(ds: Dataset, year: int) -> pl.DataFrame:
    cv = weighted_cv(counted_2012(ds, year), B2012)
    comp = cv.group_by("county_code", "stage").agg(pl.col("cv").mean().alias("composite"))
    limit = pl.when(pl.col("stage") == "primary").then(0.65).otherwise(0.55)
    return comp.with_columns((pl.col("composite") <= limit).alias("passes"))
