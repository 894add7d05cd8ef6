"""County items next to the resource plan: those money fixes become budget lines with their gap;
those no investment fixes are listed outside the plan with their gap and what would fix them.

Recurring money (pay parity, funding norms) are budget lines in 元 per year; the music and art
rooms of g03 are buildings at named schools, so they are actions of the plan like any other
(counted in its total and phased by year). Both are applied to the "after" data (pay raised to
parity, funding raised to the norm, rooms built), so that the after evaluation shows exactly
what remains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.reasons import Reason
from junheng.planners.investment.costs import Costs
from junheng.planners.investment.results import BudgetLine, OutsideItem
from junheng.planners.investment.rules import ResourceRules
from junheng.standards.engine import Evaluation
from junheng.standards.items import music_art_room_counts

# Items no investment of this planner fixes, and the way to fix them (Chinese first).
OUTSIDE_HINTS: dict[str, str] = {
    "g04_school_size": "需调整招生片区或新建、分设学校（见 junheng zones） / rezone or open a school",
    "g11_teacher_rotation": "按交流轮岗规则安排本年度轮岗名单（见 junheng rotate） / rotation list",
    "g09_training_completion": "组织教师完成培训学时 / complete teacher training hours",
    "g12_teacher_certification": "未持证教师取得教师资格或调整岗位 / certification",
}
_DEFAULT_HINT = "管理、质量或认可度事项，投资不能直接解决 / not fixable by investment"


@dataclass
class CountyItems:
    budget_lines: list[BudgetLine]         # recurring, 元 per year
    after: Dataset
    room_actions: list[dict[str, Any]]     # g03 music and art rooms, rows of the action frame


@dataclass(frozen=True)
class _Facts:
    """The county's facts the money items read (None where not reported)."""

    teacher_avg_pay_yuan: float | None
    civil_servant_avg_pay_yuan: float | None
    special_school_funding_per_student_yuan: float | None
    g06_small_school_funding: bool | None


_FACT_COLUMNS = tuple(_Facts.__dataclass_fields__)


def _facts_row(ds: Dataset, county: str, year: int) -> _Facts | None:
    facts = ds.table("county_facts").filter((pl.col("county_code") == county) & (pl.col("year") == year))
    if facts.height == 0:
        return None
    # A table given without some of these columns reports none of them.
    facts = facts.with_columns([pl.lit(None).alias(c) for c in _FACT_COLUMNS if c not in facts.columns])
    return _Facts(*facts.select(_FACT_COLUMNS).row(0))


def budget_lines(ds: Dataset, county: str, year: int, rules: ResourceRules, costs: Costs,
                 in_scope_schools: pl.DataFrame) -> CountyItems:
    """Money-fixable county items with their yearly cost; ``ds`` is the data after the resource
    plan (its classes decide the music and art rooms needed)."""
    lines: list[BudgetLine] = []
    facts = _facts_row(ds, county, year)
    fact_updates: dict[str, Any] = {}
    sections = ds.table("sections").filter(pl.col("year") == year)
    schools = ds.table("schools").filter(pl.col("county_code") == county)

    if facts is not None:
        # g08: teachers' average pay up to the civil servants' (× the ratio in force).
        tp, cp = facts.teacher_avg_pay_yuan, facts.civil_servant_avg_pay_yuan
        if tp is not None and cp is not None and tp < rules.pay_ratio_min * cp:
            gap = rules.pay_ratio_min * cp - tp
            teachers = int(sections.join(in_scope_schools.select("school_id").unique(), on="school_id", how="semi")
                           .filter(pl.col("stage").is_in(["primary", "junior"]))["teachers"].fill_null(0).sum())
            lines.append(BudgetLine(item="g08_teacher_pay_parity", label_zh="教师平均工资不低于公务员",
                                    gap=round(gap, 2), gap_unit="元/人·年", quantity=teachers,
                                    quantity_unit="名专任教师", cost_yuan=round(gap * teachers, 2),
                                    recurring=True, reason=Reason("pay_parity", {"gap": gap, "teachers": teachers})))
            fact_updates["teacher_avg_pay_yuan"] = rules.pay_ratio_min * cp
        # g07: special-school funding per student up to the norm.
        sf = facts.special_school_funding_per_student_yuan
        if sf is not None and sf < rules.special_school_funding_min_yuan:
            gap = rules.special_school_funding_min_yuan - sf
            special = schools.filter(pl.col("school_type") == "special")["school_id"]
            students = int(sections.filter(pl.col("school_id").is_in(special.implode()))["students"].fill_null(0).sum())
            lines.append(BudgetLine(item="g07_special_school_funding", label_zh="特殊教育学校生均公用经费",
                                    gap=round(gap, 2), gap_unit="元/生·年", quantity=students,
                                    quantity_unit="名特教学校学生", cost_yuan=round(gap * students, 2),
                                    recurring=True, reason=Reason("special_funding", {"gap": gap, "students": students})))
            fact_updates["special_school_funding_per_student_yuan"] = rules.special_school_funding_min_yuan
        # g06: village schools and teaching points under N students funded as N.
        if facts.g06_small_school_funding is False:
            norms = costs.norms
            funded_as = int(norms["small_school_funded_as"])
            per_student = norms["public_funding_per_student_yuan"]
            small = (
                sections.join(schools.filter(pl.col("school_type").is_in(["primary", "teaching_point"])
                                             & (pl.col("locale") == "rural")).select("school_id"),
                              on="school_id", how="semi")
                .filter(pl.col("stage").is_in(list(per_student)))
                .group_by("school_id").agg(students=pl.col("students").sum(), stage=pl.col("stage").first())
                .filter(pl.col("students") < funded_as)
                .with_columns(gap=(funded_as - pl.col("students"))
                              * pl.col("stage").replace_strict(per_student, return_dtype=pl.Float64))
            )
            cost = float(small["gap"].sum())
            lines.append(BudgetLine(
                item="g06_small_school_funding", label_zh="不足100人的村小和教学点按100人拨付公用经费",
                gap=small.height, gap_unit="所学校", quantity=small.height, quantity_unit="所学校",
                cost_yuan=round(cost, 2), recurring=True,
                reason=Reason("small_schools", {"schools": small.height, "funded_as": funded_as})))
            fact_updates["g06_small_school_funding"] = True

    after = ds
    if fact_updates:
        cf = ds.table("county_facts")
        sel = (pl.col("county_code") == county) & (pl.col("year") == year)
        cf = cf.with_columns([pl.when(sel).then(pl.lit(v)).otherwise(pl.col(k)).cast(cf.schema[k]).alias(k)
                              for k, v in fact_updates.items()])
        after = after.with_table("county_facts", cf)

    room_actions, after = _music_art_rooms(after, county, year, rules, costs, in_scope_schools)
    return CountyItems(lines, after, room_actions)


