"""County items: 政府保障程度 g01–g15, 教育质量 q01–q09, 社会认可度, 一票否决 and local targets.

Each item is a list of checks declared in the standard's YAML; a check measures a county fact
(a yes/no flag, a number, a ratio of two numbers) or a figure computed from the school data
(music and art rooms, school size, class size). An item passes only when every check passes;
a check whose data is missing is ``not_reported`` and never counts as passed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.standards.loader import Check, Item, Standard
from junheng.standards.rules import ResolvedRules
from junheng.standards.school_table import by_key, compare

MAX_LISTED = 50  # offending schools / classes listed in a trace; the counts are always complete

_FINANCE_FALLBACK = ("teacher_avg_pay_yuan", "civil_servant_avg_pay_yuan")


def county_facts(ds: Dataset, county_codes: Sequence[str]) -> pl.DataFrame:
    """The year's county_facts for every county (missing rows give nulls). Teachers' and civil
    servants' pay may come from the finance table when county_facts leaves them empty."""
    base = pl.DataFrame({"county_code": list(county_codes)}, schema={"county_code": pl.Utf8})
    facts = ds.get("county_facts").drop("year").unique(subset=["county_code"], keep="first")
    out = base.join(facts, on="county_code", how="left")
    fin = ds.get("finance")
    if fin.height and "year" in fin.columns:
        latest = fin.filter(pl.col("year") == pl.col("year").max()).select(
            "county_code", *[pl.col(c).alias(f"__fin_{c}") for c in _FINANCE_FALLBACK]
        ).unique(subset=["county_code"], keep="first")
        out = out.join(latest, on="county_code", how="left").with_columns(
            [pl.coalesce(pl.col(c), pl.col(f"__fin_{c}")).alias(c) for c in _FINANCE_FALLBACK]
        ).drop([f"__fin_{c}" for c in _FINANCE_FALLBACK])
    return out


def _status(passed: pl.Expr, value_null: pl.Expr) -> pl.Expr:
    return (
        pl.when(value_null).then(pl.lit("not_reported"))
        .when(passed).then(pl.lit("passed"))
        .otherwise(pl.lit("failed"))
    )


def _json_num(v: Any) -> Any:
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return round(v, 6)
    return v


def fact_check(facts: pl.DataFrame, check: Check, rules: ResolvedRules) -> dict[str, dict[str, Any]]:
    """Per county: value, status and inputs of a flag / column / ratio check."""
    m = check.measure
    thr = rules.value(check.rule.id)
    comparison = check.rule.comparison or "eq"
    if "flag" in m:
        cols = [m["flag"]]
    elif "column" in m:
        cols = [m["column"]]
    else:
        cols = list(m["ratio"])
    absent = [c for c in cols if c not in facts.columns]
    if absent:
        return {
            cc: {"value": None, "status": "not_reported", "inputs": {c: None for c in cols},
                 "missing": absent}
            for cc in facts["county_code"].to_list()
        }
    if "flag" in m:
        value = pl.col(cols[0])
        passed = value == pl.lit(bool(thr))
    elif "column" in m:
        value = pl.col(cols[0]).cast(pl.Float64)
        passed = compare(value, pl.lit(float(thr)), comparison)
    else:
        a, b = (pl.col(c).cast(pl.Float64) for c in cols)
        value = pl.when(b > 0).then(a / b).otherwise(None)
        passed = compare(value, pl.lit(float(thr)), comparison)
    frame = facts.select(
        "county_code", *cols, value=value, passed=passed.fill_null(False)
    ).with_columns(status=_status(pl.col("passed"), pl.col("value").is_null()))
    out: dict[str, dict[str, Any]] = {}
    for row in frame.iter_rows(named=True):
        out[row["county_code"]] = {
            "value": _json_num(row["value"]),
            "status": row["status"],
            "inputs": {c: _json_num(row[c]) for c in cols},
        }
    return out


# ---------------------------------------------------------------- computed from school data


