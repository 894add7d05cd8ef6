"""The demo's parameters, read from ``data/zhangye.yaml`` into typed objects.

The YAML holds every number that shapes the demo (county stories, school mixes, growth rates);
the generator modules are mechanism only. The loader is strict about keys, because a misspelt
knob would silently fall back to a default and quietly change a county's story.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from junheng.domain.yaml_text import load_yaml

STAGE_GRADES: dict[str, tuple[int, ...]] = {
    # Kindergartens keep three cohorts; only grade 0 (the final year) is published in
    # grade_enrollment, the two younger ones are internal (-2, -1).
    "preschool": (-2, -1, 0),
    "primary": (1, 2, 3, 4, 5, 6),
    "junior": (7, 8, 9),
    "senior": (10, 11, 12),
}

TYPE_STAGES: dict[str, tuple[str, ...]] = {
    "primary": ("primary",),
    "teaching_point": ("primary",),
    "junior": ("junior",),
    "nine_year": ("primary", "junior"),
    "complete_secondary": ("junior", "senior"),
    "twelve_year": ("primary", "junior", "senior"),
    "senior": ("senior",),
    "special": ("primary", "junior"),
    "kindergarten": ("preschool",),
}

# 教学点 usually teach the first grades only; older pupils board at the central school.
TEACHING_POINT_GRADES = (1, 2, 3)

_GROUP_KEYS = {
    "type", "ownership", "locale", "names", "name", "name_prefix", "townships", "exclude", "pick",
    "villages", "grade", "grade_by_stage", "class", "class_by_stage", "trend", "survival",
    "crowded", "short_staffed", "boarding", "equipment_boost",
}
_COUNTY_KEYS = {
    "code", "name", "school_prefix", "story", "seat", "box", "basic_balance_year",
    "quality_target_year", "enrolment_per_birth", "trend", "survival", "resource_margin",
    "crowded_area_margin", "small_school_kit", "equipment_growth", "rooms_ready_year", "areas",
    "facts", "finance", "townships", "schools", "pastoral", "children_elsewhere",
}


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class SchoolGroup:
    """One line of a county's school list: a few schools built alike."""

    type: str
    ownership: str = "public"
    locale: str | None = None
    names: tuple[str, ...] = ()
    name: str | None = None
    name_prefix: str | None = None
    townships: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    pick: int | None = None
    villages: int = 0
    grade: tuple[float, float] | None = None
    grade_by_stage: dict[str, tuple[float, float]] = field(default_factory=dict)
    class_size: tuple[float, float] | None = None
    class_by_stage: dict[str, tuple[float, float]] = field(default_factory=dict)
    trend: float | None = None
    survival: float | None = None
    crowded: bool = False
    short_staffed: bool = False
    boarding: bool = False
    equipment_boost: tuple[float, int] | None = None

    def grade_range(self, stage: str) -> tuple[float, float]:
        if stage in self.grade_by_stage:
            return self.grade_by_stage[stage]
        if self.grade is None:
            raise ProfileError(f"group {self.names or self.name}: no grade size for {stage}")
        return self.grade

    def class_range(self, stage: str) -> tuple[float, float]:
        if stage in self.class_by_stage:
            return self.class_by_stage[stage]
        if self.class_size is None:
            raise ProfileError(f"group {self.names or self.name}: no class size for {stage}")
        return self.class_size


@dataclass(frozen=True)
class CountyProfile:
    code: str
    name: str
    school_prefix: str
    story: str
    seat: tuple[str, ...]
    box: tuple[float, float, float, float]  # lat_min, lat_max, lon_min, lon_max
    basic_balance_year: int
    quality_target_year: int
    enrolment_per_birth: float
    trend: dict[str, float]
    survival: dict[str, float]
    resource_margin: tuple[float, float]
    crowded_area_margin: tuple[float, float]
    small_school_kit: float
    equipment_growth: float
    rooms_ready_year: int
    areas: dict[str, int]
    facts: dict[str, dict[int, Any]]
    finance: dict[str, Any]
    township_coords: dict[str, tuple[float, float]]
    schools: tuple[SchoolGroup, ...]
    pastoral: bool = False
    # Share of the county's school-age children who go to school outside it (extra children
    # in area_children over the county's enrolment).
    children_elsewhere: float = 0.0


@dataclass(frozen=True)
class DemoProfile:
    prefecture_code: str
    prefecture_name: str
    births_shape: dict[int, float]
    reference_levels: dict[str, dict[str, float]]
    stage_weights: dict[str, float]
    pupils_per_teacher: dict[str, float]
    teachers_per_class: dict[str, float]
    small_school_kit: dict[str, float]
    default_facts: dict[str, dict[int, Any]]
    default_finance: dict[str, Any]
    prefecture_budget_share: float
    community_stems: tuple[str, ...]
    village_stems: tuple[str, ...]
    pastoral_stems: tuple[str, ...]
    counties: tuple[CountyProfile, ...]
    junior_transition: float = 1.0


def _pair(value: Any) -> tuple[float, float]:
    lo, hi = value
    return float(lo), float(hi)


