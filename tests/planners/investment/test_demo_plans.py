"""Plans for the demo counties, each judged afresh by the standards engine on the changed data."""

from __future__ import annotations

import polars as pl
import pytest

from junheng.demo import generate
from junheng.domain.dataset import Dataset
from junheng.planners.investment import plan_county
from junheng.planners.investment.costs import load_costs
from junheng.planners.investment.inputs import indicator_values, school_stage_parts
from junheng.planners.investment.rules import load_rules

YEAR = 2024


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return generate(seed=0, years=range(2022, 2025))


def test_minle_money_fixes_everything(demo: Dataset) -> None:
    plan = plan_county(demo, "620722", YEAR, time_limit=30)
    assert plan.status == "optimal"
    assert plan.check.resources_passed and plan.check.county_passed
    assert {b.item for b in plan.budget_lines} == {"g08_teacher_pay_parity"}
    assert plan.outside_plan == ()
    assert set(plan.actions["kind"]) == {"buy_equipment_yuan"}
    assert plan.total_cost_yuan == pytest.approx(plan.actions["cost_yuan"].sum())


def test_ganzhou_passes_after_new_campuses_classrooms_and_buildings(demo: Dataset) -> None:
    plan = plan_county(demo, "620702", YEAR, time_limit=30)
    assert plan.check.resources_passed
    assert plan.check.g05_class_size == "passed"
    assert {"add_classrooms", "new_campus"} <= set(plan.actions["kind"])
    # g04 was failing and no longer is: new campuses took the students above the caps, so
    # nothing is left outside the plan and the county passes on the engine's re-evaluation.
    before = plan.before.county_result("620702").items["g04_school_size"]
    assert before.status == "failed"
    assert plan.after.county_result("620702").items["g04_school_size"].status == "passed"
    assert plan.check.g04_school_size == "passed" and plan.check.schools_over_size_cap == ()
    assert plan.outside_plan == ()
    assert plan.after.county_result("620702").passed is True and plan.check.county_passed is True
    # Independently of the engine: every school of the changed data is within its cap, and the
    # students moved are exactly those above the caps before.
    rules = load_rules(YEAR)
    after = plan.after_dataset
    sizes = (after.table("sections").filter((pl.col("year") == YEAR) & pl.col("stage").is_in(["primary", "junior"]))
             .join(after.table("schools").filter(pl.col("county_code") == "620702"), on="school_id")
             .group_by("school_id", "school_type").agg(pl.col("students").sum())
             .with_columns(cap=pl.col("school_type").replace_strict(rules.school_size_max, default=None)))
    assert sizes.filter(pl.col("students") > pl.col("cap")).height == 0
    over = before.checks[0].trace.inputs["over"]
    campus = plan.actions.filter(pl.col("kind") == "new_campus")
    assert campus["quantity"].sum() == sum(o["excess"] for o in over)
    new_ids = set(campus["school_id"])
    assert {s.school_id for s in plan.after.school_results()} >= new_ids
    assert all(s.passed for s in plan.after.school_results() if s.school_id in new_ids)
    assert len(plan.new_campuses) == campus.height and plan.explanation_zh
    assert plan.total_cost_yuan == pytest.approx(plan.actions["cost_yuan"].sum())


def test_shandan_nothing_to_buy_retention_outside(demo: Dataset) -> None:
    plan = plan_county(demo, "620725", YEAR, time_limit=30)
    assert plan.total_cost_yuan == 0
    assert [o.item for o in plan.outside_plan] == ["q01_junior_retention"]
    assert plan.outside_plan[0].gap is not None and plan.outside_plan[0].gap > 0


def test_sunan_cvs_out_of_reach_are_explained_exactly(demo: Dataset) -> None:
    plan = plan_county(demo, "620721", YEAR, time_limit=30)
    assert plan.status == "partial"
    unreachable = {(u.stage, u.indicator) for u in plan.unattainable if u.kind == "cv"}
    failing = {(f.stage, f.indicator) for f in plan.check.failing_cvs}
    assert unreachable and unreachable == failing
    for u in plan.unattainable:
        after_cv = next(f.cv for f in plan.check.failing_cvs if f.indicator == u.indicator)
        # What the limits allow at best is a true lower bound of what the plan reached.
        assert u.best_reachable <= after_cv + 1e-6
        assert u.best_reachable > u.required
    assert not plan.check.failing_schools
    # And what it would take: lifting the binding limits, every requirement is met, and the
    # actions beyond the limits are named.
    what_if = plan.what_if_no_limits
    assert what_if is not None and what_if.unattainable_left == 0
    assert what_if.extra_cost_yuan > 0
    assert what_if.over_limit and all(o.quantity > o.limit for o in what_if.over_limit)


def test_tight_land_limit_at_an_urban_school(demo: Dataset) -> None:
    rules = load_rules(YEAR)
    parts = indicator_values(school_stage_parts(demo, YEAR, "620702"))
    thr = parts["stage"].replace_strict(rules.thresholds["sports_area_per_student"])
    short = parts.filter((pl.col("locale") == "urban")
                         & (pl.col("sports_area_per_student") < rules.floor_share * thr)
                         & ~pl.col("school_type").is_in(["nine_year", "twelve_year", "complete_secondary"])
                         # An oversized school gives students to a new campus, and its area per
                         # student rises: the land limit must bite at a school that keeps its size.
                         & (pl.col("students") <= pl.col("school_type").replace_strict(rules.school_size_max)))
    assert short.height > 0
    sid = short["school_id"][0]
    costs = load_costs().with_school_limit(sid, sports_area_max_m2=0)
    plan = plan_county(demo, "620702", YEAR, costs=costs, time_limit=30)
    assert plan.status == "partial"
    mine = [u for u in plan.unattainable if u.school_id == sid]
    assert mine and mine[0].indicator == "sports_area_per_student"
    assert mine[0].best_reachable == pytest.approx(mine[0].value_now)
    assert "体育运动场地" in mine[0].text_zh
    assert {f.school_id for f in plan.check.failing_schools} == {sid}
    assert not any(a["school_id"] == sid and a["kind"] == "build_sports_area_m2" for a in plan.actions.to_dicts())
    assert plan.what_if_no_limits is not None
    over = plan.what_if_no_limits.over_limit
    assert [o.school_id for o in over] == [sid] and over[0].limit == 0


def test_yearly_budget_spreads_and_reports_what_is_missing(demo: Dataset) -> None:
    full = plan_county(demo, "620722", YEAR, time_limit=30)
    total = full.total_cost_yuan
    enough = plan_county(demo, "620722", YEAR, budget=total + 1, time_limit=30)
    assert enough.schedule.status == "funded" and enough.schedule.missing_yuan == 0
    short = plan_county(demo, "620722", YEAR, budget=total / 2, time_limit=30)
    assert short.schedule.status == "budget_short"
    spent = sum(short.schedule.spent_by_year.values())
    assert spent <= total / 2 + 1
    assert short.schedule.missing_yuan == pytest.approx(total - spent, abs=1.0)
