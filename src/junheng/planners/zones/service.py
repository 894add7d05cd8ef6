"""The one call the CLI and the web page make: data in, checked plan out."""

from __future__ import annotations

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.planners.zones.check import check_plan
from junheng.planners.zones.plan import ZonePlan, read_back
from junheng.planners.zones.problem import ZoneOptions, build_problem
from junheng.planners.zones.solve import solve


def plan_zones(ds: Dataset, county: str, stage: str, year: int,
               options: ZoneOptions | None = None) -> ZonePlan:
    """Build, solve, read back and check the zoning of one county and stage.

    Raises ``ZoneInputError`` (message_zh / message_en) when the data cannot make a problem.
    """
    problem = build_problem(ds, county, stage, year, options or ZoneOptions())
    counties = ds.table("counties").filter(pl.col("county_code") == county)
    name = counties["county_name"][0] if counties.height else None
    plan = read_back(problem, solve(problem), name)
    if plan.assignments.height:
        plan.check = check_plan(problem, plan.assignments)
        if plan.status in ("optimal", "feasible") and not plan.check.ok:
            plan.status = "unknown"
    return plan


def current_plan(ds: Dataset, county: str, stage: str, year: int,
                 options: ZoneOptions | None = None) -> ZonePlan:
    """The zoning in force (``area_assignments``) as a plan, for the side-by-side view: same
    tables, figures and GeoJSON as a proposal, and its check shows where it breaks the rules
    (overloaded schools, …). Areas without a current school are left out."""
    import numpy as np

    from junheng.planners.zones.solve import Solution, plan_cost

    problem = build_problem(ds, county, stage, year, options or ZoneOptions())
    cur = problem.current
    has = np.nonzero(cur >= 0)[0]
    sol = Solution("current", has, cur[has], np.ones(len(has)),
                   plan_cost(problem, cur) if len(has) else None, None, None,
                   stats={}, pruning={})
    counties = ds.table("counties").filter(pl.col("county_code") == county)
    plan = read_back(problem, sol, counties["county_name"][0] if counties.height else None)
    if plan.assignments.height:
        plan.check = check_plan(problem, plan.assignments)
    return plan
