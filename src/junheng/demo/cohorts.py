"""One cohort model behind the demo's schools and its children by area.

A county's births drive its first-grade entries (``births_table``); the cohort then moves up
through primary school. Two things keep the rest of the demo on that same cohort:

* ``continue_into_junior``: the junior schools of a county take in about what its primary
  schools send on (小升初, 就近入学), so each county's junior entry streams are scaled to its
  expected sixth grade the year before. The school profile keeps saying how the junior pupils
  are shared between schools; only the county total follows the cohort.
* ``area_children_table``: children of school age in an area are the pupils the county's
  schools draw from it, plus the few who go to school outside the county. Younger children
  are the births not yet at school, older ones the cohort after grade 9. So the zoning
  planner's demand (children by area) matches the enrolment it is compared with.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from junheng.demo.profiles import DemoProfile
from junheng.domain.geo import haversine

# School entry at 6 (六三学制): grade g is age g + 5.
ENTRY_AGE = 6
_TOP_AGE = 15  # area_children stops at 15
_EARTH_M = 6_371_000.0

# How far a school draws its pupils from (km): city schools serve their streets, a town school
# its township, junior and senior schools a wider area (boarding, fewer schools).
_REACH_KM = {"urban": 1.2, "town": 4.0, "rural": 3.0}
_REACH_STAGE = {"preschool": 1.0, "primary": 1.0, "junior": 2.0, "senior": 3.0}
# Pastoral land is wide: a school's catchment is too.
_REACH_PASTORAL = 2.5
# A private (mostly boarding) school takes pupils from all over the county, not its street.
_REACH_PRIVATE = 4.0
# Where families live: city communities are larger than villages.
_AREA_WEIGHT = {"urban": 3.0, "town": 1.6, "rural": 1.0}


def continue_into_junior(profile: DemoProfile, streams: pl.DataFrame, schools: pl.DataFrame,
                         births: pl.DataFrame, last: int) -> pl.DataFrame:
    """Scale each county's junior entry streams so that its grade 7 in ``last`` is
    ``junior_transition`` times its expected grade 6 in ``last - 1`` (the same cohort).

    The expected grade 6 is the cohort mean of ``mechanics.cohort_students`` without noise: a
    stream entering ``entry`` pupils in ``last`` had, for the cohort born ``last - 12``,
    ``entry × births(last-12)/births(last-6) × (1+trend)^-6`` pupils in grade 1 and keeps
    ``survival`` a year for five years. 教学点 (grades 1–3) and the special school are left out:
    the one has no grade 6, the other takes its own pupils.
    """
    info = schools.select("school_id", "county_code", "school_type", "trend", "survival")
    s = streams.join(info, on="school_id", how="left")
    b = dict(zip(zip(births["county_code"], births["year"], strict=True), births["births"],
                 strict=True))
    ratio = pl.Series([b[(c, last - 12)] / b[(c, last - 6)] for c in s["county_code"]])
    ordinary = ~pl.col("school_type").is_in(["teaching_point", "special"])
    sixth = (s.with_columns(ratio.alias("birth_ratio"))
             .filter((pl.col("stage") == "primary") & ordinary)
             .group_by("county_code").agg(
                 (pl.col("entry") * pl.col("birth_ratio") * (1.0 + pl.col("trend")).pow(-6)
                  * pl.col("survival").pow(5)).sum().alias("sixth")))
    junior = (s.filter((pl.col("stage") == "junior") & ordinary)
              .group_by("county_code").agg(pl.col("entry").sum().alias("junior")))
    factor = sixth.join(junior, on="county_code").with_columns(
        (pl.col("sixth") * profile.junior_transition / pl.col("junior")).alias("factor"))
    s = s.join(factor.select("county_code", "factor"), on="county_code", how="left")
    scale = pl.when((pl.col("stage") == "junior") & ordinary).then(pl.col("factor")).otherwise(1.0)
    return s.select(*streams.columns).with_columns(pl.col("entry") * s.select(scale).to_series())


def _distance_m(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
                ) -> np.ndarray:
    return haversine(lat1, lon1, lat2, lon2, radius=_EARTH_M)


def catchments(profile: DemoProfile, areas: pl.DataFrame, schools: pl.DataFrame,
               streams: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Where each school-stage's pupils live: (school_id, stage, area_id, share), the shares
    of one school-stage adding up to 1 over its county's areas. The share falls off with
    distance (``_REACH_KM``) and grows with the area's size; every school-stage draws from at
    least its nearest area."""
    pastoral = {c.code for c in profile.counties if c.pastoral}
    size = (areas["locale"].replace_strict(_AREA_WEIGHT, return_dtype=pl.Float64).to_numpy()
            * np.exp(rng.normal(0.0, 0.25, areas.height)))
    a = areas.select("area_id", "county_code", "latitude", "longitude").with_columns(
        pl.Series("size", size))
    st = streams.select("school_id", "stage").join(
        schools.select("school_id", "county_code", "locale", "ownership", "latitude",
                       "longitude"),
        on="school_id")
    pairs = st.join(a, on="county_code", suffix="_area")
    d = _distance_m(pairs["latitude"].to_numpy(), pairs["longitude"].to_numpy(),
                    pairs["latitude_area"].to_numpy(), pairs["longitude_area"].to_numpy())
    reach = (pairs["locale"].replace_strict(_REACH_KM, return_dtype=pl.Float64).to_numpy()
             * pairs["stage"].replace_strict(_REACH_STAGE, return_dtype=pl.Float64).to_numpy()
             * np.where(pairs["county_code"].is_in(list(pastoral)).to_numpy(),
                        _REACH_PASTORAL, 1.0)
             * np.where(pairs["ownership"].to_numpy() == "private", _REACH_PRIVATE, 1.0)
             * 1000.0)
    pairs = pairs.with_columns(pl.Series("d", d), pl.Series("reach", reach))
    key = ["school_id", "stage"]
    # Relative to the nearest area, so a school far from every area still draws from some.
    pairs = pairs.with_columns(
        (pl.col("size") * (-(pl.col("d") - pl.col("d").min().over(key)) / pl.col("reach")).exp())
        .alias("w"))
    return pairs.select(*key, "area_id", (pl.col("w") / pl.col("w").sum().over(key)).alias("share"))


