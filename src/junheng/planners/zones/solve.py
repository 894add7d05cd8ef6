"""Steps 2–3: build the HiGHS model from the problem tables with named rows, solve, read back.

Model (areas a, units u = schools or 多校划片 groups, candidate pairs p = (a, u)):

    min  Σ_p w_a · km_p · x_p                      student-km (w_a = students of a)
    assign[a]:  Σ_u x_au = 1                       each area served once (fractions if splittable)
    cap[u]:     Σ_a d_a · x_au ≤ seats_u           seats of the school / group
    moved:      Σ_a d_a · x_a,cur(a) ≥ Σ_a d_a − M  keep-current: at most M students change
    link[a,u]:  x_au ≤ y_au                        splittable + contiguity: y = in the zone
    contig[u,k]: y_iu ≤ Σ_{k∈N(S)} y_ku            S ∌ root(u) a set holding i: cut loop

Candidates are pruned to the k nearest units per area plus the current and fixed ones; the
pruning is then *checked*: the LP relaxation is re-solved with every pair whose reduced cost is
negative (column generation over all pairs), and once a plan of cost UB is known, every pair
with reduced cost > UB − LB provably cannot appear in a better plan (reduced-cost fixing);
the final MIP keeps every other pair, so its optimum is the optimum of the unpruned problem.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, maximum_bipartite_matching

from junheng.planners.milp import SOLVER_THREADS, new_highs
from junheng.planners.zones import heuristics
from junheng.planners.zones.problem import ZoneProblem, rules

EPS_WEIGHT = 1e-3   # areas without children still get a zone: the nearest, not an arbitrary one


@dataclass
class Solution:
    status: str                     # optimal | feasible | infeasible | unknown
    pair_area: np.ndarray
    pair_unit: np.ndarray
    share: np.ndarray               # fraction of the area's students per pair (0..1)
    objective_student_km: float | None
    bound_student_km: float | None
    gap: float | None
    slack_seats: np.ndarray | None = None      # per unit, when infeasible
    moved_excess: float = 0.0
    unserved_areas: list[int] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    pruning: dict[str, Any] = field(default_factory=dict)


class _Model:
    """One HiGHS model over a pair set; rows named like the plan's tables."""

    def __init__(self, problem: ZoneProblem, pa: np.ndarray, pu: np.ndarray, *,
                 integer: bool, contiguity: bool, slack: bool, seed: int) -> None:
        self.p = problem
        self.pa, self.pu = pa, pu
        n, m, npairs = problem.n_areas, problem.n_units, len(pa)
        d = problem.demand
        self.split_y = contiguity and problem.options.splittable
        cost = np.maximum(d[pa], EPS_WEIGHT) * problem.dist_m[pa, pu] / 1000.0
        self.big = 10.0 * (float(problem.dist_m[problem.allowed].max(initial=0.0)) / 1000 + 1.0)
        cols_cost = [cost]
        lower = [np.zeros(npairs)]
        upper = [np.ones(npairs)]
        integ = [np.full(npairs, integer and not problem.options.splittable)]
        self.y_off = npairs
        if self.split_y:
            cols_cost.append(np.zeros(npairs))
            lower.append(np.zeros(npairs))
            upper.append(np.ones(npairs))
            integ.append(np.ones(npairs, dtype=bool))
        ncols = npairs * (2 if self.split_y else 1)
        self.slack_off = ncols
        rows_i: list[np.ndarray] = []
        rows_j: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        rlo: list[np.ndarray] = []
        rhi: list[np.ndarray] = []
        names: list[str] = []
        areas_ids = problem.areas["area_id"].to_list()
        unit_ids = problem.units["unit_id"].to_list()
        r = 0
        served = np.unique(pa)
        row_of_area = np.full(n, -1)
        row_of_area[served] = np.arange(len(served))
        rows_i.append(row_of_area[pa])
        rows_j.append(np.arange(npairs))
        vals.append(np.ones(npairs))
        rlo.append(np.ones(len(served)))
        rhi.append(np.ones(len(served)))
        names += [f"assign[{areas_ids[a]}]" for a in served]
        r += len(served)
        self.cap_row0 = r
        rows_i.append(r + pu)
        rows_j.append(np.arange(npairs))
        vals.append(d[pa])
        rlo.append(np.full(m, -np.inf))
        rhi.append(problem.capacity.copy())
        names += [f"cap[{u}]" for u in unit_ids]
        r += m
        if slack:
            cols_cost.append(np.full(m, self.big))
            lower.append(np.zeros(m))
            upper.append(np.full(m, np.inf))
            integ.append(np.zeros(m, dtype=bool))
            rows_i.append(self.cap_row0 + np.arange(m))
            rows_j.append(ncols + np.arange(m))
            vals.append(-np.ones(m))
            ncols += m
        self.moved_row = -1
        cur = problem.current
        opts = problem.options
        if opts.keep_current and opts.max_moved is not None:
            on_cur = (cur[pa] == pu) & (cur[pa] >= 0)
            total = float(d[cur >= 0].sum())
            self.moved_row = r
            rows_i.append(np.full(int(on_cur.sum()), r))
            rows_j.append(np.nonzero(on_cur)[0])
            vals.append(d[pa[on_cur]])
            rlo.append(np.array([total - float(opts.max_moved)]))
            rhi.append(np.array([np.inf]))
            names.append("moved")
            r += 1
            if slack:
                self.moved_slack_col = ncols
                cols_cost.append(np.array([self.big]))
                lower.append(np.zeros(1))
                upper.append(np.array([np.inf]))
                integ.append(np.zeros(1, dtype=bool))
                rows_i.append(np.array([self.moved_row]))
                rows_j.append(np.array([ncols]))
                vals.append(np.ones(1))
                ncols += 1
        if self.split_y:
            rows_i.append(np.concatenate([r + np.arange(npairs), r + np.arange(npairs)]))
            rows_j.append(np.concatenate([np.arange(npairs), npairs + np.arange(npairs)]))
            vals.append(np.concatenate([np.ones(npairs), -np.ones(npairs)]))
            rlo.append(np.full(npairs, -np.inf))
            rhi.append(np.zeros(npairs))
            names += [f"link[{areas_ids[a]},{unit_ids[u]}]" for a, u in zip(pa, pu, strict=False)]
            r += npairs
        fixed = problem.fixed_unit
        lower_x = lower[0]
        lower_x[(fixed[pa] >= 0) & (fixed[pa] == pu)] = 1.0
        self.nrows, self.ncols = r, ncols
        a = sp.csc_matrix(
            (np.concatenate(vals), (np.concatenate(rows_i), np.concatenate(rows_j))),
            shape=(r, ncols),
        )
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = ncols, r
        lp.col_cost_ = np.concatenate(cols_cost)
        lp.col_lower_ = np.concatenate(lower)
        lp.col_upper_ = np.concatenate(upper)
        lp.row_lower_ = np.concatenate(rlo)
        lp.row_upper_ = np.concatenate(rhi)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        self.integer = bool(np.concatenate(integ).any())
        if self.integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
                               for f in np.concatenate(integ)]
        h = new_highs()
        self.h = h
        self.seed = seed
        self.configure(opts)
        h.passModel(lp)
        for i, name in enumerate(names):
            h.passRowName(i, name)
        self.h = h
        self.n_cuts = 0
        self.rc: np.ndarray | None = None      # reduced costs of all pairs (LP only)
        self.certified = False                 # no pair outside the model prices out

    def configure(self, opts: Any) -> None:
        h = self.h
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", int(self.seed))
        h.setOptionValue("mip_rel_gap", float(opts.mip_rel_gap or rules()["defaults"]["mip_rel_gap"]))

    def y_col(self, pair_idx: np.ndarray) -> np.ndarray:
        return pair_idx + (self.y_off if self.split_y else 0)

    def add_cuts(self, cuts: list[tuple[int, np.ndarray, str]]) -> None:
        """Each cut: y[pair i] − Σ y[pairs in N(S)] ≤ 0."""
        starts, idx, val = [], [], []
        nnz = 0
        for head, nbr, _ in cuts:
            starts.append(nnz)
            cols = np.concatenate([[self.y_col(np.array([head]))[0]], self.y_col(nbr)])
            idx.append(cols)
            val.append(np.concatenate([[1.0], -np.ones(len(nbr))]))
            nnz += len(cols)
        k = len(cuts)
        self.h.addRows(k, np.full(k, -np.inf), np.zeros(k), nnz, np.array(starts, dtype=np.int32),
                       np.concatenate(idx).astype(np.int32), np.concatenate(val))
        for t, (_, _, name) in enumerate(cuts):
            self.h.passRowName(self.nrows + t, name)
        self.nrows += k
        self.n_cuts += k

    def run(self, time_limit: float, start: np.ndarray | None = None) -> str:
        self.h.setOptionValue("time_limit", max(float(time_limit), 0.5))
        if start is not None and self.integer:
            sol = highspy.HighsSolution()
            full = np.zeros(self.ncols)
            full[: len(self.pa)] = start
            if self.split_y:
                full[self.y_off: self.y_off + len(self.pa)] = (start > 1e-9).astype(float)
            sol.col_value = list(full)
            sol.value_valid = True
            self.h.setSolution(sol)
        self.h.run()
        return self.h.modelStatusToString(self.h.getModelStatus())

    def has_solution(self) -> bool:
        return bool(self.h.getInfo().primal_solution_status == 2)

    def values(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().col_value)

    def duals(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().row_dual)


