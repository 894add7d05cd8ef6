"""Each measure's status per county and for the city: 已完成 / 推进中 / 滞后 / 未报送.

An indicator's status comes from a result the platform already computes (an evaluation item,
a finance guarantee, the aid gap, a share computed from the care, health and 肃南 tables by a
rule of ``figures``) or, where no figure can show it, from evidence the county uploads and the
city reviews (accepted → 已完成, awaiting review → 推进中, rejected or none → 未报送). A failing figure before its deadline is 推进中 (in progress), after
it 滞后 (lagging); a guarantee that must hold every year (finance, aid) is 滞后 as soon as it
fails. A measure takes its worst indicator; the city takes its worst county.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from junheng.domain.dataset import Dataset
from junheng.supervision.figures import RULES, Figure
from junheng.supervision.register import Indicator, Measure, Register, load_register

DONE, IN_PROGRESS, LAGGING, NOT_REPORTED = "done", "in_progress", "lagging", "not_reported"
STATUS_ZH = {DONE: "已完成", IN_PROGRESS: "推进中", LAGGING: "滞后", NOT_REPORTED: "未报送"}
# Worst first: one lagging indicator makes the measure lag.
_ORDER = (LAGGING, IN_PROGRESS, NOT_REPORTED, DONE)


def worst(statuses: list[str]) -> str:
    if not statuses:
        return NOT_REPORTED
    return min(statuses, key=_ORDER.index)


@dataclass(frozen=True)
class EvidenceState:
    """The newest evidence a county uploaded for an indicator, as the city reviewed it:
    ``pending`` | ``accepted`` | ``rejected`` (with the reviewer's ``reason``)."""

    status: str
    reason: str | None = None


EVIDENCE_STATES = ("pending", "accepted", "rejected")


@dataclass(frozen=True)
class IndicatorStatus:
    id: str
    label: str
    status: str
    computed: bool
    reason_zh: str
    # The computed share behind a rule indicator (0–1) and its target; None otherwise.
    value: float | None = None
    target: float | None = None
    # For an evidence indicator: the review state of the newest upload (None = nothing yet).
    evidence: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label": self.label, "status": self.status,
                               "status_zh": STATUS_ZH[self.status], "computed": self.computed,
                               "reason_zh": self.reason_zh}
        if self.value is not None or self.target is not None:
            out["value"], out["target"] = self.value, self.target
        if self.evidence is not None:
            out["evidence"] = self.evidence
        return out


@dataclass(frozen=True)
class AreaStatus:
    status: str
    computed: bool
    reason_zh: str
    indicators: tuple[IndicatorStatus, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "status_zh": STATUS_ZH[self.status],
                "computed": self.computed, "reason_zh": self.reason_zh,
                "indicators": [i.to_json() for i in self.indicators]}


@dataclass(frozen=True)
class MeasureStatus:
    measure: Measure
    counties: Mapping[str, AreaStatus]
    city: AreaStatus

    def to_json(self) -> dict[str, Any]:
        m = self.measure
        return {
            "no": m.no, "title_zh": m.title, "responsible": list(m.responsible),
            "deadline": m.deadline,
            "indicators": [{"id": i.id, "label": i.label, "source": i.kind,
                            "ref": list(i.ref), "deadline": i.deadline} for i in m.indicators],
            "counties": {cc: s.to_json() for cc, s in self.counties.items()},
            "city": self.city.to_json(),
        }


