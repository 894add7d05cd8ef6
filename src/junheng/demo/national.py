"""A national-scale synthetic dataset for import and evaluation benchmarks.

About as many counties (2 850) and compulsory-education schools (210 000) as China has, with
sections, facilities, rooms, classes, enrolment by grade, county facts and finance for one
school year. No person-level tables. Everything is drawn with numpy in whole arrays: there is no
loop over counties or schools. Codes are valid in form (6-digit county codes under real province
prefixes, 10-digit school ids that start with their county code) but the places are invented.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from junheng.demo import mechanics as mech
from junheng.demo.profiles import zhangye_profile
from junheng.domain.dataset import Dataset

# 省级行政区划代码 prefixes (31 mainland provinces).
_PROVINCES = np.array([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43,
                       44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65])
_TYPES = np.array(["primary", "teaching_point", "junior", "nine_year", "complete_secondary",
                   "twelve_year", "senior", "special"])
_TYPE_P = np.array([0.5, 0.2, 0.15, 0.06, 0.035, 0.005, 0.045, 0.005])
# Per type: which stages (primary, junior, senior) it teaches.
_TEACHES = {
    "primary": (1, 0, 0), "teaching_point": (1, 0, 0), "junior": (0, 1, 0),
    "nine_year": (1, 1, 0), "complete_secondary": (0, 1, 1), "twelve_year": (1, 1, 1),
    "senior": (0, 0, 1), "special": (1, 1, 0),
}
_NAME_SUFFIX = {"primary": "小学", "teaching_point": "小学教学点", "junior": "中学",
                "nine_year": "学校", "complete_secondary": "完全中学", "twelve_year": "实验学校",
                "senior": "高级中学", "special": "特殊教育学校"}
_STAGES = np.array(["primary", "junior", "senior"])
_FIRST = np.array([1, 7, 10])
_N_GRADES = np.array([6, 3, 3])
_LOCALES = np.array(["urban", "town", "rural"])
# Mean entry cohort per grade by locale (urban, town, rural) and stage.
_ENTRY = np.array([[150.0, 300.0, 400.0], [70.0, 180.0, 300.0], [25.0, 80.0, 200.0]])


def _counties(n: int, rng: np.random.Generator) -> pl.DataFrame:
    i = np.arange(n)
    province = _PROVINCES[i % _PROVINCES.size]
    j = i // _PROVINCES.size
    prefecture = j // 40 + 1
    county = j % 40 + 21
    code = province * 10_000 + prefecture * 100 + county
    return pl.DataFrame({
        "county_code": code.astype(str),
        "county_name": pl.select(pl.format(
            "示范县{}", pl.lit(pl.Series(i + 1)).cast(pl.Utf8).str.zfill(4))).to_series(),
        "prefecture_name": pl.select(pl.format(
            "示范市{}{}", pl.lit(pl.Series(province)).cast(pl.Utf8),
            pl.lit(pl.Series(prefecture)).cast(pl.Utf8).str.zfill(2))).to_series(),
        "basic_balance_year": rng.integers(2013, 2021, n),
        "quality_target_year": rng.integers(2025, 2036, n),
    })


def generate_national(seed: int, n_counties: int = 2850, n_schools: int = 210_000,
                      year: int = 2024, with_classes: bool = True) -> Dataset:
    """A synthetic country for one school year (``year``), deterministic per seed."""
    if n_counties > 31 * 40 * 99:
        raise ValueError("too many counties for distinct 6-digit codes")
    rng = np.random.default_rng(seed)
    profile = zhangye_profile()
    counties = _counties(n_counties, rng)
    codes = counties["county_code"].to_numpy()

    # --- schools -------------------------------------------------------------------------
    weight = rng.lognormal(0.0, 0.6, n_counties)
    per_county = rng.multinomial(n_schools, weight / weight.sum())
    if per_county.max() > 9999:
        raise ValueError("more than 9 999 schools in one county")
    county_idx = np.repeat(np.arange(n_counties), per_county)
    ordinal = np.arange(n_schools) - np.repeat(np.cumsum(per_county) - per_county, per_county) + 1
    stype = _TYPES[rng.choice(_TYPES.size, n_schools, p=_TYPE_P)]
    locale_i = rng.choice(3, n_schools, p=[0.28, 0.32, 0.40])
    locale_i = np.where(stype == "teaching_point", 2, locale_i)
    private = (rng.random(n_schools) < 0.07) & ~np.isin(stype, ["teaching_point", "special"])
    centre_lat = rng.uniform(22.0, 48.0, n_counties)
    centre_lon = rng.uniform(80.0, 128.0, n_counties)
    school_id = (pl.Series(codes[county_idx]) + pl.Series(ordinal).cast(pl.Utf8).str.zfill(4))
    is_tp = stype == "teaching_point"
    # A 教学点's central school: the first ordinary primary school of its county.
    is_primary = stype == "primary"
    first_primary = np.full(n_counties, -1)
    prim_idx = np.flatnonzero(is_primary)
    order = prim_idx[np.argsort(county_idx[prim_idx], kind="stable")]
    uniq, first = np.unique(county_idx[order], return_index=True)
    first_primary[uniq] = order[first]
    parent = first_primary[county_idx]
    parent_id = pl.select(pl.when(pl.lit(pl.Series(is_tp & (parent >= 0))))
                          .then(pl.lit(school_id.gather(np.maximum(parent, 0))))).to_series()
    schools = pl.DataFrame({
        "school_id": school_id,
        "school_name": pl.select(pl.format("{}第{}{}", pl.lit(pl.Series(
            counties["county_name"].to_numpy()[county_idx])), pl.lit(pl.Series(ordinal)),
            pl.lit(pl.Series(stype)).replace_strict(_NAME_SUFFIX))).to_series(),
        "county_code": codes[county_idx],
        "school_type": stype,
        "ownership": np.where(private, "private", "public"),
        "locale": _LOCALES[locale_i],
        "is_boarding": rng.random(n_schools) < np.where(locale_i == 2, 0.35, 0.08),
        "latitude": np.round(centre_lat[county_idx] + rng.normal(0, 0.15, n_schools), 5),
        "longitude": np.round(centre_lon[county_idx] + rng.normal(0, 0.15, n_schools), 5),
        "parent_school_id": parent_id,
    })

    # --- one row per school × stage, then per grade -------------------------------------
    teaches = np.array([_TEACHES[t] for t in _TYPES])[_type_index(stype)]
    s_school, s_stage = np.nonzero(teaches)
    n_streams = s_school.size
    entry = (_ENTRY[locale_i[s_school], s_stage] * rng.lognormal(0.0, 0.55, n_streams))
    entry = np.where(is_tp[s_school], rng.uniform(3, 20, n_streams), entry)
    entry = np.where(stype[s_school] == "special", rng.uniform(5, 15, n_streams), entry)
    n_grades = np.where(is_tp[s_school], 3, _N_GRADES[s_stage])
    g_stream = np.repeat(np.arange(n_streams), n_grades)
    step = np.arange(g_stream.size) - np.repeat(np.cumsum(n_grades) - n_grades, n_grades)
    first_grade = _FIRST[s_stage][g_stream]
    grade = first_grade + step
    shape = profile.births_shape
    birth_year = np.clip(year - grade - 5, min(shape), max(shape))
    ref_year = np.clip(year - first_grade - 5, min(shape), max(shape))
    lookup = np.zeros(max(shape) + 1)
    for y, v in shape.items():  # 23 calendar years, not a per-school loop
        lookup[y] = v
    trend = np.array([0.02, -0.01, -0.04])[locale_i[s_school]][g_stream]
    students = mech.cohort_students(
        entry=entry[g_stream], grade=grade, first_grade=first_grade,
        year=np.full(g_stream.size, year), last_year=year, trend=trend,
        survival=np.array([1.01, 0.99, 0.975])[locale_i[s_school]][g_stream],
        birth_ratio=lookup[birth_year] / lookup[ref_year],
        cohort_noise=rng.lognormal(0.0, 0.05, g_stream.size), rng=rng)
    crowded = (locale_i[s_school] == 0) & (rng.random(n_streams) < 0.08)
    limit = np.array([45.0, 50.0, 50.0])[s_stage]
    target = np.where(crowded, rng.uniform(56, 66, n_streams), limit * rng.uniform(0.8, 1.0, n_streams))
    k = mech.class_counts(students, target[g_stream])
    g_school = s_school[g_stream]

    grade_enrollment = pl.DataFrame({
        "year": np.full(g_stream.size, year), "school_id": school_id.to_numpy()[g_school],
        "grade": grade, "students": students})

    # --- sections ----------------------------------------------------------------------
    starts = np.cumsum(n_grades) - n_grades
    sec_students = np.add.reduceat(students, starts)
    sec_classes = np.add.reduceat(k, starts)
    stage_names = _STAGES[s_stage]
    ppt = np.array([17.0, 12.5, 12.5])[s_stage]
    tpc = np.array([1.5, 2.6, 2.8])[s_stage] * np.where(is_tp[s_school], 0.7, 1.0)
    teachers = mech.staff(students=sec_students, classes=sec_classes, pupils_per_teacher=ppt,
                          teachers_per_class=tpc, rng=rng)
    margin = rng.uniform(0.6, 1.6, (3, n_streams))
    ref = profile.reference_levels
    deg_ref = np.array([ref[s]["degree_teachers_per_100"] for s in _STAGES])[s_stage]
    bb_ref = np.array([ref[s]["backbone_teachers_per_100"] for s in _STAGES])[s_stage]
    pa_ref = np.array([ref[s]["pe_art_teachers_per_100"] for s in _STAGES])[s_stage]
    sections = pl.DataFrame({
        "year": np.full(n_streams, year),
        "school_id": school_id.to_numpy()[s_school],
        "stage": stage_names,
        "students": sec_students,
        "classes": sec_classes,
        "teachers": teachers,
        "degree_teachers": np.maximum(mech.need_count(deg_ref, sec_students, margin[0], teachers),
                                      np.rint(teachers * 0.75)).astype(np.int64),
        "backbone_teachers": mech.need_count(bb_ref, sec_students, margin[1], teachers),
        "pe_art_teachers": mech.need_count(pa_ref, sec_students, margin[2], teachers),
        "senior_title_teachers": np.rint(teachers * rng.uniform(0.3, 0.6, n_streams)).astype(np.int64),
        "certified_teachers": teachers - (rng.random(n_streams) < 0.05),
    }).with_columns(pl.col("certified_teachers").clip(lower_bound=0))

    # --- facilities (whole school, sized on weighted students) ----------------------------
    weights = np.array([profile.stage_weights[s] for s in _STAGES])[s_stage]
    weighted = np.bincount(s_school, weights=sec_students * weights, minlength=n_schools)
    fac: dict[str, np.ndarray] = {}
    for key, col in (("teaching_area", "teaching_area_m2"), ("sports_area", "sports_area_m2"),
                     ("equipment_value", "equipment_value_yuan"),
                     ("multimedia_rooms_per_100", "multimedia_rooms"),
                     ("computers_per_100", "computers"), ("books_per_student", "books")):
        level = np.array([ref[s][key] / profile.stage_weights[s] for s in _STAGES])[s_stage]
        per_school = np.zeros(n_schools)
        np.maximum.at(per_school, s_school, level)
        scale = 100.0 if key.endswith("_per_100") else 1.0
        fac[col] = per_school * weighted * rng.uniform(0.6, 1.6, n_schools) / scale
    facilities = mech.facilities_frame(year, school_id, fac)

    # --- rooms: one music and one art room per 12 classes ---------------------------------
    school_classes = np.bincount(s_school, weights=sec_classes, minlength=n_schools)
    need = np.ceil(school_classes / 12.0).astype(np.int64)
    r_idx = np.repeat(np.arange(n_schools), need)
    room_frames = [pl.DataFrame({
        "year": np.full(r_idx.size, year), "school_id": school_id.to_numpy()[r_idx],
        "room_type": np.full(r_idx.size, room_type),
        "area_m2": np.round(rng.uniform(lo, hi, r_idx.size), 1),
    }) for room_type, lo, hi in (("music", 80.0, 130.0), ("art", 75.0, 125.0))]
    rooms = pl.concat(room_frames)

    tables: dict[str, pl.DataFrame] = {
        "counties": counties, "schools": schools, "sections": sections,
        "facilities": facilities, "rooms": rooms, "grade_enrollment": grade_enrollment,
        "county_facts": _county_facts(codes, year, rng),
        "finance": _finance(codes, county_idx, s_school, sec_students, year, rng),
    }
    if with_classes:
        idx, ordinal, size = mech.split_classes(np.arange(g_stream.size), students, k)
        tables["classes"] = pl.DataFrame({
            "year": np.full(idx.size, year),
            "school_id": school_id.to_numpy()[g_school[idx]],
            "stage": stage_names[g_stream[idx]],
            "grade": grade[idx],
            "ordinal": ordinal,
            "students": size,
        }).with_columns(mech.class_names(pl.col("grade"), pl.col("ordinal")).alias("class_name")
                        ).drop("ordinal")
    return Dataset.from_frames(tables)


def _type_index(stype: np.ndarray) -> np.ndarray:
    order = np.argsort(_TYPES)
    return order[np.searchsorted(_TYPES[order], stype)]


def _county_facts(codes: np.ndarray, year: int, rng: np.random.Generator) -> pl.DataFrame:
    n = codes.size
    u = rng.random

    def rate(lo: float, hi: float) -> np.ndarray:
        return np.round(rng.uniform(lo, hi, n), 4)

    eligible = rng.integers(100, 3000, n)
    rotated = np.ceil(eligible * rng.uniform(0.05, 0.2, n)).astype(np.int64)
    return pl.DataFrame({
        "year": np.full(n, year), "county_code": codes,
        "g01_layout_planned": u(n) < 0.95, "g02_unified_standards": u(n) < 0.95,
        "g06_small_school_funding": u(n) < 0.9,
        "special_school_funding_per_student_yuan": np.round(rng.uniform(5000, 9000, n)),
        "teacher_avg_pay_yuan": np.round(rng.uniform(70000, 140000, n), -1),
        "civil_servant_avg_pay_yuan": np.round(rng.uniform(70000, 140000, n), -1),
        "training_completion_rate": np.minimum(rate(0.9, 1.05), 1.0),
        "g10_staffing_allocation": u(n) < 0.95,
        "rotation_eligible_teachers": eligible, "rotated_teachers": rotated,
        "rotated_backbone_teachers": np.ceil(rotated * rng.uniform(0.1, 0.35, n)).astype(np.int64),
        "certified_rate": np.minimum(rate(0.95, 1.03), 1.0),
        "nearby_enrollment_rate_primary": np.minimum(rate(0.95, 1.02), 1.0),
        "nearby_enrollment_rate_junior": np.minimum(rate(0.9, 1.0), 1.0),
        "quality_hs_quota_share": rate(0.4, 0.7), "quota_rural_tilt": u(n) < 0.9,
        "migrant_public_share": rate(0.8, 1.0), "junior_retention_rate": rate(0.92, 1.0),
        "disabled_enrollment_rate": rate(0.9, 1.0), "q03_charter_and_it": u(n) < 0.95,
        "training_budget_share_min": rate(0.03, 0.08), "q05_it_use": u(n) < 0.95,
        "q06_moral_culture": u(n) < 0.97, "q07_curriculum": u(n) < 0.97,
        "q08_no_overload": u(n) < 0.95, "monitoring_level": rng.integers(2, 5, n),
        "monitoring_school_diff_rate": rate(0.05, 0.2), "recognition_rate": rate(0.8, 0.98),
        "veto_exam_admission": u(n) < 0.005, "veto_school_choice": u(n) < 0.005,
        "veto_key_schools": u(n) < 0.005, "veto_fraud": u(n) < 0.002,
    })


def _finance(codes: np.ndarray, county_idx: np.ndarray, s_school: np.ndarray,
             sec_students: np.ndarray, year: int, rng: np.random.Generator) -> pl.DataFrame:
    n = codes.size
    students = np.bincount(county_idx[s_school], weights=sec_students, minlength=n)
    students = students.astype(np.int64)
    return pl.DataFrame({
        "year": np.full(n, year), "county_code": codes,
        "edu_budget_yuan": np.round(students * rng.uniform(12000, 30000, n), -4),
        "students": students,
        "teacher_avg_pay_yuan": np.round(rng.uniform(70000, 140000, n), -1),
        "civil_servant_avg_pay_yuan": np.round(rng.uniform(70000, 140000, n), -1),
    })
