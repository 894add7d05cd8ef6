"""Enrolment, classes, sections, facilities and rooms of the demo schools, for all years at once.

Every step is a column operation over all schools: the per-school parameters (entry cohort,
trend, class size aimed at, resource margins) come from the roster, the mechanism from
``mechanics``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from junheng.demo import mechanics as mech
from junheng.demo.profiles import STAGE_GRADES, TEACHING_POINT_GRADES, DemoProfile

COMPULSORY = ("primary", "junior")
STOCKS = ("teaching_area", "sports_area", "equipment_value", "multimedia_rooms_per_100",
          "computers_per_100", "books_per_student")
# Stocks that grow with yearly purchases; buildings (areas) stay as built.
_GROWING = {"equipment_value", "multimedia_rooms_per_100", "computers_per_100",
            "books_per_student"}
_STOCK_COLUMNS = {
    "teaching_area": "teaching_area_m2",
    "sports_area": "sports_area_m2",
    "equipment_value": "equipment_value_yuan",
    "multimedia_rooms_per_100": "multimedia_rooms",
    "computers_per_100": "computers",
    "books_per_student": "books",
}
_KIT_KEYS = {
    "teaching_area": "teaching_area", "sports_area": "sports_area",
    "equipment_value": "equipment_value", "multimedia_rooms_per_100": "multimedia_rooms",
    "computers_per_100": "computers", "books_per_student": "books",
}
_PER_100 = {"multimedia_rooms_per_100", "computers_per_100"}


def county_table(profile: DemoProfile) -> pl.DataFrame:
    """A per-county parameter frame to join onto schools."""
    return pl.DataFrame([{
        "county_code": c.code,
        "margin_lo": c.resource_margin[0], "margin_hi": c.resource_margin[1],
        "crowd_lo": c.crowded_area_margin[0], "crowd_hi": c.crowded_area_margin[1],
        "kit_scale": c.small_school_kit,
        "equipment_growth": c.equipment_growth,
        "rooms_ready_year": c.rooms_ready_year,
    } for c in profile.counties])


def grade_rows(schools: pl.DataFrame, streams: pl.DataFrame, years: Sequence[int]) -> pl.DataFrame:
    """One row per school × stage × grade × year (before students are drawn)."""
    grade_map = pl.DataFrame({
        "stage": list(STAGE_GRADES), "grades": [list(g) for g in STAGE_GRADES.values()]})
    rows = (streams.join(schools.select("school_id", "school_type"), on="school_id")
            .join(grade_map, on="stage"))
    rows = rows.with_columns(
        pl.when(pl.col("school_type") == "teaching_point")
        .then(pl.lit(list(TEACHING_POINT_GRADES)))
        .otherwise(pl.col("grades")).alias("grades"))
    rows = rows.with_row_index("stream").explode("grades").rename({"grades": "grade"})
    rows = rows.with_columns(pl.col("grade").min().over("stream").alias("first_grade"))
    return rows.join(pl.DataFrame({"year": list(years)}), how="cross")


def enrol(rows: pl.DataFrame, schools: pl.DataFrame, births: pl.DataFrame, last_year: int,
          rng: np.random.Generator) -> pl.DataFrame:
    """Draw students for every grade row (adds ``students``)."""
    rows = rows.join(schools.select("school_id", "county_code", "trend", "survival",
                                    "is_crowded"), on="school_id")
    rows = rows.with_columns(
        (pl.col("year") - pl.col("grade") - 5).alias("birth_year"),
        (pl.lit(last_year) - pl.col("first_grade") - 5).alias("ref_birth_year"),
    )
    b = births.select("county_code", pl.col("year").alias("birth_year"), "births")
    rows = (rows.join(b, on=["county_code", "birth_year"], how="left")
            .join(b.rename({"birth_year": "ref_birth_year", "births": "ref_births"}),
                  on=["county_code", "ref_birth_year"], how="left"))
    n_streams = int(rows["stream"].max()) + 1  # type: ignore[arg-type]
    b0 = int(births["year"].min())  # type: ignore[arg-type]
    n_b = int(births["year"].max()) - b0 + 1  # type: ignore[arg-type]
    noise = np.exp(rng.normal(0.0, 0.05, (n_streams, n_b)))
    stream = rows["stream"].to_numpy()
    by = rows["birth_year"].to_numpy()
    students = mech.cohort_students(
        entry=rows["entry"].to_numpy(),
        grade=rows["grade"].to_numpy(),
        first_grade=rows["first_grade"].to_numpy(),
        year=rows["year"].to_numpy(),
        last_year=last_year,
        trend=rows["trend"].to_numpy(),
        survival=rows["survival"].to_numpy(),
        birth_ratio=(rows["births"] / rows["ref_births"]).to_numpy(),
        cohort_noise=noise[stream, by - b0],
        rng=rng,
    )
    k = mech.class_counts(students, rows["class_target"].to_numpy().astype(np.float64))
    return rows.with_columns(pl.Series("students", students), pl.Series("classes", k))


def classes_table(grades: pl.DataFrame) -> pl.DataFrame:
    """One row per class (kindergartens are left out: their groups have no grade number)."""
    g = grades.filter(pl.col("stage") != "preschool")
    idx, ordinal, size = mech.split_classes(np.arange(g.height), g["students"].to_numpy(),
                                            g["classes"].to_numpy())
    base = g.select("year", "school_id", "stage", "grade")[idx]
    return base.with_columns(
        mech.class_names(pl.col("grade"), pl.lit(pl.Series(ordinal))).alias("class_name"),
        pl.Series("students", size),
    )


def sections_table(profile: DemoProfile, grades: pl.DataFrame, schools: pl.DataFrame,
                   facts: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Students, classes and teachers by the stage they teach, per school × stage × year."""
    sec = (grades.group_by("year", "school_id", "stage", "stream")
           .agg(pl.col("students").sum(), pl.col("classes").sum()).sort("stream", "year"))
    sec = sec.join(schools.select("school_id", "county_code", "school_type", "ownership",
                                  "locale", "is_crowded", "is_short_staffed"), on="school_id")
    sec = sec.join(county_table(profile).select("county_code", "margin_lo", "margin_hi"),
                   on="county_code")
    last = int(sec["year"].max())  # type: ignore[arg-type]
    n_streams = int(sec["stream"].max()) + 1  # type: ignore[arg-type]
    stream = sec["stream"].to_numpy()
    # Margins belong to the school-stage, not the year: a school stays well or poorly staffed.
    lo, hi = sec["margin_lo"].to_numpy(), sec["margin_hi"].to_numpy()
    margins = {k: lo + rng.random(n_streams)[stream] * (hi - lo)
               for k in ("degree", "backbone", "pe_art")}
    degree_share = rng.uniform(0.78, 0.95, n_streams)
    title_share = rng.uniform(0.35, 0.6, n_streams)

    stage = sec["stage"].to_numpy()
    students = sec["students"].to_numpy()
    classes = sec["classes"].to_numpy()
    crowded = sec["is_crowded"].to_numpy()
    tp = sec["school_type"].to_numpy() == "teaching_point"

    ppt = np.array([profile.pupils_per_teacher[s] for s in stage]) * np.where(crowded, 1.25, 1.0)
    tpc = np.array([profile.teachers_per_class[s] for s in stage]) * np.where(tp, 0.7, 1.0)
    teachers = mech.staff(students=students, classes=classes, pupils_per_teacher=ppt,
                          teachers_per_class=tpc, rng=rng)

    def ref(key: str) -> np.ndarray:
        return np.array([profile.reference_levels[s][key] for s in stage])

    degree = np.minimum(teachers, np.maximum(
        np.rint(teachers * np.where(stage == "senior", 0.12, degree_share[stream])),
        mech.need_count(ref("degree_teachers_per_100"), students, margins["degree"],
                        teachers)))
    degree = np.where(stage == "preschool", np.rint(teachers * 0.7), degree)
    backbone = mech.need_count(ref("backbone_teachers_per_100"), students,
                               margins["backbone"], teachers)
    pe_art = np.minimum(teachers, np.maximum(
        mech.need_count(ref("pe_art_teachers_per_100"), students, margins["pe_art"],
                        teachers), np.rint(teachers * 0.1)))
    pe_art = np.where(stage == "preschool", 0, pe_art)
    short = sec["is_short_staffed"].to_numpy()
    backbone = np.where(short, 0, backbone)
    pe_art = np.where(short, 0, pe_art)
    senior_title = np.rint(teachers * title_share[stream])

    cert_rate = sec.join(facts.select("county_code", "year", "certified_rate"),
                         on=["county_code", "year"], how="left",
                         maintain_order="left")["certified_rate"].to_numpy()
    certified = teachers - np.rint(teachers * (1.0 - cert_rate))

    # 核定学位: bureaus approve seats for town and city schools; crowded ones are over them.
    # The others have room to spare: enough for the children now in private schools or
    # schooled elsewhere, so zoning outside the crowded city is feasible.
    p_last = dict(zip(sec.filter(pl.col("year") == last)["stream"],
                      sec.filter(pl.col("year") == last)["students"], strict=True))
    cap_factor = np.where(crowded, rng.uniform(0.72, 0.86, n_streams)[stream],
                          rng.uniform(1.1, 1.3, n_streams)[stream])
    has_cap = ((sec["locale"].to_numpy() != "rural") & ~tp
               & (sec["ownership"].to_numpy() == "public"))
    capacity = np.rint(np.array([p_last.get(s, 0) for s in stream]) * cap_factor)

    return sec.with_columns(
        pl.Series("teachers", teachers),
        pl.Series("degree_teachers", degree.astype(np.int64)),
        pl.Series("backbone_teachers", backbone.astype(np.int64)),
        pl.Series("pe_art_teachers", pe_art.astype(np.int64)),
        pl.Series("senior_title_teachers", senior_title.astype(np.int64)),
        pl.Series("certified_teachers", certified.astype(np.int64)),
        pl.Series("capacity", np.where(has_cap, capacity, np.nan)).cast(pl.Int64, strict=False),
    ).with_columns(pl.col("capacity").fill_nan(None))


