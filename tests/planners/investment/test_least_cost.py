"""Least cost on instances where it is known by hand or by brute-force enumeration.

Every expected cost is recomputed here from the unit costs of the cost file and the thresholds
of the standard; the plan's own "after" evaluation by the standards engine is checked too.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from planners.investment.tiny import COUNTY, school_id, tiny_county

from junheng.planners.investment import plan_county
from junheng.planners.investment.costs import CostsError, load_costs
from junheng.planners.investment.cv import min_cv_in_box, tangent_cut, weighted_cv
from junheng.planners.investment.rules import load_rules

RULES = load_rules(2024)
T = {k: v["primary"] for k, v in RULES.thresholds.items()}
UNIT = load_costs().unit


def _short_backbone() -> tuple[list[int], dict[int, dict[str, float]]]:
    """3 schools of 300; school 0 has backbone teachers below 85 % of the threshold (it fails
    the school rule), school 1 has two spare backbone teachers."""
    students = [300, 300, 300]
    need = T["backbone_teachers_per_100"] * 3          # whole teachers needed at 300 students
    floor = RULES.floor_share * need
    below = math.ceil(floor) - 1                        # one short of the 85 % floor
    return students, {0: {"backbone_teachers": below}, 1: {"backbone_teachers": math.ceil(need) + 2}}


def test_one_backbone_short_cost_is_one_move_when_cheaper() -> None:
    students, over = _short_backbone()
    ds = tiny_county(students, over)
    plan = plan_county(ds, COUNTY, 2024, time_limit=30)
    need_units = math.ceil(RULES.floor_share * T["backbone_teachers_per_100"] * 3) - over[0]["backbone_teachers"]
    assert need_units == 1
    assert plan.total_cost_yuan == pytest.approx(UNIT["move_teacher_yuan"])
    acts = plan.actions.to_dicts()
    assert len(acts) == 1 and acts[0]["kind"] == "move_backbone_teacher"
    assert acts[0]["school_id"] == school_id(0) and acts[0]["quantity"] == 1
    assert plan.status == "optimal" and plan.gap is not None and plan.gap <= 1e-6
    assert plan.check.resources_passed is True


def test_one_backbone_short_cost_is_one_hire_when_moves_cost_more() -> None:
    students, over = _short_backbone()
    ds = tiny_county(students, over)
    costs = load_costs({"unit_costs": {"move_teacher_yuan": 200000}})
    plan = plan_county(ds, COUNTY, 2024, costs=costs, time_limit=30)
    assert plan.total_cost_yuan == pytest.approx(UNIT["hire_backbone_teacher_yuan"])
    assert plan.actions["kind"].to_list() == ["hire_backbone_teacher"]


def test_no_donor_means_a_hire() -> None:
    students, over = _short_backbone()
    ds = tiny_county(students, over)
    costs = load_costs({"limits": {"max_move_out_share": 0.0}})
    plan = plan_county(ds, COUNTY, 2024, costs=costs, time_limit=30)
    assert plan.total_cost_yuan == pytest.approx(UNIT["hire_backbone_teacher_yuan"])


def test_missing_one_indicator_above_85_percent_costs_nothing() -> None:
    # 6 of 7 met and the seventh at ≥ 85 % of its threshold: the school passes as it is.
    need = T["backbone_teachers_per_100"] * 3
    ds = tiny_county([300, 300, 300], {0: {"backbone_teachers": math.ceil(RULES.floor_share * need)}})
    plan = plan_county(ds, COUNTY, 2024, time_limit=30)
    assert plan.total_cost_yuan == 0
    assert plan.actions.height == 0
    assert plan.check.resources_passed is True


def _rooms_case() -> tuple[list[int], list[int]]:
    # Multimedia rooms: school 0 rich, schools 1 and 2 below the 85 % floor; the CV of rooms is
    # then above the primary limit even after the floors are met, so the CV cone binds.
    return [400, 400, 200], [30, 4, 2]


def test_cv_case_matches_brute_force_enumeration() -> None:
    students, rooms = _rooms_case()
    ds = tiny_county(students, {i: {"multimedia_rooms": r} for i, r in enumerate(rooms)})
    margin = 1e-6
    costs = load_costs({"solver": {"cv_margin": margin}})
    plan = plan_county(ds, COUNTY, 2024, costs=costs, time_limit=30)

    p = np.array(students, float)
    thr = T["multimedia_rooms_per_100"]
    limit = RULES.cv_limit["primary"]
    best = None
    for add in itertools.product(range(4), range(25), range(25)):
        y = np.array(rooms, float) + add
        ratio = y * 100 / p
        met = ratio >= thr - 1e-9
        floor_ok = ratio >= RULES.floor_share * thr - 1e-9
        # Other six indicators are met at every school, so the school rule needs only the floor.
        if not floor_ok.all() or (6 + met).min() < RULES.min_met:
            continue
        if weighted_cv(y, p) > limit - margin:
            continue
        cost = sum(add) * UNIT["multimedia_room_yuan"]
        best = cost if best is None else min(best, cost)
    assert best is not None
    assert weighted_cv(np.array(rooms, float), p) > limit
    # The CV really binds: meeting only the 85 % floors leaves it above the limit.
    floors = np.ceil(RULES.floor_share * thr * p / 100 - 1e-9)
    assert weighted_cv(np.maximum(np.array(rooms, float), floors), p) > limit
    assert best > (np.maximum(floors - rooms, 0).sum()) * UNIT["multimedia_room_yuan"]
    assert plan.total_cost_yuan == pytest.approx(best)
    assert plan.status == "optimal"
    assert plan.check.resources_passed is True
    after_cv = plan.after.counties[0].stages["primary"].indicators["multimedia_rooms_per_100"].cv
    assert after_cv <= limit


def test_tangent_cut_is_valid_and_tight() -> None:
    rng = np.random.default_rng(3)
    p = rng.integers(50, 900, 12).astype(float)
    y0 = rng.uniform(1, 10, 12) * p
    g = tangent_cut(y0, p, 0.5)
    assert g is not None
    # Tight at the point where it was taken when the CV equals the limit …
    scale = weighted_cv(y0, p) / 0.5
    g_at = tangent_cut(y0, p, weighted_cv(y0, p))
    assert g_at is not None and abs(float(g_at @ y0)) < 1e-6 * float(np.abs(g_at) @ y0)
    # … and valid for random points within the limit.
    for _ in range(200):
        y = rng.uniform(0.5, 2, 12) * p * rng.uniform(1, 3)
        if weighted_cv(y, p) <= 0.5:
            assert float(g @ y) <= 1e-9 * float(np.abs(g) @ y)
    assert scale > 0


def test_min_cv_in_box_never_beaten_by_random_points() -> None:
    rng = np.random.default_rng(5)
    p = rng.integers(50, 900, 8).astype(float)
    lo = rng.uniform(1, 10, 8) * p
    hi = lo + rng.uniform(0, 3, 8) * p
    best = min_cv_in_box(lo, hi, p)
    for _ in range(2000):
        y = lo + rng.uniform(0, 1, 8) * (hi - lo)
        assert weighted_cv(y, p) >= best - 1e-9


def test_unknown_cost_key_is_an_error() -> None:
    with pytest.raises(CostsError):
        load_costs({"unit_costs": {"hire_teacher": 1}})
    with pytest.raises(CostsError):
        load_costs({"school_limits": {"6207020001": {"land": 0}}})


@pytest.mark.parametrize("seed", [3, 4])
def test_random_county_plan_passes_the_engine_or_names_what_cannot(seed: int) -> None:
    from junheng.planners.investment.synthetic import synthetic_county

    ds = synthetic_county(30, seed=seed, spread=0.5)
    plan = plan_county(ds, "629901", 2024, time_limit=30)
    assert plan.solver_status == "optimal"
    cannot_cv = {(u.stage, u.indicator) for u in plan.unattainable if u.kind == "cv"}
    cannot_school = {(u.school_id, u.stage) for u in plan.unattainable if u.kind != "cv"}
    assert {(f.stage, f.indicator) for f in plan.check.failing_cvs} == cannot_cv
    assert {(f.school_id, f.stage) for f in plan.check.failing_schools} == cannot_school
    # The plan's cost is what its actions cost, and no cheaper than the solver's own lower bound.
    assert plan.total_cost_yuan == pytest.approx(float(plan.actions["cost_yuan"].sum()), abs=1.0)
    assert plan.lower_bound_yuan is not None and plan.lower_bound_yuan <= plan.total_cost_yuan + 1e-6


def test_continuous_cv_case_matches_scip_with_the_quadratic_constraint() -> None:
    """Sports area is continuous, so enumeration cannot check it; SCIP solves the same problem
    with the CV written as the quadratic constraint itself (spatial branch and bound)."""
    from pyscipopt import Model, quicksum

    students = [900, 300, 250, 400, 150]
    sports = [22500.0, 1800.0, 1600.0, 2600.0, 6000.0]   # per student 25, 6.0, 6.4, 6.5, 40
    ds = tiny_county(students, {i: {"sports_area_m2": a} for i, a in enumerate(sports)})
    margin = 1e-6
    plan = plan_county(ds, COUNTY, 2024, costs=load_costs({"solver": {"cv_margin": margin}}), time_limit=30)

    thr = T["sports_area_per_student"]
    limit = RULES.cv_limit["primary"] - margin
    p = np.array(students, float)
    assert weighted_cv(np.array(sports), p) > RULES.cv_limit["primary"]
    m = Model()
    m.hideOutput()
    x = [m.addVar(lb=0.0, ub=load_costs().limits["sports_area_max_m2"]["rural"]) for _ in students]
    y = [sports[i] + x[i] for i in range(len(students))]
    for i in range(len(students)):
        m.addCons(y[i] >= RULES.floor_share * thr * students[i])
    total_p = float(p.sum())
    mean = quicksum(y) / total_p
    m.addCons(quicksum((students[i] / total_p) * (y[i] / students[i] - mean) * (y[i] / students[i] - mean)
                       for i in range(len(students))) <= limit * limit * mean * mean)
    m.setObjective(quicksum(UNIT["sports_area_yuan_per_m2"] * xi for xi in x), "minimize")
    m.setParam("limits/gap", 1e-9)
    m.optimize()
    assert m.getStatus() == "optimal"
    scip_cost = m.getObjVal()
    assert scip_cost > 0
    # Same optimum, up to rounding the plan's m² up to 0.01 (≤ 4 元 per school) and the gaps.
    assert plan.total_cost_yuan == pytest.approx(scip_cost, rel=1e-5, abs=25.0), (plan.total_cost_yuan, scip_cost)
    assert plan.check.resources_passed


def test_out_of_cut_rounds_the_plan_is_repaired_to_feasibility() -> None:
    # No LP rounds and no MILP re-solve allowed: the first integer solution (initial cuts only)
    # leaves a CV above its limit, and the repair must still hand back a plan that passes.
    from junheng.planners.investment.synthetic import synthetic_county

    ds = synthetic_county(30, seed=3, spread=0.5)
    costs = load_costs({"solver": {"max_lp_cut_rounds": 0, "max_cut_rounds": 0}})
    plan = plan_county(ds, "629901", 2024, costs=costs, time_limit=30)
    assert plan.solver_status == "feasible" and plan.cut_rounds == 1
    exact = plan_county(ds, "629901", 2024, time_limit=30)
    cannot = {(u.stage, u.indicator) for u in exact.unattainable if u.kind == "cv"}
    assert {(f.stage, f.indicator) for f in plan.check.failing_cvs} == cannot
    # No plan is cheaper than the exact run's proven lower bound, and the repaired plan's own
    # bound is a true lower bound of the exact optimum.
    assert exact.lower_bound_yuan is not None
    assert plan.total_cost_yuan >= exact.lower_bound_yuan - 1e-6
    assert plan.lower_bound_yuan is not None and plan.lower_bound_yuan <= exact.total_cost_yuan + 1e-6