def _lp_relaxation(problem: ZoneProblem, pa: np.ndarray, pu: np.ndarray, seed: int,
                   deadline: float) -> tuple[_Model, np.ndarray, np.ndarray, int]:
    """The LP over the candidates, then column generation over every allowed pair until no
    reduced cost is negative: its value is then a lower bound for the unpruned problem."""
    rounds = 0
    while True:
        m = _Model(problem, pa, pu, integer=False, contiguity=False, slack=False, seed=seed)
        status = m.run(max(deadline - time.monotonic(), 1.0))
        if status != "Optimal":
            return m, pa, pu, rounds
        rc = _reduced_costs(problem, m)
        neg = problem.allowed & (rc < -1e-6 * (1 + np.abs(rc)))
        neg[pa, pu] = False
        if not neg.any() or rounds >= 25 or time.monotonic() > deadline:
            m.rc = rc
            m.certified = not neg.any()
            return m, pa, pu, rounds
        # Add, per area, its most negative pairs (at most 5 a round).
        rows, cols = np.nonzero(neg)
        order = np.lexsort((rc[rows, cols], rows))
        rows, cols = rows[order], cols[order]
        first = np.r_[0, np.nonzero(np.diff(rows))[0] + 1]
        rank = np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first, len(rows)]))
        keep = rank < 5
        pa = np.concatenate([pa, rows[keep]])
        pu = np.concatenate([pu, cols[keep]])
        rounds += 1


