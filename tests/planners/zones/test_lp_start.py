"""The LP-bound certificate and the rounded MIP start give the optimum of the plain model.

Each seeded instance is also solved as the plain whole-area MIP over every (area, school)
pair, built here directly in highspy and solved to a zero gap; the planner's objective must
match it within its gap, whichever path (LP certificate or MIP from the start) it took.
"""

from __future__ import annotations

import highspy
import numpy as np
import pytest
import scipy.sparse as sp

from junheng.planners.zones import ZoneOptions, build_problem, plan_zones

from .helpers import COUNTY, dataset


def _instance(seed: int, slack: float):
    rng = np.random.default_rng(seed)
    n, m = 36, 5
    kids = rng.integers(5, 60, n)
    areas = [(f"a{i}", float(rng.uniform(0, 0.1)), float(rng.uniform(0, 0.1)), int(kids[i]))
             for i in range(n)]
    share = rng.dirichlet(np.ones(m) * 3)
    caps = np.ceil(share * kids.sum() * slack + 60).astype(int)
    schools = [(f"s{j}", float(rng.uniform(0, 0.1)), float(rng.uniform(0, 0.1)), int(caps[j]))
               for j in range(m)]
    return dataset(areas, schools)


def _plain_optimum(problem) -> float:
    pa, pu = np.nonzero(problem.allowed)
    d = problem.demand
    cost = d[pa] * problem.dist_m[pa, pu] / 1000.0
    k = len(pa)
    a = sp.vstack([
        sp.csr_matrix((np.ones(k), (pa, np.arange(k))), shape=(problem.n_areas, k)),
        sp.csr_matrix((d[pa], (pu, np.arange(k))), shape=(problem.n_units, k)),
    ]).tocsr()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.addVars(k, np.zeros(k), np.ones(k))
    idx = np.arange(k, dtype=np.int32)
    h.changeColsCost(k, idx, cost)
    h.changeColsIntegrality(k, idx, np.full(k, highspy.HighsVarType.kInteger))
    lo = np.r_[np.ones(problem.n_areas), np.full(problem.n_units, -highspy.kHighsInf)]
    hi = np.r_[np.ones(problem.n_areas), problem.capacity]
    h.addRows(a.shape[0], lo, hi, a.nnz, a.indptr[:-1].astype(np.int32),
              a.indices.astype(np.int32), a.data)
    h.run()
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"
    return float(h.getInfo().objective_function_value)


# Loose seats (the LP bound certifies the rounded plan) to tight (the MIP closes the gap).
CASES = [(s, sl) for s in range(4) for sl in (4.0, 1.05)]


@pytest.mark.parametrize(("seed", "slack"), CASES)
def test_planner_matches_plain_mip(seed: int, slack: float) -> None:
    ds = _instance(seed, slack)
    # Three candidates per area: the pruning and its reduced-cost certificate are exercised.
    opts = ZoneOptions(candidates_per_area=3, mip_rel_gap=1e-6)
    plan = plan_zones(ds, COUNTY, "primary", 2024, opts)
    best = _plain_optimum(build_problem(ds, COUNTY, "primary", 2024, opts))
    assert plan.status == "optimal"
    assert plan.check is not None and plan.check.ok
    assert plan.objective_student_km == pytest.approx(best, rel=2e-6, abs=1e-6)
    assert plan.gap is not None and plan.gap <= 1e-6 + 1e-12


def test_both_paths_are_taken() -> None:
    paths = set()
    for seed, slack in CASES:
        plan = plan_zones(_instance(seed, slack), COUNTY, "primary", 2024,
                          ZoneOptions(candidates_per_area=3, mip_rel_gap=1e-6))
        if plan.stats.get("mip_status") == "proved by LP bound":
            paths.add("lp certificate")
        elif "polish_seconds" in plan.stats:
            paths.add("polished start, MIP proof")
    assert paths == {"lp certificate", "polished start, MIP proof"}
