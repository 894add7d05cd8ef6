"""Planners share one process (the web app runs them side by side): solving a zoning problem
must not break a later investment plan. HiGHS fixes its thread count at the first solve of a
process, so every planner has to ask for the same count (junheng.planners.milp.SOLVER_THREADS)."""

from __future__ import annotations

from junheng.demo import generate
from junheng.planners.investment import plan_county
from junheng.planners.zones import ZoneOptions, plan_zones


def test_zones_then_plan_in_one_process() -> None:
    ds = generate()
    zones = plan_zones(ds, "620723", "primary", 2024, ZoneOptions()).to_json()
    assert zones["status"] == "optimal"
    plan = plan_county(ds, "620722", 2024, time_limit=30).to_json()
    assert plan["status"] == "optimal", plan["status"]
