"""Teacher rotation planner benchmark: the six demo counties (``junheng demo``'s data, seed 0).

For each county and --runs runs: seconds to build the model (from the call until the solver
starts), to the first list that meets every rule, and to the final list (the whole call), each
the median of the runs; the solver's status and objective of each run, the bound and how many
teachers it moves of the last run, whether ``check_rotation`` passes, and the load average before and after
(the machine is shared: the figures are wall-clock seconds on it as it is).

    .venv/bin/python benchmarks/bench_rotation.py [--runs 3] [--year 2024] [--county 620702 …]
        [--time-limit S] [--data PATH]

The first-list time comes from a solution callback wrapped around ``CpSolver.solve`` here, so
the planner itself carries no timing code.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from ortools.sat.python import cp_model

from junheng.domain.dataset import Dataset
from junheng.planners.teachers import rotate_teachers

COUNTIES = ("620702", "620721", "620722", "620723", "620724", "620725")


class _Clock:
    """Times of the first ``solve`` of a planner call: when it starts and its first solution."""

    def __init__(self) -> None:
        self.t0 = 0.0
        self.build: float | None = None
        self.first: float | None = None


CLOCK = _Clock()
_plain_solve = cp_model.CpSolver.solve


class _FirstSolution(cp_model.CpSolverSolutionCallback):
    def on_solution_callback(self) -> None:
        if CLOCK.first is None:
            CLOCK.first = time.perf_counter() - CLOCK.t0


def _timed_solve(self: cp_model.CpSolver, model: cp_model.CpModel,
                 callback: Any = None) -> Any:
    if CLOCK.build is not None or callback is not None:   # the diagnosis runs: not timed
        return _plain_solve(self, model, callback)
    CLOCK.build = time.perf_counter() - CLOCK.t0
    return _plain_solve(self, model, _FirstSolution())


def _median(xs: list[float | None]) -> str:
    got = [x for x in xs if x is not None]
    if not got:
        return "—"
    text = f"{statistics.median(got):.2f}"
    return text if len(got) == len(xs) else f"{text} ({len(xs) - len(got)} none)"


def run_county(ds: Dataset, county: str, year: int, runs: int, limit: float | None) -> None:
    params = {"solver": {"time_limit_s": limit}} if limit else None
    builds, firsts, finals, statuses, objectives = [], [], [], [], []
    load0 = os.getloadavg()
    plan = None
    for _ in range(runs):
        CLOCK.__init__()   # type: ignore[misc]
        CLOCK.t0 = time.perf_counter()
        plan = rotate_teachers(ds, county, year, params=params)
        finals.append(time.perf_counter() - CLOCK.t0)
        builds.append(CLOCK.build)
        firsts.append(CLOCK.first)
        statuses.append(plan.status)
        objectives.append("—" if plan.objective is None else f"{plan.objective:.0f}")
    load1 = os.getloadavg()
    assert plan is not None
    checks = "pass" if all(c["passed"] for c in plan.checks) else "FAIL"
    bound = "—" if plan.bound is None else f"{plan.bound:.0f}"
    print(f"{county}  eligible {plan.eligible:5d}  build {_median(builds):>6}s  "
          f"first {_median(firsts):>6}s  final {_median(finals):>6}s  "
          f"{'/'.join(statuses)}  obj {'/'.join(objectives)}  bound {bound}  moves {plan.moves.height}  "
          f"checks {checks}  load {load0[0]:.1f}→{load1[0]:.1f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--county", nargs="*", default=list(COUNTIES))
    ap.add_argument("--time-limit", type=float, help="solver.time_limit_s (default: the YAML's)")
    ap.add_argument("--data", help="a workbook, CSV folder or database URL instead of the demo")
    args = ap.parse_args()
    if args.data:
        from junheng.io.source import load_dataset

        ds = load_dataset(args.data)
    else:
        from junheng.demo import generate

        ds = generate(seed=0)
    cp_model.CpSolver.solve = _timed_solve  # type: ignore[method-assign]
    print(f"rotation, {args.runs} runs each (median), {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    for county in args.county:
        run_county(ds, county, args.year, args.runs, args.time_limit)


if __name__ == "__main__":
    main()
