"""The real case: Baltimore County's 2015 southwest elementary redistricting (182 blocks)."""

from __future__ import annotations

import numpy as np
import pytest

from junheng.planners.zones import ZoneOptions, build_problem, check_plan, plan_zones
from junheng.planners.zones.heuristics import nearest
from junheng.planners.zones.solve import plan_cost

from . import bcps

pytestmark = pytest.mark.skipif(not bcps.ROOT.exists(), reason="real data folder absent")

# Capacities planned for 2016–17 (new 715-seat Catonsville building, Westowne 650,
# Westchester 699): with 2015 seats the area is 188 seats short.
SEATS_2016 = {"ES01": 715, "ES08": 650, "ES10": 699}


def test_2015_capacity_is_short_by_188_seats():
    ds, _ = bcps.load()
    plan = plan_zones(ds, bcps.COUNTY, "primary", 2015, ZoneOptions())
    assert plan.status == "infeasible"
    missing = sum(s["missing_seats"] for s in plan.shortages if s["kind"] == "seats")
    assert missing == 5443 - 5255


def test_contiguous_plan_beats_current_zoning():
    ds, poly = bcps.load()
    opts = ZoneOptions(capacity=SEATS_2016, polygons=poly, contiguity=True, time_limit_s=60)
    plan = plan_zones(ds, bcps.COUNTY, "primary", 2015, opts)
    assert plan.status == "optimal"
    assert plan.problem.adjacency_source == "polygons"
    assert plan.check is not None and plan.check.ok
    prob = build_problem(ds, bcps.COUNTY, "primary", 2015, opts)
    current = plan_cost(prob, prob.current)
    near = nearest(prob)
    load = np.bincount(near, weights=prob.demand, minlength=prob.n_units)
    assert plan.objective_student_km < current
    gj = plan.to_geojson()
    zones = [f for f in gj["features"] if f["properties"]["kind"] == "zone"]
    assert len(zones) == 11 and gj["properties"]["geometry_kind"] == "polygons_union"
    # Contiguous zones dissolve into a single outline each.
    assert all(f["geometry"]["type"] == "Polygon" for f in zones)
    # Nearest-school ignores capacity: cheaper but overloads schools.
    assert plan_cost(prob, near) <= plan.objective_student_km
    assert (load > prob.capacity).any()
    # The district's zoning itself fails the capacity check with the 2016 seats.
    asg = prob.areas.select("area_id", school_id="current_unit").with_columns(share=1.0)
    assert not check_plan(prob, asg).ok
