"""Response models of ``/api``: the evaluation document and the county and school views.

They mirror :mod:`junheng.standards.results` as rendered by ``to_json()`` (field order is the
document's key order), so the OpenAPI schema documents what the routes return and FastAPI checks
every response against it. Traces keep their open shape (``dict``): their inputs differ by rule.
Routes use ``response_model_exclude_unset`` so that optional keys stay absent where the
document leaves them out (a targets evaluation's stage blocks hold only the class bands).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Number = int | float


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartOut(_Out):
    status: str
    label: str


class CountyIndicatorOut(_Out):
    label: str
    unit: str
    county_value: Number | None
    cv: Number | None
    cv_limit: Number | None
    cv_passed: bool | None
    status: str
    trace: dict[str, Any]


class ClassBandsOut(_Out):
    classes: int
    counts: dict[str, int]
    shares: dict[str, Number | None]
    labels: dict[str, str]


class StageOut(_Out):
    schools_evaluated: int | None = None
    schools_passed: int | None = None
    schools_not_reported: int | None = None
    students: int | None = None
    composite_cv: Number | None = None
    composite_cv_limit: Number | None = None
    composite_cv_passed: bool | None = None
    status: str | None = None
    indicators: dict[str, CountyIndicatorOut] | None = None
    class_bands: ClassBandsOut | None = None


class CheckOut(_Out):
    id: str
    value: Any
    threshold: Any
    comparison: Any
    status: str
    trace: dict[str, Any]


class ItemOut(_Out):
    part: str
    label: str
    label_en: str | None
    passed: bool
    status: str
    veto: bool
    value: Any
    threshold: Any
    comparison: Any
    checks: list[CheckOut]
    deadline: int | None = None
    due: bool | None = None
    target_year: int | None = None


class CountyOut(_Out):
    county_code: str
    county_name: str
    passed: bool
    status: str
    quality_target_year: int | None = None
    parts: dict[str, PartOut]
    veto_triggered: list[str]
    not_reported: list[str]
    reasons_zh: list[str]
    stages: dict[str, StageOut]
    items: dict[str, ItemOut]


class SchoolIndicatorOut(_Out):
    value: Number | None
    threshold: Number | None
    met: bool | None
    status: str | None = None
    trace: dict[str, Any] | None = None
    shortfall: Number | None = None


class ShortfallOut(_Out):
    indicator: str
    shortfall: Number
    unit: str
    text_zh: str


class SchoolOut(_Out):
    school_id: str
    school_name: str | None
    county_code: str
    school_type: str | None
    stage: str
    students: int | None
    indicators: dict[str, SchoolIndicatorOut]
    met_count: int | None
    passed: bool | None
    status: str | None  # None under 2012, which judges no school
    shortfalls: list[ShortfallOut]
    trace: dict[str, Any] | None = None


class ExcludedOut(_Out):
    county_code: str
    school_id: str
    school_name: str | None
    school_type: str | None
    stage: str
    students: int | None
    reason: str


class NextTargetOut(_Out):
    share: Number | None
    effective_from: str
    deadline: int | None
    source: str | None


class CityOut(_Out):
    counties_total: int
    counties_passed: int
    counties_passed_codes: list[str]
    share: Number | None
    target_share: Number | None
    target_in_force: bool
    passed: bool | None
    counties_needed: int | None
    trace: dict[str, Any]
    next_target: NextTargetOut | None


class IndicatorMetaOut(_Out):
    id: str
    label: str
    label_en: str | None
    unit: str
    comparison: str | None
    resource: str
    resource_label: str


class EvaluationOut(_Out):
    """``Evaluation.to_json()``: the verdicts of every county, the schools and the rules."""

    standard: str
    standard_label: str
    standard_kind: str
    source: str
    year: int
    as_of: str
    county_filter: str | None
    stages: list[str]
    indicators: list[IndicatorMetaOut]
    counties: list[CountyOut]
    city: CityOut | None = None
    schools: list[SchoolOut] | None = None
    excluded: list[ExcludedOut] | None = None
    rules: dict[str, dict[str, Any]]
    notes: list[str]


# ---------------------------------------------------------------------------- page views


class _View(BaseModel):
    # Rows read from the data tables keep the table's columns (see docs/data-format.md).
    model_config = ConfigDict(extra="forbid")


class ViewStageOut(_View):
    id: str
    schools_evaluated: int | None
    schools_passed: int | None
    composite_cv: Number | None
    indicators: list[dict[str, Any]]


class ViewPartOut(_View):
    id: str
    label: str
    status: str


class ViewSchoolRowOut(_View):
    school_id: str
    name: str | None
    stage: str
    met_count: int | None
    passed: bool | None
    status: str
    failing: list[dict[str, Any]]


class ViewSchoolRefOut(_View):
    school_id: str
    name: str | None


class YearStatusOut(_View):
    year: int
    status: str


class CountyViewOut(_View):
    """The county page: verdict, stages with indicators, items, schools, class sizes."""

    code: str
    name: str
    year: int
    prev_year: int | None
    status: str
    stages: list[ViewStageOut]
    county_items: list[dict[str, Any]]
    parts: list[ViewPartOut]
    reasons: list[str]
    schools: list[ViewSchoolRowOut]
    not_evaluated: list[ViewSchoolRefOut]
    bands: list[dict[str, Any]]
    oversize: list[dict[str, Any]]
    sizes_total: int
    history: list[YearStatusOut]


class SchoolStageOut(_View):
    stage: str
    met_count: int | None
    passed: bool | None
    status: str
    trace: dict[str, Any] | None
    indicators: list[dict[str, Any]]


class SchoolHistoryStageOut(_View):
    stage: str
    status: str
    met_count: int | None


class SchoolHistoryOut(_View):
    year: int
    students: int | None
    stages: list[SchoolHistoryStageOut]


class SchoolViewOut(_View):
    """The school page: the school row, its stages' verdicts, classes, sections, history."""

    school: dict[str, Any]
    year: int
    stages: list[SchoolStageOut]
    county_name: str
    classes: list[dict[str, Any]]
    sections: list[dict[str, Any]]
    facilities: dict[str, Any] | None
    history: list[SchoolHistoryOut]