def school_size(
    sections: pl.DataFrame, caps: Mapping[str, float], count_stages: Mapping[str, Sequence[str]] | None,
    comparison: str,
) -> dict[str, dict[str, Any]]:
    """Schools over the size cap of their type. ``sections``: in-scope sections of the year.
    By default the compulsory students of the whole school count (standards.md §4)."""
    default = ("primary", "junior")
    pairs = []
    types = sections["school_type"].unique().to_list()
    for t in types:
        for s in (count_stages or {}).get(t, default):
            pairs.append((t, s))
    counted = pl.DataFrame(pairs, schema={"school_type": pl.Utf8, "stage": pl.Utf8}, orient="row")
    per_school = (
        sections.join(counted, on=["school_type", "stage"], how="semi")
        .group_by("county_code", "school_id", "school_name", "school_type")
        .agg(students=pl.col("students").sum(), any_null=pl.col("students").is_null().any())
        .with_columns(cap=by_key("school_type", caps))
        .filter(pl.col("cap").is_not_null())
        .with_columns(ok=compare(pl.col("students").cast(pl.Float64), pl.col("cap"), comparison))
    )
    agg = per_school.group_by("county_code").agg(
        schools_checked=pl.len(),
        schools_over=(~pl.col("ok")).sum(),
        max_students=pl.col("students").max(),
        missing=pl.col("any_null").sum(),
    )
    offenders = (
        per_school.filter(~pl.col("ok"))
        .with_columns(excess=pl.col("students") - pl.col("cap"))
        .sort("excess", descending=True)
        .group_by("county_code", maintain_order=True)
        .head(MAX_LISTED)
    )
    listed: dict[str, list[dict[str, Any]]] = {}
    for row in offenders.iter_rows(named=True):
        listed.setdefault(row["county_code"], []).append(
            {"school_id": row["school_id"], "school_name": row["school_name"],
             "school_type": row["school_type"], "students": row["students"],
             "cap": _json_num(row["cap"]), "excess": _json_num(row["excess"])}
        )
    out: dict[str, dict[str, Any]] = {}
    for row in agg.iter_rows(named=True):
        cc = row["county_code"]
        status = "failed" if row["schools_over"] else ("not_reported" if row["missing"] else "passed")
        out[cc] = {
            "value": int(row["schools_over"]),
            "status": status,
            "inputs": {"schools_checked": row["schools_checked"],
                       "schools_over": row["schools_over"],
                       "max_students": row["max_students"],
                       "over": listed.get(cc, [])},
        }
    return out


def class_size(
    ds: Dataset, sections: pl.DataFrame, caps: Mapping[str, float], comparison: str,
) -> dict[str, dict[str, Any]] | None:
    """Classes over the cap of their stage; ``None`` when no class list was provided for the
    year (then the item is not reported). A school-stage with students but no class rows is
    missing data for its county."""
    classes = ds.get("classes")
    if "classes" not in ds.tables or classes.height == 0:
        return None
    stages = list(caps)
    parts = sections.filter(pl.col("stage").is_in(stages))
    cls = classes.select("school_id", "stage", "class_name", "grade", "students").join(
        parts.select("school_id", "stage", "county_code", "school_name").unique(),
        on=["school_id", "stage"], how="inner",
    ).with_columns(cap=by_key("stage", caps))
    cls = cls.with_columns(ok=compare(pl.col("students").cast(pl.Float64), pl.col("cap"), comparison))
    missing = (
        parts.filter(pl.col("students").fill_null(1) > 0)
        .join(classes.select("school_id", "stage").unique(), on=["school_id", "stage"], how="anti")
        .group_by("county_code").agg(schools_missing=pl.len())
    )
    agg = cls.group_by("county_code").agg(
        classes_checked=pl.len(),
        classes_over=(~pl.col("ok")).sum(),
        max_class_size=pl.col("students").max(),
    )
    base = parts.select("county_code").unique()
    agg = base.join(agg, on="county_code", how="left").join(missing, on="county_code", how="left")
    offenders = (
        cls.filter(~pl.col("ok")).sort("students", descending=True)
        .group_by("county_code", maintain_order=True).head(MAX_LISTED)
    )
    listed: dict[str, list[dict[str, Any]]] = {}
    for row in offenders.iter_rows(named=True):
        listed.setdefault(row["county_code"], []).append(
            {"school_id": row["school_id"], "school_name": row["school_name"], "stage": row["stage"],
             "grade": row["grade"], "class_name": row["class_name"], "students": row["students"],
             "cap": _json_num(row["cap"])}
        )
    out: dict[str, dict[str, Any]] = {}
    for row in agg.iter_rows(named=True):
        cc = row["county_code"]
        over = int(row["classes_over"] or 0)
        miss = int(row["schools_missing"] or 0)
        status = "failed" if over else ("not_reported" if miss or not row["classes_checked"] else "passed")
        out[cc] = {
            "value": over,
            "status": status,
            "inputs": {"classes_checked": int(row["classes_checked"] or 0), "classes_over": over,
                       "max_class_size": row["max_class_size"],
                       "school_stages_without_class_list": miss, "over": listed.get(cc, [])},
        }
    return out