def facilities_table(profile: DemoProfile, sections: pl.DataFrame, schools: pl.DataFrame,
                     years: Sequence[int], rng: np.random.Generator) -> pl.DataFrame:
    """Whole-school stocks per year.

    Stocks are sized on the latest year's students weighted as the standards split them
    (primary 1, junior 1.1, senior 1.32), so that each stage of a combined school ends up
    ``margin`` times its own reference level after the split. Buildings stay as built, so
    growing city schools get more crowded and shrinking village schools roomier; equipment,
    computers and books grow with yearly purchases.
    """
    last = max(years)
    weights = pl.DataFrame({"stage": list(profile.stage_weights),
                            "weight": list(profile.stage_weights.values())})
    levels = pl.DataFrame([{"stage": s, **{k: v[k] / profile.stage_weights[s] for k in STOCKS}}
                           for s, v in profile.reference_levels.items()])
    cur = sections.filter(pl.col("year") == last).join(weights, on="stage").join(levels, on="stage")
    per_school = cur.group_by("school_id").agg(
        (pl.col("students") * pl.col("weight")).sum().alias("weighted"),
        *[pl.col(k).max() for k in STOCKS])
    sch = (schools.select("school_id", "county_code", "is_crowded", "boost_factor", "boost_from")
           .join(per_school, on="school_id", how="left").fill_null(0.0)
           .join(county_table(profile), on="county_code").sort("school_id"))
    n = sch.height
    margin = {k: rng.uniform(sch["margin_lo"].to_numpy(), sch["margin_hi"].to_numpy())
              for k in STOCKS}
    crowded = sch["is_crowded"].to_numpy()
    for k in ("teaching_area", "sports_area"):
        margin[k] = np.where(crowded, rng.uniform(sch["crowd_lo"].to_numpy(),
                                                  sch["crowd_hi"].to_numpy()), margin[k])
    stock_last = {}
    for k in STOCKS:
        scale = 100.0 if k in _PER_100 else 1.0
        kit = profile.small_school_kit[_KIT_KEYS[k]] * sch["kit_scale"].to_numpy()
        kit = kit * rng.uniform(0.9, 1.3, n)
        stock_last[k] = np.maximum(margin[k] * sch[k].to_numpy() * sch["weighted"].to_numpy()
                                   / scale, kit)
    growth = sch["equipment_growth"].to_numpy()
    boost = sch["boost_factor"].to_numpy()
    boost_from = sch["boost_from"].to_numpy()
    frames = []
    for y in years:
        cols: dict[str, np.ndarray] = {}
        for k in STOCKS:
            v = stock_last[k] * (np.power(1.0 + growth, y - last) if k in _GROWING else 1.0)
            if k == "equipment_value":
                v = v * np.where(y >= boost_from, boost, 1.0)
            cols[_STOCK_COLUMNS[k]] = v
        frames.append(mech.facilities_frame(y, sch["school_id"], cols))
    return pl.concat(frames)


