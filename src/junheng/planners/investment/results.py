"""The typed result of an investment plan: what crosses from the planner to the CLI, the web and
the reports.

Like :mod:`junheng.standards.results` for the evaluation, every part of the plan is a frozen
dataclass with named fields, so a renamed field fails at type-check time where it is read, not
at run time in a page or a workbook. The action list stays a Polars frame (one row per action and
year, as the planner builds it); :meth:`InvestmentPlan.action_rows` gives its rows typed.
JSON is one rendering: each class has ``to_json()``, and ``InvestmentPlan.to_json()`` assembles
the document of ``junheng plan`` from them, key for key as it always was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.reasons import Reason
from junheng.planners.investment.rules import STANDARD_ID
from junheng.standards.engine import Evaluation
from junheng.standards.results import Shortfall

JsonDict = dict[str, Any]

STATUS_ZH = {
    "optimal": "已证明最优", "feasible": "可行（未证明最优）", "time_limit": "达到时间上限",
    "cv_not_converged": "差异系数切平面未收敛", "infeasible": "在现有上限内无解",
    "partial": "部分要求在各校上限内无法达到",
}


# ---------------------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class PlanAction:
    """One action of the plan in one year: what is done where, how much, at what cost. A teacher
    moved within the county (县内调配) names the school it comes from and the distance."""

    school_id: str
    stage: str | None
    kind: str
    quantity: float
    unit: str | None
    cost_yuan: float
    from_school_id: str | None
    distance_km: float | None
    # The plan year (None: no budget left for it by the target year) and the year the forecast
    # says it is needed; ``funded`` only when yearly budgets were given.
    year: int | None
    due_year: int | None
    funded: bool | None
    school_name: str | None
    from_school_name: str | None
    label_zh: str
    label_en: str


ACTION_FIELDS = tuple(PlanAction.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """A recurring county item (pay parity, funding norms) the plan funds, 元 per year."""

    item: str
    label_zh: str
    gap: float
    gap_unit: str
    quantity: int
    quantity_unit: str
    cost_yuan: float
    recurring: bool
    # What the money pays for, as a kind and numbers (planners/investment/words.py).
    reason: Reason

    @property
    def text_zh(self) -> str:
        return self.text_in("zh")

    def text_in(self, lang: str) -> str:
        from junheng.planners.investment.words import say

        return say(self.reason, lang)

    def to_json(self) -> JsonDict:
        return {"item": self.item, "label_zh": self.label_zh, "gap": self.gap,
                "gap_unit": self.gap_unit, "quantity": self.quantity,
                "quantity_unit": self.quantity_unit, "cost_yuan": self.cost_yuan,
                "recurring": self.recurring, "text_zh": self.text_zh}


@dataclass(frozen=True, slots=True)
class OutsideItem:
    """A county item still failing or not reported after the plan, which no investment of this
    planner fixes, with its gap and what would fix it."""

    item: str
    label_zh: str
    part: str
    status: str
    value: Any
    threshold: Any
    comparison: Any
    gap: float | None
    how_zh: str

    def to_json(self) -> JsonDict:
        return {"item": self.item, "label_zh": self.label_zh, "part": self.part,
                "status": self.status, "value": self.value, "threshold": self.threshold,
                "comparison": self.comparison, "gap": self.gap, "how_zh": self.how_zh}


# ---------------------------------------------------------------------------- limits


@dataclass(frozen=True, slots=True)
class UnattainableRule:
    """A rule the limits (land, teacher posts) make impossible, with the numbers that prove it:
    ``kind`` is ``cv`` (a county CV) or a school rule (``school_floor``, ``school_count``)."""

    kind: str
    stage: str
    indicator: str | None
    school_id: str | None
    school_name: str | None
    indicator_label: str
    value_now: float
    best_reachable: float
    required: float
    limit: str
    text_zh: str

    def to_json(self) -> JsonDict:
        return {"kind": self.kind, "stage": self.stage, "indicator": self.indicator,
                "school_id": self.school_id, "school_name": self.school_name,
                "indicator_label": self.indicator_label, "value_now": self.value_now,
                "best_reachable": self.best_reachable, "required": self.required,
                "limit": self.limit, "text_zh": self.text_zh}


@dataclass(frozen=True, slots=True)
class OverLimit:
    """An action the plan without limits takes beyond a school's limit."""

    school_id: str
    school_name: str | None
    limit_key: str
    limit_label: str
    limit_label_en: str
    kind: str
    quantity: float
    limit: float
    text_zh: str

    def to_json(self) -> JsonDict:
        return {"school_id": self.school_id, "school_name": self.school_name,
                "limit_key": self.limit_key, "limit_label": self.limit_label,
                "limit_label_en": self.limit_label_en, "kind": self.kind,
                "quantity": self.quantity, "limit": self.limit, "text_zh": self.text_zh}