def _reduced_costs(problem: ZoneProblem, m: _Model) -> np.ndarray:
    """c_au − A^T y for every (area, unit) pair, from the LP's row duals."""
    y = m.duals()
    n, k = problem.n_areas, problem.n_units
    d = problem.demand
    served = np.unique(m.pa)
    u_area = np.zeros(n)
    u_area[served] = y[: len(served)]
    v = y[m.cap_row0: m.cap_row0 + k]
    cost = np.maximum(d, EPS_WEIGHT)[:, None] * problem.dist_m / 1000.0
    rc = cost - u_area[:, None] - d[:, None] * v[None, :]
    if m.moved_row >= 0:
        cur = problem.current
        has = cur >= 0
        rc[np.nonzero(has)[0], cur[has]] -= d[has] * y[m.moved_row]
    return np.where(problem.allowed, rc, np.inf)


def candidate_pairs(problem: ZoneProblem, k: int) -> tuple[np.ndarray, np.ndarray]:
    d = np.where(problem.allowed, problem.dist_m, np.inf)
    k = min(k, problem.n_units)
    near = np.argpartition(d, k - 1, axis=1)[:, :k] if k < problem.n_units else \
        np.tile(np.arange(problem.n_units), (problem.n_areas, 1))
    mask = np.zeros(d.shape, dtype=bool)
    np.put_along_axis(mask, near, True, axis=1)
    cur = problem.current
    has = cur >= 0
    mask[np.nonzero(has)[0], cur[has]] = True
    mask &= problem.allowed
    pa, pu = np.nonzero(mask)
    return pa.astype(np.int64), pu.astype(np.int64)


def plan_cost(problem: ZoneProblem, assign: np.ndarray) -> float:
    ok = assign >= 0
    return float((problem.demand[ok] * problem.dist_m[np.nonzero(ok)[0], assign[ok]]).sum() / 1000)


