"""The standards engine: ``evaluate(dataset, standard_id, year)`` → an explained verdict.

Indicators are column expressions over one table of every school × stage (see
:mod:`junheng.standards.school_table`); thresholds come from the standard's YAML as they stood on
1 September of the school year, or from a bureau's ``params``. Every verdict carries a trace:
value, threshold, comparison, clause, source and the inputs it was computed from, so that the
web pages and reports render it and never recompute.

Missing data is never a pass: a county with an item or indicator not reported cannot be
certified; it gets ``passed: false``, ``status: "not_reported"`` and the list of what is missing.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.numbers import json_number, json_numbers
from junheng.domain.status import status_from_rank, status_rank, worst_status
from junheng.standards.bands import BANDS, ClassStats, class_bands
from junheng.standards.cv import county_stage_cvs
from junheng.standards.items import CountyItems, ItemResults, evaluate_items
from junheng.standards.labels import label
from junheng.standards.loader import Standard, load_standard
from junheng.standards.results import (
    CityResult,
    ClassBands,
    CountyResult,
    CvInputs,
    CvTrace,
    IndicatorResult,
    ItemResult,
    NextTarget,
    PartVerdict,
    SchoolIndicator,
    SchoolIndicatorTrace,
    SchoolResult,
    SchoolRuleTrace,
    Shortfall,
    StageResult,
    TargetDates,
)
from junheng.standards.rules import ResolvedRules, evaluation_date
from junheng.standards.school_table import (
    RESOURCE_COLUMNS,
    build_school_table,
    by_key,
    compare,
    scoped_sections,
)

# The order of a county's parts in the result (the resource part comes first); their words
# come from labels.PARTS, the stages' from the field registry.
PART_ORDER = ("resources", "government", "quality", "recognition", "veto", "balance", "targets",
              "coverage", "care_quality")


def _stage_zh(stage: str) -> str:
    return label("stage", stage) or stage


def _part_zh(part: str) -> str:
    text = label("part", part) or part
    if part == "balance":  # only the 2012 method has it, judged by the composite CV alone
        text = f"{text} ({label('measure', 'composite_cv')})"
    return text


def _num(v: Any, digits: int = 6) -> Any:
    return json_number(v, digits)


@dataclass
class Evaluation:
    """The result of one evaluation. Frames hold the figures; ``counties`` the typed verdicts
    (:mod:`junheng.standards.results`); ``to_json()`` renders both as the JSON document."""

    standard: Standard
    year: int
    county: str | None
    rules: ResolvedRules
    schools: pl.DataFrame
    excluded: pl.DataFrame
    county_indicators: pl.DataFrame
    county_stages: pl.DataFrame
    bands: pl.DataFrame | None
    item_results: ItemResults | None
    counties: tuple[CountyResult, ...]
    city: CityResult | None = None
    notes: list[str] = field(default_factory=list)
    _school_results: list[SchoolResult] | None = field(default=None, repr=False)

    def county_result(self, county_code: str) -> CountyResult:
        for c in self.counties:
            if c.county_code == county_code:
                return c
        raise KeyError(county_code)

    def find_county(self, county_code: str) -> CountyResult | None:
        for c in self.counties:
            if c.county_code == county_code:
                return c
        return None

    def school_results(self) -> list[SchoolResult]:
        """One result per evaluated school × stage, sorted by county, school and stage (built
        on first use: at national scale these are ≈ 200,000 objects)."""
        if self._school_results is None:
            self._school_results = _school_results(self)
        return self._school_results

    def schools_of(self, school_id: str) -> list[SchoolResult]:
        return [s for s in self.school_results() if s.school_id == school_id]

    def school_records(self, traces: bool = True) -> list[dict[str, Any]]:
        """The ``schools`` of the JSON document: with traces from ``school_results()``;
        without, from ``school_table()`` (no Python object per school)."""
        if traces:
            return [s.to_json() for s in self.school_results()]
        return self.school_table().to_dicts()

    def school_table(self) -> pl.DataFrame:
        """One row per evaluated school × stage shaped like a school record without traces:
        ``indicators`` a struct by indicator id (value, threshold, met, status, shortfall),
        ``shortfalls`` a list of structs (indicator, shortfall, unit, text_zh). Polars writes
        it as JSON or flattens it into a table without visiting the rows in Python."""
        return _school_table(self)

    # ------------------------------------------------------------------ JSON

    def to_json(self, include_schools: bool = True, traces: bool = True) -> dict[str, Any]:
        """The JSON document (docs/standards.md). ``traces=False`` leaves out every trace, of
        the schools and of the counties (the rules section still cites every rule once)."""
        out: dict[str, Any] = {
            "standard": self.standard.id,
            "standard_label": self.standard.label,
            "standard_kind": self.standard.kind,
            "source": self.standard.source,
            "year": self.year,
            "as_of": self.rules.as_of.isoformat(),
            "county_filter": self.county,
            "stages": list(self.standard.stages),
            "indicators": [
                {"id": i.id, "label": i.label, "label_en": i.label_en, "unit": i.unit,
                 "comparison": i.rule.comparison if i.rule else None,
                 "resource": i.numerator, "resource_label": i.resource_label}
                for i in self.standard.indicators
            ],
            "counties": [c.to_json(traces) for c in self.counties],
        }
        if self.city is not None:
            out["city"] = self.city.to_json(traces)
        if include_schools:
            out["schools"] = self.school_records(traces)
            out["excluded"] = self.excluded.to_dicts()
        out["rules"] = self.rules.all_traces()
        out["notes"] = self.notes
        return out


def _nums(column: pl.Series, digits: int = 6) -> list[Any]:
    """``json_number`` of every value of a column, without a function call per value."""
    values = column.to_list()
    if not column.dtype.is_float():
        return values  # json_number leaves anything but a float as it is
    return json_numbers(values, digits)


def _stage_results(
    std: Standard, rules: ResolvedRules, county_indicators: pl.DataFrame,
    county_stages: pl.DataFrame, bands_frame: pl.DataFrame | None,
) -> dict[str, dict[str, StageResult]]:
    """county → stage → stage block, stages in the standard's order."""
    judged = any(i.rule is not None for i in std.indicators)
    limit_rule = "cv_limit" if "cv_limit" in std.params else (
        "composite_cv_limit" if "composite_cv_limit" in std.params else None)
    limit_trace = rules.rule_trace(limit_rule) if limit_rule else None
    labels = {i.id: i for i in std.indicators}
    formula = "CV = sqrt(Σ(P_i/P)(X_i − X̄)²) / X̄, X̄ = ΣY_i/ΣP_i"
    ind_rows: dict[tuple[str, str], dict[str, IndicatorResult]] = {}
    # Column by column rather than row dicts: at national scale this is ~40,000 county ×
    # stage × indicator rows, and a dict plus a rounding call per figure cost a second.
    ci = county_indicators
    cvs, limits = _nums(ci["cv"]), ci["cv_limit"].to_list()
    rows = zip(ci["county_code"].to_list(), ci["stage"].to_list(), ci["indicator"].to_list(),
               cvs, _nums(ci["cv_limit"]), limits, _nums(ci["county_value"]),
               _nums(ci["resource_total"]), ci["n_schools"].to_list(),
               ci["n_missing"].to_list(), ci["students"].to_list(), ci["cv_passed"].to_list(),
               ci["status"].to_list(), strict=True)
    for (cc, stage, ind_id, cv, cv_limit, raw_limit, county_value, resource_total, n_schools,
         n_missing, students, cv_passed, status) in rows:
        ind = labels[ind_id]
        trace = CvTrace(
            value=cv, threshold=cv_limit,
            comparison="le" if raw_limit is not None else None, formula=formula,
            inputs=CvInputs(schools=n_schools, schools_missing=n_missing,
                            students=students, resource=ind.numerator,
                            resource_total=resource_total),
            clause=limit_trace.clause if limit_trace else None,
            source=limit_trace.source if limit_trace else None,
            rule=limit_rule if limit_trace else None,
        )
        ind_rows.setdefault((cc, stage), {})[ind_id] = IndicatorResult(
            id=ind_id, label=ind.label, unit=ind.unit, county_value=county_value,
            cv=cv, cv_limit=cv_limit, cv_passed=cv_passed, status=status, trace=trace)
    bands: dict[tuple[str, str], ClassBands] = {}
    if bands_frame is not None:
        for r in bands_frame.iter_rows(named=True):
            bands[(r["county_code"], r["stage"])] = ClassBands(
                classes=r["classes"],
                counts={k: r[k] for k, _ in BANDS},
                shares={k: _num(r[f"share_{k}"], 4) for k, _ in BANDS},
                labels={k: lbl for k, lbl in BANDS},
            )
    out: dict[str, dict[str, StageResult]] = {}
    for r in county_stages.iter_rows(named=True):
        key = (r["county_code"], r["stage"])
        out.setdefault(r["county_code"], {})[r["stage"]] = StageResult(
            stage=r["stage"],
            schools_evaluated=r["schools_evaluated"],
            # 2012 has no school thresholds, so no school "passes" or "fails".
            schools_passed=r["schools_passed"] if judged else None,
            schools_not_reported=r["schools_not_reported"] if judged else None,
            students=r["students"],
            composite_cv=_num(r["composite_cv"]),
            composite_cv_limit=_num(r["composite_cv_limit"]),
            composite_cv_passed=r["composite_cv_passed"],
            status=r["status"],
            indicators=ind_rows.get(key, {}),
            class_bands=bands.get(key),
        )
    for (cc, stage), b in bands.items():
        block = out.setdefault(cc, {})
        if stage not in block:
            block[stage] = StageResult(stage=stage, evaluated=False, class_bands=b)
    order = {s: i for i, s in enumerate(std.stages)}
    return {cc: dict(sorted(v.items(), key=lambda kv: order.get(kv[0], 99)))
            for cc, v in out.items()}