@dataclass(frozen=True, slots=True)
class LiftedLimits:
    """What the plan would cost with the binding limits lifted. ``total_cost_yuan`` is None when
    even then no plan was found; the cost, the actions over the limits and the text exist only
    when one was."""

    lifted_limits: tuple[str, ...]
    lifted_at_schools: Mapping[str, tuple[str, ...]]
    status: str
    total_cost_yuan: float | None
    unattainable_left: int
    extra_cost_yuan: float | None = None
    over_limit: tuple[OverLimit, ...] = ()
    lifted_labels_zh: tuple[str, ...] = ()
    lifted_labels_en: tuple[str, ...] = ()
    text_zh: str | None = None

    @property
    def solved(self) -> bool:
        return self.total_cost_yuan is not None

    def to_json(self) -> JsonDict:
        out: JsonDict = {"lifted_limits": list(self.lifted_limits),
                         "lifted_at_schools": {k: list(v) for k, v in self.lifted_at_schools.items()},
                         "status": self.status, "total_cost_yuan": self.total_cost_yuan,
                         "unattainable_left": self.unattainable_left}
        if not self.solved:
            return out
        out["extra_cost_yuan"] = self.extra_cost_yuan
        out["over_limit"] = [o.to_json() for o in self.over_limit]
        out["lifted_labels_zh"] = list(self.lifted_labels_zh)
        out["lifted_labels_en"] = list(self.lifted_labels_en)
        out["text_zh"] = self.text_zh
        return out


# ---------------------------------------------------------------------------- the engine's check


@dataclass(frozen=True, slots=True)
class FailingSchool:
    school_id: str
    stage: str
    met_count: int | None
    status: str | None
    shortfalls: tuple[Shortfall, ...]

    def to_json(self) -> JsonDict:
        return {"school_id": self.school_id, "stage": self.stage, "met_count": self.met_count,
                "status": self.status, "shortfalls": [s.to_json() for s in self.shortfalls]}


@dataclass(frozen=True, slots=True)
class FailingCv:
    stage: str
    indicator: str
    cv: float | None
    cv_limit: float | None

    def to_json(self) -> JsonDict:
        return {"stage": self.stage, "indicator": self.indicator, "cv": self.cv,
                "cv_limit": self.cv_limit}


@dataclass(frozen=True, slots=True)
class ResourceCheck:
    """What the standards engine says of the data after the plan, and whether the plan's own
    check (every constraint recomputed from the listed actions) passed. ``county_found`` is
    false when the county has no result at all (then only the first three fields count);
    ``plan_check_passed`` is None when there was no plan to check."""

    resources_passed: bool
    failing_schools: tuple[FailingSchool, ...]
    failing_cvs: tuple[FailingCv, ...]
    county_found: bool = True
    resources_status: str | None = None
    county_passed: bool = False
    g05_class_size: str | None = None
    g04_school_size: str | None = None
    # The engine's trace of the schools over the g04 cap (its open shape, as in the evaluation).
    schools_over_size_cap: tuple[JsonDict, ...] = ()
    reasons_zh: tuple[str, ...] = ()
    plan_check_passed: bool | None = None
    plan_check_violations: tuple[str, ...] = ()

    def to_json(self) -> JsonDict:
        out: JsonDict = {"resources_passed": self.resources_passed}
        if self.county_found:
            out["resources_status"] = self.resources_status
            out["county_passed"] = self.county_passed
        out["failing_schools"] = [f.to_json() for f in self.failing_schools]
        out["failing_cvs"] = [f.to_json() for f in self.failing_cvs]
        if self.county_found:
            out.update(g05_class_size=self.g05_class_size, g04_school_size=self.g04_school_size,
                       schools_over_size_cap=list(self.schools_over_size_cap),
                       reasons_zh=list(self.reasons_zh))
        if self.plan_check_passed is not None:
            out["plan_check_passed"] = self.plan_check_passed
            out["plan_check_violations"] = list(self.plan_check_violations)
        return out


# ---------------------------------------------------------------------------- phasing


