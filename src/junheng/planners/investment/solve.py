"""Steps 2 and 3 of the plan, solve and read back: the least-cost MILP of a ``Problem``, with the
CV limits enforced by cut rounds, and its solution read back as quantities per action.

Decision variables (all named, see ``MilpBuilder``), one block per action of the registry:

- per school-stage part and teacher indicator: its hire action, its move action (``move_in``)
  and ``move_out`` (integers). Moves stay inside a stage (teachers count by the stage they
  teach) and balance per stage and kind: a move costs less than a hire but empties a post.
- per school, each whole-school stock action (m², 元 — continuous, rounded up on read-back —
  and rooms, integer); the combined-school split shares it out with the fixed share of each part.
- per part and indicator, ``met`` binary: the 6-of-7 school rule is ``Y + ΔY ≥ need·met``,
  ``Y + ΔY ≥ 85 %·need`` and ``Σ met ≥ 6`` — linear, since each indicator is resource over fixed
  students.
- the CV limit of every stage and indicator is the cone of ``cv.py``, enforced by tangent cuts
  added round after round until the solution's exact CV is within the limit (outer approximation).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import polars as pl
import scipy.sparse as sp

from junheng.planners.investment.actions import Action
from junheng.planners.investment.costs import Costs
from junheng.planners.investment.cv import weighted_cv
from junheng.planners.investment.problem import CvPair, Problem, Unattainable, build_problem
from junheng.planners.investment.rules import ResourceRules
from junheng.planners.milp import MilpBuilder, allow_seconds


@dataclass
class SolveResult:
    status: str                       # optimal | feasible | infeasible | time_limit | cv_not_converged
    objective: float | None
    bound: float | None
    gap: float | None
    cut_rounds: int
    seconds: float
    quantities: dict[str, np.ndarray]  # action id -> quantity per part (part level) or per school
    moves_out: dict[str, np.ndarray]   # move action id -> teachers each part gives
    schools: list[str]
    unattainable: list[Unattainable] = field(default_factory=list)
    cv_after: dict[tuple[str, str], float] = field(default_factory=dict)
    met_after: np.ndarray | None = None


@dataclass
class _Model:
    """The MILP of a problem: the builder, the columns of each action, and ΔY per indicator."""

    b: MilpBuilder
    cols: dict[str, np.ndarray]          # action id -> its columns (move: the moves in)
    out_cols: dict[str, np.ndarray]      # move action id -> its moves-out columns
    delta: dict[str, sp.csr_matrix]      # indicator id -> ΔY of every part over the action columns
    met: np.ndarray                      # (parts, indicators) columns
    n_action_cols: int


def solve(parts: pl.DataFrame, rules: ResourceRules, costs: Costs, time_limit: float = 60.0,
          write_model: str | None = None) -> SolveResult:
    """Least-cost actions making every part pass the school rule and every CV hold."""
    return solve_problem(build_problem(parts, rules, costs), time_limit, write_model)


def _build_model(p: Problem) -> _Model:
    b = MilpBuilder()
    n = p.parts.height
    keys_r = [f"{sid},{st}" for sid, st in zip(p.school_ids, p.stage, strict=False)]
    keys_s = list(p.schools)
    cols: dict[str, np.ndarray] = {}
    out_cols: dict[str, np.ndarray] = {}
    for act in p.model_actions:
        if act.group == "hire":
            cols[act.id] = b.add_vars(str(act.variable), keys_r, 0, p.upper[act.id], act.unit_cost(p.costs),
                                      integer=True)
        elif act.group == "move":
            cols[act.id] = b.add_vars(str(act.variable), keys_r, 0, p.upper[act.id], act.unit_cost(p.costs),
                                      integer=True)
            out_name = "move_out" + str(act.variable).removeprefix("move_in")
            out_cols[act.id] = b.add_vars(out_name, keys_r, 0, p.move_out_upper[act.id], 0.0, integer=True)
            # Moves of a kind balance within each stage: every teacher moved in leaves a school.
            mi, mo = cols[act.id], out_cols[act.id]
            for st in ("primary", "junior"):
                sel = np.flatnonzero(p.stage == st)
                if len(sel):
                    b.add_rows(f"move_balance_{out_name.removeprefix('move_out_')}", [st],
                               np.zeros(2 * len(sel), int), np.concatenate([mo[sel], mi[sel]]),
                               np.concatenate([np.ones(len(sel)), -np.ones(len(sel))]), 0.0, 0.0)
        else:
            # Stocks are held in units that keep the matrix well scaled (100 m², 万元): the
            # thresholds per student span 0.01 teachers to 2500 元, and HiGHS slows on wide ranges.
            cols[act.id] = b.add_vars(str(act.variable), keys_s, 0, np.floor(p.upper[act.id]) / act.model_unit,
                                      act.unit_cost(p.costs) * act.model_unit, integer=act.integer)
    ncols = b.n_cols
    rows = np.arange(n)
    delta: dict[str, sp.csr_matrix] = {}
    for ind in p.indicators:
        if ind.kind == "teacher":
            hire = next(a for a in p.model_actions if a.indicator == ind.id and a.group == "hire")
            move = next(a for a in p.model_actions if a.indicator == ind.id and a.group == "move")
            c = np.concatenate([cols[hire.id], cols[move.id], out_cols[move.id]])
            v = np.concatenate([np.ones(n), np.ones(n), -np.ones(n)])
            delta[ind.id] = sp.csr_matrix((v, (np.concatenate([rows] * 3), c)), shape=(n, ncols))
        else:
            stock = next(a for a in p.model_actions if a.indicator == ind.id and a.group == "stock")
            delta[ind.id] = sp.csr_matrix((p.share * stock.model_unit, (rows, cols[stock.id][p.school_of_part])),
                                          shape=(n, ncols))
    met = _school_rule(b, p, delta, keys_r)
    return _Model(b, cols, out_cols, delta, met, ncols)


def _school_rule(b: MilpBuilder, p: Problem, delta: dict[str, sp.csr_matrix], keys_r: list[str]) -> np.ndarray:
    """The 6-of-7 rule of every part that can pass it, and the floor of every reachable indicator."""
    n, k = p.y.shape
    # met[r, j]: fixed to 1 where the part meets j and no action can lower it, 0 where unreachable.
    can_fall = p.lower_loss > 0
    fixed_one = (p.y >= p.need - 1e-9) & ~can_fall
    lb_met = np.where(fixed_one, 1.0, 0.0)
    ub_met = np.where(p.full_ok, 1.0, 0.0)
    # A part that cannot pass still gets every reachable indicator to its threshold: the plan
    # fixes what money can fix and the report names what it cannot.
    lb_met[~p.can_pass] = np.maximum(lb_met[~p.can_pass], ub_met[~p.can_pass])
    met = b.add_vars("met", [f"{key},{ind.id}" for key in keys_r for ind in p.indicators],
                     lb_met.ravel(), ub_met.ravel(), 0.0, integer=True).reshape(n, k)
    for j, ind in enumerate(p.indicators):
        d = delta[ind.id].tocoo()
        # Floor: Y + ΔY ≥ 85 % need (where reachable).
        rows_f = np.flatnonzero(p.floor_ok[:, j] & ((p.y[:, j] < p.floor[:, j]) | can_fall[:, j]))
        _add_delta_rows(b, f"floor_{ind.id}", [keys_r[r] for r in rows_f], d, rows_f,
                        lo=p.floor[rows_f, j] - p.y[rows_f, j])
        # Met: Y + ΔY − need·met ≥ 0.
        rows_m = np.flatnonzero(~fixed_one[:, j] & p.full_ok[:, j])
        _add_delta_rows(b, f"meets_{ind.id}", [keys_r[r] for r in rows_m], d, rows_m,
                        lo=-p.y[rows_m, j], extra_cols=met[rows_m, j], extra_vals=-p.need[rows_m, j])
    rows_c = np.flatnonzero(p.can_pass)
    b.add_rows("school_rule", [keys_r[r] for r in rows_c], np.repeat(np.arange(len(rows_c)), k),
               met[rows_c].ravel(), np.ones(k * len(rows_c)), float(p.rules.min_met), np.inf)
    return met


class _Cuts:
    """The CV cones of a model, built up front for the CVs near their limit and lazily for the
    others, and the separation of a solution from them."""

    def __init__(self, p: Problem, m: _Model) -> None:
        self.p, self.m = p, m
        self.cones: list[_Cone] = []
        self.lazy: list[CvPair] = []
        lazy_below = p.costs.solver["cv_lazy_below"]
        # Cones of CVs comfortably inside their limit now are added lazily, only if a solution
        # pushes them out (moves can raise a teacher CV; building at rich schools a facility CV).
        for pair in p.cv_pairs:
            j = p.col(pair.indicator)
            if weighted_cv(p.y[pair.rows, j], p.students[pair.rows]) > lazy_below * pair.target:
                self.cones.append(self._cone(pair, []))
            else:
                self.lazy.append(pair)

    def _cone(self, pair: CvPair, extra: list[np.ndarray]) -> _Cone:
        p, j = self.p, self.p.col(pair.indicator)
        sel = pair.rows
        t = p.rules.thresholds[pair.indicator][pair.stage] / p.indicators[j].scale
        return _build_cone(self.m.b, pair.stage, pair.indicator, sel, pair.target, p.y[:, j], p.students,
                           self.m.delta[pair.indicator], t,
                           [p.y[sel, j], np.maximum(p.y[sel, j], p.need[sel, j]), *extra])

    def separate(self, xs: np.ndarray, tol: float, cv_out: dict[tuple[str, str], float] | None = None) -> bool:
        violated = _separate(self.m.b, self.cones, xs, tol, cv_out)
        for pair in list(self.lazy):
            j = self.p.col(pair.indicator)
            y_new = self.p.y[pair.rows, j] + self.m.delta[pair.indicator][pair.rows] @ xs[: self.m.n_action_cols]
            cv = weighted_cv(y_new, self.p.students[pair.rows])
            if cv_out is not None:
                cv_out[(pair.stage, pair.indicator)] = cv
            if cv > pair.target + tol:
                self.lazy.remove(pair)
                self.cones.append(self._cone(pair, [y_new]))
                violated = True
        return violated


def solve_problem(p: Problem, time_limit: float = 60.0, write_model: str | None = None) -> SolveResult:
    """Solve ``p`` (LP cut rounds, then MIP cut rounds, then a repair if time runs out) and read
    the solution back."""
    started = time.perf_counter()
    opts = p.costs.solver
    margin = opts["cv_margin"]
    m = _build_model(p)
    cuts = _Cuts(p, m)
    b = m.b
    # The last 15 % of the time is kept for a repair, should the cut rounds not finish in time.
    deadline = started + 0.85 * time_limit
    h = b.build(time_limit, opts["mip_rel_gap"])
    if write_model:
        # The model as built (before any cut round), with every variable and row named.
        h.writeModel(write_model)
    # Phase 1 — cuts from the LP relaxation: cheap rounds that shape the cone near the optimum,
    # so the integer phase needs only a few (expensive) rounds.
    h.setOptionValue("solve_relaxation", True)
    for _ in range(int(opts["max_lp_cut_rounds"])):
        allow_seconds(h, deadline - time.perf_counter())
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        if not cuts.separate(np.asarray(h.getSolution().col_value), margin / 4):
            break
        b.push_new(h)
    h.setOptionValue("solve_relaxation", False)
    rounds, status, x, bound = 0, "infeasible", None, None
    cv_after: dict[tuple[str, str], float] = {}
    while True:
        allow_seconds(h, deadline - time.perf_counter())
        h.run()
        ms = h.getModelStatus()
        info = h.getInfo()
        if ms == highspy.HighsModelStatus.kInfeasible:
            status, x = "infeasible", None
            break
        if info.primal_solution_status != 2:  # no feasible point (time limit before any)
            status, x = "time_limit", None
            break
        x = np.asarray(h.getSolution().col_value)
        bound = info.mip_dual_bound
        violated = cuts.separate(x, margin / 2, cv_after)
        hit_time = ms == highspy.HighsModelStatus.kTimeLimit
        if not violated:
            status = "time_limit" if hit_time else "optimal"
            break
        rounds += 1
        if hit_time or rounds >= opts["max_cut_rounds"] or time.perf_counter() > deadline:
            status = "cv_not_converged"
            break
        b.push_new(h)

    if status == "cv_not_converged" and x is not None:
        # Out of time with a CV still above its limit: keep every integer decision except those
        # of the offending indicators and finish the cut rounds on that much smaller model, so the
        # plan returned is feasible; the bound of the full model stays a valid lower bound.
        free: list[np.ndarray] = []
        for (st, iid), cv in cv_after.items():
            if cv <= p.rules.cv_limit[st] - margin / 2:
                continue
            # Hires only for teachers (moves must stay balanced); whole rooms for integer stocks.
            act = next((a for a in p.model_actions if a.indicator == iid and a.group == "hire"), None) \
                or next((a for a in p.model_actions if a.indicator == iid and a.group == "stock" and a.integer), None)
            if act is not None:
                free.append(m.cols[act.id])
        repaired = _repair(h, b, x, np.concatenate(free) if free else np.zeros(0, int),
                           lambda xs: cuts.separate(xs, margin / 2, cv_after),
                           grace=max(started + time_limit - time.perf_counter(), 1.0),
                           rounds=max(int(opts["max_lp_cut_rounds"]), 100))
        if repaired is not None:
            x, status = repaired, "feasible"

    result = read_back(p, m, x, status, bound, rounds, time.perf_counter() - started)
    result.cv_after = cv_after
    return result


def read_back(p: Problem, m: _Model, x: np.ndarray | None, status: str, bound: float | None,
              rounds: int, seconds: float) -> SolveResult:
    """Quantities per action from the solution ``x`` (zeros without one), the actual cost of
    the rounded quantities, and the gap to the bound."""
    n = p.parts.height
    zeros = {a.id: np.zeros(n if a.level == "part" else len(p.schools)) for a in p.model_actions}
    result = SolveResult(status, None, bound, None, rounds, seconds, zeros,
                         {a.id: np.zeros(n) for a in p.model_actions if a.group == "move"},
                         list(p.schools), list(p.unattainable))
    if x is None:
        return result
    xr = np.round(x)
    for act in p.model_actions:
        if act.group in ("hire", "move"):
            result.quantities[act.id] = xr[m.cols[act.id]]
            if act.group == "move":
                result.moves_out[act.id] = xr[m.out_cols[act.id]]
            continue
        vals = x[m.cols[act.id]] * act.model_unit
        # Continuous m² and 元 are rounded up to the cent / 0.01 m²: more resource never breaks the
        # school rule, and the CV margin absorbs the rounding; whole-m² integrality would make the
        # search much harder for a difference of a few hundred 元 per school.
        result.quantities[act.id] = np.maximum(np.round(vals) if act.integer else np.ceil(vals * 100 - 1e-6) / 100, 0)
    result.met_after = xr[m.met]
    cost = actual_cost(result, p.costs, p.model_actions)
    result.objective = cost
    result.gap = 0.0 if cost <= 0 or bound is None else max(0.0, (cost - float(bound)) / cost)
    if result.status == "optimal" and result.gap > max(p.costs.solver["mip_rel_gap"], 1e-4):
        result.status = "feasible"
    return result


def actual_cost(result: SolveResult, costs: Costs, acts: list[Action]) -> float:
    """The cost of the quantities read back (not the solver's objective, which saw them unrounded)."""
    order = [a for g in ("hire", "move", "stock") for a in acts if a.group == g]
    return float(sum((result.quantities[a.id] * a.unit_cost(costs)).sum() for a in order))


def _repair(h: highspy.Highs, b: MilpBuilder, x: np.ndarray, free: np.ndarray,
            separate: Callable[[np.ndarray], bool], grace: float, rounds: int) -> np.ndarray | None:
    """Fix the integer columns not in ``free`` at ``x``; relax the free ones, solve LPs with cut
    rounds, and round the free ones up (more resource never breaks the school rule) until every
    CV holds exactly at the rounded point."""
    stop = time.perf_counter() + grace
    integer = np.concatenate(b.integer)[: len(x)]
    keep = np.ones(len(x), bool)
    keep[free.astype(int)] = False
    fix = np.flatnonzero(integer & keep).astype(np.int32)
    vals = np.round(x[fix])
    h.changeColsBounds(len(fix), fix, vals, vals)
    h.setOptionValue("solve_relaxation", True)
    b.push_new(h)
    free = free.astype(int)
    for _ in range(rounds):
        allow_seconds(h, stop - time.perf_counter())
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        xs = np.asarray(h.getSolution().col_value)
        xs[free] = np.ceil(xs[free] - 1e-6)
        if not separate(xs):
            return xs
        if time.perf_counter() > stop:
            return None
        b.push_new(h)
    return None


@dataclass
class _Cone:
    """CV ≤ c of one stage and indicator, disaggregated (Vielma, Dunning & Lubin 2016):

    u_r = sqrt(P_r/P)·(Y'_r/P_r − X̄)/t,  X̄ = t·xbar,  u_r² ≤ v_r·c·xbar,  Σ v_r ≤ c·xbar,

    with t the threshold per student (so u and xbar are near 1). Σu² ≤ (c·xbar)² is S ≤ c·X̄
    exactly; each 3-variable piece u²/(c·xbar) ≤ v is convex and homogeneous, so its tangent at
    slope a = u/(c·xbar) is the linear cut 2a·u − a²·c·xbar ≤ v, valid everywhere. Small pieces are
    approximated by few cuts each, where one cut on the aggregated cone moves the point little.
    """

    stage: str
    indicator: str
    sel: np.ndarray
    limit: float
    u: np.ndarray
    v: np.ndarray
    xbar: int
    resource: np.ndarray      # Y of the selected parts
    students: np.ndarray
    delta: sp.csr_matrix      # ΔY of the selected parts as rows over all columns
    n_cuts: int = 0


def _build_cone(b: MilpBuilder, st: str, ind: str, sel: np.ndarray, limit: float, y_all: np.ndarray,
                students: np.ndarray, delta: sp.csr_matrix, t: float, points: list[np.ndarray]) -> _Cone:
    k = len(sel)
    p = students[sel]
    sw = np.sqrt(p / p.sum())
    keys = [f"{st},{ind},{i}" for i in range(k)]
    u = b.add_vars("cv_u", keys, -np.inf, np.inf)
    v = b.add_vars("cv_v", keys, 0.0, np.inf)
    xbar = int(b.add_vars("cv_mean", [f"{st},{ind}"], 0.0, np.inf)[0])
    d = delta[sel].tocoo()
    # Mean: xbar − Σ ΔY/(t·P) = ΣY/(t·P).
    tp = t * p.sum()
    b.add_rows("cv_mean_def", [f"{st},{ind}"], np.zeros(d.nnz + 1, int),
               np.concatenate([d.col, [xbar]]), np.concatenate([-d.data / tp, [1.0]]),
               float(y_all[sel].sum()) / tp, float(y_all[sel].sum()) / tp)
    # Deviations: u_r − sw_r/(P_r t)·ΔY_r + sw_r·xbar = sw_r·Y_r/(P_r t).
    coef = sw / (p * t)
    b.add_rows("cv_dev_def", keys, np.concatenate([np.arange(k), d.row, np.arange(k)]),
               np.concatenate([u, d.col, np.full(k, xbar)]),
               np.concatenate([np.ones(k), -coef[d.row] * d.data, sw]),
               coef * y_all[sel], coef * y_all[sel])
    b.add_rows("cv_sum", [f"{st},{ind}"], np.zeros(k + 1, int), np.concatenate([v, [xbar]]),
               np.concatenate([np.ones(k), [-limit]]), -np.inf, 0.0)
    cone = _Cone(st, ind, sel, limit, u, v, xbar, y_all[sel], p, delta[sel].tocsr())
    for point in points:
        mean = point.sum() / p.sum()
        _add_piece_cuts(b, cone, sw * (point / p - mean) / t / (limit * mean / t), np.arange(k))
    return cone


def _add_piece_cuts(b: MilpBuilder, cone: _Cone, slope: np.ndarray, which: np.ndarray) -> None:
    """Cuts 2a·u_r − a²·c·xbar − v_r ≤ 0 for the parts ``which`` at slopes ``slope``."""
    if len(which) == 0:
        return
    a = slope[which] if len(slope) == len(cone.sel) else slope
    start = cone.n_cuts
    cone.n_cuts += len(which)
    m = len(which)
    keys = [f"{cone.stage},{cone.indicator},{start + i}" for i in range(m)]
    b.add_rows("cv_cut", keys, np.repeat(np.arange(m), 3),
               np.column_stack([cone.u[which], np.full(m, cone.xbar), cone.v[which]]).ravel(),
               np.column_stack([2 * a, -(a**2) * cone.limit, -np.ones(m)]).ravel(), -np.inf, 0.0)


def _separate(b: MilpBuilder, cones: list[_Cone], x: np.ndarray, tol: float,
              cv_out: dict[tuple[str, str], float] | None = None) -> bool:
    """Add cuts where the solution ``x`` leaves a cone; True when some CV is still above target."""
    violated = False
    for cone in cones:
        y_new = cone.resource + cone.delta @ x[: cone.delta.shape[1]]
        cv = weighted_cv(y_new, cone.students)
        if cv_out is not None:
            cv_out[(cone.stage, cone.indicator)] = cv
        if cv <= cone.limit + tol:
            continue
        violated = True
        u = x[cone.u]
        cx = cone.limit * max(x[cone.xbar], 1e-12)
        gap = u**2 / cx - x[cone.v]
        which = np.flatnonzero(gap > 1e-9 * max(1.0, float(np.abs(u).max())))
        if len(which) == 0:
            which = np.arange(len(u))
        _add_piece_cuts(b, cone, u[which] / cx, which)
    return violated


def _add_delta_rows(b: MilpBuilder, prefix: str, keys: list[str], d: sp.coo_matrix, rows: np.ndarray,
                    lo: np.ndarray, extra_cols: np.ndarray | None = None,
                    extra_vals: np.ndarray | None = None) -> None:
    if len(rows) == 0:
        return
    pos = -np.ones(d.shape[0], int)
    pos[rows] = np.arange(len(rows))
    keep = pos[d.row] >= 0
    r = pos[d.row[keep]]
    c = d.col[keep]
    v = d.data[keep]
    if extra_cols is not None and extra_vals is not None:
        r = np.concatenate([r, np.arange(len(rows))])
        c = np.concatenate([c, extra_cols])
        v = np.concatenate([v, extra_vals])
    b.add_rows(prefix, keys, r, c, v, lo, np.inf)
