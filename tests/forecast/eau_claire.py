"""Eau Claire Area School District (Wisconsin) enrollment, turned into the exchange format.

Source: shared/data/real/eau_claire beside the repository (third-Friday counts 1998–2024, births 1995–2019;
repository ``toxygene/ecasd-enrollment``, MIT). Kindergarten is the year before grade 1, so
K → grade 0 (entry age 5) and G1..G5 → grades 1–5. The district becomes one synthetic county
"550001"; schools get synthetic 10-digit ids in alphabetical order of their names.
Fall 2020 is a pandemic outlier and is kept, as real data has such years.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from support.paths import REAL_DATA

from junheng.domain.dataset import Dataset

DATA = REAL_DATA / "eau_claire"
COUNTY = "550001"
GRADES = {"K": 0, "G1": 1, "G2": 2, "G3": 3, "G4": 4, "G5": 5}


def eau_claire_dataset(data: Path = DATA) -> Dataset:
    wide = pl.read_csv(data / "ecasd_school_grade_totals_1998_2024.csv")
    names = sorted(wide["school"].unique().to_list())
    ids = pl.DataFrame({
        "school": names,
        "school_id": [f"55000100{i + 1:02d}" for i in range(len(names))],
    })
    grade_enrollment = (
        wide.unpivot(index=["fall_year", "school"], on=list(GRADES), variable_name="g",
                     value_name="students")
        .join(ids, on="school")
        .select(
            year="fall_year",
            school_id="school_id",
            grade=pl.col("g").replace_strict(GRADES, return_dtype=pl.Int64),
            students="students",
        )
    )
    schools = ids.select(
        "school_id",
        school_name="school",
        county_code=pl.lit(COUNTY),
        school_type=pl.lit("primary"),
        ownership=pl.lit("public"),
        locale=pl.lit("urban"),
        is_boarding=pl.lit(False),
    )
    births = pl.read_csv(data / "ecasd_births_1995_2019.csv").select(
        year="birth_year", county_code=pl.lit(COUNTY), births="births"
    )
    counties = pl.DataFrame({"county_code": [COUNTY], "county_name": ["Eau Claire Area SD"]})
    return Dataset.from_frames({
        "counties": counties,
        "schools": schools,
        "grade_enrollment": grade_enrollment,
        "births": births,
    })


def district_totals(data: Path = DATA) -> pl.DataFrame:
    """The district's published totals by grade (long format), to check the conversion."""
    wide = pl.read_csv(data / "ecasd_district_grade_totals_1998_2024.csv")
    return wide.unpivot(index="fall_year", on=list(GRADES), variable_name="g",
                        value_name="students").select(
        year="fall_year", grade=pl.col("g").replace_strict(GRADES, return_dtype=pl.Int64),
        students="students",
    )