def music_art_rooms(
    ds: Dataset, schools: pl.DataFrame, sections: pl.DataFrame, rule: Mapping[str, Any],
) -> dict[str, dict[str, Any]] | None:
    """Schools lacking music or art rooms of the required size: ceil(classes / 12) rooms of
    each, music ≥ 96 m², art ≥ 90 m². ``schools``: county_code, school_id of the schools judged.
    ``None`` when no room list was provided for the year."""
    rooms = ds.get("rooms")
    if "rooms" not in ds.tables or rooms.height == 0:
        return None
    per_room = float(rule["classes_per_room"])
    cls = (
        sections.filter(pl.col("stage").is_in(["primary", "junior"]))
        .group_by("school_id")
        .agg(classes=pl.col("classes").sum(), any_null=pl.col("classes").is_null().any())
    )
    ok_rooms = rooms.group_by("school_id").agg(
        music_rooms=((pl.col("room_type") == "music")
                     & (pl.col("area_m2") >= float(rule["music_area_m2"]))).sum().cast(pl.Int64),
        art_rooms=((pl.col("room_type") == "art")
                   & (pl.col("area_m2") >= float(rule["art_area_m2"]))).sum().cast(pl.Int64),
    )
    per = (
        schools.select("county_code", "school_id", "school_name").unique()
        .join(cls, on="school_id", how="left")
        .join(ok_rooms, on="school_id", how="left")
        .with_columns(pl.col("music_rooms").fill_null(0), pl.col("art_rooms").fill_null(0),
                      needed=(pl.col("classes").cast(pl.Float64) / per_room).ceil().cast(pl.Int64))
        .with_columns(
            missing=pl.col("any_null").fill_null(True),
            ok=(pl.col("music_rooms") >= pl.col("needed")) & (pl.col("art_rooms") >= pl.col("needed")),
        )
    )
    agg = per.group_by("county_code").agg(
        schools_checked=pl.len(),
        schools_failing=(~pl.col("missing") & ~pl.col("ok").fill_null(True)).sum(),
        missing=pl.col("missing").sum(),
    )
    offenders = per.filter(~pl.col("missing") & ~pl.col("ok")).group_by(
        "county_code", maintain_order=True).head(MAX_LISTED)
    listed: dict[str, list[dict[str, Any]]] = {}
    for row in offenders.iter_rows(named=True):
        short = []
        if row["music_rooms"] < row["needed"]:
            short.append(f"+{row['needed'] - row['music_rooms']} 间音乐专用教室(≥{_json_num(float(rule['music_area_m2']))} m²)")
        if row["art_rooms"] < row["needed"]:
            short.append(f"+{row['needed'] - row['art_rooms']} 间美术专用教室(≥{_json_num(float(rule['art_area_m2']))} m²)")
        listed.setdefault(row["county_code"], []).append(
            {"school_id": row["school_id"], "school_name": row["school_name"],
             "classes": row["classes"], "rooms_needed": row["needed"],
             "music_rooms": row["music_rooms"], "art_rooms": row["art_rooms"],
             "text_zh": "; ".join(short)}
        )
    out: dict[str, dict[str, Any]] = {}
    for row in agg.iter_rows(named=True):
        cc = row["county_code"]
        failing = int(row["schools_failing"])
        status = "failed" if failing else ("not_reported" if row["missing"] else "passed")
        out[cc] = {
            "value": failing,
            "status": status,
            "inputs": {"schools_checked": row["schools_checked"], "schools_failing": failing,
                       "schools_without_class_count": int(row["missing"]),
                       "failing": listed.get(cc, [])},
        }
    return out


