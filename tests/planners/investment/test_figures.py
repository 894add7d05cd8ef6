"""Figures that add up (issue #13): on every demo county the plan's total is the sum of every
costed line it lists and of its years; before/after school counts each over their own total;
a moved teacher's school is named; actions are phased by the forecast; ``check_plan`` finds a
broken plan."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from planners.investment.tiny import COUNTY, school_id, tiny_county

from junheng.demo import generate
from junheng.domain.dataset import Dataset
from junheng.planners.investment import InvestmentPlan, plan_county
from junheng.planners.investment.check import check_plan
from junheng.planners.investment.costs import load_costs
from junheng.planners.investment.plan import plan_inputs
from junheng.planners.investment.problem import build_problem
from junheng.planners.investment.rules import load_rules
from junheng.planners.investment.schedule import phase_plan, schedule_plan

COUNTIES = ("620702", "620721", "620722", "620723", "620724", "620725")
TARGET = 2026   # two plan years after the demo's last year (2024): phasing by the forecast


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return generate(seed=0)


@pytest.fixture(scope="module")
def plans(demo: Dataset) -> dict[str, InvestmentPlan]:
    return {c: plan_county(demo, c, TARGET, time_limit=30) for c in COUNTIES}


@pytest.mark.parametrize("county", COUNTIES)
def test_total_is_the_sum_of_every_listed_line(plans: dict[str, InvestmentPlan], county: str) -> None:
    plan = plans[county]
    j = plan.to_json()
    lines = sum(a["cost_yuan"] for a in j["actions"])
    assert j["total_cost_yuan"] == pytest.approx(lines, abs=0.05)
    assert sum(j["cost_by_year"].values()) == pytest.approx(j["total_cost_yuan"], abs=0.05)
    # Only recurring items (元 per year) are budget lines; the rooms of g03 are actions.
    assert all(b["recurring"] for b in j["budget_lines"])
    assert "g03_music_art_rooms" not in {b["item"] for b in j["budget_lines"]}
    assert all(min(plan.schedule.years) <= a["year"] <= TARGET for a in j["actions"])
    assert plan.check.plan_check_passed, plan.check.plan_check_violations


def test_ganzhou_rooms_in_the_total_and_counts_over_their_own_totals(plans: dict[str, InvestmentPlan]) -> None:
    plan = plans["620702"]
    rooms = plan.actions.filter(pl.col("kind").is_in(["build_music_rooms", "build_art_rooms"]))
    assert rooms.height > 0 and float(rooms["cost_yuan"].sum()) > 0
    n = plan.passing
    # New campuses exist only after the plan: counted there, and only there.
    assert n.new_campus_sections > 0
    assert n.after_total == n.before_total + n.new_campus_sections
    assert n.before <= n.before_total and n.after <= n.after_total
    assert n.before_total == len(plan.before.school_results()) and n.after_total == len(plan.after.school_results())


def test_minle_growing_schools_get_equipment_in_later_years(plans: dict[str, InvestmentPlan]) -> None:
    # 民乐's junior schools grow by the forecast: part of their equipment is due later.
    plan = plans["620722"]
    years = set(plan.actions["year"].to_list())
    assert len(years) > 1
    assert (plan.actions["year"] == plan.actions["due_year"]).all()


def test_a_moved_teacher_names_the_school_it_comes_from() -> None:
    students = [300, 300, 300]
    ds = tiny_county(students, {0: {"backbone_teachers": 2}, 1: {"backbone_teachers": 5},
                                2: {"backbone_teachers": 3}})
    plan = plan_county(ds, COUNTY, 2024, time_limit=30)
    move = plan.actions.filter(pl.col("kind") == "move_backbone_teacher").to_dicts()
    assert len(move) == 1
    assert move[0]["from_school_id"] == school_id(1) and move[0]["from_school_name"] == "测试学校1"
    assert move[0]["school_name"] == "测试学校0" and move[0]["label_zh"] == "县内调配县级以上骨干教师"


def test_phase_plan_splits_whole_units_and_keeps_buildings_whole() -> None:
    actions = pl.DataFrame({
        "school_id": ["a", "b", "c"], "stage": ["primary"] * 3,
        "kind": ["hire_degree_teacher", "build_sports_area_m2", "buy_equipment_yuan"],
        "quantity": [4.0, 900.0, 25000.0], "unit": ["人", "m²", "元"], "cost_yuan": [360000.0, 360000.0, 25000.0],
        "from_school_id": [None, None, None], "distance_km": [None, None, None]},
        schema_overrides={"from_school_id": pl.Utf8, "distance_km": pl.Float64})
    shares = np.array([[0.5, 0.5, 1.0], [0.0, 0.2, 1.0], [0.0, 0.0, 0.0]])
    out = phase_plan(actions, [2025, 2026, 2027], shares)
    teachers = out.filter(pl.col("kind") == "hire_degree_teacher")
    assert teachers["year"].to_list() == [2025, 2027] and teachers["quantity"].to_list() == [2.0, 2.0]
    sports = out.filter(pl.col("kind") == "build_sports_area_m2")
    assert sports["year"].to_list() == [2026] and sports["quantity"].to_list() == [900.0]
    # Nothing due before the target year: the last year (the plan is complete by then).
    assert out.filter(pl.col("kind") == "buy_equipment_yuan")["year"].to_list() == [2027]
    assert float(out["cost_yuan"].sum()) == pytest.approx(745000.0)
    # With budgets of 400 000 a year the 2027 teachers move earlier rather than overflow.
    sched = schedule_plan(out, [2025, 2026, 2027], {2025: 400000.0, 2026: 400000.0, 2027: 100000.0})
    assert sched.status == "funded"
    assert all(v <= 400000.0 + 1 for v in sched.spent.values()) and sched.spent[2027] <= 100000.0 + 1
    assert float(sched.actions["cost_yuan"].sum()) == pytest.approx(745000.0)


def test_check_plan_finds_a_broken_plan() -> None:
    ds = tiny_county([300, 300, 300], {0: {"backbone_teachers": 2}, 1: {"backbone_teachers": 5},
                                        2: {"backbone_teachers": 3}})
    rules, costs = load_rules(2024), load_costs()
    plan = plan_county(ds, COUNTY, 2024, costs=costs, time_limit=30)
    _, parts, _, _ = plan_inputs(ds, 2024, COUNTY, rules, costs)
    problem = build_problem(parts, rules, costs)
    base = plan.actions.select("school_id", "stage", "kind", "quantity", "unit", "cost_yuan",
                               "from_school_id", "distance_km")
    assert check_plan(problem, base, plan.total_cost_yuan).ok
    # The move left out: school 0 is below the 85 % floor again.
    assert any("below" in v for v in check_plan(problem, base.head(0)).violations)
    # A line whose cost is not its quantity times the unit cost, and a total that is not the sum.
    wrong = base.with_columns(cost_yuan=pl.col("cost_yuan") + 1000)
    assert any("cost" in v for v in check_plan(problem, wrong).violations)
    assert any("total" in v for v in check_plan(problem, base, plan.total_cost_yuan + 5000).violations)
    # A move with no school giving the teacher does not balance.
    unbalanced = base.with_columns(from_school_id=pl.lit(None, pl.Utf8))
    assert any("moved in" in v for v in check_plan(problem, unbalanced).violations)
