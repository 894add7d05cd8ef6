"""Baselines and starting plans: nearest school (ignores capacity), a greedy capacity-aware
assignment, and a repair step that moves areas out of overloaded schools at least cost.

They work on whole areas and return one unit index per area (-1 = unserved).
"""

from __future__ import annotations

import numpy as np

from junheng.planners.zones.problem import ZoneProblem


def nearest(problem: ZoneProblem) -> np.ndarray:
    d = np.where(problem.allowed, problem.dist_m, np.inf)
    out = np.asarray(np.argmin(d, axis=1), dtype=np.int64)
    out[~np.isfinite(d.min(axis=1))] = -1
    return out


def greedy(problem: ZoneProblem) -> np.ndarray:
    """Areas with most to lose (regret: second-nearest minus nearest, times students) choose
    first, each the nearest school with room; an area no school has room for goes to the
    nearest one anyway (an overload the report shows)."""
    d = np.where(problem.allowed, problem.dist_m, np.inf)
    demand = problem.demand
    order_u = np.argsort(d, axis=1)
    srt = np.take_along_axis(d, order_u, axis=1)
    second = srt[:, 1] if srt.shape[1] > 1 else srt[:, 0]
    regret = np.where(np.isfinite(second), second - srt[:, 0], 1e12) * np.maximum(demand, 1e-3)
    room = problem.capacity.copy()
    out = np.full(problem.n_areas, -1, dtype=np.int64)
    fixed = problem.fixed_unit
    for a in np.nonzero(fixed >= 0)[0]:
        out[a] = fixed[a]
        room[fixed[a]] -= demand[a]
    for a in np.argsort(-regret, kind="stable"):
        if out[a] >= 0 or not np.isfinite(srt[a, 0]):
            continue
        ok = np.isfinite(srt[a]) & (room[order_u[a]] >= demand[a] - 1e-9)
        j = order_u[a, int(np.argmax(ok))] if ok.any() else order_u[a, 0]
        out[a] = j
        room[j] -= demand[a]
    return out


def repair(problem: ZoneProblem, assign: np.ndarray, max_moves: int = 100_000) -> np.ndarray:
    """Move areas out of overloaded units, each time the move that costs the fewest extra
    student-km per seat freed, into a unit with room. Returns the repaired copy (possibly
    still overloaded when no move fits)."""
    out = assign.copy()
    demand = problem.demand
    cap = problem.capacity
    dist = np.where(problem.allowed, problem.dist_m, np.inf)
    movable = problem.fixed_unit < 0
    for _ in range(max_moves):
        load = np.bincount(out[out >= 0], weights=demand[out >= 0], minlength=len(cap))
        over = load - cap
        if (over <= 1e-9).all():
            break
        j = int(np.argmax(over))
        members = np.nonzero((out == j) & movable & (demand > 0))[0]
        if len(members) == 0:
            break
        room = cap - load
        fits = room[None, :] >= demand[members, None] - 1e-9
        fits[:, j] = False
        delta = np.where(fits, dist[members] - dist[members, j][:, None], np.inf)
        if not np.isfinite(delta).any():
            break
        r, c = np.unravel_index(np.argmin(delta), delta.shape)
        out[members[r]] = c
    return out


def improve(problem: ZoneProblem, assign: np.ndarray, passes: int = 20) -> np.ndarray:
    """Local search on a feasible plan: shift an area to a nearer school with room, or swap two
    areas between schools when both still fit; best gains first, until nothing improves."""
    out = assign.copy()
    demand = problem.demand
    cap = problem.capacity
    dist = np.where(problem.allowed, problem.dist_m, np.inf)
    movable = np.nonzero(problem.fixed_unit < 0)[0]
    near = np.argsort(dist, axis=1)[:, :6]
    for _ in range(passes):
        load = np.bincount(out, weights=demand, minlength=len(cap))
        changed = False
        cur_d = dist[movable, out[movable]]
        gain = (cur_d[:, None] - dist[movable[:, None], near[movable]]) * demand[movable, None]
        rows, cols = np.nonzero(gain > 1e-9)
        order = np.argsort(-gain[rows, cols])
        for r, c in zip(rows[order], cols[order], strict=False):
            a = movable[r]
            v = near[a, c]
            u = out[a]
            if u == v or dist[a, v] >= dist[a, u]:
                continue
            if load[v] + demand[a] <= cap[v] + 1e-9:
                out[a] = v
                load[v] += demand[a]
                load[u] -= demand[a]
                changed = True
                continue
            # Swap with an area b of v that may go to u: both schools must still fit.
            at_v = np.nonzero((out == v) & (problem.fixed_unit < 0))[0]
            if len(at_v) == 0:
                continue
            fit = (load[v] - demand[at_v] + demand[a] <= cap[v] + 1e-9) & \
                  (load[u] - demand[a] + demand[at_v] <= cap[u] + 1e-9)
            delta = (dist[a, v] - dist[a, u]) * demand[a] + (dist[at_v, u] - dist[at_v, v]) * demand[at_v]
            delta = np.where(fit, delta, np.inf)
            b_i = int(np.argmin(delta))
            if delta[b_i] < -1e-9:
                b = at_v[b_i]
                out[a], out[b] = v, u
                load[v] += demand[a] - demand[b]
                load[u] += demand[b] - demand[a]
                changed = True
        if not changed:
            break
    return out
