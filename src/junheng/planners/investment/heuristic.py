"""A simple baseline planner, for the benchmark: what a bureau might do by hand.

1. Each failing school-stage part on its own: every indicator to its threshold except the one
   whose last 15 % is the most expensive, which is raised only to 85 % (the cheapest way for that
   school alone). Teachers are hired (no moves: a hand plan rarely balances moves county-wide).
2. Then each CV above its limit, greedily: the lowest schools are raised to a common level
   ("water-filling"), the level found by bisection, until the CV is within the limit.

Same inputs, costs and per-school limits as the MILP; the result is checked with the same
formulas, so its cost can be set side by side with the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from junheng.planners.investment.actions import limit_for, raising
from junheng.planners.investment.costs import Costs
from junheng.planners.investment.cv import weighted_cv
from junheng.planners.investment.rules import INDICATORS, STAGES, ResourceRules


@dataclass
class HeuristicResult:
    cost_yuan: float
    feasible: bool
    added: np.ndarray        # (n_parts, 7) resource added per part (teachers, m², 元, rooms)
    failures: list[str]      # rules the baseline leaves broken


def heuristic_plan(parts: pl.DataFrame, rules: ResourceRules, costs: Costs,
                   exclude_cv: frozenset[tuple[str, str]] = frozenset(),
                   exclude_parts: frozenset[tuple[str, str]] = frozenset()) -> HeuristicResult:
    """``exclude_cv`` (stage, indicator) and ``exclude_parts`` (school_id, stage): rules the
    limits make unreachable (as the MILP's pre-analysis found); left out of the feasibility
    verdict so that both methods are judged on the same rules."""
    n = parts.height
    stage = parts["stage"].to_numpy()
    p = parts["students"].to_numpy().astype(float)
    share = parts["share"].to_numpy().astype(float)
    sid = parts["school_id"].to_numpy()
    locale = dict(zip(sid, parts["locale"].to_list(), strict=False))
    y = np.column_stack([parts[ind.resource].to_numpy().astype(float) for ind in INDICATORS])
    thr = np.column_stack([np.array([rules.thresholds[ind.id][s] for s in stage]) for ind in INDICATORS])
    scale = np.array([ind.scale for ind in INDICATORS])
    need = thr * p[:, None] / scale
    # Cost of one unit of resource in a part: a teacher, or stock bought at school level of
    # which the part receives ``share``; the action raising each indicator comes from the registry.
    k = len(INDICATORS)
    unit_cost = np.zeros((n, k))
    cap = np.zeros((n, k))
    integer = np.zeros(k, bool)
    for j, ind in enumerate(INDICATORS):
        if ind.kind == "teacher":
            hire = raising(ind.id, "hire")
            unit_cost[:, j] = hire.unit_cost(costs)
            # Hires up to the MILP's cap on hires plus moves in: a hand plan asks for the extra posts.
            cap[:, j] = 2 * np.array([limit_for(costs, str(hire.limit), locale[s], s) for s in sid])
            integer[j] = True
        else:
            stock = raising(ind.id, "stock")
            unit_cost[:, j] = stock.unit_cost(costs) / np.maximum(share, 1e-9)
            cap[:, j] = share * np.array([limit_for(costs, str(stock.limit), locale[s], s) for s in sid])
            integer[j] = stock.integer
    teach = [j for j, ind in enumerate(INDICATORS) if ind.kind == "teacher"]
    fac = [j for j, ind in enumerate(INDICATORS) if ind.kind == "facility"]

    def lift(target: np.ndarray) -> np.ndarray:
        gap = np.maximum(target - y, 0)
        gap = np.where(integer, np.ceil(gap - 1e-9), gap)
        lifted: np.ndarray = np.minimum(gap, cap)
        return lifted

    full = lift(need)
    floor = lift(rules.floor_share * need)
    saving = (full - floor) * unit_cost
    # An indicator whose threshold the limits put out of reach is the one to leave at 85 %.
    saving = np.where(y + full < need - 1e-6, np.inf, saving)
    leave = np.argmax(saving, axis=1)
    added = full.copy()
    added[np.arange(n), leave] = floor[np.arange(n), leave]
    y_new = y + added

    # Stock bought for one part of a combined school is bought once for the school, and its
    # other part receives its share too, which can move that stage's CV: repeat until stable.
    for _ in range(6):
        for st in STAGES:
            sel = np.flatnonzero(stage == st)
            if len(sel) < 2:
                continue
            limit = rules.cv_limit[st] - costs.solver["cv_margin"]
            for j in range(7):
                if weighted_cv(y_new[sel, j], p[sel]) <= limit or (st, INDICATORS[j].id) in exclude_cv:
                    continue
                base = y_new[sel, j]
                room = np.maximum(cap[sel, j] - added[sel, j], 0)
                lo, hi = 0.0, float((base / p[sel]).max())
                for _ in range(60):
                    mid = (lo + hi) / 2
                    extra = np.minimum(np.maximum(mid * p[sel] - base, 0), room)
                    if integer[j]:
                        extra = np.minimum(np.ceil(extra - 1e-9), np.floor(room + 1e-9))
                    if weighted_cv(base + extra, p[sel]) <= limit:
                        hi = mid
                    else:
                        lo = mid
                extra = np.minimum(np.maximum(hi * p[sel] - base, 0), room)
                if integer[j]:
                    extra = np.minimum(np.ceil(extra - 1e-9), np.floor(room + 1e-9))
                added[sel, j] += extra
                y_new[sel, j] = base + extra

        # The part with the largest need per share decides what its school buys.
        school_buy = np.zeros((n, len(fac)))
        for c, j in enumerate(fac):
            per_school = pl.DataFrame({"s": sid, "x": added[:, j] / np.maximum(share, 1e-9)}).group_by("s").agg(
                pl.col("x").max())
            lookup = dict(zip(per_school["s"].to_list(), per_school["x"].to_list(), strict=False))
            school_buy[:, c] = [lookup[s] for s in sid]
        final = y.copy()
        final[:, teach] += added[:, teach]
        final[:, fac] += school_buy * share[:, None]
        if np.allclose(final, y_new):
            break
        added = final - y
        y_new = final.copy()

    cost = float((added[:, teach] * unit_cost[0, teach]).sum())
    seen: set[str] = set()
    for r in range(n):
        if sid[r] in seen:
            continue
        seen.add(sid[r])
        cost += float(sum(school_buy[r, c] * raising(INDICATORS[j].id, "stock").unit_cost(costs)
                          for c, j in enumerate(fac)))
    met = final >= need - 1e-6
    ok = (final >= rules.floor_share * need - 1e-6).all(axis=1) & (met.sum(axis=1) >= rules.min_met)
    judged = np.array([(s, st) not in exclude_parts for s, st in zip(sid, stage, strict=False)], dtype=bool)
    failures = [f"school {sid[r]} {stage[r]}" for r in np.flatnonzero(judged & ~ok)]
    failures += [f"cv {st} {INDICATORS[j].id} {weighted_cv(final[stage == st, j], p[stage == st]):.4f}"
                 for st in STAGES if (stage == st).sum() >= 2 for j in range(k)
                 if (st, INDICATORS[j].id) not in exclude_cv
                 and weighted_cv(final[stage == st, j], p[stage == st]) > rules.cv_limit[st] + 1e-9]
    return HeuristicResult(cost, not failures, added, failures)