def _plan_ok(problem: ZoneProblem, assign: np.ndarray) -> bool:
    if (assign < 0).any() or not problem.allowed[np.arange(problem.n_areas), assign].all():
        return False
    load = np.bincount(assign, weights=problem.demand, minlength=problem.n_units)
    if (load > problem.capacity + 1e-6).any():
        return False
    o = problem.options
    if o.keep_current and o.max_moved is not None:
        cur = problem.current
        moved = problem.demand[(cur >= 0) & (assign != cur)].sum()
        if moved > o.max_moved + 1e-6:
            return False
    return True


def _round_lp(problem: ZoneProblem, m: _Model) -> np.ndarray:
    """Round the LP: integral areas keep their school; fractional areas are matched to distinct
    schools of their support (a vertex's support is a forest, so such a matching exists) —
    each school then gains at most one extra area — and overloads are repaired."""
    x = m.values()[: len(m.pa)]
    n = problem.n_areas
    best = np.full(n, -1, dtype=np.int64)
    bestv = np.full(n, -1.0)
    order = np.argsort(x)
    best[m.pa[order]] = m.pu[order]
    bestv[m.pa[order]] = x[order]
    frac_pair = (x > 1e-7) & (x < 1 - 1e-7)
    fa = np.unique(m.pa[frac_pair])
    if len(fa):
        pos = np.full(n, -1)
        pos[fa] = np.arange(len(fa))
        sel = frac_pair & (pos[m.pa] >= 0)
        g = sp.csr_matrix((np.ones(int(sel.sum())), (pos[m.pa[sel]], m.pu[sel])),
                          shape=(len(fa), problem.n_units))
        match = maximum_bipartite_matching(g, perm_type="column")
        ok = match >= 0
        best[fa[ok]] = match[ok]
    return heuristics.repair(problem, best)


def _quiet_heuristics(h: highspy.Highs) -> None:
    h.setOptionValue("mip_heuristic_effort", 0.0)
    for name in ("rins", "rens", "root_reduced_cost", "feasibility_jump"):
        h.setOptionValue(f"mip_heuristic_run_{name}", False)


def _polish(problem: ZoneProblem, rc: np.ndarray, start: np.ndarray, seed: int, tol: float,
            deadline: float) -> tuple[np.ndarray | None, bool]:
    """Best plan over the LP's cheapest pairs: every pair with reduced cost 0 (the LP support,
    where the few fractional areas sit) and as many next-cheapest as there are areas. A small
    MIP (a fifth of the candidates on the city), whose optimum is near the full one because a
    plan using a dearer pair costs at least the LP bound plus its reduced cost.
    Returns (plan, whether the search ran its course)."""
    n = problem.n_areas
    pos = rc[problem.allowed]
    pos = np.sort(pos[pos > 1e-9])
    if len(pos) == 0:
        return None, False
    delta = float(pos[min(n, len(pos) - 1)])
    keep = problem.allowed & (rc <= delta)
    keep[np.arange(n), start] = True
    fu = problem.fixed_unit
    keep[np.nonzero(fu >= 0)[0], fu[fu >= 0]] = True
    pa, pu = (v.astype(np.int64) for v in np.nonzero(keep))
    m = _Model(problem, pa, pu, integer=True, contiguity=False, slack=False, seed=seed)
    # A quarter of the gap: the final proof at the root only succeeds when the start is
    # within a hair of the optimum, so the polish keeps searching past the plain tolerance.
    m.h.setOptionValue("mip_rel_gap", tol / 4)
    status = m.run(deadline - time.monotonic(), (start[pa] == pu).astype(float))
    if not m.has_solution():
        return None, False
    x = m.values()[: len(pa)]
    out = start.copy()
    sel = x > 0.5
    out[pa[sel]] = pu[sel]
    if not _plan_ok(problem, out):
        return None, False
    return out, status in ("Optimal", "Time limit reached")