@dataclass(frozen=True, slots=True)
class PlanSchedule:
    """The actions spread over the plan years: budgets and spending by year (keys are years as
    text, as in the JSON), and what no budget covered."""

    status: str                # "funded" | "budget_short" | "no_budget"
    years: tuple[int, ...]
    budget_by_year: Mapping[str, float]
    spent_by_year: Mapping[str, float]
    missing_yuan: float
    missing_lower_bound_yuan: float
    basis_zh: str

    def to_json(self) -> JsonDict:
        return {"status": self.status, "years": list(self.years),
                "budget_by_year": dict(self.budget_by_year),
                "spent_by_year": dict(self.spent_by_year), "missing_yuan": self.missing_yuan,
                "missing_lower_bound_yuan": self.missing_lower_bound_yuan,
                "basis_zh": self.basis_zh}


# ---------------------------------------------------------------------------- new campuses


@dataclass(frozen=True, slots=True)
class CampusSource:
    """A school giving students to a new campus."""

    school_id: str
    school_name: str
    students: int
    distance_km: float | None

    def to_json(self) -> JsonDict:
        return {"school_id": self.school_id, "school_name": self.school_name,
                "students": self.students, "distance_km": self.distance_km}


@dataclass(frozen=True, slots=True)
class CampusCost:
    land_and_building_yuan: float
    fixed_yuan: float
    teachers_first_year_yuan: float
    equipment_yuan: float
    multimedia_rooms_yuan: float

    def to_json(self) -> JsonDict:
        return {"land_and_building_yuan": self.land_and_building_yuan,
                "fixed_yuan": self.fixed_yuan,
                "teachers_first_year_yuan": self.teachers_first_year_yuan,
                "equipment_yuan": self.equipment_yuan,
                "multimedia_rooms_yuan": self.multimedia_rooms_yuan}


@dataclass(frozen=True, slots=True)
class NewCampus:
    """A new campus (新建校区) taking the students above the size cap of its sources, built to
    the standard. Its site is proposed (north of the parent school), to be surveyed."""

    school_id: str
    school_name: str
    school_type: str
    parent_school_id: str
    latitude: float | None
    longitude: float | None
    seats: int
    students_by_stage: Mapping[str, int]
    classes_by_stage: Mapping[str, int]
    sources: tuple[CampusSource, ...]
    # Teachers hired per stage by kind (``degree``, ``senior_title``, ``backbone``, …).
    teachers_by_stage: Mapping[str, Mapping[str, int]]
    teaching_area_m2: float
    sports_area_m2: float
    equipment_value_yuan: float
    multimedia_rooms: int
    music_rooms: int
    art_rooms: int
    cost_yuan: float
    cost_breakdown: CampusCost
    # The campus described, as numbers (planners/investment/words.py says them).
    reason: Reason
    proposed: bool = True

    @property
    def text_zh(self) -> str:
        from junheng.planners.investment.words import say

        return say(self.reason)

    def to_json(self) -> JsonDict:
        return {"school_id": self.school_id, "school_name": self.school_name,
                "school_type": self.school_type, "proposed": self.proposed,
                "parent_school_id": self.parent_school_id, "latitude": self.latitude,
                "longitude": self.longitude, "seats": self.seats,
                "students_by_stage": dict(self.students_by_stage),
                "classes_by_stage": dict(self.classes_by_stage),
                "from": [s.to_json() for s in self.sources],
                "teachers_by_stage": {st: dict(v) for st, v in self.teachers_by_stage.items()},
                "teaching_area_m2": self.teaching_area_m2, "sports_area_m2": self.sports_area_m2,
                "equipment_value_yuan": self.equipment_value_yuan,
                "multimedia_rooms": self.multimedia_rooms, "music_rooms": self.music_rooms,
                "art_rooms": self.art_rooms, "cost_yuan": self.cost_yuan,
                "cost_breakdown": self.cost_breakdown.to_json(), "text_zh": self.text_zh}


# ---------------------------------------------------------------------------- the plan


@dataclass(frozen=True, slots=True)
class SchoolsPassing:
    """School sections passing the school rule before and after the plan, each over its own
    total (new campuses exist only after)."""

    before: int
    before_total: int
    after: int
    after_total: int
    new_campus_sections: int

    def to_json(self) -> JsonDict:
        return {"before": self.before, "before_total": self.before_total, "after": self.after,
                "after_total": self.after_total, "new_campus_sections": self.new_campus_sections}


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()}


