"""Demo tables for the finance guarantees and student aid: public funds allocated, a school
roll with names and resident ids for a few schools per county, transfers, department lists
and awards — each built so that every kind of finding appears at least once.

Everything is SYNTHETIC (names, resident ids, amounts). This step draws from its own random
generator, after every other table is built, so the tables that evaluate, plan, zones and
forecast read are exactly what they were without it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from junheng.finance.checks import public_funds_required
from junheng.finance.norms import finance_rules
from junheng.io.validate import resident_id_check_char

# The stories (docs/demo-data.md): 山丹 allocates 3 % less than the norms in the last year;
# 甘州 did not pass the money of three pupils who left for other counties.
FUNDS_SHORT_COUNTY, FUNDS_SHORT_FACTOR = "620725", 0.97
UNMOVED_FROM_COUNTY = "620702"
FUNDS_MARGIN = 1.06
# Synthetic award amounts (元/年): the demo's, not a rule.
AWARD_YUAN = {"living_allowance": 1000.0, "nutrition_meal": 800.0,
              "free_education_disabled": 2000.0, "preschool_fee_relief": 1500.0}
MOVED_YUAN = 3000.0  # what a county passes on per transfer when it does (more than owed)

_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗安兰钱")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰梅婷雪琳晨浩宇轩")


def public_funds(finance: pl.DataFrame, ds_sections: pl.DataFrame, schools: pl.DataFrame,
                 years: list[int]) -> pl.DataFrame:
    """``finance`` with ``public_funds_yuan``: the norms' amount with a margin, rounded up to
    10,000 元; one county short in the last year. The prefecture's own row stays empty."""
    from junheng.domain.dataset import Dataset

    rules = finance_rules()
    ds = Dataset.from_frames({"schools": schools, "sections": ds_sections})
    parts = []
    for y in years:  # one per year (six), each vectorised over every school
        day = dt.date(y, 12, 31)
        rates, floor = rules.at("public_funds_rates", day), rules.at("small_school_floor", day)
        if rates is None or floor is None:
            continue
        req = public_funds_required(ds, y, rates.value, floor.value)
        parts.append(req.select("county_code", pl.lit(y, pl.Int64).alias("year"),
                                "required_yuan"))
    if not parts:
        return finance.with_columns(pl.lit(None, pl.Float64).alias("public_funds_yuan"))
    last = max(years)
    req = pl.concat(parts).with_columns(
        pl.when((pl.col("county_code") == FUNDS_SHORT_COUNTY) & (pl.col("year") == last))
        .then(pl.col("required_yuan") * FUNDS_SHORT_FACTOR)
        .otherwise(((pl.col("required_yuan") * FUNDS_MARGIN) / 1e4).ceil() * 1e4)
        .round(0).alias("public_funds_yuan"))
    return finance.join(req.select("county_code", "year", "public_funds_yuan"),
                        on=["county_code", "year"], how="left")


def _roll_schools(schools: pl.DataFrame, sections: pl.DataFrame, year: int) -> pl.DataFrame:
    """Per county: its biggest rural compulsory school, its smallest town or urban nine-year
    or junior school, and its kindergartens — the schools that sent their roll."""
    size = (sections.filter(pl.col("year") == year).group_by("school_id")
            .agg(pl.col("students").sum().alias("size")))
    s = schools.join(size, on="school_id", how="inner").filter(pl.col("size") > 0)
    compulsory = ["primary", "teaching_point", "nine_year", "junior"]
    rural = (s.filter((pl.col("locale") == "rural") & pl.col("school_type").is_in(compulsory))
             .sort("size", "school_id", descending=[True, False])
             .group_by("county_code", maintain_order=True).first())
    town = (s.filter((pl.col("locale") != "rural")
                     & pl.col("school_type").is_in(["nine_year", "junior"]))
            .sort("size", "school_id").group_by("county_code", maintain_order=True).first())
    kinder = s.filter(pl.col("school_type") == "kindergarten")
    cols = ["school_id", "county_code", "locale"]
    return pl.concat([f.select(cols) for f in (rural, town, kinder)]).unique(
        "school_id").sort("school_id")