def _group(doc: dict[str, Any], county: str) -> SchoolGroup:
    bad = set(doc) - _GROUP_KEYS
    if bad:
        raise ProfileError(f"{county}: unknown school-group keys {sorted(bad)}")
    if doc["type"] not in TYPE_STAGES:
        raise ProfileError(f"{county}: unknown school type {doc['type']}")
    places = sum(bool(doc.get(k)) for k in ("names", "townships", "villages"))
    if places != 1:
        raise ProfileError(f"{county}: a school group needs exactly one of names/townships/villages")
    boost = doc.get("equipment_boost")
    return SchoolGroup(
        type=doc["type"],
        ownership=doc.get("ownership", "public"),
        locale=doc.get("locale"),
        names=tuple(doc.get("names", ())),
        name=doc.get("name"),
        name_prefix=doc.get("name_prefix"),
        townships=tuple(str(t) for t in doc.get("townships", ())),
        exclude=tuple(str(t) for t in doc.get("exclude", ())),
        pick=doc.get("pick"),
        villages=int(doc.get("villages", 0)),
        grade=_pair(doc["grade"]) if "grade" in doc else None,
        grade_by_stage={k: _pair(v) for k, v in doc.get("grade_by_stage", {}).items()},
        class_size=_pair(doc["class"]) if "class" in doc else None,
        class_by_stage={k: _pair(v) for k, v in doc.get("class_by_stage", {}).items()},
        trend=doc.get("trend"),
        survival=doc.get("survival"),
        crowded=bool(doc.get("crowded", False)),
        short_staffed=bool(doc.get("short_staffed", False)),
        boarding=bool(doc.get("boarding", False)),
        equipment_boost=(float(boost["factor"]), int(boost["from"])) if boost else None,
    )


def _county(doc: dict[str, Any], default_elsewhere: float) -> CountyProfile:
    bad = set(doc) - _COUNTY_KEYS
    if bad:
        raise ProfileError(f"{doc.get('code')}: unknown county keys {sorted(bad)}")
    code = str(doc["code"])
    return CountyProfile(
        code=code,
        name=doc["name"],
        school_prefix=doc["school_prefix"],
        story=doc["story"],
        seat=tuple(str(s) for s in doc["seat"]),
        box=tuple(float(x) for x in doc["box"]),  # type: ignore[arg-type]
        basic_balance_year=int(doc["basic_balance_year"]),
        quality_target_year=int(doc["quality_target_year"]),
        enrolment_per_birth=float(doc["enrolment_per_birth"]),
        trend={k: float(v) for k, v in doc["trend"].items()},
        survival={k: float(v) for k, v in doc["survival"].items()},
        resource_margin=_pair(doc["resource_margin"]),
        crowded_area_margin=_pair(doc.get("crowded_area_margin", doc["resource_margin"])),
        small_school_kit=float(doc["small_school_kit"]),
        equipment_growth=float(doc["equipment_growth"]),
        rooms_ready_year=int(doc.get("rooms_ready_year", 0)),
        areas={k: int(v) for k, v in doc["areas"].items()},
        facts={k: {int(y): v for y, v in pts.items()} for k, pts in doc.get("facts", {}).items()},
        finance=dict(doc.get("finance", {})),
        township_coords={str(k): _pair(v) for k, v in doc["townships"].items()},
        schools=tuple(_group(g, code) for g in doc["schools"]),
        pastoral=bool(doc.get("pastoral", False)),
        children_elsewhere=float(doc.get("children_elsewhere", default_elsewhere)),
    )


def parse_profile(doc: dict[str, Any]) -> DemoProfile:
    facts = {k: {int(y): v for y, v in pts.items()} for k, pts in doc["default_facts"].items()}
    return DemoProfile(
        prefecture_code=str(doc["prefecture"]["code"]),
        prefecture_name=doc["prefecture"]["name"],
        births_shape={int(y): float(v) for y, v in doc["births_shape"].items()},
        reference_levels={s: {k: float(v) for k, v in lv.items()}
                          for s, lv in doc["reference_levels"].items()},
        stage_weights={k: float(v) for k, v in doc["stage_weights"].items()},
        pupils_per_teacher={k: float(v) for k, v in doc["pupils_per_teacher"].items()},
        teachers_per_class={k: float(v) for k, v in doc["teachers_per_class"].items()},
        small_school_kit={k: float(v) for k, v in doc["small_school_kit"].items()},
        default_facts=facts,
        default_finance=dict(doc["default_finance"]),
        prefecture_budget_share=float(doc["prefecture_budget_share"]),
        community_stems=tuple(doc["community_stems"]),
        village_stems=tuple(doc["village_stems"]),
        pastoral_stems=tuple(doc["pastoral_stems"]),
        counties=tuple(_county(c, float(doc["cohorts"]["children_elsewhere"]))
                       for c in doc["counties"]),
        junior_transition=float(doc["cohorts"]["junior_transition"]),
    )


@cache
def zhangye_profile() -> DemoProfile:
    """The shipped Zhangye demo profile."""
    text = resources.files("junheng.demo").joinpath("data/zhangye.yaml").read_text("utf-8")
    return parse_profile(load_yaml(text))


def interpolate(points: dict[int, Any], year: int) -> Any:
    """A value at ``year`` from {year: value} points: linear between points for numbers, a
    step for booleans, flat outside the points."""
    years = sorted(points)
    if year <= years[0]:
        return points[years[0]]
    if year >= years[-1]:
        return points[years[-1]]
    for lo, hi in itertools.pairwise(years):
        if lo <= year <= hi:
            a, b = points[lo], points[hi]
            if isinstance(a, bool) or isinstance(b, bool):
                return a if year < hi else b
            return a + (b - a) * (year - lo) / (hi - lo)
    raise AssertionError("unreachable")