# ---------------------------------------------------------------------------- investment plan
# ``InvestmentPlan.to_json()`` (planners/investment/results.py), field for field.


class PlanActionOut(_Out):
    school_id: str
    stage: str | None
    kind: str
    quantity: Number
    unit: str | None
    cost_yuan: Number
    from_school_id: str | None
    distance_km: Number | None
    year: int | None = None
    due_year: int | None = None
    funded: bool | None = None
    school_name: str | None
    from_school_name: str | None
    label_zh: str
    label_en: str


class BudgetLineOut(_Out):
    item: str
    label_zh: str
    gap: Number
    gap_unit: str
    quantity: int
    quantity_unit: str
    cost_yuan: Number
    recurring: bool
    text_zh: str


class OutsideItemOut(_Out):
    item: str
    label_zh: str
    part: str
    status: str
    value: Any
    threshold: Any
    comparison: Any
    gap: Number | None
    how_zh: str


class UnattainableOut(_Out):
    kind: str
    stage: str
    indicator: str | None
    school_id: str | None
    school_name: str | None
    indicator_label: str
    value_now: Number
    best_reachable: Number
    required: Number
    limit: str
    text_zh: str


class OverLimitOut(_Out):
    school_id: str
    school_name: str | None
    limit_key: str
    limit_label: str
    limit_label_en: str
    kind: str
    quantity: Number
    limit: Number
    text_zh: str


class LiftedLimitsOut(_Out):
    """The plan with the binding limits lifted; the cost and the actions over the limits only
    when such a plan was found."""

    lifted_limits: list[str]
    lifted_at_schools: dict[str, list[str]]
    status: str
    total_cost_yuan: Number | None
    unattainable_left: int
    extra_cost_yuan: Number | None = None
    over_limit: list[OverLimitOut] | None = None
    lifted_labels_zh: list[str] | None = None
    lifted_labels_en: list[str] | None = None
    text_zh: str | None = None


class FailingSchoolOut(_Out):
    school_id: str
    stage: str
    met_count: int | None
    status: str | None
    shortfalls: list[ShortfallOut]


class FailingCvOut(_Out):
    stage: str
    indicator: str
    cv: Number | None
    cv_limit: Number | None


class PlanCheckOut(_Out):
    """The engine's verdict on the data after the plan; the plan's own check when it had one."""

    resources_passed: bool
    resources_status: str | None = None
    county_passed: bool | None = None
    failing_schools: list[FailingSchoolOut]
    failing_cvs: list[FailingCvOut]
    g05_class_size: str | None = None
    g04_school_size: str | None = None
    schools_over_size_cap: list[dict[str, Any]] | None = None
    reasons_zh: list[str] | None = None
    plan_check_passed: bool | None = None
    plan_check_violations: list[str] | None = None


class PlanScheduleOut(_Out):
    """Empty when the solver found no plan to phase."""

    status: str | None = None
    years: list[int] | None = None
    budget_by_year: dict[str, Number] | None = None
    spent_by_year: dict[str, Number] | None = None
    missing_yuan: Number | None = None
    missing_lower_bound_yuan: Number | None = None
    basis_zh: str | None = None


class CampusSourceOut(_Out):
    school_id: str
    school_name: str
    students: int
    distance_km: Number | None


class CampusCostOut(_Out):
    land_and_building_yuan: Number
    fixed_yuan: Number
    teachers_first_year_yuan: Number
    equipment_yuan: Number
    multimedia_rooms_yuan: Number


class NewCampusOut(_Out):
    school_id: str
    school_name: str
    school_type: str
    proposed: bool
    parent_school_id: str
    latitude: Number | None
    longitude: Number | None
    seats: int
    students_by_stage: dict[str, int]
    classes_by_stage: dict[str, int]
    # The document's key is "from", a Python keyword.
    sources: list[CampusSourceOut] = Field(alias="from")
    teachers_by_stage: dict[str, dict[str, int]]
    teaching_area_m2: Number
    sports_area_m2: Number
    equipment_value_yuan: Number
    multimedia_rooms: int
    music_rooms: int
    art_rooms: int
    cost_yuan: Number
    cost_breakdown: CampusCostOut
    text_zh: str


class SchoolsPassingOut(_Out):
    before: int
    before_total: int
    after: int
    after_total: int
    new_campus_sections: int


class InvestmentPlanOut(_Out):
    """``InvestmentPlan.to_json()``: the least-cost plan of one county, with the evaluations of
    its data before and after."""

    county_code: str
    target_year: int
    data_year: int
    standard: str
    status: str
    status_zh: str
    solver_status: str
    total_cost_yuan: Number
    budget_lines_yuan: Number
    cost_by_year: dict[str, Number]
    gap: Number | None
    lower_bound_yuan: Number | None
    solve_seconds: Number
    cut_rounds: int
    actions: list[PlanActionOut]
    budget_lines: list[BudgetLineOut]
    outside_plan: list[OutsideItemOut]
    unattainable: list[UnattainableOut]
    check: PlanCheckOut
    what_if_no_limits: LiftedLimitsOut | None
    new_campuses: list[NewCampusOut]
    explanation_zh: list[str]
    schools_passing: SchoolsPassingOut
    schedule: PlanScheduleOut
    notes: list[str]
    before: EvaluationOut
    after: EvaluationOut
