"""The typed result of an evaluation: what crosses from the engine to the CLI, the web, the
reports and the planners.

Every verdict is a frozen dataclass with named fields, so a renamed field fails at type-check
time where it is used, not at run time in a page. JSON is one rendering of these objects:
each class has ``to_json()``, and ``Evaluation.to_json()`` assembles the documented document
(docs/standards.md) from them, key for key as it always was.

The figures themselves stay in the engine's frames (``Evaluation.schools``,
``county_indicators``, ``county_stages``); these classes hold the verdicts read from them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A status is one of these; county indicators of a standard without CV limits (2012's per
# indicator CVs) are ``reported``.
PASSED, FAILED, NOT_REPORTED, REPORTED = "passed", "failed", "not_reported", "reported"

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """A rule's value as it stood on the evaluation date, with its document and clause."""

    rule: str
    label: str
    value: Any
    comparison: str | None
    unit: str | None
    source: str | None
    clause: str | None
    effective_from: str | None
    effective_to: str | None
    deadline: int | None
    unverified: bool
    note: str | None
    overridden: bool

    def to_json(self) -> JsonDict:
        return {
            "rule": self.rule, "label": self.label, "value": self.value,
            "comparison": self.comparison, "unit": self.unit, "source": self.source,
            "clause": self.clause, "effective_from": self.effective_from,
            "effective_to": self.effective_to, "deadline": self.deadline,
            "unverified": self.unverified, "note": self.note, "overridden": self.overridden,
        }


# ---------------------------------------------------------------------------- county × stage


@dataclass(frozen=True, slots=True)
class CvInputs:
    schools: int
    schools_missing: int
    students: int
    resource: str
    resource_total: float | None

    def to_json(self) -> JsonDict:
        return {"schools": self.schools, "schools_missing": self.schools_missing,
                "students": self.students, "resource": self.resource,
                "resource_total": self.resource_total}


@dataclass(frozen=True, slots=True)
class CvTrace:
    """How a county's coefficient of variation of one indicator was judged."""

    value: float | None
    threshold: float | None
    comparison: str | None
    formula: str
    inputs: CvInputs
    # The limit's document, when the standard has a CV limit.
    clause: str | None = None
    source: str | None = None
    rule: str | None = None

    def to_json(self) -> JsonDict:
        out: JsonDict = {"value": self.value, "threshold": self.threshold,
                         "comparison": self.comparison, "formula": self.formula,
                         "inputs": self.inputs.to_json()}
        if self.rule is not None:
            out.update(clause=self.clause, source=self.source, rule=self.rule)
        return out


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator of one county and stage: the county value and the CV with its verdict."""

    id: str
    label: str
    unit: str
    county_value: float | None
    cv: float | None
    cv_limit: float | None
    cv_passed: bool | None
    status: str
    trace: CvTrace

    def to_json(self, traces: bool = True) -> JsonDict:
        out: JsonDict = {"label": self.label, "unit": self.unit,
                         "county_value": self.county_value, "cv": self.cv,
                         "cv_limit": self.cv_limit, "cv_passed": self.cv_passed,
                         "status": self.status}
        if traces:
            out["trace"] = self.trace.to_json()
        return out


@dataclass(frozen=True, slots=True)
class ClassBands:
    """Classes of one county and stage by size band (counts, shares, labels by band id)."""

    classes: int
    counts: Mapping[str, int]
    shares: Mapping[str, float | None]
    labels: Mapping[str, str]

    @property
    def big_or_larger(self) -> int:
        return int(self.counts.get("big", 0) + self.counts.get("super", 0))

    def to_json(self) -> JsonDict:
        return {"classes": self.classes, "counts": dict(self.counts),
                "shares": dict(self.shares), "labels": dict(self.labels)}


@dataclass(frozen=True, slots=True)
class StageResult:
    """One stage (小学, 初中) of one county. A targets evaluation judges no schools: its stage
    blocks hold only the class bands (``evaluated`` is false)."""

    stage: str
    evaluated: bool = True
    schools_evaluated: int = 0
    # None where the standard has no school thresholds (2012).
    schools_passed: int | None = None
    schools_not_reported: int | None = None
    students: int = 0
    composite_cv: float | None = None
    composite_cv_limit: float | None = None
    composite_cv_passed: bool | None = None
    status: str = NOT_REPORTED
    indicators: Mapping[str, IndicatorResult] = field(default_factory=dict)
    class_bands: ClassBands | None = None

    def to_json(self, traces: bool = True) -> JsonDict:
        bands = self.class_bands.to_json() if self.class_bands is not None else None
        if not self.evaluated:
            return {"class_bands": bands}
        return {
            "schools_evaluated": self.schools_evaluated, "schools_passed": self.schools_passed,
            "schools_not_reported": self.schools_not_reported, "students": self.students,
            "composite_cv": self.composite_cv, "composite_cv_limit": self.composite_cv_limit,
            "composite_cv_passed": self.composite_cv_passed, "status": self.status,
            "indicators": {k: v.to_json(traces) for k, v in self.indicators.items()},
            "class_bands": bands,
        }


# ---------------------------------------------------------------------------- county items


@dataclass(frozen=True, slots=True)
class CheckTrace:
    """A check's rule, what it measured and the inputs (with the offending schools listed)."""

    rule: RuleTrace
    measure: Mapping[str, Any]
    inputs: Mapping[str, Any]

    def to_json(self) -> JsonDict:
        return {**self.rule.to_json(), "measure": dict(self.measure), "inputs": dict(self.inputs)}


