"""The Zhangye demo dataset: six real counties, synthetic schools, every table of the format.

``generate(seed, years)`` is deterministic for a seed. Parameters live in
``data/zhangye.yaml``; this module only wires the steps together.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from junheng.demo import admissions, aid_finance, cohorts, schooling, supervision
from junheng.demo import county_tables as ct
from junheng.demo.places import build_areas, townships
from junheng.demo.profiles import zhangye_profile
from junheng.demo.roster import build_roster
from junheng.demo.teachers import teachers_table
from junheng.demo.zoning import zones_in_force
from junheng.domain.dataset import Dataset

_SCHOOL_COLUMNS = ["school_id", "school_name", "county_code", "school_type", "ownership",
                   "locale", "is_boarding", "latitude", "longitude", "parent_school_id"]
_AREA_COLUMNS = ["area_id", "area_name", "county_code", "township", "latitude", "longitude",
                 "locale"]


def generate(seed: int = 0, years: range = range(2019, 2025)) -> Dataset:
    """The demo dataset for the school years ``years`` (teachers for the last year only)."""
    year_list = list(years)
    if not year_list:
        raise ValueError("years must not be empty")
    last = year_list[-1]
    profile = zhangye_profile()
    rng = np.random.default_rng(seed)

    school_frames, stream_frames, area_frames = [], [], []
    for county in profile.counties:
        towns = townships(county)
        areas = build_areas(profile, county, towns, rng)
        schools, streams = build_roster(county, towns, areas, rng)
        area_frames.append(areas)
        school_frames.append(schools)
        stream_frames.append(streams)
    areas = pl.concat(area_frames)
    schools = pl.concat(school_frames, how="diagonal_relaxed")
    streams = pl.concat(stream_frames)

    births = ct.births_table(profile, streams, schools, year_list, rng)
    streams = cohorts.continue_into_junior(profile, streams, schools, births, last)
    grades = schooling.enrol(schooling.grade_rows(schools, streams, year_list), schools, births,
                             last, rng)
    knobs = ct.fact_knobs(profile, year_list)
    sections = schooling.sections_table(profile, grades, schools, knobs, rng)
    facilities = schooling.facilities_table(profile, sections, schools, year_list, rng)
    rooms = schooling.rooms_table(sections, schools, profile, rng)
    classes = schooling.classes_table(grades)
    teachers = teachers_table(sections, schools, last, rng)
    finance = ct.finance_table(profile, sections, year_list)
    facts = ct.county_facts_table(profile, knobs, sections, teachers, finance)
    children = cohorts.area_children_table(profile, areas, schools, streams, grades, births,
                                           year_list, rng)

    enrolment = grades.filter(pl.col("grade") >= 0).select("year", "school_id", "grade", "students")
    # Last, with its own random generator: nothing above changes.
    school_table = schools.select(_SCHOOL_COLUMNS)
    finance = aid_finance.public_funds(finance, sections, school_table, year_list)
    aid = aid_finance.aid_tables(seed, school_table, sections, enrolment, last)
    care = supervision.supervision_tables(seed, school_table, sections, last)
    zones = zones_in_force(areas, schools, sections)
    entry = admissions.admission_tables(seed, school_table, sections, areas, children, zones,
                                        last, ct.counties_table(profile))
    return Dataset.from_frames({
        "counties": ct.counties_table(profile),
        "schools": schools.select(_SCHOOL_COLUMNS),
        "sections": sections.select(
            "year", "school_id", "stage", "students", "classes", "teachers", "degree_teachers",
            "backbone_teachers", "pe_art_teachers", "senior_title_teachers",
            "certified_teachers", "capacity").sort("year", "school_id", "stage"),
        "facilities": facilities.sort("year", "school_id"),
        "rooms": rooms,
        "classes": classes.sort("year", "school_id", "grade", "class_name"),
        "grade_enrollment": enrolment.sort("year", "school_id", "grade"),
        "births": births.sort("county_code", "year"),
        "areas": areas.select(_AREA_COLUMNS),
        "area_children": children.sort("year", "area_id", "age"),
        # The zones in force of the demo's years, then the entry year's (admissions).
        "area_assignments": pl.concat([zones, entry.zones]),
        "county_facts": facts,
        "finance": finance,
        "teachers": teachers,
        **aid,
        **care,
        "admission_plans": entry.admission_plans,
        "applications": entry.applications,
    })