def _school_table(ev: Evaluation) -> pl.DataFrame:
    std = ev.standard
    if not std.indicators or ev.schools.width == 0:
        return pl.DataFrame()
    f64 = [c for c, t in ev.schools.schema.items() if t == pl.Float64]
    frame = ev.schools.sort("county_code", "school_id", "stage").with_columns(
        [pl.col(c).fill_nan(None).round(6) for c in f64])
    frame = frame.with_row_index("__row")
    indicators: list[pl.Expr] = []
    shortfalls: list[pl.LazyFrame] = []
    for k, ind in enumerate(std.indicators):
        if ind.rule is None:
            indicators.append(pl.struct(value=pl.col(ind.id), threshold=pl.lit(None, pl.Float64),
                                        met=pl.lit(None, pl.Boolean)).alias(ind.id))
            continue
        met = pl.col(f"met__{ind.id}")
        short = pl.col(f"shortfall__{ind.id}")
        amount = short.cast(pl.Int64) if ind.integer else short.round(2)
        lacking = met.not_() & (short > 0)
        unit = "" if ind.resource_unit == "人" else f"{ind.resource_unit} "
        status = (pl.when(met.is_null()).then(pl.lit("not_reported")).when(met)
                  .then(pl.lit("passed")).otherwise(pl.lit("failed")))
        indicators.append(pl.struct(
            value=pl.col(ind.id), threshold=pl.col(f"threshold__{ind.id}"),
            met=met.fill_null(False), status=status,
            shortfall=pl.when(lacking).then(amount).otherwise(None),
        ).alias(ind.id))
        # The shortfalls list is built long (one row per school × lacking indicator, then
        # grouped): a list concatenated across seven struct columns is ten times slower.
        # One list for all indicators needs one type: the amounts are floats here.
        shortfalls.append(frame.lazy().filter(lacking).select(
            "__row", pl.lit(k, pl.Int32).alias("__k"), pl.struct(
                indicator=pl.lit(ind.id), shortfall=amount.cast(pl.Float64),
                unit=pl.lit(ind.resource_unit),
                text_zh=pl.lit("+") + amount.cast(pl.Utf8) + pl.lit(f" {unit}{ind.resource_label}"),
            ).alias("shortfalls")))
    out = frame.select(
        "__row", "school_id", "school_name", "county_code", "school_type", "stage", "students",
        pl.struct(indicators).alias("indicators"), "met_count", "passed", "status")
    if not shortfalls:
        return out.drop("__row").with_columns(shortfalls=pl.lit([], pl.List(pl.Null)))
    lists = (pl.concat(shortfalls).sort("__row", "__k")
             .group_by("__row", maintain_order=True).agg(pl.col("shortfalls")).collect())
    empty = pl.lit([], lists.schema["shortfalls"])
    return (out.join(lists, on="__row", how="left", maintain_order="left")
            .with_columns(pl.col("shortfalls").fill_null(empty)).drop("__row"))