@dataclass(frozen=True, slots=True)
class ItemCheck:
    id: str
    value: Any
    threshold: Any
    comparison: str | None
    status: str
    trace: CheckTrace

    def to_json(self, traces: bool = True) -> JsonDict:
        out: JsonDict = {"id": self.id, "value": self.value, "threshold": self.threshold,
                         "comparison": self.comparison, "status": self.status}
        if traces:
            out["trace"] = self.trace.to_json()
        return out


@dataclass(frozen=True, slots=True)
class TargetDates:
    """A local target's deadline (and, for the quality-balance target, the county's year)."""

    deadline: int | None
    due: bool
    target_year: int | None = None
    has_target_year: bool = False


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One county item (g01–g15, q01–q09, …, or a local target): every check and the verdict.
    With one check, ``value``/``threshold``/``comparison`` are the check's; with several, a
    mapping check id → figure."""

    id: str
    part: str
    label: str
    label_en: str | None
    passed: bool
    status: str
    veto: bool
    value: Any
    threshold: Any
    comparison: Any
    checks: tuple[ItemCheck, ...]
    dates: TargetDates | None = None

    def to_json(self, traces: bool = True) -> JsonDict:
        out: JsonDict = {
            "part": self.part, "label": self.label, "label_en": self.label_en,
            "passed": self.passed, "status": self.status, "veto": self.veto,
            "value": self.value, "threshold": self.threshold, "comparison": self.comparison,
            "checks": [c.to_json(traces) for c in self.checks],
        }
        if self.dates is not None:
            out["deadline"] = self.dates.deadline
            out["due"] = self.dates.due
            if self.dates.has_target_year:
                out["target_year"] = self.dates.target_year
        return out


# ---------------------------------------------------------------------------- county verdict


@dataclass(frozen=True, slots=True)
class PartVerdict:
    """One part of the standard (资源配置, 政府保障程度, …) for one county."""

    status: str
    label: str

    def to_json(self) -> JsonDict:
        return {"status": self.status, "label": self.label}


@dataclass(frozen=True, slots=True)
class CountyResult:
    """A county's verdict with its reasons, its stage blocks and its items."""

    county_code: str
    county_name: str
    passed: bool
    status: str
    parts: Mapping[str, PartVerdict]
    veto_triggered: tuple[str, ...]
    not_reported: tuple[str, ...]
    reasons_zh: tuple[str, ...]
    stages: Mapping[str, StageResult] = field(default_factory=dict)
    items: Mapping[str, ItemResult] = field(default_factory=dict)
    # Only a targets evaluation carries the county's own quality-balance target year.
    quality_target_year: int | None = None
    has_target_year: bool = False

    def item_status(self, item_id: str) -> str | None:
        it = self.items.get(item_id)
        return it.status if it is not None else None

    def verdict_json(self) -> JsonDict:
        out: JsonDict = {"county_code": self.county_code, "county_name": self.county_name,
                         "passed": self.passed, "status": self.status}
        if self.has_target_year:
            out["quality_target_year"] = self.quality_target_year
        out.update(parts={k: p.to_json() for k, p in self.parts.items()},
                   veto_triggered=list(self.veto_triggered),
                   not_reported=list(self.not_reported), reasons_zh=list(self.reasons_zh))
        return out

    def to_json(self, traces: bool = True) -> JsonDict:
        """The county's record; ``traces=False`` leaves out every ``trace`` (CV inputs, item
        checks with their lists of offending schools), which are most of its size."""
        items = self.items
        # A county's items may render themselves (``standards.items.CountyItems``: without
        # traces straight from the engine's frames, never building the traced objects). Asked
        # by attribute: an isinstance check against a runtime Protocol costs 0.1 ms a county.
        render: Callable[[bool], dict[str, JsonDict]] | None = getattr(items, "to_json", None)
        rendered = (render(traces) if render is not None
                    else {k: i.to_json(traces) for k, i in items.items()})
        return {**self.verdict_json(),
                "stages": {k: s.to_json(traces) for k, s in self.stages.items()},
                "items": rendered}


# ---------------------------------------------------------------------------- schools


@dataclass(frozen=True, slots=True)
class SchoolIndicatorTrace:
    value: float | None
    threshold: float | None
    rule: str
    comparison: str | None
    clause: str | None
    source: str | None
    unverified: bool
    inputs: Mapping[str, Any]

    def to_json(self) -> JsonDict:
        return {"value": self.value, "threshold": self.threshold, "rule": self.rule,
                "comparison": self.comparison, "clause": self.clause, "source": self.source,
                "unverified": self.unverified, "inputs": dict(self.inputs)}