def _components_cuts(problem: ZoneProblem, in_zone: np.ndarray, pair_index: dict[tuple[int, int], int],
                     ) -> list[tuple[int, np.ndarray, str]]:
    """For each unit, the parts of its zone not connected to the school's own area."""
    n = problem.n_areas
    e = problem.edges
    areas_ids = problem.areas["area_id"].to_list()
    unit_ids = problem.units["unit_id"].to_list()
    cuts: list[tuple[int, np.ndarray, str]] = []
    adj = sp.coo_matrix((np.ones(2 * len(e)), (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])),
                        shape=(n, n)).tocsr()
    for j in range(problem.n_units):
        members = in_zone[:, j].copy()
        if not members.any():
            continue
        root = problem.root[j]
        members[root] = True
        idx = np.nonzero(members)[0]
        sub = adj[idx][:, idx]
        ncomp, lab = connected_components(sub, directed=False)
        if ncomp <= 1:
            continue
        root_lab = lab[np.searchsorted(idx, root)]
        for c in range(ncomp):
            if c == root_lab:
                continue
            comp = idx[lab == c]
            nb = np.setdiff1d(adj[comp].indices, comp)
            nb_pairs = np.array([pair_index[(int(k), j)] for k in nb if (int(k), j) in pair_index],
                                dtype=np.int64)
            for i in comp:
                if (int(i), j) in pair_index:
                    cuts.append((pair_index[(int(i), j)], nb_pairs,
                                 f"contig[{unit_ids[j]},{areas_ids[i]},{len(cuts)}]"))
    return cuts