def _music_art_rooms(ds: Dataset, county: str, year: int, rules: ResourceRules, costs: Costs,
                     in_scope_schools: pl.DataFrame) -> tuple[list[dict[str, Any]], Dataset]:
    """g03: ceil(classes / 12) music and art rooms of the minimum size at every school; the
    rooms to build as plan actions (one row per school and room kind)."""
    if "rooms" not in ds.tables:
        return [], ds
    rule = rules.music_art_rooms
    rooms = ds.table("rooms")
    ids = in_scope_schools.select("school_id").unique()
    cls = (ds.table("sections").filter((pl.col("year") == year) & pl.col("stage").is_in(["primary", "junior"]))
           .join(ids, on="school_id", how="semi")
           .group_by("school_id").agg(classes=pl.col("classes").sum()))
    # The rule the evaluation judges g03 by (standards.items), so the plan builds what it asks.
    short = (
        music_art_room_counts(cls, rooms.filter(pl.col("year") == year), rule).fill_null(0)
        .with_columns(add_music=(pl.col("rooms_needed") - pl.col("music_rooms")).clip(lower_bound=0),
                      add_art=(pl.col("rooms_needed") - pl.col("art_rooms")).clip(lower_bound=0))
        .filter((pl.col("add_music") > 0) | (pl.col("add_art") > 0))
    )
    if short.height == 0:
        return [], ds
    per_m2 = float(costs.norms["special_room_yuan_per_m2"])
    new_rows = pl.concat([
        short.select("school_id", n=pl.col("add_music")).with_columns(room_type=pl.lit("music"), area_m2=pl.lit(rule["music_area_m2"])),
        short.select("school_id", n=pl.col("add_art")).with_columns(room_type=pl.lit("art"), area_m2=pl.lit(rule["art_area_m2"])),
    ]).filter(pl.col("n") > 0).with_columns(idx=pl.int_ranges(0, pl.col("n"))).explode("idx").select(
        pl.lit(year).alias("year"), "school_id", "room_type", "area_m2")
    rooms = pl.concat([rooms, new_rows.cast({c: rooms.schema[c] for c in new_rows.columns})], how="diagonal_relaxed").select(rooms.columns)
    stage_of = (ds.table("sections").filter((pl.col("year") == year) & pl.col("stage").is_in(["primary", "junior"]))
                .group_by("school_id").agg(pl.col("stage").unique()))
    single = {r["school_id"]: (r["stage"][0] if len(r["stage"]) == 1 else None) for r in stage_of.to_dicts()}
    actions: list[dict[str, Any]] = []
    for r in short.sort("school_id").to_dicts():
        for kind, col, area_key in (("build_music_rooms", "add_music", "music_area_m2"),
                                    ("build_art_rooms", "add_art", "art_area_m2")):
            n = int(r[col])
            if n > 0:
                actions.append({"school_id": r["school_id"], "stage": single.get(r["school_id"]), "kind": kind,
                                "quantity": float(n), "unit": "间",
                                "cost_yuan": round(n * float(rule[area_key]) * per_m2, 2),
                                "from_school_id": None, "distance_km": None})
    return actions, ds.with_table("rooms", rooms)


def outside_plan(after: Evaluation, county: str, budget_items: set[str]) -> tuple[OutsideItem, ...]:
    """Every county item still failing or not reported after the plan, with its gap (read from
    the engine's typed result)."""
    c = after.find_county(county)
    if c is None:
        return ()
    return tuple(OutsideItem(item=item_id, label_zh=item.label, part=item.part, status=item.status,
                             value=item.value, threshold=item.threshold, comparison=item.comparison,
                             gap=_gap(item.value, item.threshold), how_zh=_hint(item_id, item.status))
                 for item_id, item in c.items.items()
                 if item.status != "passed" and item_id not in budget_items)


def _hint(item_id: str, status: str) -> str:
    if status == "not_reported":
        if item_id == "g05_class_size":
            return ("数据中没有该学年的班级名单（预测年份没有），无法逐班判断；规划已按学段平均班额增加教室 / "
                    "no class list for the year: classrooms were added from stage averages")
        return "数据未填报，无法判断 / not reported in the data"
    return OUTSIDE_HINTS.get(item_id, _DEFAULT_HINT)


def _gap(v: Any, t: Any) -> float | None:
    if isinstance(v, (int, float)) and isinstance(t, (int, float)) and not isinstance(v, bool) \
            and not isinstance(t, bool) and math.isfinite(float(v)):
        return round(float(t) - float(v), 6)
    return None