@dataclass(frozen=True, slots=True)
class SchoolIndicator:
    """One indicator of one school stage. Indicators without a school threshold (2012) carry
    only the value (``trace`` is None, ``met`` None)."""

    value: float | None
    threshold: float | None = None
    met: bool | None = None
    status: str | None = None
    trace: SchoolIndicatorTrace | None = None
    shortfall: float | int | None = None

    @property
    def judged(self) -> bool:
        return self.trace is not None

    def to_json(self) -> JsonDict:
        if self.trace is None:
            return {"value": self.value, "threshold": None, "met": None}
        out: JsonDict = {"value": self.value, "threshold": self.threshold, "met": self.met,
                         "status": self.status, "trace": self.trace.to_json()}
        if self.shortfall is not None:
            out["shortfall"] = self.shortfall
        return out


@dataclass(frozen=True, slots=True)
class Shortfall:
    """What a school stage lacks to meet one indicator, in real units (teachers, m², yuan)."""

    indicator: str
    shortfall: float | int
    unit: str
    text_zh: str

    def text_en(self) -> str:
        """The shortfall in English: the amount and the standard's ``resource_label_en``."""
        from junheng.standards import labels

        amount = self.shortfall
        number = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
        return f"+{number} {labels.label('resource', self.indicator, 'en')}"

    def to_json(self) -> JsonDict:
        return {"indicator": self.indicator, "shortfall": self.shortfall, "unit": self.unit,
                "text_zh": self.text_zh}


@dataclass(frozen=True, slots=True)
class SchoolRuleTrace:
    """The 2017 school rule (at least ``min_met`` indicators met, the rest ≥ ``floor``)."""

    min_met: int
    floor: float
    clause: str | None
    source: str | None
    text_zh: str
    met_count: int | None

    def to_json(self) -> JsonDict:
        return {"rule": "school_rule", "min_met": self.min_met, "floor": self.floor,
                "clause": self.clause, "source": self.source, "text_zh": self.text_zh,
                "met_count": self.met_count}


@dataclass(frozen=True, slots=True)
class SchoolResult:
    """One evaluated school × stage with its indicator verdicts, traces and shortfalls."""

    school_id: str
    school_name: str | None
    county_code: str
    school_type: str | None
    stage: str
    students: int | None
    indicators: Mapping[str, SchoolIndicator]
    met_count: int | None
    passed: bool | None
    status: str | None  # None under a standard without school thresholds (2012)
    shortfalls: tuple[Shortfall, ...]
    trace: SchoolRuleTrace | None = None

    def shortfall_text(self, indicator: str, lang: str = "zh") -> str | None:
        """What the school lacks for ``indicator`` in the reader's words ("+8 高于规定学历教师",
        "+8 teachers above the required degree"), or None when it lacks nothing."""
        for s in self.shortfalls:
            if s.indicator == indicator:
                return s.text_en() if lang == "en" else s.text_zh
        return None

    def to_json(self) -> JsonDict:
        out: JsonDict = {
            "school_id": self.school_id, "school_name": self.school_name,
            "county_code": self.county_code, "school_type": self.school_type,
            "stage": self.stage, "students": self.students,
            "indicators": {k: v.to_json() for k, v in self.indicators.items()},
            "met_count": self.met_count, "passed": self.passed, "status": self.status,
            "shortfalls": [s.to_json() for s in self.shortfalls],
        }
        if self.trace is not None:
            out["trace"] = self.trace.to_json()
        return out


# ---------------------------------------------------------------------------- city


@dataclass(frozen=True, slots=True)
class NextTarget:
    share: float | None
    effective_from: str
    deadline: int | None
    source: str | None

    def to_json(self) -> JsonDict:
        return {"share": self.share, "effective_from": self.effective_from,
                "deadline": self.deadline, "source": self.source}


@dataclass(frozen=True, slots=True)
class CityResult:
    """The city's share of counties at 优质均衡 against the target in force (targets only)."""

    counties_total: int
    counties_passed: int
    counties_passed_codes: tuple[str, ...]
    share: float | None
    target_share: float | None
    target_in_force: bool
    passed: bool | None
    counties_needed: int | None
    trace: RuleTrace
    next_target: NextTarget | None

    def to_json(self, traces: bool = True) -> JsonDict:
        out: JsonDict = {
            "counties_total": self.counties_total, "counties_passed": self.counties_passed,
            "counties_passed_codes": list(self.counties_passed_codes), "share": self.share,
            "target_share": self.target_share, "target_in_force": self.target_in_force,
            "passed": self.passed, "counties_needed": self.counties_needed,
        }
        if traces:
            out["trace"] = self.trace.to_json()
        out["next_target"] = (self.next_target.to_json() if self.next_target is not None
                              else None)
        return out


__all__ = [
    "FAILED", "NOT_REPORTED", "PASSED", "REPORTED", "CheckTrace", "CityResult", "ClassBands",
    "CountyResult", "CvInputs", "CvTrace", "IndicatorResult", "ItemCheck", "ItemResult",
    "NextTarget", "PartVerdict", "RuleTrace", "SchoolIndicator", "SchoolIndicatorTrace",
    "SchoolResult", "SchoolRuleTrace", "Shortfall", "StageResult", "TargetDates",
]