def solve(problem: ZoneProblem) -> Solution:
    opts = problem.options
    cfg = rules()["defaults"]
    t0 = time.monotonic()
    limit = float(opts.time_limit_s or cfg["time_limit_s"])
    deadline = t0 + limit
    k = int(opts.candidates_per_area or cfg["candidates_per_area"])
    stats: dict[str, Any] = {"solver": f"HiGHS {highspy.Highs().version()}"  # type: ignore[no-untyped-call]
                             , "threads": SOLVER_THREADS}

    unserved = np.nonzero(~problem.allowed.any(axis=1))[0].tolist()
    pa, pu = candidate_pairs(problem, k)
    pruning: dict[str, Any] = {"k": k, "candidate_pairs": len(pa),
                               "all_pairs": int(problem.allowed.sum())}
    if unserved or _seats_short(problem):
        # Fewer seats than pupils in total: no plan exists, and the priced-slack model says
        # where and by how much at once, instead of first proving the plain model infeasible.
        return _diagnose(problem, pa, pu, unserved, stats, pruning, deadline)

    lp, pa, pu, rounds = _lp_relaxation(problem, pa, pu, opts.seed, deadline)
    stats["lp_seconds"] = round(time.monotonic() - t0, 3)
    pruning["column_generation_rounds"] = rounds
    if lp.rc is None:
        return _diagnose(problem, pa, pu, unserved, stats, pruning, deadline)
    lb = float(lp.h.getInfo().objective_function_value)
    pruning["lp_certified"] = bool(lp.certified)
    stats["lp_bound_student_km"] = lb

    start_assign: np.ndarray | None = None
    ub = np.inf
    if not opts.splittable:
        cands = [heuristics.greedy(problem), _round_lp(problem, lp)]
        cands = [c for c in cands if _plan_ok(problem, c)]
        if cands and not (opts.keep_current and opts.max_moved is not None):
            cands = [heuristics.improve(problem, c) for c in cands]
        stats["heuristic_seconds"] = round(time.monotonic() - t0 - stats["lp_seconds"], 3)
        if cands:
            start_assign = min(cands, key=lambda c: plan_cost(problem, c))
            ub = plan_cost(problem, start_assign)
            stats["start_student_km"] = ub
    tol = float(opts.mip_rel_gap or cfg["mip_rel_gap"])
    polished = False
    if opts.polish and start_assign is not None and not opts.contiguity \
            and ub - lb > tol * abs(ub):
        t1 = time.monotonic()
        better, polished = _polish(problem, lp.rc, start_assign, opts.seed, tol,
                                   t1 + min(float(cfg["polish_share"]) * max(deadline - t1, 1.0),
                                            float(cfg["polish_max_s"])))
        if better is not None and plan_cost(problem, better) < ub:
            start_assign, ub = better, plan_cost(problem, better)
        stats["polish_seconds"] = round(time.monotonic() - t1, 3)
        stats["polish_student_km"] = ub
    if start_assign is not None and lp.certified and not opts.contiguity \
            and ub - lb <= tol * abs(ub):
        # A vertex of this transportation-like LP leaves at most about one fractional area per
        # school, so when seats are not tight the rounded plan is already within the gap of
        # the LP bound over every allowed pair: that bound is the certificate, no MIP needed.
        stats["seconds"] = round(time.monotonic() - t0, 3)
        stats["mip_status"] = "proved by LP bound"
        pruning.update(model_pairs=len(pa), exact=True,
                       note_zh="线性松弛下界 (已对全部组合验证) 与所得方案之差在容差以内, 方案即最优",
                       note_en="the LP bound over every pair proves the plan optimal within the gap")
        ar = np.arange(problem.n_areas)
        return Solution("optimal", ar, start_assign.copy(), np.ones(problem.n_areas), ub, lb,
                        max(0.0, (ub - lb) / max(abs(ub), 1e-9)), stats=stats, pruning=pruning)
    rc = lp.rc
    assert rc is not None
    exact = False
    if opts.splittable and not opts.contiguity:
        exact = bool(lp.certified)
    elif np.isfinite(ub) and lp.certified and not opts.contiguity:
        keep = problem.allowed & (rc <= (ub - lb) + 1e-7 * (1 + abs(ub)))
        # The exact pair set only when it is not much larger than the candidates: on the
        # 5,000-area city it is 2.3× larger and the proof then takes 4× as long.
        if keep.sum() <= max(1.25 * len(pa), 20_000):
            assert start_assign is not None
            keep[np.arange(problem.n_areas), start_assign] = True
            keep[problem.fixed_unit >= 0, problem.fixed_unit[problem.fixed_unit >= 0]] = True
            pa, pu = (v.astype(np.int64) for v in np.nonzero(keep))
            exact = True
    if not exact and start_assign is not None:
        extra = np.zeros(problem.allowed.shape, dtype=bool)
        extra[pa, pu] = True
        extra[np.arange(problem.n_areas), start_assign] = True
        pa, pu = (v.astype(np.int64) for v in np.nonzero(extra))
    pruning["model_pairs"] = len(pa)
    pruning["exact"] = exact
    if exact:
        pruning["note_zh"] = (f"每个片区先只考虑最近 {k} 所学校; 经对偶检验 (列生成 + 约简费用固定), "
                              "被剪去的组合都不可能出现在更优方案中, 结果即完整问题的最优解")
        pruning["note_en"] = (f"candidates pruned to the {k} nearest schools per area; LP duals "
                              "(column generation + reduced-cost fixing) prove no pruned pair can "
                              "improve the plan: optimal for the unpruned problem")
    else:
        pruning["note_zh"] = (f"每个片区只考虑最近 {k} 所学校 (及现行学校)"
                              + ("; 线性松弛已对全部组合验证" if lp.certified else "")
                              + "; 这是对完整问题的近似")
        pruning["note_en"] = (f"candidates pruned to the {k} nearest schools per area (and the "
                              "current one); an approximation of the unpruned problem"
                              + (" (its LP relaxation is certified)" if lp.certified else ""))

    model = _Model(problem, pa, pu, integer=True, contiguity=opts.contiguity, slack=False,
                   seed=opts.seed)
    pair_index = {(int(a), int(u)): i for i, (a, u) in enumerate(zip(pa, pu, strict=False))}
    start = None
    if start_assign is not None:
        start = (start_assign[pa] == pu).astype(float)
    if polished:
        # The start is already the best plan of the LP's cheapest pairs: primal heuristics at
        # the root mostly rediscover it and cost more than the cut rounds that raise the bound
        # (5,000-area city: root bound in 15 s without them, 25–60 s with). Without them a
        # start a hair off the optimum can stall the search, so they come back for the rest
        # of the time if the first slice does not close the gap.
        _quiet_heuristics(model.h)
        status = model.run(0.5 * (deadline - time.monotonic()), start)
        stats["quiet_status"] = status
        if status != "Optimal" and status != "Infeasible" and time.monotonic() < deadline - 1:
            if model.has_solution():
                start = model.values()[: len(pa)]
            model.h.resetOptions()
            model.configure(opts)
            status = model.run(deadline - time.monotonic(), start)
    else:
        status = model.run(deadline - time.monotonic(), start)
    rounds_c = 0
    while opts.contiguity and model.has_solution():
        x = model.values()
        in_zone = np.zeros((problem.n_areas, problem.n_units), dtype=bool)
        vals = x[model.y_off: model.y_off + len(pa)] if model.split_y else x[: len(pa)]
        sel = vals > 0.5
        in_zone[pa[sel], pu[sel]] = True
        cuts = _components_cuts(problem, in_zone, pair_index)
        if not cuts or time.monotonic() > deadline:
            break
        model.add_cuts(cuts)
        rounds_c += 1
        status = model.run(deadline - time.monotonic())
    stats["contiguity_rounds"] = rounds_c
    stats["contiguity_cuts"] = model.n_cuts
    stats["mip_status"] = status
    stats["seconds"] = round(time.monotonic() - t0, 3)
    stats["rows"], stats["columns"] = model.nrows, model.ncols
    if status == "Infeasible":
        return _diagnose(problem, pa, pu, unserved, stats, pruning, deadline + 30)
    if not model.has_solution():
        return Solution("unknown", pa[:0], pu[:0], np.zeros(0), None, lb, None, stats=stats,
                        pruning=pruning)
    x = model.values()[: len(pa)]
    info = model.h.getInfo()
    obj = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if model.integer else obj
    if not np.isfinite(bound):
        bound = lb
    gap = max(0.0, (obj - bound) / max(abs(obj), 1e-9)) if model.integer else 0.0
    pending = opts.contiguity and bool(_components_cuts(
        problem, _zone_matrix(problem, pa, pu, x), pair_index))
    st = "optimal" if status == "Optimal" and not pending else ("unknown" if pending else "feasible")
    sel = x > 1e-9
    return Solution(st, pa[sel], pu[sel], np.clip(x[sel], 0, 1), obj, bound, gap, stats=stats,
                    pruning=pruning)


