"""Benchmark of the investment planner: the six demo counties and a 200-school synthetic county.

For each instance: time to the reported optimality gap (median of repeats), the least cost found,
and the cost of the simple baseline (``heuristic_plan``: fix each failing school on its own,
cheapest way first, then water-fill the CVs), side by side. Run by hand:

    .venv/bin/python benchmarks/bench_plan.py [--repeats 3] [--hard]

``--hard`` adds a 200-school county with very unequal facilities (9 CVs above their limits),
which is not proven optimal within 60 s; its gap at the time limit is reported.
"""

from __future__ import annotations

import argparse
import statistics
import time

from junheng.demo import generate
from junheng.planners.investment import plan_county
from junheng.planners.investment.costs import load_costs
from junheng.planners.investment.heuristic import heuristic_plan
from junheng.planners.investment.plan import plan_inputs
from junheng.planners.investment.rules import load_rules
from junheng.planners.investment.solve import solve
from junheng.planners.investment.synthetic import synthetic_county

YEAR = 2024


def run(name: str, ds, county: str, repeats: int, time_limit: float) -> dict:
    rules = load_rules(YEAR)
    costs = load_costs()
    _, parts, _, campus = plan_inputs(ds, YEAR, county, rules, costs)
    # The classrooms g05 forces and the new campuses g04 forces are in ``parts`` for both
    # methods (their cost is the same in both and left out of the comparison).
    times: list[float] = []
    for _ in range(max(repeats, 1)):
        t0 = time.perf_counter()
        res = solve(parts, rules, costs, time_limit=time_limit)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    plan_county(ds, county, YEAR, costs=costs, time_limit=time_limit)
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    heur = heuristic_plan(
        parts, rules, costs,
        exclude_cv=frozenset((u.stage, u.indicator) for u in res.unattainable if u.kind == "cv"),
        exclude_parts=frozenset((u.school_id, u.stage) for u in res.unattainable if u.kind != "cv"))
    t_h = time.perf_counter() - t0
    return {"name": name, "schools": parts["school_id"].n_unique(), "parts": parts.height,
            "status": res.status, "gap": res.gap, "seconds": statistics.median(times),
            "cost": res.objective, "unattainable": len(res.unattainable),
            "campuses": len(campus.campuses), "campus_cost": campus.cost_yuan,
            "heur_cost": heur.cost_yuan, "heur_feasible": heur.feasible, "heur_seconds": t_h, "full_seconds": t_full}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--hard", action="store_true")
    args = ap.parse_args()
    demo = generate(seed=0)
    names = dict(zip(demo.table("counties")["county_code"], demo.table("counties")["county_name"], strict=False))
    rows = [run(f"{cc} {names[cc]}", demo, cc, args.repeats, args.time_limit) for cc in sorted(names)]
    rows.append(run("合成县 200 校 (spread 0.45)", synthetic_county(200, seed=1, spread=0.45), "629901",
                    args.repeats, args.time_limit))
    rows.append(run("合成县 200 校 (spread 0.45, seed 2)", synthetic_county(200, seed=2, spread=0.45), "629901",
                    args.repeats, args.time_limit))
    if args.hard:
        rows.append(run("合成县 200 校 (spread 0.55, hard)", synthetic_county(200, seed=1, spread=0.55), "629901",
                        1, args.time_limit))
    head = (f"{'instance':34} {'sch':>4} {'parts':>5} {'status':>16} {'gap':>9} {'median s':>8} "
            f"{'plan s':>7} {'MILP cost 元':>14} {'heuristic 元':>14} {'heur/opt':>8} {'heur ok':>7} {'unreach':>7}"
            f" {'campuses':>8} {'campus 元':>13}")
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = r["heur_cost"] / r["cost"] if r["cost"] else float("nan")
        gap = "-" if r["gap"] is None else f"{r['gap']:.1e}"
        print(f"{r['name']:34} {r['schools']:>4} {r['parts']:>5} {r['status']:>16} {gap:>9} "
              f"{r['seconds']:>8.2f} {r['full_seconds']:>7.2f} {r['cost'] or 0:>14,.0f} {r['heur_cost']:>14,.0f} {ratio:>8.3f} "
              f"{'yes' if r['heur_feasible'] else 'no':>7} {r['unattainable']:>7}"
              f" {r['campuses']:>8} {r['campus_cost']:>13,.0f}")


if __name__ == "__main__":
    main()
