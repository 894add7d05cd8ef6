"""The resource rules the planner must satisfy, read from the standard's YAML.

The seven indicators of 教督〔2017〕6号 are each a resource ``Y`` (teachers, m², 元, rooms) over the
students ``P`` of a school-stage part, times a scale (100 for "per 100 students"). This module
maps each indicator to the action that raises it; the numbers (thresholds, the 85 % floor, the
6-of-7 count, the CV limits, the size and class caps) come from the standards loader so a change
of the standard is a YAML change, never a code change here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STANDARD_ID = "quality-balance-2017"
STAGES: tuple[str, ...] = ("primary", "junior")


@dataclass(frozen=True)
class Indicator:
    id: str
    resource: str          # column of the school-stage table holding Y (after the split)
    scale: float           # value = scale * Y / P
    kind: str              # "teacher" (per stage part) or "facility" (school-wide stock)
    label_zh: str
    unit_zh: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator("degree_teachers_per_100", "degree_teachers", 100.0, "teacher", "高于规定学历教师", "人"),
    Indicator("backbone_teachers_per_100", "backbone_teachers", 100.0, "teacher", "县级以上骨干教师", "人"),
    Indicator("pe_art_teachers_per_100", "pe_art_teachers", 100.0, "teacher", "体育、艺术专任教师", "人"),
    Indicator("teaching_area_per_student", "teaching_area_m2", 1.0, "facility", "教学及辅助用房面积", "m²"),
    Indicator("sports_area_per_student", "sports_area_m2", 1.0, "facility", "体育运动场馆面积", "m²"),
    Indicator("equipment_value_per_student", "equipment_value_yuan", 1.0, "facility", "教学仪器设备值", "元"),
    Indicator("multimedia_rooms_per_100", "multimedia_rooms", 100.0, "facility", "网络多媒体教室", "间"),
)
INDICATOR_BY_ID = {ind.id: ind for ind in INDICATORS}


@dataclass(frozen=True)
class ResourceRules:
    """Numbers of the resource part and the money-fixable items, by stage, as in force."""

    thresholds: dict[str, dict[str, float]]   # indicator id -> stage -> threshold
    cv_limit: dict[str, float]                 # stage -> CV limit
    min_met: int                               # 6 of 7
    floor_share: float                         # the missed one >= 85 % of its threshold
    class_size_max: dict[str, int]             # stage -> max students per class (g05)
    school_size_max: dict[str, int]            # school type -> max compulsory students (g04)
    special_school_funding_min_yuan: float     # g07
    music_art_rooms: dict[str, float]          # g03: classes_per_room, music_area_m2, art_area_m2
    pay_ratio_min: float                       # g08: teachers' pay / civil servants' pay
    traces: dict[str, dict[str, Any]]          # rule id -> the engine's trace (value, source, clause)


def load_rules(year: int, params: dict[str, Any] | None = None) -> ResourceRules:
    """The rules in force in school year ``year`` from the standard's YAML, through the loader
    (so a bureau's ``params`` override reaches the planner exactly as it reaches the engine)."""
    from junheng.standards.loader import load_standard
    from junheng.standards.rules import ResolvedRules, evaluation_date

    resolved = ResolvedRules(load_standard(STANDARD_ID), evaluation_date(year), params)
    ids = [ind.id for ind in INDICATORS] + [
        "cv_limit", "school_rule_min_met", "school_rule_floor", "g05_class_size.caps",
        "g04_school_size.caps", "g07_special_school_funding.amount", "g03_music_art_rooms.rooms",
        "g08_teacher_pay_parity.pay_ratio"]
    return ResourceRules(
        thresholds={ind.id: {k: float(v) for k, v in resolved.require(ind.id).items()} for ind in INDICATORS},
        cv_limit={k: float(v) for k, v in resolved.require("cv_limit").items()},
        min_met=int(resolved.require("school_rule_min_met")),
        floor_share=float(resolved.require("school_rule_floor")),
        class_size_max={k: int(v) for k, v in resolved.require("g05_class_size.caps").items()},
        school_size_max={k: int(v) for k, v in resolved.require("g04_school_size.caps").items()},
        special_school_funding_min_yuan=float(resolved.require("g07_special_school_funding.amount")),
        music_art_rooms={k: float(v) for k, v in resolved.require("g03_music_art_rooms.rooms").items()},
        pay_ratio_min=float(resolved.require("g08_teacher_pay_parity.pay_ratio")),
        traces={rid: resolved.trace(rid) for rid in ids},
    )
