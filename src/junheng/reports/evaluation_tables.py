"""The evaluation as tables for machines: one table per level, as Parquet files or CSV files in
a folder (``counties``, ``stages``, ``indicators``, ``items``, ``schools``, ``excluded``,
``rules``). Columns are flat, so a CSV holds the same as the Parquet file; values that are
mappings (a by-stage threshold, a multi-check item's values) are JSON text.

Tables come from the engine's frames, not from per-school objects, so a national evaluation
is written in seconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from junheng.standards.engine import Evaluation
from junheng.standards.items import CountyItems

TABLES = ("counties", "stages", "indicators", "items", "schools", "excluded", "rules")


def _text(value: Any) -> str | None:
    """A scalar as itself in text; a mapping or list as JSON."""
    if value is None:
        return None
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def counties_table(ev: Evaluation) -> pl.DataFrame:
    parts = sorted({p for c in ev.counties for p in c.parts})
    rows = [{
        "county_code": c.county_code, "county_name": c.county_name, "passed": c.passed,
        "status": c.status,
        **{f"part__{p}": c.parts[p].status if p in c.parts else None for p in parts},
        "veto_triggered": "; ".join(c.veto_triggered), "not_reported": "; ".join(c.not_reported),
        "reasons_zh": "；".join(c.reasons_zh),
    } for c in ev.counties]
    schema = {"county_code": pl.Utf8, "county_name": pl.Utf8, "passed": pl.Boolean,
              "status": pl.Utf8, **{f"part__{p}": pl.Utf8 for p in parts},
              "veto_triggered": pl.Utf8, "not_reported": pl.Utf8, "reasons_zh": pl.Utf8}
    return pl.DataFrame(rows, schema=schema, orient="row")


def items_table(ev: Evaluation) -> pl.DataFrame:
    if ev.item_results is not None and all(isinstance(c.items, CountyItems)
                                           for c in ev.counties):
        # The verdicts straight from the check frames, each check's document and clause
        # from its rule: the traced items (with their lists of offending schools) are never
        # built, which at national scale is most of the command's time.
        verdicts = ev.item_results.verdict_dicts()
        cite = {(item.id, chk.id): ev.rules.rule_trace(chk.rule.id)
                for item in ev.standard.items for chk in item.checks}
        # A check's threshold is the same for every county: its text is made once.
        limit = {(item.id, chk.id): _text(ev.rules.value(chk.rule.id))
                 for item in ev.standard.items for chk in item.checks}
        rows = [(c.county_code, iid, chk["id"], it["part"], it["label"], chk["status"],
                 it["status"], _text(chk["value"]), chk["comparison"], limit[iid, chk["id"]],
                 cite[iid, chk["id"]].source, cite[iid, chk["id"]].clause)
                for c in ev.counties for iid, it in verdicts.get(c.county_code, {}).items()
                for chk in it["checks"]]
    else:
        rows = [(c.county_code, iid, chk.id, it.part, it.label, chk.status, it.status,
                 _text(chk.value), chk.comparison, _text(chk.threshold), chk.trace.rule.source,
                 chk.trace.rule.clause)
                for c in ev.counties for iid, it in c.items.items() for chk in it.checks]
    return pl.DataFrame(rows, orient="row", schema={
        "county_code": pl.Utf8, "item": pl.Utf8, "check": pl.Utf8, "part": pl.Utf8,
        "label": pl.Utf8, "check_status": pl.Utf8, "item_status": pl.Utf8, "value": pl.Utf8,
        "comparison": pl.Utf8, "threshold": pl.Utf8, "source": pl.Utf8, "clause": pl.Utf8})


def schools_table(ev: Evaluation) -> pl.DataFrame:
    """One row per evaluated school × stage: each indicator's value, and for judged indicators
    its threshold, status and shortfall (real units), then the school rule's verdict."""
    frame = ev.school_table()
    if frame.height == 0:
        return frame
    cols: list[pl.Expr] = [pl.col(c) for c in ("county_code", "school_id", "school_name",
                                                "school_type", "stage", "students")]
    for ind in ev.standard.indicators:
        field = pl.col("indicators").struct.field(ind.id)
        cols.append(field.struct.field("value").alias(ind.id))
        if ind.rule is not None:
            cols += [field.struct.field("threshold").alias(f"{ind.id}__threshold"),
                     field.struct.field("status").alias(f"{ind.id}__status"),
                     field.struct.field("shortfall").cast(pl.Float64).alias(f"{ind.id}__shortfall")]
    cols += [pl.col("met_count"), pl.col("passed"), pl.col("status")]
    if any(i.rule is not None for i in ev.standard.indicators):  # 2012 has no shortfalls
        cols.append(pl.col("shortfalls").list.eval(pl.element().struct.field("text_zh"))
                    .list.join("；").alias("shortfalls_zh"))
    return frame.select(cols)


def rules_table(ev: Evaluation) -> pl.DataFrame:
    rows = [(t.rule, t.label, _text(t.value), t.comparison, t.unit, t.source, t.clause,
             t.effective_from, t.effective_to, t.deadline, t.unverified, t.note, t.overridden)
            for t in ev.rules.rule_traces().values()]
    return pl.DataFrame(rows, orient="row", schema={
        "rule": pl.Utf8, "label": pl.Utf8, "value": pl.Utf8, "comparison": pl.Utf8,
        "unit": pl.Utf8, "source": pl.Utf8, "clause": pl.Utf8, "effective_from": pl.Utf8,
        "effective_to": pl.Utf8, "deadline": pl.Int64, "unverified": pl.Boolean,
        "note": pl.Utf8, "overridden": pl.Boolean})


def evaluation_tables(ev: Evaluation, include_schools: bool = True) -> dict[str, pl.DataFrame]:
    tables = {
        "counties": counties_table(ev),
        "stages": ev.county_stages,
        "indicators": ev.county_indicators,
        "items": items_table(ev),
    }
    if include_schools:
        tables["schools"] = schools_table(ev)
        tables["excluded"] = ev.excluded
    tables["rules"] = rules_table(ev)
    return tables


def write_evaluation_tables(ev: Evaluation, out: Path, fmt: str,
                            include_schools: bool = True) -> list[Path]:
    """Write every table to the folder ``out`` as ``<table>.parquet`` or ``<table>.csv``."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown table format {fmt}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in evaluation_tables(ev, include_schools).items():
        path = out / f"{name}.{fmt}"
        if fmt == "parquet":
            frame.write_parquet(path)
        else:
            frame.write_csv(path)
        written.append(path)
    return written