# ---------------------------------------------------------------- items


def combine(item: Item, checks: list[dict[str, Any]], rules: ResolvedRules) -> dict[str, Any]:
    """An item from its checks: failed if any check failed, else not reported if any check is
    not reported, else passed."""
    statuses = [c["status"] for c in checks]
    status = "failed" if "failed" in statuses else ("not_reported" if "not_reported" in statuses else "passed")
    single = len(checks) == 1
    return {
        "part": item.part,
        "label": item.label,
        "label_en": item.label_en,
        "passed": status == "passed",
        "status": status,
        "veto": item.veto,
        "value": checks[0]["value"] if single else {c["id"]: c["value"] for c in checks},
        "threshold": checks[0]["threshold"] if single else {c["id"]: c["threshold"] for c in checks},
        "comparison": checks[0]["comparison"] if single else {c["id"]: c["comparison"] for c in checks},
        "checks": checks,
    }


def evaluate_items(
    standard: Standard,
    rules: ResolvedRules,
    ds: Dataset,
    county_codes: Sequence[str],
    sections: pl.DataFrame,
    judged_schools: pl.DataFrame,
    computed: Mapping[str, Mapping[str, dict[str, Any]]] | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """county_code → item id → result (passed, status, value, threshold, checks with traces).
    ``sections``: in-scope sections of the year; ``judged_schools``: the school-stage rows the
    resource indicators were computed on; ``computed``: precomputed results by measure name."""
    facts = county_facts(ds, county_codes)
    out: dict[str, dict[str, dict[str, Any]]] = {cc: {} for cc in county_codes}
    for item in standard.items:
        per_check: dict[str, list[dict[str, Any]]] = {cc: [] for cc in county_codes}
        for check in item.checks:
            trace = rules.trace(check.rule.id)
            thr = rules.value(check.rule.id)
            comparison = check.rule.comparison
            m = check.measure
            results: Mapping[str, dict[str, Any]] | None
            reason_absent = None
            if "computed" in m:
                name = m["computed"]
                if computed and name in computed:
                    results = computed[name]
                elif name == "school_size":
                    results = school_size(sections, thr, m.get("count_stages"), comparison or "le")
                elif name == "class_size":
                    results = class_size(ds, sections, thr, comparison or "le")
                    reason_absent = "未提供班级表 (classes) / no class list"
                elif name == "music_art_rooms":
                    results = music_art_rooms(ds, judged_schools, sections, thr)
                    reason_absent = "未提供专用教室表 (rooms) / no room list"
                else:
                    raise ValueError(f"unknown computed measure {name}")
            else:
                results = fact_check(facts, check, rules)
            for cc in county_codes:
                r = (results or {}).get(cc)
                if r is None:
                    r = {"value": None, "status": "not_reported",
                         "inputs": {"reason": reason_absent or "无数据 / no data"}}
                per_check[cc].append({
                    "id": check.id,
                    "value": r["value"],
                    "threshold": thr,
                    "comparison": comparison,
                    "status": r["status"],
                    "trace": {**trace, "measure": dict(m), "inputs": r["inputs"]},
                })
        for cc in county_codes:
            out[cc][item.id] = combine(item, per_check[cc], rules)
    return out