def _seats_short(problem: ZoneProblem) -> bool:
    fu = problem.fixed_unit
    if (problem.demand.sum() > problem.capacity.sum() + 1e-6):
        return True
    # Areas fixed to a school can overload it on their own.
    fixed_load = np.bincount(fu[fu >= 0], weights=problem.demand[fu >= 0],
                             minlength=problem.n_units)
    return bool((fixed_load > problem.capacity + 1e-6).any())


def _zone_matrix(problem: ZoneProblem, pa: np.ndarray, pu: np.ndarray, x: np.ndarray) -> np.ndarray:
    z = np.zeros((problem.n_areas, problem.n_units), dtype=bool)
    sel = x > 1e-9
    z[pa[sel], pu[sel]] = True
    return z


def _diagnose(problem: ZoneProblem, pa: np.ndarray, pu: np.ndarray, unserved: list[int],
              stats: dict[str, Any], pruning: dict[str, Any], deadline: float) -> Solution:
    """No plan fits: the same model with per-school seat slack (and moved-limit slack) priced
    far above any trip, so the solver finds the fewest missing seats and where they are."""
    if problem.allowed.sum() <= 300_000:
        pa, pu = (v.astype(np.int64) for v in np.nonzero(problem.allowed))
    model = _Model(problem, pa, pu, integer=True, contiguity=False, slack=True,
                   seed=problem.options.seed)
    status = model.run(max(deadline - time.monotonic(), 10.0))
    stats["diagnosis_status"] = status
    if not model.has_solution():
        return Solution("infeasible", pa[:0], pu[:0], np.zeros(0), None, None, None,
                        unserved_areas=unserved, stats=stats, pruning=pruning)
    v = model.values()
    m = problem.n_units
    x = v[: len(pa)]
    slack = v[model.slack_off: model.slack_off + m]
    moved_excess = float(v[model.moved_slack_col]) if model.moved_row >= 0 else 0.0
    sel = x > 1e-9
    obj = float((np.maximum(problem.demand[pa[sel]], 0) * problem.dist_m[pa[sel], pu[sel]] * x[sel]).sum() / 1000)
    if not unserved and float(slack.sum()) < 1e-6 and moved_excess < 1e-6:
        # No seat is missing: the candidates were too few, not the seats. The slack model over
        # every allowed pair is then the plain model, and its answer stands as the plan.
        info = model.h.getInfo()
        if model.integer:
            bound = float(info.mip_dual_bound)
            gap = max(0.0, (info.objective_function_value - bound) / max(abs(obj), 1e-9))
        else:   # splittable: an LP, solved exactly (mip_dual_bound is not set)
            bound, gap = float(info.objective_function_value), 0.0
        pruning["exact"] = bool(len(pa) == int(problem.allowed.sum()))
        return Solution("optimal" if status == "Optimal" else "feasible", pa[sel], pu[sel],
                        np.clip(x[sel], 0, 1), obj, bound, gap, stats=stats, pruning=pruning)
    return Solution("infeasible", pa[sel], pu[sel], np.clip(x[sel], 0, 1), obj, None, None,
                    slack_seats=np.round(slack, 6), moved_excess=moved_excess,
                    unserved_areas=unserved, stats=stats, pruning=pruning)
