"""Response models of ``/api``: the evaluation document and the county and school views.

They mirror :mod:`junheng.standards.results` as rendered by ``to_json()`` (field order is the
document's key order), so the OpenAPI schema documents what the routes return and FastAPI checks
every response against it. Traces keep their open shape (``dict``): their inputs differ by rule.
Routes use ``response_model_exclude_unset`` so that optional keys stay absent where the
document leaves them out (a targets evaluation's stage blocks hold only the class bands).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

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
