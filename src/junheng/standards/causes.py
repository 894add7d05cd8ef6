"""Causes, not just verdicts: why a part of a county fails, and which schools drive a CV.

An official who reads "资源配置 未达标" cannot act on it; one who reads that six school stages
miss the 6-of-7 rule although every CV passes, or that three tiny township schools make the
sports-ground CV, can. Both are read from an :class:`~junheng.standards.engine.Evaluation`
(its typed verdicts and its school frame); nothing here changes a verdict.

The contribution of school i to the student-weighted CV (standards.md §3) is its share of the
weighted variance: c_i = (P_i/P)(X_i − X̄)² / Σ_j (P_j/P)(X_j − X̄)², so the shares sum to 1 and
CV² = Σ_j (P_j/P)(X_j − X̄)² / X̄² splits exactly into them.

What would fix a CV (``cv_fix``): raise every school below a common floor L (per pupil, in the
indicator's unit) to L, with the least L that brings the CV under its limit. Raising the lowest
schools is what the policy asks (补齐短板) and is the cheapest way to lower the CV: the
floored values max(X_i, L) are a 1-Lipschitz map of X_i, so their spread S never grows while
the mean X̄ grows, and the CV falls monotonically in L, so L is found by bisection. Amounts are
rounded up to whole units (teachers, rooms, m², yuan) and the CV is recomputed from the rounded
amounts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from junheng.standards.engine import Evaluation
from junheng.standards.labels import UNIT_WORDS_EN, label
from junheng.standards.results import FAILED, NOT_REPORTED, PASSED, CountyResult
from junheng.standards.school_table import STOCK_COLUMNS

DRIVER_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.Utf8(), "school_name": pl.Utf8(), "students": pl.Int64(),
    "value": pl.Float64(), "county_value": pl.Float64(), "contribution": pl.Float64(),
    "direction": pl.Utf8(),
}


def cv_drivers(ev: Evaluation, county: str, stage: str, indicator: str,
               top: int | None = 5) -> pl.DataFrame:
    """The schools of ``county``/``stage`` ranked by their contribution to the CV of
    ``indicator``: ``school_id``, ``school_name``, ``students`` (P_i), ``value`` (the school's
    indicator, in the indicator's unit), ``county_value`` (X̄ in the same unit),
    ``contribution`` (share of the weighted variance, 0–1) and ``direction`` (``above`` /
    ``below`` / ``equal`` the county value). The ``top`` largest (all with ``top=None``).

    Schools with the resource unreported are left out, as they are of the CV itself."""
    ind = ev.standard.indicator(indicator)
    if ev.schools.width == 0 or ind.numerator not in ev.schools.columns:
        return pl.DataFrame(schema=DRIVER_SCHEMA)
    y = pl.col(ind.numerator)
    p = pl.col("students").cast(pl.Float64)
    xbar = y.sum() / p.sum()
    wdev = (p / p.sum()) * (y / p - xbar).pow(2)
    total = wdev.sum()
    out = (
        ev.schools.lazy()
        .filter((pl.col("county_code") == county) & (pl.col("stage") == stage)
                & y.is_not_null() & (p > 0))
        .select(
            pl.col("school_id"), pl.col("school_name"),
            pl.col("students").cast(pl.Int64),
            pl.col(ind.id).cast(pl.Float64).alias("value"),
            (xbar * ind.scale).alias("county_value"),
            pl.when(total > 0).then(wdev / total).otherwise(None).alias("contribution"),
            pl.when(y / p > xbar).then(pl.lit("above")).when(y / p < xbar).then(pl.lit("below"))
            .otherwise(pl.lit("equal")).alias("direction"),
        )
        .sort(["contribution", "school_id"], descending=[True, False], nulls_last=True)
        .collect()
    )
    return out if top is None else out.head(top)


@dataclass(frozen=True, slots=True)
class PartCause:
    """One sentence saying why one part of the standard is not met, in both languages."""

    part: str
    status: str
    text_zh: str
    text_en: str


def _join(xs: list[str], sep: str) -> str:
    return sep.join(x for x in xs if x)


def part_causes(ev: Evaluation, county: str) -> list[PartCause]:
    """One cause per part of ``county`` that is not passed, in the parts' order."""
    c = ev.find_county(county)
    if c is None:
        return []
    out: list[PartCause] = []
    for part_id, part in c.parts.items():
        if part.status == PASSED:
            continue
        if part_id in ("resources", "balance"):
            zh, en = _resource_cause(ev, c, part_id)
        else:
            zh, en = _items_cause(c, part_id)
        if zh:
            out.append(PartCause(part_id, part.status, zh, en))
    return out


def _resource_cause(ev: Evaluation, c: CountyResult, part_id: str) -> tuple[str, str]:
    rules = ev.rules
    has_rule = "school_rule_min_met" in ev.standard.params
    zh_parts: list[str] = []
    en_parts: list[str] = []
    for stage_id, st in c.stages.items():
        if not st.evaluated or st.status == PASSED:
            continue
        s_zh = label("stage", stage_id) or stage_id
        s_en = label("stage", stage_id, "en") or stage_id
        if st.schools_evaluated == 0:
            zh_parts.append(f"{s_zh}没有参评学校")
            en_parts.append(f"{s_en}: no school evaluated")
            continue
        failed_cv = [i for i in st.indicators.values() if i.status == FAILED]
        missing_cv = [i for i in st.indicators.values() if i.status == NOT_REPORTED]
        cv_zh = "、".join(i.label for i in failed_cv)
        cv_en = ", ".join(ev.standard.indicator(i.id).label_en or i.label for i in failed_cv)
        zh: list[str] = []
        en: list[str] = []
        if has_rule and st.schools_passed is not None:
            nr = st.schools_not_reported or 0
            failed = st.schools_evaluated - st.schools_passed - nr
            min_met = rules.value("school_rule_min_met")
            floor = rules.value("school_rule_floor")
            n_ind = len(st.indicators)
            rule_zh = f"“至少{min_met}项达标、其余不低于{floor:.0%}”"
            if failed > 0:
                zh.append(f"{failed} 个学校学段（共 {st.schools_evaluated} 个）未达到{rule_zh}的要求")
                en.append(f"{failed} of {st.schools_evaluated} school stages miss the rule "
                          f"(at least {min_met} of {n_ind} indicators met, the rest ≥ {floor:.0%})")
            if nr:
                zh.append(f"{nr} 个学校学段资源配置数据不全")
                en.append(f"{nr} school stages have incomplete resource data")
            if failed_cv:
                zh.append(f"{len(failed_cv)} 项差异系数超过上限（{cv_zh}）")
                en.append(f"{len(failed_cv)} CVs exceed the limit ({cv_en})")
            elif failed > 0 and not missing_cv:
                # The failed-schools clause is the first one written above.
                zh[0] += "，尽管各项差异系数均达标"
                en[0] += ", although every CV is within its limit"
        else:
            if st.composite_cv is not None and st.composite_cv_limit is not None \
                    and st.composite_cv_passed is False:
                zh.append(f"综合差异系数 {st.composite_cv:.3f} 超过上限 {st.composite_cv_limit}")
                en.append(f"composite CV {st.composite_cv:.3f} exceeds the limit "
                          f"{st.composite_cv_limit}")
            if failed_cv:
                zh.append(f"{len(failed_cv)} 项差异系数超过上限（{cv_zh}）")
                en.append(f"{len(failed_cv)} CVs exceed the limit ({cv_en})")
        if missing_cv:
            zh.append(f"{len(missing_cv)} 项差异系数因数据不全无法计算")
            en.append(f"{len(missing_cv)} CVs cannot be computed (data incomplete)")
        if zh:
            zh_parts.append(s_zh + "：" + _join(zh, "；"))
            en_parts.append(s_en + ": " + _join(en, "; "))
    return _join(zh_parts, "。") + ("。" if zh_parts else ""), \
        _join(en_parts, ". ") + ("." if en_parts else "")


def _items_cause(c: CountyResult, part_id: str) -> tuple[str, str]:
    items = [i for i in c.items.values() if i.part == part_id or part_id == "targets"]
    failed = [i for i in items if i.status == FAILED]
    missing = [i for i in items if i.status == NOT_REPORTED]
    zh: list[str] = []
    en: list[str] = []
    if failed:
        # Quoted: item labels hold commas and 、 of their own.
        names = "、".join("“" + i.label + "”" for i in failed)
        zh.append(f"{len(items)} 项中 {len(failed)} 项未达标（{names}）")
        en.append(f"{len(failed)} of {len(items)} items not met "
                  f"({', '.join(i.label_en or i.label for i in failed)})")
        vetoed = [i for i in failed if i.veto]
        if vetoed:
            zh.append("其中一票否决项：" + "、".join(i.label for i in vetoed))
            en.append("veto items among them: " + ", ".join(i.label_en or i.label for i in vetoed))
    if missing:
        zh.append(f"{len(missing)} 项数据未报告（{'、'.join(i.label for i in missing)}）")
        en.append(f"{len(missing)} items not reported "
                  f"({', '.join(i.label_en or i.label for i in missing)})")
    return (_join(zh, "；") + "。" if zh else ""), (_join(en, "; ") + "." if en else "")


FIX_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.Utf8(), "school_name": pl.Utf8(), "students": pl.Int64(),
    "value": pl.Float64(), "add": pl.Float64(), "new_value": pl.Float64(),
}