def _school_results(ev: Evaluation) -> list[SchoolResult]:
    """One result per evaluated school × stage, with indicator verdicts, traces and
    shortfalls in real units. Rounding, statuses and shortfall texts are prepared as columns
    first, so the per-row work is only assembling objects."""
    std = ev.standard
    if not std.indicators or ev.schools.width == 0:
        return []
    judged = [i for i in std.indicators if i.rule is not None]
    f64 = [c for c, t in ev.schools.schema.items() if t == pl.Float64]
    frame = ev.schools.sort("county_code", "school_id", "stage").with_columns(
        [pl.col(c).fill_nan(None).round(6) for c in f64]
    )
    prep: list[pl.Expr] = []
    for ind in judged:
        met = pl.col(f"met__{ind.id}")
        short = pl.col(f"shortfall__{ind.id}")
        amount = short.cast(pl.Int64) if ind.integer else short.round(2)
        unit = "" if ind.resource_unit == "人" else f"{ind.resource_unit} "
        prep += [
            pl.when(met.is_null()).then(pl.lit("not_reported")).when(met)
            .then(pl.lit("passed")).otherwise(pl.lit("failed")).alias(f"status__{ind.id}"),
            pl.when(met.not_() & (short > 0)).then(amount).otherwise(None)
            .alias(f"amount__{ind.id}"),
            pl.when(met.not_() & (short > 0))
            .then(pl.lit("+") + amount.cast(pl.Utf8) + pl.lit(f" {unit}{ind.resource_label}"))
            .otherwise(None).alias(f"text__{ind.id}"),
        ]
    if prep:
        frame = frame.with_columns(prep)
    school_rule: SchoolRuleTrace | None = None
    if judged:
        t = ev.rules.rule_trace("school_rule_min_met")
        min_met, floor = ev.rules.value("school_rule_min_met"), ev.rules.value("school_rule_floor")
        school_rule = SchoolRuleTrace(min_met=min_met, floor=floor, clause=t.clause,
                                      source=t.source, met_count=None,
                                      text_zh=f"至少{min_met}项达到要求, 其余项不低于要求的{floor:.0%}")
    specs: list[_IndicatorSpec] = []
    for i in judged:
        t = ev.rules.rule_trace(i.id)
        specs.append(_IndicatorSpec(
            i.id, i.numerator, i.scale, i.resource_unit, i.rule.comparison if i.rule else None,
            t.clause, t.source, t.unverified))
    plain = [i.id for i in std.indicators if i.rule is None]
    out: list[SchoolResult] = []
    # Millions of small objects make the cyclic GC rescan the heap again and again; none of
    # them can form a cycle, so collection is paused while they are built.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        _fill_school_results(frame, specs, plain, school_rule, out)
    finally:
        if was_enabled:
            gc.enable()
    return out