def rooms_table(sections: pl.DataFrame, schools: pl.DataFrame, profile: DemoProfile,
                rng: np.random.Generator) -> pl.DataFrame:
    """Music and art rooms: one of each per 12 classes (教督〔2017〕6号 g03). Counties still
    building (year before ``rooms_ready_year``) have undersized rooms in village schools."""
    cls = (sections.filter(pl.col("stage") != "preschool")
           .group_by("year", "school_id").agg(pl.col("classes").sum())
           .join(schools.select("school_id", "county_code", "locale"), on="school_id")
           .join(county_table(profile).select("county_code", "rooms_ready_year"), on="county_code")
           .sort("school_id", "year"))
    need = np.ceil(cls["classes"].to_numpy() / 12.0).astype(np.int64)
    old = ((cls["year"] < cls["rooms_ready_year"]) & (cls["locale"] == "rural")).to_numpy()
    sid = cls["school_id"].to_numpy()
    uniq, school_idx = np.unique(sid, return_inverse=True)
    max_need = int(need.max()) if need.size else 0
    # Each room keeps its area across years (the same building).
    good = rng.uniform([98.0, 92.0], [135.0, 125.0], (uniq.size, max_need, 2))
    small = rng.uniform([68.0, 60.0], [90.0, 85.0], (uniq.size, max_need, 2))
    frames = []
    for t, room_type in enumerate(("music", "art")):
        idx, ordinal, _ = mech.split_classes(np.arange(cls.height), need, need)
        areas = np.where(old[idx], small[school_idx[idx], ordinal - 1, t],
                         good[school_idx[idx], ordinal - 1, t])
        frames.append(pl.DataFrame({
            "year": cls["year"].to_numpy()[idx],
            "school_id": sid[idx],
            "room_type": np.full(idx.size, room_type),
            "area_m2": np.round(areas, 1),
        }))
    return pl.concat(frames).sort("year", "school_id", "room_type")
