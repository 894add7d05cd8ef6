"""A tiny Zhangye dataset for the web tests: six counties, a few schools each, two years.

Resources are set per county so that the verdicts differ: 临泽县 has a weak school (fails the
school rule), 山丹县 one far richer school (fails on CV), the others are balanced.
"""

from __future__ import annotations

import polars as pl

from junheng.domain.dataset import Dataset

COUNTIES = {
    "620702": "甘州区", "620721": "肃南裕固族自治县", "620722": "民乐县",
    "620723": "临泽县", "620724": "高台县", "620725": "山丹县",
}
YEARS = (2023, 2024)
XSS_NAME = "<script>alert(1)</script>"
FORMULA_NAMES = ("=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1:A2)")


def school_ids(county: str) -> list[str]:
    # Ganzhou has a fifth school so that every hostile name below has a school to carry it.
    return [f"{county}{i:04d}" for i in range(1, 6 if county == "620702" else 5)]


def build(extra_names: bool = True) -> Dataset:
    counties, schools, sections, facilities, classes = [], [], [], [], []
    for code, name in COUNTIES.items():
        counties.append({"county_code": code, "county_name": name, "prefecture_name": "张掖市",
                         "quality_target_year": 2027})
        for i, sid in enumerate(school_ids(code)):
            stype = "primary" if i < 2 else ("junior" if i == 2 else "nine_year")
            sname = f"{name}第{i + 1}学校"
            if extra_names and code == "620702" and i == 0:
                sname = XSS_NAME
            if extra_names and code == "620702" and i in (1, 2, 3, 4):
                sname = FORMULA_NAMES[i - 1]
            schools.append({"school_id": sid, "school_name": sname, "county_code": code,
                            "school_type": stype, "ownership": "public",
                            "locale": "town" if i % 2 else "urban", "is_boarding": False})
            for year in YEARS:
                weak = code == "620723" and i == 1 and year == 2024
                rich = code == "620725" and i == 0
                f = 0.5 if weak else (3.0 if rich else 1.0 + 0.05 * i)
                stages = {"primary": ["primary", "nine_year"], "junior": ["junior", "nine_year"]}
                for stage, types in stages.items():
                    if stype not in types:
                        continue
                    students = 600 + 40 * i
                    per100 = students / 100
                    sections.append({
                        "year": year, "school_id": sid, "stage": stage, "students": students,
                        "classes": students // 45 + 1, "teachers": int(8 * per100 * f),
                        "degree_teachers": int(6 * per100 * f),
                        "backbone_teachers": int(1.5 * per100 * f),
                        "pe_art_teachers": int(1.2 * per100 * f),
                        "senior_title_teachers": int(3 * per100 * f),
                        "certified_teachers": int(8 * per100 * f), "capacity": students + 100})
                    for g in range(3):
                        classes.append({"year": year, "school_id": sid, "stage": stage,
                                        "grade": g + (1 if stage == "primary" else 7),
                                        "class_name": f"{g + 1}班",
                                        "students": 58 if (i == 3 and g == 0) else 44})
                total = sum(s["students"] for s in sections
                            if s["school_id"] == sid and s["year"] == year)
                facilities.append({
                    "year": year, "school_id": sid, "teaching_area_m2": 7.0 * total * f,
                    "sports_area_m2": 12.0 * total * f, "equipment_value_yuan": 3000.0 * total * f,
                    "multimedia_rooms": int(3 * total / 100 * f) + 1,
                    "computers": int(15 * total / 100 * f), "books": int(40 * total * f)})
    return Dataset.from_frames({
        "counties": pl.DataFrame(counties), "schools": pl.DataFrame(schools),
        "sections": pl.DataFrame(sections), "facilities": pl.DataFrame(facilities),
        "classes": pl.DataFrame(classes)})
