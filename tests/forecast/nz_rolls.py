"""New Zealand school rolls by region and age (1996–2016), turned into the exchange format.

A real series with no births and a whole school career per unit: sixteen regions, pupils by age
5–17 on 1 July (tests/data/nz_school_rolls, Ministry of Education via ``StatisticsNZ/demdata``,
MIT / CC BY 4.0). New Zealand children start school at 5, so age a is read as grade a − 5
(age 5 → grade 0, the entry year; age 17 → grade 12); age 18 is left out, as the exchange format
stops at grade 12. Each region becomes a synthetic county 9901xx (alphabetical order) with one
synthetic school holding all its pupils, so county level = region level.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from junheng.domain.dataset import Dataset

DATA = Path(__file__).resolve().parents[1] / "data" / "nz_school_rolls"
FILE = DATA / "nz_roll_by_region_age_1996_2016.csv"
AGES = range(5, 18)


def nz_dataset(path: Path = FILE) -> Dataset:
    wide = pl.read_csv(path)
    regions = sorted(wide["region"].unique().to_list())
    codes = pl.DataFrame({
        "region": regions,
        "county_code": [f"9901{i + 1:02d}" for i in range(len(regions))],
    }).with_columns(school_id=pl.col("county_code") + "0001")
    grade_enrollment = (
        wide.unpivot(index=["year", "region"], on=[f"age_{a}" for a in AGES],
                     variable_name="age", value_name="students")
        .join(codes, on="region")
        .select(
            "year", "school_id",
            grade=pl.col("age").str.strip_prefix("age_").cast(pl.Int64) - 5,
            students="students",
        )
    )
    schools = codes.select(
        "school_id", "county_code",
        school_name=pl.col("region") + " (all schools)",
        school_type=pl.lit("twelve_year"),
        ownership=pl.lit("public"),
        locale=pl.lit("urban"),
        is_boarding=pl.lit(False),
    )
    counties = codes.select("county_code", county_name="region")
    return Dataset.from_frames({
        "counties": counties, "schools": schools, "grade_enrollment": grade_enrollment,
    })