@dataclass(frozen=True, slots=True)
class _IndicatorSpec:
    id: str
    numerator: str
    scale: float
    unit: str
    comparison: str | None
    clause: str | None
    source: str | None
    unverified: bool


def _fill_school_results(frame: pl.DataFrame, specs: list[_IndicatorSpec], plain: list[str],
                         school_rule: SchoolRuleTrace | None, out: list[SchoolResult]) -> None:
    # Python-level assembly is the cost at national scale (≈ 1.4 M indicator entries), so the
    # loop only reads prepared columns.
    for r in frame.iter_rows(named=True):
        indicators: dict[str, SchoolIndicator] = {}
        shortfalls: list[Shortfall] = []
        students = r["students"]
        for sp in specs:
            iid = sp.id
            value, thr, amount = r[iid], r[f"threshold__{iid}"], r[f"amount__{iid}"]
            trace = SchoolIndicatorTrace(
                value=value, threshold=thr, rule=iid, comparison=sp.comparison,
                clause=sp.clause, source=sp.source, unverified=sp.unverified,
                inputs={sp.numerator: r[sp.numerator], "students": students, "scale": sp.scale})
            indicators[iid] = SchoolIndicator(value=value, threshold=thr,
                                              met=bool(r[f"met__{iid}"]),
                                              status=r[f"status__{iid}"], trace=trace,
                                              shortfall=amount)
            if amount is not None:
                shortfalls.append(Shortfall(iid, amount, sp.unit, r[f"text__{iid}"]))
        for iid in plain:
            indicators[iid] = SchoolIndicator(value=r[iid])
        out.append(SchoolResult(
            school_id=r["school_id"], school_name=r["school_name"],
            county_code=r["county_code"], school_type=r["school_type"], stage=r["stage"],
            students=students, indicators=indicators, met_count=r["met_count"],
            passed=r["passed"], status=r["status"], shortfalls=tuple(shortfalls),
            trace=(replace(school_rule, met_count=r["met_count"])
                   if school_rule is not None else None),
        ))


# ---------------------------------------------------------------------------- public API


def school_stage_table(
    ds: Dataset, standard_id: str, year: int, params: Mapping[str, Any] | None = None,
    county: str | None = None,
) -> pl.DataFrame:
    """One row per evaluated school × stage after the combined-school split.

    Columns:

    - ``county_code``, ``school_id``, ``school_name``, ``school_type``, ``ownership``, ``locale``,
      ``parent_school_id``, ``stage`` (``primary``/``junior``), ``students`` (P_i), ``classes``;
    - resources Y_i of this stage part: teacher counts by stage taught (``teachers``,
      ``degree_teachers``, ``backbone_teachers``, ``pe_art_teachers``, ``senior_title_teachers``,
      ``certified_teachers``) and the school-wide stocks times ``stock_share``
      (``teaching_area_m2``, ``sports_area_m2``, ``equipment_value_yuan``, ``multimedia_rooms``,
      ``computers``, ``books``), all Float64; ``stock_share`` is the weighted-student share;
    - one column per indicator id of the standard (value = Y_i × scale ÷ P_i, e.g.
      ``degree_teachers_per_100``);
    - for standards with school thresholds (quality-balance-2017): ``threshold__<id>``,
      ``met__<id>``, ``shortfall__<id>`` (resource units missing to meet, rounded up for whole
      units; 0 when met), ``met_count``, ``passed`` (the 6-of-7-and-85 % rule) and ``status``
      (``passed``/``failed``/``not_reported``).

    Schools out of scope (private, special, senior-only, small 教学点 …) are not in the table.
    """
    std = load_standard(standard_id)
    rules = ResolvedRules(std, evaluation_date(year), params)
    table, _ = build_school_table(ds.for_year(year), std, rules, county)
    extra = ds.table("schools").select("school_id", "locale", "parent_school_id")
    return table.join(extra, on="school_id", how="left").sort("county_code", "school_id", "stage")


