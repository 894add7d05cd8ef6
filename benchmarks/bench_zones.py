"""Zoning planner benchmark: a synthetic city of 5,000 areas and 150 schools (seeded), and the
demo counties when ``junheng.demo.generate`` exists.

For each instance: seconds to proven optimality (median of --runs, with the phases: LP, the
polished start, the MIP proof) and the machine's load average, the optimal student-km next to
the nearest-school assignment (ignores capacity: its overload is shown) and the greedy
capacity-aware heuristic. ``--compare-plain`` also times the plain MIP (no polished start)
side by side; ``--cpsat S`` the same pruned model in CP-SAT.

    .venv/bin/python benchmarks/bench_zones.py [--runs 3] [--areas 5000] [--schools 150]
        [--compare-plain] [--cpsat 60] [--no-demo]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

import numpy as np
import polars as pl

from junheng.domain.dataset import Dataset
from junheng.planners.zones import ZoneOptions, build_problem, plan_zones
from junheng.planners.zones.heuristics import greedy, nearest
from junheng.planners.zones.solve import plan_cost


def synthetic_city(n_areas: int = 5000, n_schools: int = 150, seed: int = 0) -> Dataset:
    """Clustered settlements around ~20 centres, 60 km across; each school's seats are its
    nearest-school catchment × U(0.85, 1.35) in whole classes of 45, so some schools are full
    and their children must spill to neighbours."""
    rng = np.random.default_rng(seed)
    lat0, lon0 = 38.93, 100.45
    centres = rng.uniform(0, 0.3, (20, 2))
    a = centres[rng.integers(0, 20, n_areas)] + rng.normal(0, 0.03, (n_areas, 2))
    s = centres[rng.integers(0, 20, n_schools)] + rng.normal(0, 0.03, (n_schools, 2))
    kids = rng.integers(5, 60, n_areas)
    d = (a[:, None, :] - s[None, :, :]) ** 2
    catch = np.bincount(d.sum(-1).argmin(1), weights=kids, minlength=n_schools)
    cap = np.ceil(np.maximum(catch, 300) * rng.uniform(0.85, 1.35, n_schools) / 45) * 45
    aid = [f"A{i:05d}" for i in range(n_areas)]
    sid = [f"S{j:04d}" for j in range(n_schools)]
    return Dataset.from_frames({
        "counties": pl.DataFrame({"county_code": ["999999"], "county_name": ["合成城市"]}),
        "areas": pl.DataFrame({"area_id": aid, "area_name": aid, "county_code": "999999",
                               "latitude": lat0 + a[:, 0], "longitude": lon0 + a[:, 1]}),
        "area_children": pl.DataFrame({"year": 2024, "area_id": aid, "age": 8,
                                       "children": kids}),
        "schools": pl.DataFrame({"school_id": sid, "school_name": sid, "county_code": "999999",
                                 "school_type": "primary", "ownership": "public",
                                 "latitude": lat0 + s[:, 0], "longitude": lon0 + s[:, 1]}),
        "sections": pl.DataFrame({"year": 2024, "school_id": sid, "stage": "primary",
                                  "capacity": cap.astype(int)}),
    })


def run_case(name: str, ds: Dataset, county: str, stage: str, year: int, runs: int,
             opts: ZoneOptions) -> str:
    times, plan, statuses = [], None, []
    load0 = os.getloadavg()[0]
    for _ in range(runs):
        t = time.perf_counter()
        plan = plan_zones(ds, county, stage, year, opts)
        times.append(time.perf_counter() - t)
        statuses.append(plan.status)
    load1 = os.getloadavg()[0]
    assert plan is not None
    prob = build_problem(ds, county, stage, year, opts)
    near, gr = nearest(prob), greedy(prob)
    cap = prob.capacity

    def overload(assign: np.ndarray) -> float:
        load = np.bincount(assign[assign >= 0], weights=prob.demand[assign >= 0],
                           minlength=len(cap))
        return float(np.maximum(load - cap, 0).sum())

    opt = plan.objective_student_km or float("nan")
    j = plan.to_json()
    print(f"\n== {name}: {prob.n_areas} areas × {prob.n_units} schools, "
          f"{prob.demand.sum():,.0f} pupils, {cap.sum():,.0f} seats")
    print(f"status {plan.status}  gap {plan.gap}  check ok {j['check'] and j['check']['ok']}  "
          f"pruning exact {plan.pruning.get('exact')}  model pairs "
          f"{plan.pruning.get('model_pairs')} of {plan.pruning.get('all_pairs')}")
    what = "optimality" if all(x == "optimal" for x in statuses) else "answer"
    print(f"seconds to {what}: median {statistics.median(times):.2f}  "
          f"(runs: {', '.join(f'{t:.2f} {x}' for t, x in zip(times, statuses, strict=True))})  "
          f"load average {load0:.1f} → {load1:.1f} on {os.cpu_count()} cores")
    st = plan.stats
    print(f"last run: LP {st.get('lp_seconds')} s, polish {st.get('polish_seconds', '-')} s "
          f"(start {_km(st.get('start_student_km'))} → {_km(st.get('polish_student_km'))}), "
          f"MIP {st.get('mip_status', st.get('diagnosis_status'))}, total {st.get('seconds', '-')} s; "
          f"LP bound {_km(st.get('lp_bound_student_km'))}, final bound {_km(plan.bound_student_km)}")
    print(f"{'plan':<28}{'student-km':>14}{'vs optimum':>12}{'overload seats':>16}")
    for label, value, over in (
        ("optimal (HiGHS MIP)", opt, overload_of(plan)),
        ("nearest school (no cap)", plan_cost(prob, near), overload(near)),
        ("greedy capacity-aware", plan_cost(prob, gr), overload(gr)),
    ):
        print(f"{label:<28}{value:>14,.1f}{value / opt:>12.4f}{over:>16,.0f}")
    for sh in j["shortages"][:3]:
        print("  " + sh["message_zh"])
    return plan.status


def _km(x: object) -> str:
    return f"{x:,.1f}" if isinstance(x, (int, float)) else "-"


def cpsat_same_model(prob: object, k: int, time_limit: float) -> tuple[str, float, float, float]:
    """The same pruned whole-area model in OR-Tools CP-SAT (integer student-metres), hinted
    with the greedy plan: the comparison that chose HiGHS."""
    from ortools.sat.python import cp_model

    from junheng.planners.zones.solve import candidate_pairs

    p = prob  # type: ignore[assignment]
    pa, pu = candidate_pairs(p, k)  # type: ignore[arg-type]
    d = np.round(p.demand).astype(int)  # type: ignore[attr-defined]
    cost = np.round(np.maximum(d[pa], 0) * p.dist_m[pa, pu]).astype(int)  # type: ignore[attr-defined]
    hint = greedy(p)  # type: ignore[arg-type]
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{i}") for i in range(len(pa))]
    for a in range(p.n_areas):  # type: ignore[attr-defined]
        m.add_exactly_one(x[i] for i in np.nonzero(pa == a)[0])
    for u in range(p.n_units):  # type: ignore[attr-defined]
        idx = np.nonzero(pu == u)[0]
        m.add(sum(int(d[pa[i]]) * x[i] for i in idx) <= int(p.capacity[u]))  # type: ignore[attr-defined]
    m.minimize(sum(int(c) * xi for c, xi in zip(cost, x, strict=False)))
    for i in range(len(pa)):
        m.add_hint(x[i], bool(hint[pa[i]] == pu[i]))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.random_seed = 0
    t = time.perf_counter()
    status = solver.solve(m)
    return (solver.status_name(status), solver.objective_value / 1000,
            solver.best_objective_bound / 1000, time.perf_counter() - t)


def overload_of(plan: object) -> float:
    s = plan.schools  # type: ignore[attr-defined]
    return float((s["assigned"] - s["capacity"]).clip(lower_bound=0).sum())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--areas", type=int, default=5000)
    ap.add_argument("--schools", type=int, default=150)
    ap.add_argument("--time-limit", type=float, default=120)
    ap.add_argument("--cpsat", type=float, default=0, help="also run CP-SAT for this many s")
    ap.add_argument("--no-demo", action="store_true")
    ap.add_argument("--compare-plain", action="store_true",
                    help="also time the plain MIP (no polished start) on the city")
    args = ap.parse_args()
    opts = ZoneOptions(time_limit_s=args.time_limit)
    city = synthetic_city(args.areas, args.schools, 0)
    run_case("synthetic city (seed 0)", city, "999999", "primary", 2024, args.runs, opts)
    if args.compare_plain:
        run_case("synthetic city (seed 0), plain MIP without the polished start", city,
                 "999999", "primary", 2024, args.runs, dataclasses.replace(opts, polish=False))
    if args.cpsat:
        prob = build_problem(city, "999999", "primary", 2024, opts)
        st, obj, bound, secs = cpsat_same_model(prob, 10, args.cpsat)
        print(f"CP-SAT on the same pruned model (2 workers, hinted with greedy): {st} "
              f"objective {obj:,.1f} bound {bound:,.1f} gap {(obj - bound) / obj:.4%} "
              f"in {secs:.1f} s")
    if args.no_demo:
        return
    try:
        from junheng.demo import generate
    except ImportError:
        print("\n(junheng.demo.generate not available: demo counties skipped)")
        return
    ds = generate(seed=0)
    years = ds.table("area_children")["year"].unique().to_list()
    if not years:
        print("\n(demo data has no area_children: demo counties skipped)")
        return
    year = max(years)
    for county in ds.table("areas")["county_code"].unique().sort().to_list():
        for stage in ("primary", "junior"):
            try:
                status = run_case(f"demo {county} {stage} {year}", ds, county, stage, year,
                                  args.runs, opts)
                if status == "infeasible":
                    split = ZoneOptions(time_limit_s=args.time_limit, splittable=True)
                    run_case(f"demo {county} {stage} {year} (splittable)", ds, county, stage,
                             year, args.runs, split)
            except Exception as exc:
                print(f"\n== demo {county} {stage}: {exc}")


if __name__ == "__main__":
    main()
