"""The table every resource indicator is computed on: one row per school × stage.

Combined schools (九年一贯制, 完全中学, 十二年一贯制) are split into stage parts that each count as
a separate 小学 or 初中 school (standards.md §4): teacher counts come by stage taught from
``sections``; school-wide stocks from ``facilities`` are shared out in proportion to weighted
students (primary : junior : senior = 1 : 1.1 : 1.32 by default, the 2012 rule). Schools outside
the standard's scope and parts that cannot be evaluated are returned separately with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.fields import registry
from junheng.standards.loader import Standard
from junheng.standards.rules import ResolvedRules

TEACHER_COLUMNS = ("teachers", "degree_teachers", "backbone_teachers", "pe_art_teachers",
                   "senior_title_teachers", "certified_teachers")
STOCK_COLUMNS = ("teaching_area_m2", "sports_area_m2", "equipment_value_yuan", "multimedia_rooms",
                 "computers", "books")
RESOURCE_COLUMNS = TEACHER_COLUMNS + STOCK_COLUMNS

# Stage weight for a stage not named in the weight table of its school type: single-stage
# schools get everything; a preschool section attached to a primary school takes no share of
# the compulsory stocks.
_DEFAULT_STAGE_WEIGHT = {"primary": 1.0, "junior": 1.0, "senior": 1.0, "preschool": 0.0}

EPS = 1e-9


def compare(value: pl.Expr, threshold: pl.Expr, comparison: str) -> pl.Expr:
    """``value <comparison> threshold`` with a relative tolerance of 1e-9, so that 21 teachers
    for 500 students meets 4.2 per 100 even though 21*100/500 is 4.2000000000000002 in floats."""
    tol = threshold.abs().clip(lower_bound=1.0) * EPS
    if comparison == "ge":
        return value >= threshold - tol
    if comparison == "gt":
        return value > threshold + tol
    if comparison == "le":
        return value <= threshold + tol
    if comparison == "lt":
        return value < threshold - tol
    if comparison == "eq":
        return (value - threshold).abs() <= tol
    raise ValueError(comparison)


def by_key(column: str, mapping: Mapping[str, Any], dtype: pl.DataType = pl.Float64()) -> pl.Expr:
    """Look a per-stage (or per-type) value up from a column; absent keys give null.

    Per-stage maps have two to four keys: a when/then chain of string equalities is several
    times cheaper than ``replace_strict`` (a hash lookup per row), which matters on the
    3 million rows of a national class list."""
    if not mapping or len(mapping) > 8:
        return pl.col(column).replace_strict(dict(mapping), default=None, return_dtype=dtype)
    out: Any = pl.lit(None, dtype)
    for k, v in reversed(list(mapping.items())):
        out = pl.when(pl.col(column) == k).then(pl.lit(v, dtype)).otherwise(out)
    expr: pl.Expr = out
    return expr


def one_of(column: str, values: Sequence[str]) -> pl.Expr:
    """``column`` is one of a few ``values`` (null stays null, as with ``is_in``). On string
    columns a short chain of equalities is several times cheaper than ``is_in``."""
    values = list(values)
    if not values or len(values) > 8:
        return pl.col(column).is_in(values)
    return pl.any_horizontal([pl.col(column) == v for v in values])


def scoped_sections(ds: Dataset, standard: Standard, county: str | None = None) -> pl.DataFrame:
    """Sections of the year joined to their school, with ``in_scope``."""
    schools = ds.table("schools").select(
        "school_id", "school_name", "county_code", "school_type", "ownership",
    )
    if county is not None:
        schools = schools.filter(pl.col("county_code") == county)
    sec = ds.table("sections").select(
        "school_id", "stage", "students", "classes", *TEACHER_COLUMNS
    )
    return sec.join(schools, on="school_id", how="inner").with_columns(
        in_scope=one_of("school_type", standard.scope.school_types)
        & one_of("ownership", standard.scope.ownership)
    )


def _scope_reason() -> pl.Expr:
    """Why an out-of-scope section is not evaluated (computed on those rows only)."""
    labels = registry().enums["school_type"]
    return (
        pl.when(pl.col("ownership") == "private").then(pl.lit("民办学校不在评估范围"))
        .otherwise(pl.lit("办学类型不在评估范围: ")
                   + pl.col("school_type").replace_strict(labels, default=pl.col("school_type")))
    )


def build_school_table(
    ds: Dataset, standard: Standard, rules: ResolvedRules, county: str | None = None,
    sections: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(evaluated school-stage rows with resources and indicator verdicts, excluded rows with
    ``reason``). ``ds`` must already be restricted to the year; ``sections`` is
    ``scoped_sections(ds, standard, county)`` when the caller already has it."""
    sec_df = sections if sections is not None else scoped_sections(ds, standard, county)
    weights = rules.value("split_weights") or {}
    # One facilities row per school and year is the format's key (enforced on import).
    fac = ds.table("facilities").select("school_id", *STOCK_COLUMNS)

    # A handful of (type, stage) weights: a when/then chain is cheaper than a join on strings.
    weight: Any = by_key("stage", _DEFAULT_STAGE_WEIGHT).fill_null(1.0)
    for t, by_stage in weights.items():
        for st, w in by_stage.items():
            weight = pl.when((pl.col("school_type") == t) & (pl.col("stage") == st)).then(
                pl.lit(float(w))).otherwise(weight)
    wp = weight * pl.col("students").cast(pl.Float64)
    # One window: an unreported stage makes the school's weighted total NaN (sums skip nulls
    # but not NaN), so no part of that school gets a share of the stocks.
    wsum = wp.fill_null(float("nan")).sum().over("school_id")
    # The share needs every stage of the school (senior sections take theirs too); only then
    # are the stages outside the standard dropped, before the join.
    shared = (
        sec_df.lazy().filter(pl.col("in_scope"))
        .with_columns(stock_share=pl.when(wsum > 0).then(wp / wsum).otherwise(None).fill_nan(None))
        .filter(one_of("stage", standard.stages))
        .collect()
    )
    # Joined eagerly: on a frame this wide the in-memory hash join is about twice as cheap as
    # the streaming one.
    scoped = shared.join(fac, on="school_id", how="left").lazy().with_columns(
        [(pl.col(c).cast(pl.Float64) * pl.col("stock_share")).alias(c) for c in STOCK_COLUMNS]
        + [pl.col(c).cast(pl.Float64) for c in TEACHER_COLUMNS]
    )

    min_tp = rules.value("teaching_point_min_students") if "teaching_point_min_students" in standard.params else None
    reason: Any = pl.when(pl.col("students").is_null() | (pl.col("students") <= 0)).then(
        pl.lit("无在校生数据")
    )
    if min_tp is not None:
        reason = reason.when(
            (pl.col("school_type") == "teaching_point") & (pl.col("students") < int(min_tp))
        ).then(pl.lit(f"在校生不足{int(min_tp)}人的教学点不参与资源配置指标"))
    scoped = scoped.with_columns(reason=reason.otherwise(None)).drop("in_scope")
    out_cols = ["county_code", "school_id", "school_name", "school_type", "stage", "students"]
    # Both branches start from the joined frame already in memory, so nothing is computed
    # twice; filtering before the indicators are added copies a narrow frame, not a wide one.
    table = scoped.filter(pl.col("reason").is_null()).drop("reason")
    table = _add_indicators(table.with_columns(pl.col("students").cast(pl.Int64)), standard, rules)
    out_of_scope = sec_df.lazy().filter(
        ~pl.col("in_scope") & one_of("stage", standard.stages)
    ).select(*out_cols, reason=_scope_reason())
    dropped = scoped.filter(pl.col("reason").is_not_null()).select(*out_cols, "reason")
    table_df, out_df, dropped_df = pl.collect_all([table, out_of_scope, dropped])
    # Sorted: the parallel collect leaves the row order to chance, and outputs must be
    # reproducible run to run.
    excluded_df = pl.concat([out_df, dropped_df], how="vertical_relaxed").sort(
        "county_code", "school_id", "stage", maintain_order=True)
    return table_df, excluded_df


