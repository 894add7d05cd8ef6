"""County-level tables of the demo: counties, births, county facts, finance (children by area
are in ``cohorts``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from junheng.demo.profiles import DemoProfile, interpolate

_RATE_FACTS = {"rotation_share", "rotation_backbone_share"}  # generator knobs, not columns


def counties_table(profile: DemoProfile) -> pl.DataFrame:
    return pl.DataFrame([{
        "county_code": c.code, "county_name": c.name, "prefecture_name": profile.prefecture_name,
        "basic_balance_year": c.basic_balance_year, "quality_target_year": c.quality_target_year,
    } for c in profile.counties])


def _shape(profile: DemoProfile, year: np.ndarray) -> np.ndarray:
    known = np.array(sorted(profile.births_shape))
    y = np.clip(year, known.min(), known.max())
    return np.array([profile.births_shape[int(v)] for v in y])


def births_table(profile: DemoProfile, streams: pl.DataFrame, schools: pl.DataFrame,
                 years: Sequence[int], rng: np.random.Generator) -> pl.DataFrame:
    """Births per county and calendar year, scaled so that the county's first-grade entry in
    the latest year is ``enrolment_per_birth`` times the births six years before."""
    last = max(years)
    entries = (streams.filter(pl.col("stage") == "primary")
               .join(schools.filter(pl.col("school_type") != "special")
                     .select("school_id", "county_code"), on="school_id")
               .group_by("county_code").agg(pl.col("entry").sum()))
    entry = dict(zip(entries["county_code"], entries["entry"], strict=True))
    birth_years = np.arange(min(years) - 17, last + 1)
    shape = _shape(profile, birth_years)
    ref = _shape(profile, np.array([last - 6]))[0]
    frames = []
    for c in profile.counties:
        scale = entry[c.code] / c.enrolment_per_birth / ref
        births = np.rint(scale * shape * np.exp(rng.normal(0.0, 0.03, shape.size)))
        frames.append(pl.DataFrame({"year": birth_years, "county_code": c.code,
                                    "births": births.astype(np.int64)}))
    return pl.concat(frames).with_columns(pl.lit(None, dtype=pl.Utf8).alias("area_id"))


def _facts_points(profile: DemoProfile) -> dict[str, dict[str, dict[int, Any]]]:
    return {c.code: {**profile.default_facts, **c.facts} for c in profile.counties}


def _finance_params(profile: DemoProfile) -> dict[str, dict[str, Any]]:
    return {c.code: {**profile.default_finance, **c.finance} for c in profile.counties}


def fact_knobs(profile: DemoProfile, years: Sequence[int]) -> pl.DataFrame:
    """Every county-fact value as planned per county × year (before figures computed from the
    school tables replace the planned ones)."""
    rows = []
    for code, points in _facts_points(profile).items():
        for y in years:
            rows.append({"county_code": code, "year": y,
                         **{k: interpolate(p, y) for k, p in points.items()}})
    return pl.DataFrame(rows)


def finance_table(profile: DemoProfile, sections: pl.DataFrame, years: Sequence[int]
                  ) -> pl.DataFrame:
    """Budget, students and pay per county and for the prefecture, per year. Budgets grow from
    the first year's spend per student, so per-student money rises when enrolment falls; a
    ``budget_dips`` year breaks "两个只增不减"."""
    # School ids start with their county code (学校标识码 convention kept by the demo).
    students = (sections.with_columns(pl.col("school_id").str.slice(0, 6).alias("county_code"))
                .group_by("county_code", "year").agg(pl.col("students").sum()))
    first = min(years)
    rows = []
    for code, fin in _finance_params(profile).items():
        by_year = dict(students.filter(pl.col("county_code") == code)
                       .select("year", "students").iter_rows())
        base = by_year[first] * float(fin["spend_per_student_yuan"])
        dips: dict[int, float] = {int(k): float(v)
                                  for k, v in fin["budget_dips"].items()}
        for y in years:
            budget = base * (1.0 + float(fin["budget_growth"])) ** (y - first)
            rows.append({
                "year": y, "county_code": code,
                "edu_budget_yuan": float(round(budget * dips.get(y, 1.0), -4)),
                "students": by_year[y],
                "teacher_avg_pay_yuan": float(round(
                    interpolate(fin["teacher_avg_pay_yuan"], y), -1)),
                "civil_servant_avg_pay_yuan": float(round(
                    interpolate(fin["civil_servant_avg_pay_yuan"], y), -1)),
            })
    fin_frame = pl.DataFrame(rows)
    pref = fin_frame.group_by("year").agg(
        ((pl.col("edu_budget_yuan").sum() * (1.0 + profile.prefecture_budget_share) / 1e4)
         .round(0) * 1e4).alias("edu_budget_yuan"),
        pl.col("students").sum(),
        ((pl.col("teacher_avg_pay_yuan") * pl.col("students")).sum() / pl.col("students").sum())
        .round(0).alias("teacher_avg_pay_yuan"),
        ((pl.col("civil_servant_avg_pay_yuan") * pl.col("students")).sum()
         / pl.col("students").sum()).round(0).alias("civil_servant_avg_pay_yuan"),
    ).with_columns(pl.lit(profile.prefecture_code).alias("county_code"))
    return pl.concat([fin_frame, pref.select(fin_frame.columns)]).sort("county_code", "year")


def county_facts_table(profile: DemoProfile, knobs: pl.DataFrame, sections: pl.DataFrame,
                       teachers: pl.DataFrame, finance: pl.DataFrame) -> pl.DataFrame:
    """The county_facts table: planned values, with the figures the school tables already hold
    (certification, rotation pool, pay) computed from them so the tables agree."""
    sec = sections.with_columns(pl.col("school_id").str.slice(0, 6).alias("county_code"))
    cert = sec.group_by("county_code", "year").agg(
        (pl.col("certified_teachers").sum() / pl.col("teachers").sum()).round(4)
        .alias("certified_rate"))
    # The rotation pool: counted from the teacher rows where they exist, else estimated as the
    # share of public compulsory teachers who have served six years at one school.
    pool_est = sec.filter(pl.col("stage").is_in(["primary", "junior"])).group_by(
        "county_code", "year").agg((pl.col("teachers").sum() * 0.42).round(0).cast(pl.Int64)
                                   .alias("pool_est"))
    pool = (teachers.with_columns(pl.col("school_id").str.slice(0, 6).alias("county_code"))
            .group_by("county_code", "year").agg(pl.col("is_rotation_eligible").sum()
                                                 .cast(pl.Int64).alias("pool")))
    pay = finance.select("county_code", "year", "teacher_avg_pay_yuan",
                         "civil_servant_avg_pay_yuan")
    out = (knobs.drop("certified_rate")
           .join(cert, on=["county_code", "year"], how="left")
           .join(pool_est, on=["county_code", "year"], how="left")
           .join(pool, on=["county_code", "year"], how="left")
           .join(pay, on=["county_code", "year"], how="left"))
    out = out.with_columns(pl.coalesce("pool", "pool_est").alias("rotation_eligible_teachers"))
    out = out.with_columns(
        (pl.col("rotation_eligible_teachers") * pl.col("rotation_share")).ceil().cast(pl.Int64)
        .alias("rotated_teachers"))
    out = out.with_columns(
        (pl.col("rotated_teachers") * pl.col("rotation_backbone_share")).ceil().cast(pl.Int64)
        .alias("rotated_backbone_teachers"),
        pl.col("monitoring_level").round(0).cast(pl.Int64),
        *[pl.col(c).round(4) for c in ("training_completion_rate", "nearby_enrollment_rate_primary",
                                       "nearby_enrollment_rate_junior", "quality_hs_quota_share",
                                       "migrant_public_share", "junior_retention_rate",
                                       "disabled_enrollment_rate", "training_budget_share_min",
                                       "monitoring_school_diff_rate", "recognition_rate")],
        pl.col("special_school_funding_per_student_yuan").round(0),
    )
    return out.drop("pool", "pool_est", *_RATE_FACTS).sort("county_code", "year")