@dataclass(frozen=True)
class MeasuresResult:
    register: Register
    year: int
    county_names: Mapping[str, str]
    measures: tuple[MeasureStatus, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    notes_en: tuple[str, ...] = field(default_factory=tuple)

    def notes_in(self, lang: str) -> tuple[str, ...]:
        return self.notes_en if lang == "en" else self.notes

    def summary(self) -> dict[str, dict[str, int]]:
        """county (and "city") → status → number of measures."""
        out: dict[str, dict[str, int]] = {}
        for ms in self.measures:
            for cc, s in [*ms.counties.items(), ("city", ms.city)]:
                row = out.setdefault(cc, {k: 0 for k in _ORDER})
                row[s.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {"register": self.register.id, "source": self.register.source,
                "label": self.register.label, "year": self.year,
                "responsible_note": self.register.responsible_note,
                "county_names": dict(self.county_names),
                "summary": self.summary(), "notes": list(self.notes),
                "measures": [m.to_json() for m in self.measures]}


# --- the figures each kind of indicator reads ------------------------------------------------

@dataclass
class _Sources:
    """Every result the register refers to, computed once."""

    items: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # std → cc → item
    finance: dict[str, dict[str, Any]] | None = None                         # cc → check id → check
    aid_gap: dict[str, int] | None = None                                     # cc → students
    figures: dict[str, dict[str, Figure]] = field(default_factory=dict)       # ind → cc → figure
    evidence: Mapping[tuple[str, str], EvidenceState] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    notes_en: list[str] = field(default_factory=list)

    def note(self, missing: str) -> None:
        zh, en = _MISSING_NOTES[missing]
        self.notes.append(zh)
        self.notes_en.append(en)


# What a measure cannot be judged without: the note the page shows (Chinese, English).
_MISSING_NOTES = {
    "schools": ("未提供学校和学段数据，评估类指标为未报送。",
                "No school or section data: the evaluation indicators are not reported."),
    "finance": ("未提供教育经费数据，经费保障类措施为未报送。",
                "No education finance data: the funding measures are not reported."),
    "students": ("未提供学生名单，资助类措施为未报送。",
                 "No student list: the aid measures are not reported."),
}


def _gather(ds: Dataset, year: int, reg: Register, codes: list[str]) -> _Sources:
    from junheng.standards.engine import evaluate

    src = _Sources()
    for ind in (i for m in reg.measures for i in m.indicators if i.kind == "rule"):
        src.figures[ind.id] = RULES[ind.ref[0]](ds, year, ind.params, codes)
    kinds = {i.kind for m in reg.measures for i in m.indicators}
    standards = sorted({i.ref[0] for m in reg.measures for i in m.indicators
                        if i.kind == "standard"})
    if ds.table("schools").height and ds.table("sections").height:
        for std in standards:
            ev = evaluate(ds, std, year)
            src.items[std] = {c.county_code: dict(c.items) for c in ev.counties}
    elif standards:
        src.note("schools")
    if "finance" in kinds:
        if ds.table("finance").height:
            from junheng.finance.checks import evaluate_finance

            fin = evaluate_finance(ds, year)
            src.finance = {a.code: {c.id: c for c in a.checks} for a in fin.counties}
        else:
            src.note("finance")
    if "aid" in kinds:
        if ds.table("students").height:
            from junheng.aid.eligibility import evaluate_aid

            # The aid result's own coverage by county counts the gap.
            cov = evaluate_aid(ds, year).counties
            src.aid_gap = dict(zip(cov["county_code"].to_list(),
                                   cov["not_aided_students"].to_list(), strict=True))
        else:
            src.note("students")
    return src


def _indicator_status(ind: Indicator, cc: str, year: int, src: _Sources) -> IndicatorStatus:
    def out(status: str, computed: bool, reason: str) -> IndicatorStatus:
        return IndicatorStatus(ind.id, ind.label, status, computed, reason)

    if ind.kind == "evidence":
        return _evidence_status(ind, cc, year, src)
    if ind.kind == "rule":
        return _rule_status(ind, cc, year, src)
    if ind.kind == "standard":
        std, item_id = ind.ref
        item = src.items.get(std, {}).get(cc, {}).get(item_id)
        if item is None or item.status == "not_reported":
            return out(NOT_REPORTED, True, f"{ind.label}：数据未填报")
        if item.status == "passed":
            return out(DONE, True, f"{ind.label}：已达到要求")
        # A target item knows its own deadline (a county's own quality-balance year first).
        dates = getattr(item, "dates", None)
        if dates is not None:
            deadline = dates.target_year or dates.deadline
            due = bool(dates.due)
        else:
            deadline = ind.deadline
            due = deadline is None or year >= deadline
        if not due:
            return out(IN_PROGRESS, True, f"{ind.label}：尚未达到，期限 {deadline} 年")
        return out(LAGGING, True, f"{ind.label}：未达到要求"
                   + (f"（期限 {deadline} 年已到）" if deadline is not None else ""))
    if ind.kind == "finance":
        if src.finance is None:
            return out(NOT_REPORTED, True, f"{ind.label}：未提供教育经费数据")
        check = src.finance.get(cc, {}).get(ind.ref[0])
        if check is None or check.status in ("not_reported", "no_rule"):
            return out(NOT_REPORTED, True, f"{ind.label}：未报送")
        if check.status == "passed":
            return out(DONE, True, check.text_zh)
        return out(LAGGING, True, check.text_zh)
    # aid: the students who qualify and have no award yet
    if src.aid_gap is None:
        return out(NOT_REPORTED, True, f"{ind.label}：未提供学生名单")
    n = src.aid_gap.get(cc, 0)
    if n == 0:
        return out(DONE, True, f"{ind.label}：符合条件的学生均已获得资助")
    return out(LAGGING, True, f"{ind.label}：{n} 名符合条件的学生尚未获得资助")


def _evidence_status(ind: Indicator, cc: str, year: int, src: _Sources) -> IndicatorStatus:
    ev = src.evidence.get((ind.id, cc))
    if ev is None:
        return IndicatorStatus(ind.id, ind.label, NOT_REPORTED, False,
                               f"{ind.label}：待上传佐证材料并经市级审核")
    if ev.status == "accepted":
        return IndicatorStatus(ind.id, ind.label, DONE, False,
                               f"{ind.label}：佐证材料已经市级审核通过", evidence=ev.status)
    if ev.status == "rejected":
        return IndicatorStatus(ind.id, ind.label, NOT_REPORTED, False,
                               f"{ind.label}：佐证材料被退回（{ev.reason or '未说明理由'}），待重新上传",
                               evidence=ev.status)
    # Uploaded, awaiting review: the county is working on it; past the indicator's deadline
    # an unreviewed upload does not save it from lagging.
    if ind.deadline is not None and year >= ind.deadline:
        return IndicatorStatus(ind.id, ind.label, LAGGING, False,
                               f"{ind.label}：期限 {ind.deadline} 年已到，佐证材料尚未通过审核",
                               evidence=ev.status)
    return IndicatorStatus(ind.id, ind.label, IN_PROGRESS, False,
                           f"{ind.label}：已上传佐证材料，待市级审核", evidence=ev.status)


def _rule_status(ind: Indicator, cc: str, year: int, src: _Sources) -> IndicatorStatus:
    """A share against the register's target: at or above it 已完成; below it 推进中 while the
    indicator's deadline is ahead or the share is at least ``progress``; else 滞后."""
    fig = src.figures.get(ind.id, {}).get(cc)
    target = ind.target if ind.target is not None else 1.0
    if fig is None or fig.value is None:
        return IndicatorStatus(ind.id, ind.label, NOT_REPORTED, True,
                               f"{ind.label}：{fig.text_zh if fig else '数据未填报'}",
                               None, target)
    reason = f"{ind.label}：{fig.text_zh}"
    if fig.value >= target - 1e-9:
        return IndicatorStatus(ind.id, ind.label, DONE, True, reason, fig.value, target)
    want = f"，要求达到 {target:.0%}"
    if ind.deadline is not None and year < ind.deadline:
        return IndicatorStatus(ind.id, ind.label, IN_PROGRESS, True,
                               f"{reason}{want}（期限 {ind.deadline} 年）", fig.value, target)
    if ind.progress is not None and fig.value >= ind.progress - 1e-9:
        return IndicatorStatus(ind.id, ind.label, IN_PROGRESS, True,
                               f"{reason}{want}（已达 {ind.progress:.0%} 以上，推进中）",
                               fig.value, target)
    return IndicatorStatus(ind.id, ind.label, LAGGING, True, reason + want, fig.value, target)


def _area(indicators: list[IndicatorStatus]) -> AreaStatus:
    status = worst([i.status for i in indicators])
    computed = any(i.computed for i in indicators)
    reasons = [i.reason_zh for i in indicators if i.status == status] or \
        [i.reason_zh for i in indicators]
    return AreaStatus(status, computed, "；".join(reasons), tuple(indicators))


def measure_statuses(ds: Dataset, year: int, register: Register | None = None,
                     evidence: Mapping[tuple[str, str], EvidenceState] | None = None
                     ) -> MeasuresResult:
    """The status of every measure for every county of ``ds`` and the city, in ``year``.
    ``evidence``: (indicator id, county code) → the reviewed state of the newest upload (the
    web's store; without it every evidence indicator is 未报送)."""
    reg = register or load_register()
    counties = ds.table("counties").select("county_code", "county_name").unique(
        "county_code", keep="first").sort("county_code")
    names = dict(zip(counties["county_code"].to_list(), counties["county_name"].to_list(),
                     strict=True))
    src = _gather(ds, year, reg, list(names))
    src.evidence = evidence or {}
    out: list[MeasureStatus] = []
    for m in reg.measures:
        per: dict[str, AreaStatus] = {}
        for cc in names:
            per[cc] = _area([_indicator_status(i, cc, year, src) for i in m.indicators])
        worst_status = worst([s.status for s in per.values()])
        behind = [names[cc] for cc, s in per.items() if s.status == worst_status]
        city = AreaStatus(worst_status, any(s.computed for s in per.values()),
                          f"{STATUS_ZH[worst_status]}：" + "、".join(behind) if behind else "")
        out.append(MeasureStatus(m, per, city))
    return MeasuresResult(reg, year, names, tuple(out), tuple(src.notes), tuple(src.notes_en))
