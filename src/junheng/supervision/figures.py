"""The figures behind the register's computed care, health and 肃南 indicators (措施13、14、
24–26), one function per ``rule`` named in ``data/measures-2024.yaml``.

Each rule gives, for every county, a share in [0, 1] (or nothing when the county reported no
rows) and the sentence that explains it; what share counts as done, in progress or lagging is
the register's ``target`` / ``progress`` (``status.py``). All figures are computed as frames over
every county at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.fields import registry

# The schools the care and health measures speak of (中小学): every primary and secondary type
# except 教学点 (a teaching point has no clinic or counselling room of its own; its central
# school serves it). A rule may name its own list (``school_types``).
SCHOOL_TYPES = ("primary", "junior", "nine_year", "complete_secondary", "twelve_year", "senior")


@dataclass(frozen=True)
class Figure:
    """One county's figure for one indicator."""

    value: float | None      # the share, 0–1; None = not reported
    text_zh: str             # the figure in words, e.g. "12 所学校中 10 所设卫生室"


def _label(table: str, column: str) -> str:
    return registry().table(table).column(column).label


def _in_scope(ds: Dataset, params: Mapping[str, Any]) -> pl.DataFrame:
    types = list(params.get("school_types") or SCHOOL_TYPES)
    return ds.table("schools").filter(pl.col("school_type").is_in(types)).select(
        "school_id", "county_code")


def school_share(ds: Dataset, year: int, params: Mapping[str, Any],
                 codes: Sequence[str]) -> dict[str, Figure]:
    """Share of the county's schools (× terms, for a table by term) whose row meets the
    condition: ``flag: COLUMN`` is true, or ``at_least: {COLUMN: n}``. A school without a row
    counts as not meeting it; a county without any row is not reported."""
    table = str(params["table"])
    rows = ds.table(table).filter(pl.col("year") == year)
    schools = _in_scope(ds, params)
    if "flag" in params:
        col = str(params["flag"])
        cond = pl.col(col).fill_null(False).cast(pl.Boolean)
        label = _label(table, col)
        what = label.removeprefix("是否") if label.startswith("是否") else f"“{label}”为是"
    else:
        ((col, n),) = dict(params["at_least"]).items()
        cond = pl.col(col).fill_null(0) >= float(n)
        what = f"{_label(table, col)}不少于 {n:g}"
    units = schools
    unit = "所学校"
    if "semester" in rows.columns:
        # The terms judged are those any school reported for the year (the spring term is
        # not judged before anyone reports it).
        terms = rows.select("semester").unique()
        units = schools.join(terms, how="cross")
        unit = "所学校·学期"
    keys = [c for c in ("school_id", "semester") if c in units.columns]
    judged = units.join(rows.select(*keys, ok=cond), on=keys, how="left")
    reported = rows.join(schools, on="school_id", how="inner").group_by("county_code").agg(
        n=pl.len())
    agg = judged.group_by("county_code").agg(
        total=pl.len(), met=pl.col("ok").fill_null(False).sum(),
        missing=pl.col("ok").is_null().sum())
    agg = agg.join(reported, on="county_code", how="left")
    out: dict[str, Figure] = {}
    by = {r["county_code"]: r for r in agg.iter_rows(named=True)}
    for cc in codes:
        r = by.get(cc)
        if r is None or not r["n"]:
            out[cc] = Figure(None, f"未填报{registry().table(table).label}")
            continue
        text = f"{r['met']}/{r['total']} {unit}{what}"
        if r["missing"]:
            text += f"（{r['missing']} {unit}未填报，按未达到计）"
        out[cc] = Figure(r["met"] / r["total"], text)
    return out


def _county_sums(ds: Dataset, year: int, table: str, column: str,
                 stages: Sequence[str] | None = None) -> pl.DataFrame:
    rows = ds.table(table).filter(pl.col("year") == year)
    if stages:
        rows = rows.filter(pl.col("stage").is_in(list(stages)))
    if "county_code" not in rows.columns:
        rows = rows.join(ds.table("schools").select("school_id", "county_code"), on="school_id",
                         how="inner")
    return rows.group_by("county_code").agg(
        total=pl.col(column).sum(), reported=pl.col(column).is_not_null().sum())