def evaluate(
    ds: Dataset, standard_id: str, year: int, county: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> Evaluation:
    """Evaluate every county of ``ds`` (or only ``county``) against ``standard_id`` for school
    year ``year``. ``params`` overrides rule values by rule id (see ``Standard.rules()``)."""
    std = load_standard(standard_id)
    rules = ResolvedRules(std, evaluation_date(year), params)
    dsy = ds.for_year(year)
    counties = dsy.table("counties").select("county_code", "county_name", "quality_target_year")
    if county is not None:
        counties = counties.filter(pl.col("county_code") == county)
        if counties.height == 0:
            raise ValueError(f"数据中没有区县 {county} / county {county} is not in the data")
    counties = counties.unique(subset=["county_code"], keep="first").sort("county_code")
    if county is not None:
        dsy = _only_county(dsy, county)
    if std.method == "zhangye_targets":
        return _evaluate_targets(ds, dsy, std, rules, year, county, counties)
    if std.method == "preschool_2020":
        return _evaluate_preschool(dsy, std, rules, year, county, counties)
    return _evaluate_balance(dsy, std, rules, year, county, counties)


def _only_county(dsy: Dataset, county: str) -> Dataset:
    """The school-level lists restricted to one county's schools, so that evaluating one
    county of a national database does not aggregate every class in the country."""
    ids = dsy.table("schools").filter(pl.col("county_code") == county).select("school_id")
    out = dsy
    for tid in ("sections", "facilities", "classes", "rooms"):
        if tid in dsy.tables:
            out = out.with_table(tid, dsy.tables[tid].join(ids, on="school_id", how="semi"))
    return out


# ---------------------------------------------------------------------------- balance methods


def _county_indicators(stats: pl.DataFrame, std: Standard, rules: ResolvedRules) -> pl.DataFrame:
    frames = []
    for ind in std.indicators:
        frames.append(stats.select(
            "county_code", "stage",
            indicator=pl.lit(ind.id),
            county_value=pl.col(f"county_value__{ind.id}"),
            cv=pl.col(f"cv__{ind.id}"),
            n_missing=pl.col(f"n_missing__{ind.id}"),
            n_schools=pl.col("schools_evaluated"),
            students=pl.col("students"),
            resource_total=pl.col(f"county_value__{ind.id}") * pl.col("students") / ind.scale,
        ))
    long = pl.concat(frames, how="vertical_relaxed")
    if "cv_limit" in std.params:
        limit = by_key("stage", rules.require("cv_limit"))
        long = long.with_columns(cv_limit=limit)
        ok = compare(pl.col("cv"), pl.col("cv_limit"), "le")
        long = long.with_columns(
            cv_passed=(ok.fill_null(False) & (pl.col("n_missing") == 0)),
            status=pl.when(pl.col("cv").is_null() | (pl.col("n_missing") > 0)).then(pl.lit("not_reported"))
            .when(ok).then(pl.lit("passed")).otherwise(pl.lit("failed")),
        )
    else:
        long = long.with_columns(
            cv_limit=pl.lit(None, pl.Float64), cv_passed=pl.lit(None, pl.Boolean),
            status=pl.when(pl.col("cv").is_null() | (pl.col("n_missing") > 0))
            .then(pl.lit("not_reported")).otherwise(pl.lit("reported")),
        )
    return long


def _evaluate_balance(
    dsy: Dataset, std: Standard, rules: ResolvedRules, year: int, county: str | None,
    counties: pl.DataFrame,
) -> Evaluation:
    all_sections = scoped_sections(dsy, std, county)
    table, excluded = build_school_table(dsy, std, rules, county, all_sections)
    sections = all_sections.filter(pl.col("in_scope"))
    stats = county_stage_cvs(table, std.indicators)
    codes = counties["county_code"].to_list()
    grid = pl.DataFrame(
        [(c, s) for c in codes for s in std.stages],
        schema={"county_code": pl.Utf8, "stage": pl.Utf8}, orient="row",
    )
    stats = grid.join(stats, on=["county_code", "stage"], how="left").with_columns(
        pl.col("schools_evaluated").fill_null(0), pl.col("schools_passed").fill_null(0),
        pl.col("students").fill_null(0),
    )
    long = _county_indicators(stats, std, rules)

    not_rep = table.group_by("county_code", "stage").agg(
        schools_not_reported=(pl.col("status") == "not_reported").sum().cast(pl.Int64),
        schools_failed=(pl.col("status") == "failed").sum().cast(pl.Int64),
    )
    cv_status = long.group_by("county_code", "stage").agg(
        cv_failed=(pl.col("status") == "failed").sum(),
        cv_not_reported=(pl.col("status") == "not_reported").sum(),
        composite_cv=pl.when(pl.col("cv").is_null().any()).then(None).otherwise(pl.col("cv").mean()),
    )
    st = stats.select("county_code", "stage", "schools_evaluated", "schools_passed", "students").join(
        not_rep, on=["county_code", "stage"], how="left").join(
        cv_status, on=["county_code", "stage"], how="left").with_columns(
        pl.col("schools_not_reported").fill_null(0), pl.col("schools_failed").fill_null(0))
    if "composite_cv_limit" in std.params:
        lim = by_key("stage", rules.require("composite_cv_limit"))
        ok = compare(pl.col("composite_cv"), pl.col("composite_cv_limit"), "le")
        st = st.with_columns(composite_cv_limit=lim).with_columns(
            composite_cv_passed=ok.fill_null(False),
            status=pl.when(pl.col("schools_evaluated") == 0).then(pl.lit("not_reported"))
            .when(pl.col("composite_cv").is_null()).then(pl.lit("not_reported"))
            .when(ok).then(pl.lit("passed")).otherwise(pl.lit("failed")),
        )
    else:
        st = st.with_columns(
            composite_cv=pl.lit(None, pl.Float64),
            composite_cv_limit=pl.lit(None, pl.Float64),
            composite_cv_passed=pl.lit(None, pl.Boolean),
            status=pl.when((pl.col("schools_failed") > 0) | (pl.col("cv_failed") > 0)).then(pl.lit("failed"))
            .when((pl.col("schools_evaluated") == 0) | (pl.col("schools_not_reported") > 0)
                  | (pl.col("cv_not_reported") > 0)).then(pl.lit("not_reported"))
            .otherwise(pl.lit("passed")),
        )
    st = st.sort("county_code", "stage")

    class_stats = ClassStats(dsy, rules.value("class_bands") if "class_bands" in std.params
                             else None)
    items = (evaluate_items(std, rules, dsy, codes, sections, table, class_stats)
             if std.items else None)
    bands = class_bands(class_stats, sections, std.stages)
    stages = _stage_results(std, rules, long, st, bands)
    verdicts = _county_verdicts(std, counties, st, long, items, stages)
    return Evaluation(std, year, county, rules, table, excluded, long, st, bands, items, verdicts)


def _county_verdicts(
    std: Standard, counties: pl.DataFrame, st: pl.DataFrame, long: pl.DataFrame,
    items: ItemResults | None, stages: Mapping[str, Mapping[str, StageResult]],
) -> tuple[CountyResult, ...]:
    """County verdicts from the stage table, the CV table and the item statuses. Only failing
    and unreported rows are visited one by one (to word the reasons)."""
    resource_part = "balance" if std.method == "basic_2012" else "resources"
    part_order = [resource_part] + [p for p in PART_ORDER if p != resource_part]
    ranks = st.group_by("county_code").agg(rank=status_rank(pl.col("status")).max()).with_columns(
        part=pl.lit(resource_part))
    frames = [ranks.select("county_code", "part", "rank")]
    if items is not None:
        frames.append(items.item_status.group_by("county_code", "part").agg(
            rank=status_rank(pl.col("status")).max()).select("county_code", "part", "rank"))
    parts_long = pl.concat(frames, how="vertical_relaxed").with_columns(
        status=status_from_rank(pl.col("rank")))
    parts: dict[str, dict[str, PartVerdict]] = {}
    for cc, part, pstatus in zip(parts_long["county_code"].to_list(),
                                 parts_long["part"].to_list(),
                                 parts_long["status"].to_list(), strict=True):
        parts.setdefault(cc, {})[part] = PartVerdict(pstatus, _part_zh(part))

    reasons: dict[str, list[str]] = {}
    not_reported: dict[str, list[str]] = {}
    for r in st.filter(pl.col("status") != "passed").iter_rows(named=True):
        cc = r["county_code"]
        s_zh = _stage_zh(r["stage"])
        if r["schools_evaluated"] == 0:
            not_reported.setdefault(cc, []).append(f"{r['stage']}.schools")
            reasons.setdefault(cc, []).append(f"{s_zh}: 没有参评学校")
        if std.method == "quality_2017":
            if r["schools_failed"]:
                reasons.setdefault(cc, []).append(
                    f"{s_zh}: {r['schools_failed']} 所学校未达到资源配置要求 (至少6项达标且余项不低于85%)")
            if r["schools_not_reported"]:
                not_reported.setdefault(cc, []).append(f"{r['stage']}.schools")
                reasons.setdefault(cc, []).append(f"{s_zh}: {r['schools_not_reported']} 所学校资源配置数据不全")
        elif r["status"] == "failed":
            reasons.setdefault(cc, []).append(
                f"{s_zh}: 综合差异系数 {r['composite_cv']:.4f} > {r['composite_cv_limit']}")
        elif r["status"] == "not_reported" and r["schools_evaluated"]:
            not_reported.setdefault(cc, []).append(f"{r['stage']}.composite_cv")
            reasons.setdefault(cc, []).append(f"{s_zh}: 差异系数数据不全, 无法计算综合差异系数")
    if std.method == "quality_2017":
        bad = long.filter(pl.col("status").is_in(["failed", "not_reported"]) & (pl.col("n_schools") > 0))
        for r in bad.iter_rows(named=True):
            cc = r["county_code"]
            if r["status"] == "failed":
                label = std.indicator(r["indicator"]).label
                s_zh = _stage_zh(r["stage"])
                reasons.setdefault(cc, []).append(f"{s_zh}: {label} 差异系数 {r['cv']:.4f} > {r['cv_limit']}")
            else:
                not_reported.setdefault(cc, []).append(f"{r['stage']}.{r['indicator']}")
    veto: dict[str, list[str]] = {}
    if items is not None:
        order = {i.id: n for n, i in enumerate(std.items)}
        rows = items.item_status.filter(pl.col("status") != "passed").with_columns(
            order=pl.col("item").replace_strict(order, return_dtype=pl.Int64)).sort("county_code", "order")
        # Column lists, not row dicts: at national scale most of 68,000 items are visited.
        for cc, item_id, istatus, is_veto, label in zip(
                rows["county_code"].to_list(), rows["item"].to_list(),
                rows["status"].to_list(), rows["veto"].to_list(), rows["label"].to_list(),
                strict=True):
            if istatus == "failed":
                if is_veto:
                    veto.setdefault(cc, []).append(item_id)
                reasons.setdefault(cc, []).append(f"{label}: 未达标")
            else:
                not_reported.setdefault(cc, []).append(item_id)
    out = []
    for c in counties.iter_rows(named=True):
        cc = c["county_code"]
        cparts = parts.get(cc, {})
        cparts = {p: cparts[p] for p in part_order if p in cparts}
        status = worst_status([p.status for p in cparts.values()])
        nr = not_reported.get(cc, [])
        why = reasons.get(cc, [])
        if nr and status == "not_reported":
            why = why + ["未报告 / not reported: " + ", ".join(nr)]
        out.append(CountyResult(
            county_code=cc,
            county_name=c["county_name"],
            passed=status == "passed",
            status=status,
            parts=cparts,
            veto_triggered=tuple(veto.get(cc, [])),
            not_reported=tuple(nr),
            reasons_zh=tuple(why),
            stages=stages.get(cc, {}),
            items=CountyItems(items, cc) if items is not None else {},
        ))
    return tuple(out)


# ---------------------------------------------------------------------------- local targets


def _evaluate_targets(
    ds: Dataset, dsy: Dataset, std: Standard, rules: ResolvedRules, year: int, county: str | None,
    counties: pl.DataFrame,
) -> Evaluation:
    codes = counties["county_code"].to_list()
    sections = scoped_sections(dsy, std, county).filter(pl.col("in_scope"))
    quality_id = rules.require("quality_standard")
    quality = evaluate(ds, quality_id, year, county)
    targets = dict(zip(counties["county_code"].to_list(), counties["quality_target_year"].to_list(), strict=False))
    quality_by_code = {c.county_code: c for c in quality.counties}

    def due(cc: str) -> bool:
        ty = targets.get(cc)
        return ty is not None and year >= ty

    qb_frame = pl.DataFrame(
        [(c.county_code, c.passed, c.status, targets.get(c.county_code), due(c.county_code),
          due(c.county_code) and not c.passed) for c in quality.counties],
        schema={"county_code": pl.Utf8, "value": pl.Boolean, "status": pl.Utf8,
                "target_year": pl.Int64, "due": pl.Boolean, "overdue": pl.Boolean},
        orient="row",
    )
    stats = ClassStats(dsy, rules.require("class_bands"))
    item_results = evaluate_items(std, rules, dsy, codes, sections, sections, stats,
                                  {"quality_balance": (qb_frame, ("target_year", "due", "overdue"))})
    typed = item_results.results()
    items: dict[str, dict[str, ItemResult]] = {}
    for cc in codes:
        items[cc] = {}
        for iid, it in typed[cc].items():
            checks = it.checks
            if iid == "z03_quality_balance":
                # The county's own quality-balance reasons travel with the target's trace.
                q = quality_by_code.get(cc)
                first = checks[0]
                inputs = {**first.trace.inputs, "reasons_zh": list(q.reasons_zh) if q else []}
                checks = (replace(first, trace=replace(first.trace, inputs=inputs)), *checks[1:])
                dates = TargetDates(deadline=first.trace.rule.deadline,
                                    due=due(cc), target_year=targets.get(cc), has_target_year=True)
            else:
                deadline = checks[0].trace.rule.deadline
                dates = TargetDates(deadline=deadline,
                                    due=deadline is not None and year >= deadline)
            items[cc][iid] = replace(it, checks=checks, dates=dates)
    bands = class_bands(stats, sections, std.stages)
    stage_blocks = _stage_results(std, rules, _EMPTY_INDICATORS, _EMPTY_STAGES, bands)
    verdicts = []
    for c in counties.iter_rows(named=True):
        cc = c["county_code"]
        status = worst_status([it.status for it in items[cc].values()])
        verdicts.append(CountyResult(
            county_code=cc,
            county_name=c["county_name"],
            passed=status == "passed",
            status=status,
            quality_target_year=c["quality_target_year"],
            has_target_year=True,
            parts={"targets": PartVerdict(status, _part_zh("targets"))},
            veto_triggered=(),
            not_reported=tuple(i for i, it in items[cc].items() if it.status == "not_reported"),
            reasons_zh=tuple(f"{i} {it.label}: 未达到" for i, it in items[cc].items()
                             if it.status == "failed"),
            stages=stage_blocks.get(cc, {}),
            items=items[cc],
        ))
    city = _city_result(quality, rules) if county is None else None
    ev = Evaluation(std, year, county, rules, pl.DataFrame(), pl.DataFrame(), _EMPTY_INDICATORS,
                    _EMPTY_STAGES, bands, item_results, tuple(verdicts), city)
    ev.notes.append("目标类标准: 截止年份前未达到为\"尚未达到目标\", 截止年份后未达到为逾期。")
    return ev


# ---------------------------------------------------------------------------- preschool 2020


def _evaluate_preschool(
    dsy: Dataset, std: Standard, rules: ResolvedRules, year: int, county: str | None,
    counties: pl.DataFrame,
) -> Evaluation:
    """县域学前教育普及普惠: every item is a check on one row of figures per county
    (``standards.preschool``); the county passes when every item does."""
    from junheng.standards.items import fact_check
    from junheng.standards.preschool import preschool_figures

    codes = counties["county_code"].to_list()
    figures = preschool_figures(dsy, codes)
    checks = [fact_check(figures, item, chk, rules) for item in std.items for chk in item.checks]
    item_results = ItemResults(std, rules, codes, checks)
    typed = item_results.results()
    verdicts = []
    for c in counties.iter_rows(named=True):
        cc = c["county_code"]
        items = typed[cc]
        parts = {}
        for part in dict.fromkeys(it.part for it in items.values()):
            st = worst_status([it.status for it in items.values() if it.part == part])
            parts[part] = PartVerdict(st, _part_zh(part))
        status = worst_status([it.status for it in items.values()])
        verdicts.append(CountyResult(
            county_code=cc, county_name=c["county_name"], passed=status == "passed",
            status=status, quality_target_year=c["quality_target_year"], has_target_year=False,
            parts=parts, veto_triggered=(),
            not_reported=tuple(i for i, it in items.items() if it.status == "not_reported"),
            reasons_zh=tuple(f"{i} {it.label}: 未达到" for i, it in items.items()
                             if it.status == "failed"),
            stages={}, items=items))
    ev = Evaluation(std, year, county, rules, pl.DataFrame(), pl.DataFrame(), _EMPTY_INDICATORS,
                    _EMPTY_STAGES, None, item_results, tuple(verdicts))
    ev.notes.append("学前教育普及普惠: 在园幼儿、班级和教师取自学段为学前的学段情况; 民办园未认定为普惠性"
                    "的按非普惠计。")
    return ev


def _city_result(quality: Evaluation, rules: ResolvedRules) -> CityResult:
    n = len(quality.counties)
    passed = [c.county_code for c in quality.counties if c.passed]
    share = len(passed) / n if n else None
    res = rules.resolved("city_quality_share")
    nxt = res.rule.next_after(rules.as_of)
    thr = res.value
    return CityResult(
        counties_total=n,
        counties_passed=len(passed),
        counties_passed_codes=tuple(passed),
        share=_num(share, 4),
        target_share=_num(thr, 4),
        target_in_force=thr is not None,
        passed=(share is not None and share >= float(thr) - 1e-9) if thr is not None else None,
        counties_needed=math.ceil(float(thr) * n - 1e-9) if thr is not None else None,
        trace=rules.rule_trace("city_quality_share"),
        next_target=NextTarget(share=_num(nxt.value, 4),
                               effective_from=nxt.effective_from.isoformat(),
                               deadline=nxt.deadline, source=nxt.source)
        if nxt is not None else None,
    )


_EMPTY_STAGES = pl.DataFrame(schema={
    "county_code": pl.Utf8, "stage": pl.Utf8, "schools_evaluated": pl.Int64,
    "schools_passed": pl.Int64, "schools_not_reported": pl.Int64, "students": pl.Int64,
    "composite_cv": pl.Float64, "composite_cv_limit": pl.Float64,
    "composite_cv_passed": pl.Boolean, "status": pl.Utf8})
_EMPTY_INDICATORS = pl.DataFrame(schema={
    "county_code": pl.Utf8, "stage": pl.Utf8, "indicator": pl.Utf8, "county_value": pl.Float64,
    "cv": pl.Float64, "cv_limit": pl.Float64, "cv_passed": pl.Boolean, "status": pl.Utf8,
    "n_missing": pl.Int64, "n_schools": pl.Int64, "students": pl.Int64,
    "resource_total": pl.Float64})


__all__ = ["Evaluation", "evaluate", "school_stage_table", "RESOURCE_COLUMNS"]