@dataclass(frozen=True, slots=True)
class CvFix:
    """The least common floor that brings one failing CV under its limit, and what each school
    below it needs. ``floor`` is per pupil in the indicator's unit (per 100 pupils where the
    indicator says so); ``schools`` holds ``school_id``, ``school_name``, ``students``,
    ``value`` (now), ``add`` (resource the school adds, in ``resource_unit``; for a building a
    nine-year school shares, the whole school's addition) and ``new_value`` (this stage's value
    after it), the largest amount first; ``total`` is their sum."""

    stage: str
    indicator: str
    label: str
    label_en: str
    unit: str
    resource_label: str
    resource_unit: str
    floor: float
    cv_before: float
    cv_after: float
    cv_limit: float
    total: float
    schools: pl.DataFrame
    scale: float = 1.0

    def text_zh(self, top: int = 5) -> str:
        rows = list(self.schools.head(top).iter_rows(named=True))
        each = "、".join(
            f"{r['school_name']}增加 {_n(r['add'])} {self.resource_unit}"
            f"（{'每百名学生' if self.scale == 100 else '生均'} {_v(r['value'])} → "
            f"{_v(r['new_value'])} {self.unit}）" for r in rows)
        more = f"等 {self.schools.height} 所" if self.schools.height > top else ""
        return (f"补足 {self.schools.height} 所学校的{self.resource_label}，差异系数即由 "
                f"{self.cv_before:.3f} 降到 {self.cv_after:.3f}（上限 {self.cv_limit:.2f}）："
                f"{each}{more}；合计 {_n(self.total)} {self.resource_unit}。")

    def text_en(self, top: int = 5) -> str:
        unit = (f"{UNIT_WORDS_EN.get(self.unit, self.unit)} per 100 students" if self.scale == 100
                else f"{UNIT_WORDS_EN.get(self.unit, self.unit)} per student")
        rows = list(self.schools.head(top).iter_rows(named=True))
        each = "; ".join(
            f"{r['school_name']} +{_n(r['add'])} {_unit_en(self.resource_unit, r['add'])} "
            f"({_v(r['value'])} → {_v(r['new_value'])} {unit})" for r in rows)
        more = f"; and {self.schools.height - top} more" if self.schools.height > top else ""
        return (f"Adding to {self.schools.height} schools brings the CV from "
                f"{self.cv_before:.3f} to {self.cv_after:.3f} (limit {self.cv_limit:.2f}): "
                f"{each}{more}; {_n(self.total)} {_unit_en(self.resource_unit, self.total)} "
                "in all.")