@dataclass(frozen=True)
class InvestmentPlan:
    """The least-cost plan of one county to the resource rules of the 2017 standard.

    ``actions`` is one row per action and year (the columns of :class:`PlanAction`, and
    ``due_year`` once phased); ``before`` and ``after`` are the engine's evaluations of the
    county's data without and with the plan; ``after_dataset`` is that changed data."""

    county_code: str
    target_year: int
    data_year: int
    status: str
    solver_status: str
    total_cost_yuan: float
    gap: float | None
    lower_bound_yuan: float | None
    solve_seconds: float
    cut_rounds: int
    actions: pl.DataFrame
    budget_lines: tuple[BudgetLine, ...]
    outside_plan: tuple[OutsideItem, ...]
    unattainable: tuple[UnattainableRule, ...]
    before: Evaluation
    after: Evaluation
    check: ResourceCheck
    passing: SchoolsPassing
    schedule: PlanSchedule | None = None
    # Notes and the new campuses' explanation as kinds and numbers; planners/investment/words.py
    # says them in Chinese or English (``notes_in``, ``explanation_in``).
    notes: tuple[Reason, ...] = ()
    after_dataset: Dataset | None = None
    what_if_no_limits: LiftedLimits | None = None
    new_campuses: tuple[NewCampus, ...] = ()
    explanation: tuple[Reason, ...] = ()

    @property
    def explanation_zh(self) -> tuple[str, ...]:
        return tuple(self.explanation_in("zh"))

    def explanation_in(self, lang: str) -> list[str]:
        from junheng.planners.investment.words import say

        return [say(r, lang) for r in self.explanation]

    def notes_in(self, lang: str) -> list[str]:
        from junheng.planners.investment.words import say

        return [say(r, lang) for r in self.notes]

    @property
    def notes_json(self) -> list[str]:
        """The notes as the JSON has them: each one line "中文 / English"."""
        from junheng.planners.investment.words import note_json

        return [note_json(r) for r in self.notes]

    @property
    def status_zh(self) -> str:
        return STATUS_ZH.get(self.status, self.status)

    @property
    def budget_lines_yuan(self) -> float:
        """Recurring county items (pay parity, funding norms), 元 per year, beside the total."""
        return round(sum(b.cost_yuan for b in self.budget_lines), 2)

    @property
    def cost_by_year(self) -> dict[str, float]:
        """The cost of the actions of each plan year (years as text, ascending)."""
        if "year" not in self.actions.columns:
            return {}
        by_year = self.actions.group_by("year").agg(pl.col("cost_yuan").sum()).sort("year")
        return {str(y): round(float(c), 2) for y, c in by_year.iter_rows() if y is not None}

    def action_rows(self) -> list[PlanAction]:
        """The action frame as typed rows, in its order."""
        frame = self.actions.with_columns(
            [pl.lit(None).alias(c) for c in ACTION_FIELDS if c not in self.actions.columns])
        return [PlanAction(*row) for row in frame.select(ACTION_FIELDS).iter_rows()]

    def to_json(self) -> JsonDict:
        return {
            "county_code": self.county_code,
            "target_year": self.target_year,
            "data_year": self.data_year,
            "standard": STANDARD_ID,
            "status": self.status,
            "status_zh": self.status_zh,
            "solver_status": self.solver_status,
            "total_cost_yuan": round(self.total_cost_yuan, 2),
            "budget_lines_yuan": self.budget_lines_yuan,
            "cost_by_year": self.cost_by_year,
            "gap": None if self.gap is None else round(self.gap, 8),
            "lower_bound_yuan": None if self.lower_bound_yuan is None else round(self.lower_bound_yuan, 2),
            "solve_seconds": round(self.solve_seconds, 3),
            "cut_rounds": self.cut_rounds,
            "actions": [_clean(r) for r in self.actions.to_dicts()],
            "budget_lines": [b.to_json() for b in self.budget_lines],
            "outside_plan": [o.to_json() for o in self.outside_plan],
            "unattainable": [u.to_json() for u in self.unattainable],
            "check": self.check.to_json(),
            "what_if_no_limits": None if self.what_if_no_limits is None else self.what_if_no_limits.to_json(),
            "new_campuses": [c.to_json() for c in self.new_campuses],
            "explanation_zh": list(self.explanation_zh),
            "schools_passing": self.passing.to_json(),
            "schedule": {} if self.schedule is None else self.schedule.to_json(),
            "notes": self.notes_json,
            "before": self.before.to_json(),
            "after": self.after.to_json(),
        }


__all__ = ["ACTION_FIELDS", "BudgetLine", "CampusCost", "CampusSource", "FailingCv",
           "FailingSchool", "InvestmentPlan", "LiftedLimits", "NewCampus", "OutsideItem",
           "OverLimit", "PlanAction", "PlanSchedule", "ResourceCheck", "STATUS_ZH",
           "SchoolsPassing", "UnattainableRule"]