def _add_indicators(table: pl.LazyFrame, standard: Standard, rules: ResolvedRules) -> pl.LazyFrame:
    p = pl.col("students").cast(pl.Float64)
    values = [
        (pl.col(ind.numerator) * ind.scale / p).alias(ind.id) for ind in standard.indicators
    ]
    table = table.with_columns(values)
    judged = [ind for ind in standard.indicators if ind.rule is not None]
    if not judged:
        return table.with_columns(met_count=pl.lit(None, pl.Int64), passed=pl.lit(None, pl.Boolean),
                                  status=pl.lit(None, pl.Utf8))
    exprs = []
    for ind in judged:
        thr = rules.require(ind.id)
        exprs.append(by_key("stage", thr).alias(f"threshold__{ind.id}"))
    table = table.with_columns(exprs)
    floor = float(rules.require("school_rule_floor"))
    min_met = int(rules.require("school_rule_min_met"))
    met_exprs, short_exprs = [], []
    for ind in judged:
        assert ind.rule is not None
        thr = pl.col(f"threshold__{ind.id}")
        met_exprs.append(compare(pl.col(ind.id), thr, ind.rule.comparison or "ge").alias(f"met__{ind.id}"))
        # Resource needed to reach the threshold, in the resource's own unit; whole teachers,
        # rooms, m² and 元 are rounded up (a school cannot hire 0.3 of a teacher).
        need = thr * p / ind.scale - pl.col(ind.numerator)
        if ind.integer:
            need = (need - EPS).ceil()
        short_exprs.append(need.clip(lower_bound=0).alias(f"shortfall__{ind.id}"))
    table = table.with_columns(met_exprs)
    met_cols = [pl.col(f"met__{ind.id}") for ind in judged]
    near = [
        compare(pl.col(ind.id), pl.col(f"threshold__{ind.id}") * floor, ind.rule.comparison or "ge")  # type: ignore[union-attr]
        for ind in judged
    ]
    any_null = pl.any_horizontal([pl.col(ind.id).is_null() for ind in judged])
    table = table.with_columns(short_exprs).with_columns(
        met_count=pl.sum_horizontal([m.fill_null(False).cast(pl.Int64) for m in met_cols]),
        near_ok=pl.all_horizontal([(m.fill_null(False) | n.fill_null(False)) for m, n in zip(met_cols, near, strict=False)]),
    )
    table = table.with_columns(
        passed=(pl.col("met_count") >= min_met) & pl.col("near_ok") & ~any_null,
    ).with_columns(
        status=pl.when(pl.col("passed")).then(pl.lit("passed"))
        .when(any_null).then(pl.lit("not_reported"))
        .otherwise(pl.lit("failed"))
    ).drop("near_ok")
    # A met indicator has no shortfall; an unreported one has none we can compute.
    table = table.with_columns(
        [pl.when(pl.col(f"met__{ind.id}")).then(0.0).otherwise(pl.col(f"shortfall__{ind.id}"))
         .alias(f"shortfall__{ind.id}") for ind in judged]
    )
    return table