def _unit_en(unit: str, amount: float) -> str:
    word = UNIT_WORDS_EN.get(unit, unit)
    return word[:-1] if amount == 1 and word in ("teachers", "rooms", "units", "books") else word


def _v(x: float) -> str:
    """A per-pupil value: whole numbers from 100 up (yuan), two decimals below."""
    return _n(x) if abs(x) >= 100 else _n(x, 2)


def _n(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}" if digits else f"{x:,.0f}"


def _weighted_cv(y: np.ndarray, p: np.ndarray) -> float:
    """The CV of standards.md §3 over resources ``y`` and pupils ``p`` (population form)."""
    total_p = float(p.sum())
    xbar = float(y.sum()) / total_p
    if xbar <= 0:
        return math.inf
    var = float(((p / total_p) * (y / p - xbar) ** 2).sum())
    return math.sqrt(var) / xbar


def cv_fix(ev: Evaluation, county: str, stage: str, indicator: str) -> CvFix | None:
    """What would bring the CV of ``indicator`` in ``county``/``stage`` under its limit (see the
    module's note); ``None`` when that CV is not failing or cannot be computed."""
    c = ev.find_county(county)
    block = c.stages.get(stage) if c is not None else None
    result = block.indicators.get(indicator) if block is not None else None
    if result is None or result.cv_passed is not False or result.cv is None \
            or result.cv_limit is None:
        return None
    ind = ev.standard.indicator(indicator)
    rows = ev.schools.filter(
        (pl.col("county_code") == county) & (pl.col("stage") == stage)
        & pl.col(ind.numerator).is_not_null() & (pl.col("students") > 0))
    if rows.height == 0:
        return None
    y = rows[ind.numerator].cast(pl.Float64).to_numpy()
    p = rows["students"].cast(pl.Float64).to_numpy()
    # A building or equipment a nine-year school shares is split between its stages
    # (``stock_share``): this stage gets that share of whatever the school adds, so the school
    # adds the stage's need divided by it. Teachers belong to one stage.
    share = (rows["stock_share"].cast(pl.Float64).fill_null(1.0).to_numpy()
             if ind.numerator in STOCK_COLUMNS and "stock_share" in rows.columns
             else np.ones_like(p))
    share = np.where(share > 0, share, 1.0)
    limit = float(result.cv_limit)

    def added(floor: float) -> np.ndarray:
        """What each school adds so that this stage reaches ``floor``."""
        need: np.ndarray = np.clip(floor * p / ind.scale - y, 0.0, None) / share
        # Whole units: a tolerance keeps 3.0000000001 from becoming 4.
        return np.ceil(need - 1e-9) if ind.integer else need

    lo, hi = float((y / p).min()) * ind.scale, float((y / p).max()) * ind.scale
    if _weighted_cv(y + added(hi) * share, p) > limit:
        return None
    # Bisection on the floor: the CV falls monotonically as the floor rises (module note).
    for _ in range(60):
        mid = (lo + hi) / 2
        if _weighted_cv(y + added(mid) * share, p) <= limit:
            hi = mid
        else:
            lo = mid
    add = added(hi)
    y_after = y + add * share
    schools = (rows.select(
        pl.col("school_id"), pl.col("school_name"), pl.col("students").cast(pl.Int64),
        pl.col(ind.id).cast(pl.Float64).alias("value"))
        .with_columns(add=pl.Series(add, dtype=pl.Float64))
        .with_columns(new_value=(pl.Series(y_after) * ind.scale / pl.col("students")))
        .filter(pl.col("add") > 0)
        .sort(["add", "school_id"], descending=[True, False]))
    return CvFix(
        stage=stage, indicator=indicator, label=ind.label, label_en=ind.label_en or ind.label,
        unit=ind.unit, resource_label=ind.resource_label, resource_unit=ind.resource_unit,
        floor=hi, cv_before=float(result.cv), cv_after=_weighted_cv(y_after, p),
        cv_limit=limit, total=float(add.sum()), schools=schools, scale=float(ind.scale))


__all__ = ["DRIVER_SCHEMA", "FIX_SCHEMA", "CvFix", "PartCause", "cv_drivers", "cv_fix",
           "part_causes"]