def synthetic_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` made-up Chinese names (a common surname and one or two given characters): the
    demo's one name generator, shared by the roll and the admission applicants."""
    return [a + b + (c if k else "") for a, b, c, k in zip(
        rng.choice(_SURNAMES, n), rng.choice(_GIVEN, n), rng.choice(_GIVEN, n),
        rng.random(n) < 0.8, strict=True)]


def resident_ids(county: np.ndarray, birth: np.ndarray, serial: np.ndarray) -> list[str]:
    """18-digit 身份证号: 6-digit division code, birth date, 3-digit serial, check character."""
    first17 = [f"{c}{b:%Y%m%d}{s:03d}" for c, b, s in zip(county, birth, serial, strict=True)]
    return [f + resident_id_check_char(f) for f in first17]


def aid_tables(seed: int, schools: pl.DataFrame, sections: pl.DataFrame,
               enrolment: pl.DataFrame, year: int) -> dict[str, pl.DataFrame]:
    """students, transfers, aid_lists and aid_awards for school year ``year``."""
    rng = np.random.default_rng([seed, 20241130])
    chosen = _roll_schools(schools, sections, year)
    grades = (enrolment.filter(pl.col("year") == year)
              .join(chosen, on="school_id", how="inner")
              .filter(pl.col("students") > 0)
              .select("school_id", "county_code", "locale", "grade",
                      pl.int_ranges(0, pl.col("students")).alias("i"))
              .explode("i").sort("school_id", "grade", "i")
              .with_columns(pl.int_range(pl.len()).over("school_id").alias("i")))
    n = grades.height
    births = [dt.date(year - 6 - g, 1, 1) + dt.timedelta(days=int(d))
              for g, d in zip(grades["grade"].to_list(), rng.integers(0, 365, n), strict=True)]
    rids = resident_ids(grades["county_code"].to_numpy(), np.array(births),
                         rng.integers(0, 1000, n))
    names = synthetic_names(rng, n)
    hardship = np.where(rng.random(n) < 0.12, rng.integers(1, 4, n), 0)
    disabled = rng.random(n) < 0.015
    no_id = rng.random(n) < 0.04  # the roll lacks some numbers: matched by name and birth date
    students = grades.select(
        pl.lit(year, pl.Int64).alias("year"),
        (pl.lit("G") + pl.col("school_id") + pl.col("i").cast(pl.Utf8).str.zfill(4))
        .alias("student_id"), "school_id", "grade").with_columns(
        pl.Series("resident_id", [None if m else r for r, m in zip(rids, no_id, strict=True)],
                  dtype=pl.Utf8),
        pl.Series("name", names, dtype=pl.Utf8),
        pl.Series("birth_date", births, dtype=pl.Date),
        pl.Series("is_disabled", disabled),
        pl.when(pl.Series(disabled)).then(pl.lit("regular_class")).alias(
            "disability_placement"),
        pl.Series("family_hardship_level", hardship, dtype=pl.Int64))

    # Department lists: most hardship pupils on 民政's 低保 list, some pupils only there (the
    # roll's level is 0: only the list shows they qualify), 乡村振兴's monitored families, 残联's
    # disabled pupils; then the rows a matcher must handle.
    idx = np.arange(n)
    on_dibao = idx[(hardship > 0) & (rng.random(n) < 0.7)]
    list_only = idx[(hardship == 0) & (rng.random(n) < 0.01)]
    monitored = idx[(hardship > 0) & (rng.random(n) < 0.2)]
    rows = ([("civil_affairs", "dibao", i) for i in np.concatenate([on_dibao, list_only])]
            + [("rural_revitalization", "monitored", i) for i in monitored]
            + [("disabled_federation", "disabled", i) for i in idx[disabled]]
            + [("civil_affairs", "orphan", i) for i in rng.choice(idx, 3, replace=False)])
    recs = []
    for k, (source, category, i) in enumerate(rows):
        rid, name = rids[i], names[i]
        if k % 10 == 3:
            rid = None  # no number on the list: name + birth date
        if k % 20 == 7:
            name = name[0] + " " + name[1:]  # spaced
        if k % 20 == 13:
            name = "".join(chr(0x3000) if c == " " else c for c in name[0] + " " + name[1:])
        recs.append((source, category, rid, name, births[i]))
    # Two check-digit typos, one number under a different name, three people not on the roll.
    for i in rng.choice(on_dibao, 2, replace=False):
        r = rids[i]
        recs.append(("civil_affairs", "tekun", r[:17] + ("0" if r[17] != "0" else "1"),
                     names[i], births[i]))
    j = int(on_dibao[0])
    recs.append(("rural_revitalization", "monitored", rids[j], names[j][0] + "某某", births[j]))
    for k in range(3):
        b = dt.date(year - 10, 3, 1 + k)
        f = f"620799{b:%Y%m%d}{k:03d}"
        recs.append(("civil_affairs", "dibao", f + resident_id_check_char(f), f"外县{k}号", b))
    aid_lists = pl.DataFrame(recs, schema={"source": pl.Utf8, "category": pl.Utf8,
                                           "resident_id": pl.Utf8, "name": pl.Utf8,
                                           "birth_date": pl.Date}, orient="row").select(
        pl.lit(year, pl.Int64).alias("year"), pl.all())

    # Awards: most hardship pupils get the living allowance, rural pupils their meals, a few
    # are missed — the gap the aid page shows.
    st = students.join(chosen.select("school_id", "locale"), on="school_id", how="left")
    compulsory = pl.col("grade").is_between(1, 9)
    allowance = st.filter(compulsory & (pl.col("family_hardship_level") > 0)).sample(
        fraction=0.85, seed=seed)
    meals = st.filter(compulsory & (pl.col("locale") == "rural")).sample(fraction=0.97,
                                                                       seed=seed)
    preschool = st.filter((pl.col("grade") == 0) & (pl.col("family_hardship_level") > 0))
    aid_awards = pl.concat([
        f.select(pl.lit(year, pl.Int64).alias("year"), "student_id",
                 pl.lit(p).alias("program"), pl.lit(AWARD_YUAN[p]).alias("amount_yuan"))
        for p, f in (("living_allowance", allowance), ("nutrition_meal", meals),
                     ("preschool_fee_relief", preschool))]).sort("student_id", "program")

    # Transfers between the roll's schools, every one paid for, except three pupils 甘州
    # sent to other counties without their money.
    kinder = schools.filter(pl.col("school_type") == "kindergarten")["school_id"].implode()
    targets = chosen.filter(~pl.col("school_id").is_in(kinder))
    to_ids = targets["school_id"].to_list()
    away = targets.filter(pl.col("county_code") != UNMOVED_FROM_COUNTY)["school_id"].to_list()
    pupils = st.filter(compulsory)
    unpaid = pupils.filter(pl.col("school_id").str.starts_with(UNMOVED_FROM_COUNTY)).head(3)
    movers = pupils.filter(~pl.col("student_id").is_in(unpaid["student_id"].implode())).sample(
        n=min(21, pupils.height), seed=seed)
    picks = rng.integers(0, len(to_ids), movers.height)
    tr = [(sid, school, away[k % len(away)], dt.date(year, 9, 1), "转学", 0.0)
          for k, (sid, school) in enumerate(unpaid.select("student_id", "school_id").iter_rows())]
    for (sid, school), p in zip(movers.select("student_id", "school_id").iter_rows(), picks,
                                strict=True):
        dest = to_ids[int(p)] if to_ids[int(p)] != school else to_ids[(int(p) + 1) % len(to_ids)]
        tr.append((sid, school, dest, dt.date(year, 9, 1), "转学", MOVED_YUAN))
    transfers = pl.DataFrame(tr, schema={"student_id": pl.Utf8, "from_school_id": pl.Utf8,
                                         "to_school_id": pl.Utf8, "date": pl.Date,
                                         "reason": pl.Utf8, "funds_moved_yuan": pl.Float64},
                             orient="row").select(pl.lit(year, pl.Int64).alias("year"),
                                                  pl.all())
    return {"students": students.sort("student_id"), "transfers": transfers,
            "aid_lists": aid_lists, "aid_awards": aid_awards}