def area_children_table(profile: DemoProfile, areas: pl.DataFrame, schools: pl.DataFrame,
                        streams: pl.DataFrame, grades: pl.DataFrame, births: pl.DataFrame,
                        years: Sequence[int], rng: np.random.Generator) -> pl.DataFrame:
    """Children by area, year and age 0–15, from the same cohorts as the enrolment.

    * Ages 6–14 (grades 1–9): every school's pupils of that grade shared over the areas it
      draws from (``catchments``), times 1 + the county's ``children_elsewhere`` (children
      living here who go to school outside the county).
    * Ages 0–5: the county's births of that cohort, grown toward the first-grade entry as
      families move in or out (the county's realised grade-1 entry over births six years
      earlier, reached by age 6), shared over areas like the primary pupils.
    * Age 15: grade 9 of that year moved on one cohort (× births ratio), shared like the
      junior pupils; general senior schools take only part of it (vocational schools are not
      in the demo), so senior students are fewer than the children aged 15.
    """
    elsewhere = pl.DataFrame({
        "county_code": [c.code for c in profile.counties],
        "elsewhere": [c.children_elsewhere for c in profile.counties]})
    share = catchments(profile, areas, schools, streams, rng)
    pupils = (grades.filter(pl.col("grade").is_between(1, 9))
              .select("year", "school_id", "stage", "grade", "students")
              .join(share, on=["school_id", "stage"])
              .group_by("year", "area_id", "grade")
              .agg((pl.col("students") * pl.col("share")).sum().alias("mean"))
              .select("year", "area_id", (pl.col("grade") + ENTRY_AGE - 1).alias("age"), "mean"))

    area_county = areas.select("area_id", "county_code")
    pupils = pupils.join(area_county, on="area_id")
    # Each area's part of its county's primary / junior children in a year.
    part = (pupils.with_columns(
                pl.when(pl.col("age") < 12).then(pl.lit("primary")).otherwise(pl.lit("junior"))
                .alias("stage"))
            .group_by("year", "area_id", "county_code", "stage").agg(pl.col("mean").sum())
            .with_columns((pl.col("mean") / pl.col("mean").sum().over("year", "county_code",
                                                                      "stage")).alias("part")))
    county_births = births.select("county_code", pl.col("year").alias("birth_year"), "births")
    ge = grades.join(schools.select("school_id", "county_code"), on="school_id")
    by_grade = ge.group_by("county_code", "year", "grade").agg(pl.col("students").sum())
    key = ["county_code", "birth_year"]
    first = (by_grade.filter(pl.col("grade") == 1)
             .with_columns((pl.col("year") - ENTRY_AGE).alias("birth_year"))
             .join(county_births, on=key)
             .select("county_code", "year", (pl.col("students") / pl.col("births"))
                     .alias("entry_ratio")))
    young = (pl.DataFrame({"age": np.arange(ENTRY_AGE, dtype=np.int64)}).join(first, how="cross")
             .with_columns((pl.col("year") - pl.col("age")).alias("birth_year"))
             .join(county_births, on=key)
             .select("county_code", "year", "age",
                     (pl.col("births") * pl.col("entry_ratio").pow(pl.col("age") / ENTRY_AGE))
                     .alias("total"), pl.lit("primary").alias("stage")))
    old = (by_grade.filter(pl.col("grade") == 9)
           .with_columns((pl.col("year") - 14).alias("birth_year"))
           .join(county_births, on=key)
           .with_columns((pl.col("year") - _TOP_AGE).alias("birth_year"))
           .join(county_births.rename({"births": "births_next"}), on=key)
           .select("county_code", "year", pl.lit(_TOP_AGE, dtype=pl.Int64).alias("age"),
                   (pl.col("students") * pl.col("births_next") / pl.col("births")).alias("total"),
                   pl.lit("junior").alias("stage")))
    outside = (pl.concat([young, old])
               .join(part.select("year", "area_id", "county_code", "stage", "part"),
                     on=["year", "county_code", "stage"])
               .select("year", "area_id", pl.col("age").cast(pl.Int64),
                       (pl.col("total") * pl.col("part")).alias("mean")))
    school_age = pupils.select("year", "area_id", pl.col("age").cast(pl.Int64), "mean").join(
        area_county, on="area_id").join(elsewhere, on="county_code").select(
        "year", "area_id", "age", pl.col("mean") * (1.0 + pl.col("elsewhere")))

    grid = (areas.select("area_id").join(pl.DataFrame({"year": list(years)}), how="cross")
            .join(pl.DataFrame({"age": np.arange(_TOP_AGE + 1, dtype=np.int64)}), how="cross"))
    grid = grid.join(pl.concat([school_age, outside]), on=["year", "area_id", "age"],
                     how="left").sort("year", "area_id", "age")
    mean = grid["mean"].fill_null(0.0).to_numpy()
    # Counted, not modelled: a little noise per area, year and age, then rounded up or down
    # at random in proportion (plain rounding would lose the many small village counts).
    noisy = mean * np.exp(rng.normal(0.0, 0.03, mean.size))
    children = (np.floor(noisy) + (rng.random(mean.size) < noisy % 1.0)).astype(np.int64)
    return grid.select("year", "area_id", "age").with_columns(pl.Series("children", children))
