"""Demo tables for the supervision of the 30 measures (#12): kindergartens and the preschool
county facts, priority care, home-delivered schooling, school health, film screenings and the
肃南 activities — built so that every status (已完成 / 推进中 / 滞后 / 未报送) appears.

Everything is SYNTHETIC. Like the finance and aid step, this one draws from its own random
generator after every other table is built and adds tables nothing else reads, so the outputs of
evaluate, plan, zones and forecast are exactly what they were without it.

The stories (docs/demo-data.md), school year ``year`` only:
- 临泽 620723 does everything: every share at 100 %.
- 甘州 620702 is building up: clinics and counselling rooms in 90 % of its schools (推进中);
  two left-behind children wait for a boarding place (滞后).
- 山丹 620725 lags on health: clinics in 60 % of its schools; its pupils saw one film in spring.
- 肃南 620721 (the partner county) has not reported its health and care tables (未报送).
- 民乐 620722 holds its exchanges with 肃南 but only one joint research activity a term.
- Preschool: 甘州 reaches the three headline figures; 高台 620724 falls short of 85 % enrolment.
"""

from __future__ import annotations

import numpy as np
import polars as pl

SUNAN = "620721"
FULL, BUILDING, LAGGING_HEALTH = "620723", "620702", "620725"
SILENT = SUNAN  # no health or care rows
FEW_RESEARCH = "620722"
CARE_GAP = "620702"
# Shares of schools with a clinic / counselling room, by county (others: every school).
CLINIC_SHARE = {BUILDING: 0.9, LAGGING_HEALTH: 0.6}
# Children aged 3–5 per child in kindergarten (1 / gross enrolment ratio), by county.
ENROLMENT = {"620702": 0.9, "620724": 0.8}
SCHOOL_TYPES = ("primary", "junior", "nine_year", "complete_secondary", "twelve_year",
                "senior")


