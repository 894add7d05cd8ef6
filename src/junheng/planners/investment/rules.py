"""The resource rules the planner must satisfy, read from the standard's YAML.

The seven indicators of 教督〔2017〕6号 are each a resource ``Y`` (teachers, m², 元, rooms) over the
students ``P`` of a school-stage part, times a scale (100 for "per 100 students"). They are read
from the standard's YAML (id, numerator column, scale, labels), never declared again here; the
action registry (``actions.py``) says which action raises each. The numbers (thresholds, the 85 % floor, the
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
    """One of the seven indicators as the planner uses it; every field comes from the standard's
    YAML (``indicators``) except ``kind``, which comes from the action registry."""

    id: str
    resource: str          # column of the school-stage table holding Y (the standard's numerator)
    scale: float           # value = scale * Y / P
    kind: str              # "teacher" (per stage part) or "facility" (school-wide stock)
    label_zh: str          # the resource, e.g. 高于规定学历教师
    unit_zh: str
    label: str             # the indicator, e.g. 每百名学生拥有高于规定学历教师数
    label_en: str


def _indicators() -> tuple[Indicator, ...]:
    from junheng.planners.investment.actions import actions
    from junheng.standards.loader import load_standard

    # An indicator raised per school-stage part (a teacher counts where they teach) is a
    # teacher indicator; one raised by a whole-school stock is a facility indicator.
    per_part = {a.indicator for a in actions() if a.indicator and a.level == "part"}
    return tuple(
        Indicator(ind.id, ind.numerator, float(ind.scale), "teacher" if ind.id in per_part else "facility",
                  ind.resource_label, ind.resource_unit, ind.label, ind.label_en or ind.label)
        for ind in load_standard(STANDARD_ID).indicators
    )


INDICATORS: tuple[Indicator, ...] = _indicators()
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