def ratio(ds: Dataset, year: int, params: Mapping[str, Any],
          codes: Sequence[str]) -> dict[str, Figure]:
    """Σ numerator ÷ Σ denominator per county. The denominator is a column of the same table
    or ``{table, column, stages}`` of another (pupils screened ÷ pupils on the roll). When
    nothing is needed (denominator 0) the share is 1: no child went without."""
    table = str(params["table"])
    num_col = str(params["numerator"])
    den = params["denominator"]
    den_table, den_col, stages = ((table, str(den), None) if isinstance(den, str) else
                                  (str(den["table"]), str(den["column"]), den.get("stages")))
    num = _county_sums(ds, year, table, num_col)
    if den_table == table:
        dens = _county_sums(ds, year, table, den_col)
    else:
        # Only the schools that reported the numerator's table are counted in the
        # denominator, so a county is judged on what it reported, not on the whole roll.
        own = ds.table(table).filter(pl.col("year") == year).select("school_id").unique()
        base = ds.table(den_table).filter(pl.col("year") == year).join(own, on="school_id",
                                                                     how="semi")
        dens = _county_sums(ds.with_table(den_table, base), year, den_table, den_col, stages)
    joined = num.join(dens, on="county_code", how="full", suffix="_d", coalesce=True)
    by = {r["county_code"]: r for r in joined.iter_rows(named=True)}
    n_label, d_label = _label(table, num_col), _label(den_table, den_col)
    out: dict[str, Figure] = {}
    for cc in codes:
        r = by.get(cc)
        if r is None or not r["reported"] or r["total_d"] is None:
            out[cc] = Figure(None, f"未填报{n_label}")
            continue
        n, d = int(r["total"] or 0), int(r["total_d"] or 0)
        if d == 0:
            out[cc] = Figure(1.0, f"{d_label}为 0")
            continue
        out[cc] = Figure(min(n / d, 1.0), f"{n_label} {n} / {d_label} {d}（{n / d:.0%}）")
    return out


def partner_activities(ds: Dataset, year: int, params: Mapping[str, Any],
                       codes: Sequence[str]) -> dict[str, Figure]:
    """措施14: each county holds with 肃南's schools at least ``min`` activities of a kind each
    term; 肃南 itself is judged by its schools, each of which should receive them every term.
    Terms judged are those anyone reported for the year; no rows at all is not reported."""
    table, partner = str(params["table"]), str(params["partner_county"])
    activity, need = str(params["activity"]), int(params["min"])
    rows = ds.table(table).filter(pl.col("year") == year)
    kind = registry().enums["sunan_activity"][activity]
    if rows.height == 0:
        return {cc: Figure(None, f"未填报{registry().table(table).label}") for cc in codes}
    terms = rows.select("semester").unique()
    done = rows.filter(pl.col("activity") == activity)
    out: dict[str, Figure] = {}
    # Organising counties: (county, term) units.
    units = pl.DataFrame({"county_code": [c for c in codes if c != partner]},
                         schema={"county_code": pl.Utf8}).join(terms, how="cross")
    held = done.group_by("county_code", "semester").agg(n=pl.len())
    per = units.join(held, on=["county_code", "semester"], how="left").with_columns(
        ok=pl.col("n").fill_null(0) >= need).group_by("county_code").agg(
        met=pl.col("ok").sum(), total=pl.len())
    for r in per.iter_rows(named=True):
        out[r["county_code"]] = Figure(
            r["met"] / r["total"],
            f"{r['met']}/{r['total']} 个学期与肃南县学校开展{kind}不少于 {need} 次")
    if partner in codes:
        schools = ds.table("schools").filter(
            (pl.col("county_code") == partner)
            & pl.col("school_type").is_in([*SCHOOL_TYPES, "teaching_point", "kindergarten"]))
        su = schools.select("school_id").join(terms, how="cross")
        got = done.group_by("school_id", "semester").agg(n=pl.len())
        judged = su.join(got, on=["school_id", "semester"], how="left").with_columns(
            ok=pl.col("n").fill_null(0) >= need)
        total, met = judged.height, int(judged["ok"].sum())
        out[partner] = Figure(met / total if total else None,
                              f"{met}/{total} 所学校·学期开展{kind}不少于 {need} 次")
    return out


RULES: dict[str, Callable[[Dataset, int, Mapping[str, Any], Sequence[str]],
                          dict[str, Figure]]] = {
    "school_share": school_share,
    "ratio": ratio,
    "partner_activities": partner_activities,
}