def _pick(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Exactly round(share × n) of n items, at random."""
    k = int(round(share * n))
    out = np.zeros(n, dtype=bool)
    out[rng.choice(n, size=k, replace=False)] = True
    return out


def supervision_tables(seed: int, schools: pl.DataFrame, sections: pl.DataFrame,
                       year: int) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng([seed, 20260012])
    yr = sections.filter(pl.col("year") == year)
    size = yr.group_by("school_id").agg(students=pl.col("students").sum())
    judged = (schools.filter(pl.col("school_type").is_in(SCHOOL_TYPES))
              .join(size, on="school_id", how="inner").sort("school_id"))
    reporting = judged.filter(pl.col("county_code") != SILENT)
    return {
        **_preschool(schools, yr, year),
        "school_health": _health(rng, reporting, year),
        "care_children": _care(rng, reporting, year),
        "home_delivery": _home_delivery(schools, year),
        "film_screenings": _films(reporting, year),
        "sunan_activities": _sunan(schools, year),
    }


def _preschool(schools: pl.DataFrame, yr: pl.DataFrame, year: int) -> dict[str, pl.DataFrame]:
    pre = (yr.filter(pl.col("stage") == "preschool")
           .join(schools.select("school_id", "county_code", "ownership"), on="school_id"))
    kinder = pre.select(
        pl.lit(year, pl.Int64).alias("year"), "school_id",
        (pl.col("ownership") == "private").alias("is_inclusive"),
        # One class a kindergarten over the size rule.
        (pl.col("classes") - 1).clip(lower_bound=0).alias("classes_within_size"),
        (pl.col("classes") * 0.8).ceil().cast(pl.Int64).alias("caregivers"),
        (pl.col("students") * 11.0).alias("building_area_m2"),
        (pl.col("students") * 4.5).alias("outdoor_play_area_m2"),
        pl.lit(True).alias("head_certified"))
    per = pre.group_by("county_code").agg(children=pl.col("students").sum()).filter(
        pl.col("county_code").is_in(list(ENROLMENT)))
    ratio = pl.col("county_code").replace_strict(ENROLMENT, return_dtype=pl.Float64)
    county = per.sort("county_code").select(
        pl.lit(year, pl.Int64).alias("year"), "county_code",
        (pl.col("children") / ratio).ceil().cast(pl.Int64).alias("children_3_5"),
        pl.lit(12, pl.Int64).alias("townships"),
        pl.lit(12, pl.Int64).alias("townships_with_public_centre"),
        pl.lit(2, pl.Int64).alias("compound_kindergartens"),
        pl.lit(2, pl.Int64).alias("compound_public_or_inclusive"),
        pl.lit(800.0).alias("public_funding_per_child_yuan"),
        pl.lit(600.0).alias("inclusive_subsidy_per_child_yuan"),
        pl.lit(True).alias("development_plan"), pl.lit(True).alias("fee_aid_policy"),
        pl.lit(True).alias("no_schoolification"), pl.lit(0.91).alias("recognition_rate"))
    return {"kindergartens": kinder.sort("school_id"), "preschool_county": county}


def _health(rng: np.random.Generator, judged: pl.DataFrame, year: int) -> pl.DataFrame:
    parts = []
    for cc, block in judged.group_by("county_code", maintain_order=True):
        share = CLINIC_SHARE.get(str(cc[0]), 1.0)
        has = _pick(rng, block.height, share)
        parts.append(block.with_columns(has_clinic=pl.Series(has),
                                        has_counselling_room=pl.Series(has)))
    rows = pl.concat(parts)
    screened = (rows["students"].to_numpy() * np.where(
        rows["county_code"].to_numpy() == LAGGING_HEALTH, 0.7, 1.0)).round().astype(np.int64)
    flagged = (screened * rng.uniform(0.02, 0.05, rows.height)).round().astype(np.int64)
    return rows.select(
        pl.lit(year, pl.Int64).alias("year"), "school_id", "has_clinic",
        pl.when(pl.col("has_clinic")).then(1 + (pl.col("students") // 1500)).otherwise(0)
        .cast(pl.Int64).alias("health_staff"),
        "has_counselling_room",
        pl.when(pl.col("has_counselling_room")).then(1).otherwise(0).cast(pl.Int64)
        .alias("mental_health_staff"),
        pl.Series("students_screened", screened),
        pl.Series("students_flagged", flagged),
        pl.Series("students_followed", flagged)).sort("school_id")


def _care(rng: np.random.Generator, judged: pl.DataFrame, year: int) -> pl.DataFrame:
    rural = judged.filter(pl.col("school_type").is_in(["primary", "nine_year", "junior"]))
    n = rural.height
    left = (rural["students"].to_numpy() * rng.uniform(0.05, 0.15, n)).round().astype(np.int64)
    rows = rural.select("school_id", "county_code").with_columns(
        category=pl.lit("left_behind"), children=pl.Series(left))
    rows = rows.with_columns(
        boarding_needed=(pl.col("children") // 4), transport_needed=(pl.col("children") // 3),
        nutrition_needed=pl.col("children"))
    # 甘州's biggest need: two children still without a boarding place.
    gap = (rows.filter(pl.col("county_code") == CARE_GAP)
           .sort("boarding_needed", "school_id", descending=[True, False])["school_id"][0])
    return rows.select(
        pl.lit(year, pl.Int64).alias("year"), "school_id", "category", "children",
        "boarding_needed",
        (pl.col("boarding_needed") - pl.when(pl.col("school_id") == gap).then(2).otherwise(0))
        .alias("boarding_provided"),
        "transport_needed", pl.col("transport_needed").alias("transport_provided"),
        "nutrition_needed", pl.col("nutrition_needed").alias("nutrition_provided"),
    ).sort("school_id")


def _home_delivery(schools: pl.DataFrame, year: int) -> pl.DataFrame:
    codes = sorted(c for c in schools["county_code"].unique().to_list() if c != SILENT)
    need = {c: 3 + i for i, c in enumerate(codes)}
    return pl.DataFrame({
        "year": [year] * len(codes), "county_code": codes,
        "children_needing": [need[c] for c in codes],
        "children_served": [need[c] - (1 if c == LAGGING_HEALTH else 0) for c in codes],
        "visits": [need[c] * 30 for c in codes]}, schema_overrides={"year": pl.Int64})


def _films(judged: pl.DataFrame, year: int) -> pl.DataFrame:
    terms = pl.DataFrame({"semester": ["autumn", "spring"]})
    return judged.select("school_id", "county_code").join(terms, how="cross").select(
        pl.lit(year, pl.Int64).alias("year"), "school_id", "semester",
        pl.when((pl.col("county_code") == LAGGING_HEALTH) & (pl.col("semester") == "spring"))
        .then(1).otherwise(2).cast(pl.Int64).alias("viewings_per_student"),
        pl.when((pl.col("county_code") == LAGGING_HEALTH) & (pl.col("semester") == "spring"))
        .then(2).otherwise(4).cast(pl.Int64).alias("films_shown"),
    ).sort("school_id", "semester")


def _sunan(schools: pl.DataFrame, year: int) -> pl.DataFrame:
    """Every other county holds one exchange and two research activities a term with 肃南's
    schools, in turn; 民乐 only one research activity."""
    sunan = sorted(schools.filter((pl.col("county_code") == SUNAN)
                                  & pl.col("school_type").is_in([*SCHOOL_TYPES, "teaching_point",
                                                                 "kindergarten"]))
                   ["school_id"].to_list())
    others = sorted(c for c in schools["county_code"].unique().to_list() if c != SUNAN)
    rows: list[tuple[int, str, str, str, str, str]] = []
    for term, month in (("autumn", 10), ("spring", 4)):
        cal = year if term == "autumn" else year + 1
        # The counties take 肃南's schools in turn; with more schools than counties some
        # school goes without an exchange that term, and 肃南 itself shows as lagging.
        for k, cc in enumerate(others):
            exchange_school = sunan[k % len(sunan)]
            rows.append((year, term, cc, exchange_school, "onsite_exchange",
                         f"{cal}-{month:02d}-1{k}"))
            n_research = 1 if cc == FEW_RESEARCH else 2
            for r in range(n_research):
                sid = sunan[(k + r + 1) % len(sunan)]
                rows.append((year, term, cc, sid, "joint_research", f"{cal}-{month:02d}-2{k}"))
    frame = pl.DataFrame(rows, schema=["year", "semester", "county_code", "school_id",
                                       "activity", "held_on"], orient="row")
    return frame.with_columns(pl.col("year").cast(pl.Int64),
                              pl.col("held_on").str.to_date(),
                              topic=pl.lit("课堂教学观摩与研讨"))
