"""The least-cost investment MILP for one county: build, solve with CV cuts, read back.

Decision variables (all named, see ``MilpBuilder``):

- per school-stage part r and counted teacher kind k: ``hire[k,r]``, ``move_in[k,r]``,
  ``move_out[k,r]`` (integers). Moves stay inside a stage (teachers count by the stage they
  teach) and balance per stage and kind: a move costs less than a hire but empties a post.
- per school s: ``teaching_m2[s]``, ``sports_m2[s]``, ``equipment_yuan[s]`` (continuous, rounded
  up on read-back) and ``multimedia[s]`` (integer) — whole-school stocks that the combined-school
  split shares out to the parts with the fixed share of each part.
- per part and indicator, ``met[r,j]`` binary: the 6-of-7 school rule is
  ``Y + ΔY ≥ need·met``, ``Y + ΔY ≥ 85 %·need`` and ``Σ_j met ≥ 6`` — linear, since each indicator is
  resource over fixed students.
- the CV limit of every stage and indicator is the cone of ``cv.py``, enforced by tangent cuts
  added round after round until the solution's exact CV is within the limit (outer approximation).

Parts and CVs that no action within the limits can bring to the rule are found before the solve
(``Unattainable``), left out of the rule, and reported with the exact reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import polars as pl
import scipy.sparse as sp

from junheng.planners.investment.costs import Costs
from junheng.planners.investment.cv import min_cv_in_box, weighted_cv
from junheng.planners.investment.rules import INDICATORS, STAGES, ResourceRules
from junheng.planners.milp import MilpBuilder, allow_seconds

TEACHER_KINDS = ("degree", "backbone", "pe_art")
_TEACHER_INDICATOR = {"degree": 0, "backbone": 1, "pe_art": 2}
_FACILITY_VARS = {3: "teaching_m2", 4: "sports_m2", 5: "equipment_yuan", 6: "multimedia"}
_LIMIT_KEYS = {3: "teaching_area_max_m2", 4: "sports_area_max_m2", 5: "equipment_max_yuan",
               6: "multimedia_rooms_max"}
# Facility variables are held in units that keep the matrix well scaled (100 m², 万元): the
# thresholds per student span 0.01 teachers to 2500 元, and HiGHS slows badly on wide ranges.
_VAR_UNIT = {3: 100.0, 4: 100.0, 5: 10000.0, 6: 1.0}
_UNIT_COST_KEYS = {3: "teaching_area_yuan_per_m2", 4: "sports_area_yuan_per_m2",
                   5: "equipment_yuan_per_yuan", 6: "multimedia_room_yuan"}


@dataclass
class Unattainable:
    """A rule the limits make impossible, with the numbers that prove it."""

    kind: str                 # "school_floor", "school_count", "cv"
    stage: str
    indicator: str | None
    school_id: str | None
    value_now: float
    best_reachable: float
    required: float
    limit_note: str


@dataclass
class SolveResult:
    status: str                       # optimal | feasible | infeasible | time_limit
    objective: float | None
    bound: float | None
    gap: float | None
    cut_rounds: int
    seconds: float
    hires: np.ndarray                 # (n_parts, 3)
    moves_in: np.ndarray
    moves_out: np.ndarray
    facilities: np.ndarray            # (n_schools, 4) teaching m2, sports m2, equipment yuan, rooms
    schools: list[str]
    unattainable: list[Unattainable] = field(default_factory=list)
    cv_after: dict[tuple[str, str], float] = field(default_factory=dict)
    met_after: np.ndarray | None = None


def _limit_for(costs: Costs, key: str, locale: str, school_id: str) -> float:
    override = costs.school_limits.get(school_id, {})
    if key in override:
        return float(override[key])
    value = costs.limits[key]
    if isinstance(value, dict):
        return float(value.get(locale, max(value.values())))
    return float(value)


def solve(
    parts: pl.DataFrame,
    rules: ResourceRules,
    costs: Costs,
    time_limit: float = 60.0,
    write_model: str | None = None,
) -> SolveResult:
    """Least-cost actions making every part pass the school rule and every CV hold."""
    started = time.perf_counter()
    n = parts.height
    stage = parts["stage"].to_numpy()
    students = parts["students"].to_numpy().astype(float)
    share = parts["share"].to_numpy().astype(float)
    school_ids = parts["school_id"].to_list()
    schools, s_of_r = np.unique(np.asarray(school_ids), return_inverse=True)
    m = len(schools)
    locale_of_s = dict(zip(school_ids, parts["locale"].to_list(), strict=False))
    unit = costs.unit
    solver_opts = costs.solver
    margin = solver_opts["cv_margin"]

    ys = np.column_stack([parts[ind.resource].to_numpy().astype(float) for ind in INDICATORS])
    thr = np.column_stack([
        np.array([rules.thresholds[ind.id][st] for st in stage]) for ind in INDICATORS
    ])
    scale = np.array([ind.scale for ind in INDICATORS])
    need = thr * students[:, None] / scale[None, :]
    floor = rules.floor_share * need

    b = MilpBuilder()
    keys_r = [f"{sid},{st}" for sid, st in zip(school_ids, stage, strict=False)]
    keys_s = [str(s) for s in schools]

    # Teacher variables and the resource change matrix of each teacher indicator.
    max_h = np.array([_limit_for(costs, "max_hires_per_school_kind", locale_of_s[s], s) for s in school_ids])
    out_share = float(costs.limits["max_move_out_share"])
    hire_cost = {"degree": unit["hire_degree_teacher_yuan"], "backbone": unit["hire_backbone_teacher_yuan"],
                 "pe_art": unit["hire_pe_art_teacher_yuan"]}
    delta: dict[int, sp.csr_matrix] = {}
    tvars: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    upper_gain = np.zeros((n, 7))
    lower_loss = np.zeros((n, 7))
    for kind in TEACHER_KINDS:
        j = _TEACHER_INDICATOR[kind]
        hv = b.add_vars(f"hire_{kind}", keys_r, 0, max_h, hire_cost[kind], integer=True)
        mi = b.add_vars(f"move_in_{kind}", keys_r, 0, max_h, unit["move_teacher_yuan"], integer=True)
        mo_ub = np.floor(ys[:, j] * out_share + 1e-9)
        mo = b.add_vars(f"move_out_{kind}", keys_r, 0, mo_ub, 0.0, integer=True)
        tvars[kind] = (hv, mi, mo)
        rows = np.concatenate([np.arange(n)] * 3)
        cols = np.concatenate([hv, mi, mo])
        vals = np.concatenate([np.ones(n), np.ones(n), -np.ones(n)])
        delta[j] = sp.csr_matrix((vals, (rows, cols)), shape=(n, 0 + b.n_cols + 0))
        movable = np.zeros(n)
        for st in STAGES:
            in_stage = stage == st
            movable[in_stage] = mo_ub[in_stage].sum()
        # Moves in are capped like hires, and by what the other schools of the stage can give.
        upper_gain[:, j] = max_h + np.minimum(max_h, movable - mo_ub)
        lower_loss[:, j] = mo_ub
        for st in STAGES:
            sel = np.flatnonzero(stage == st)
            if len(sel):
                b.add_rows(f"move_balance_{kind}", [st], np.zeros(2 * len(sel), int),
                           np.concatenate([mo[sel], mi[sel]]),
                           np.concatenate([np.ones(len(sel)), -np.ones(len(sel))]), 0.0, 0.0)

    fvars: dict[int, np.ndarray] = {}
    for j, name in _FACILITY_VARS.items():
        lim = np.array([_limit_for(costs, _LIMIT_KEYS[j], locale_of_s[s], s) for s in keys_s])
        fvars[j] = b.add_vars(name, keys_s, 0, np.floor(lim) / _VAR_UNIT[j],
                              unit[_UNIT_COST_KEYS[j]] * _VAR_UNIT[j], integer=(j == 6))
        upper_gain[:, j] = share * lim[s_of_r]
    for j in _FACILITY_VARS:
        delta[j] = sp.csr_matrix((share * _VAR_UNIT[j], (np.arange(n), fvars[j][s_of_r])), shape=(n, b.n_cols))
    ncols_final = b.n_cols
    delta = {j: sp.csr_matrix(d, shape=(n, ncols_final)) if d.shape[1] != ncols_final
             else d for j, d in delta.items()}
    for j in list(delta):
        d = delta[j].tocoo()
        delta[j] = sp.csr_matrix((d.data, (d.row, d.col)), shape=(n, ncols_final))

    # What the limits allow at best, part by part (moves in count as hires here: both are capped).
    best = ys + upper_gain
    unattainable: list[Unattainable] = []
    floor_ok = best >= floor - 1e-9
    full_ok = best >= need - 1e-9
    can_pass = floor_ok.all(axis=1) & (full_ok.sum(axis=1) >= rules.min_met)
    for r in np.flatnonzero(~can_pass):
        for jj in np.flatnonzero(~floor_ok[r] | ~full_ok[r]):
            j = int(jj)
            ind = INDICATORS[j]
            kind = "school_floor" if not floor_ok[r, j] else "school_count"
            unattainable.append(Unattainable(
                kind, stage[r], ind.id, school_ids[r], ys[r, j] * ind.scale / students[r],
                best[r, j] * ind.scale / students[r],
                (floor if kind == "school_floor" else need)[r, j] * ind.scale / students[r],
                _limit_note(j, upper_gain[r, j], share[r]),
            ))

    # met[r, j]: fixed to 1 where the part meets j and no action can lower it, 0 where unreachable.
    can_fall = np.zeros((n, 7), bool)
    can_fall[:, :3] = lower_loss[:, :3] > 0
    fixed_one = (ys >= need - 1e-9) & ~can_fall
    lb_met = np.where(fixed_one, 1.0, 0.0)
    ub_met = np.where(full_ok, 1.0, 0.0)
    # A part that cannot pass still gets every reachable indicator to its threshold: the plan
    # fixes what money can fix and the report names what it cannot.
    lb_met[~can_pass] = np.maximum(lb_met[~can_pass], ub_met[~can_pass])
    met = b.add_vars("met", [f"{k},{ind.id}" for k in keys_r for ind in INDICATORS],
                     lb_met.ravel(), ub_met.ravel(), 0.0, integer=True)
    met = met.reshape(n, 7)
    for j, ind in enumerate(INDICATORS):
        d = delta[j].tocoo()
        # Floor: Y + ΔY ≥ 85 % need (where reachable).
        rows_f = np.flatnonzero(floor_ok[:, j] & ((ys[:, j] < floor[:, j]) | can_fall[:, j]))
        _add_delta_rows(b, f"floor_{ind.id}", [keys_r[r] for r in rows_f], d, rows_f,
                        lo=floor[rows_f, j] - ys[rows_f, j])
        # Met: Y + ΔY − need·met ≥ 0.
        rows_m = np.flatnonzero(~fixed_one[:, j] & full_ok[:, j])
        _add_delta_rows(b, f"meets_{ind.id}", [keys_r[r] for r in rows_m], d, rows_m,
                        lo=-ys[rows_m, j], extra_cols=met[rows_m, j], extra_vals=-need[rows_m, j])
    rows_c = np.flatnonzero(can_pass)
    b.add_rows("school_rule", [keys_r[r] for r in rows_c], np.repeat(np.arange(len(rows_c)), 7),
               met[rows_c].ravel(), np.ones(7 * len(rows_c)), float(rules.min_met), np.inf)

    # CV cones: which can be met at all within the limits (continuous bound), then initial cuts.
    cv_pairs: list[tuple[str, int, np.ndarray, float]] = []
    for st in STAGES:
        sel = np.flatnonzero(stage == st)
        if len(sel) < 2:
            continue
        limit = rules.cv_limit[st]
        for j, ind in enumerate(INDICATORS):
            target = limit - margin
            if weighted_cv(ys[sel, j], students[sel]) <= target:
                # Within the limit now (so reachable); kept because actions could push it out.
                cv_pairs.append((st, j, sel, target))
                continue
            reach = min_cv_in_box(ys[sel, j] - lower_loss[sel, j], ys[sel, j] + upper_gain[sel, j],
                                  students[sel], target)
            if reach > target:
                unattainable.append(Unattainable(
                    "cv", st, ind.id, None, weighted_cv(ys[sel, j], students[sel]), reach, limit,
                    "各校上限内（土地、编制等）可达到的最小差异系数"))
                continue
            cv_pairs.append((st, j, sel, target))
    def make_cone(pair: tuple[str, int, np.ndarray, float], extra: list[np.ndarray]) -> _Cone:
        st, j, sel, target = pair
        return _build_cone(b, st, j, sel, target, ys[:, j], students, delta[j],
                           rules.thresholds[INDICATORS[j].id][st] / INDICATORS[j].scale,
                           [ys[sel, j], np.maximum(ys[sel, j], need[sel, j]), *extra])

    # Cones of CVs comfortably inside their limit now are added lazily, only if a solution
    # pushes them out (moves can raise a teacher CV; building at rich schools a facility CV).
    lazy_below = solver_opts["cv_lazy_below"]
    cones: list[_Cone] = []
    lazy: list[tuple[str, int, np.ndarray, float]] = []
    for pair in cv_pairs:
        st, j, sel, target = pair
        if weighted_cv(ys[sel, j], students[sel]) > lazy_below * target:
            cones.append(make_cone(pair, []))
        else:
            lazy.append(pair)

    def separate(xs: np.ndarray, tol: float, cv_out: dict[tuple[str, str], float] | None = None) -> bool:
        violated = _separate(b, cones, xs, tol, cv_out)
        for pair in list(lazy):
            st, j, sel, target = pair
            y_new = ys[sel, j] + delta[j][sel] @ xs[:ncols_final]
            cv = weighted_cv(y_new, students[sel])
            if cv_out is not None:
                cv_out[(st, INDICATORS[j].id)] = cv
            if cv > target + tol:
                lazy.remove(pair)
                cones.append(make_cone(pair, [y_new]))
                violated = True
        return violated

    # The last 15 % of the time is kept for a repair, should the cut rounds not finish in time.
    deadline = started + 0.85 * time_limit
    h = b.build(time_limit, solver_opts["mip_rel_gap"])
    if write_model:
        # The model as built (before any cut round), with every variable and row named.
        h.writeModel(write_model)
    # Phase 1 — cuts from the LP relaxation: cheap rounds that shape the cone near the optimum,
    # so the integer phase needs only a few (expensive) rounds.
    h.setOptionValue("solve_relaxation", True)
    for _ in range(int(solver_opts["max_lp_cut_rounds"])):
        allow_seconds(h, deadline - time.perf_counter())
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        xl = np.asarray(h.getSolution().col_value)
        if not separate(xl, margin / 4):
            break
        b.push_new(h)
    h.setOptionValue("solve_relaxation", False)
    rounds = 0
    status = "infeasible"
    x = None
    bound = None
    cv_after: dict[tuple[str, str], float] = {}
    while True:
        allow_seconds(h, deadline - time.perf_counter())
        h.run()
        ms = h.getModelStatus()
        info = h.getInfo()
        if ms == highspy.HighsModelStatus.kInfeasible:
            status = "infeasible"
            x = None
            break
        if info.primal_solution_status != 2:  # no feasible point (time limit before any)
            status = "time_limit"
            x = None
            break
        x = np.asarray(h.getSolution().col_value)
        bound = info.mip_dual_bound
        violated = separate(x, margin / 2, cv_after)
        hit_time = ms == highspy.HighsModelStatus.kTimeLimit
        if not violated:
            status = "time_limit" if hit_time else "optimal"
            break
        rounds += 1
        if hit_time or rounds >= solver_opts["max_cut_rounds"] or time.perf_counter() > deadline:
            status = "cv_not_converged"
            break
        b.push_new(h)

    if status == "cv_not_converged" and x is not None:
        # Out of time with a CV still above its limit: keep every integer decision except those
        # of the offending indicators and finish the cut rounds on that much smaller model, so the
        # plan returned is feasible; the bound of the full model stays a valid lower bound.
        offending = {INDICATORS[j].id: j for j in range(7)}
        free: list[np.ndarray] = []
        for (_st, iid), cv in cv_after.items():
            j = offending[iid]
            if cv <= rules.cv_limit[_st] - margin / 2:
                continue
            if j < 3:
                free.append(tvars[TEACHER_KINDS[j]][0])   # hires only: moves must stay balanced
            elif j == 6:
                free.append(fvars[6])
        repaired = _repair(h, b, x, np.concatenate(free) if free else np.zeros(0, int),
                           lambda xs: separate(xs, margin / 2, cv_after),
                           grace=max(started + time_limit - time.perf_counter(), 1.0),
                           rounds=max(int(solver_opts["max_lp_cut_rounds"]), 100))
        if repaired is not None:
            x, status = repaired, "feasible"

    result = SolveResult(status, None, bound, None, rounds, time.perf_counter() - started,
                         np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((m, 4)),
                         [str(s) for s in schools], unattainable, cv_after)
    if x is None:
        return result
    xr = np.round(x)
    for kind in TEACHER_KINDS:
        j = _TEACHER_INDICATOR[kind]
        hh, mi, mo = tvars[kind]
        result.hires[:, j] = xr[hh]
        result.moves_in[:, j] = xr[mi]
        result.moves_out[:, j] = xr[mo]
    for c, j in enumerate(_FACILITY_VARS):
        vals = x[fvars[j]] * _VAR_UNIT[j]
        # Continuous m² and 元 are rounded up to the cent / 0.01 m²: more resource never breaks the
        # school rule, and the CV margin absorbs the rounding; whole-m² integrality would make the
        # search much harder for a difference of a few hundred 元 per school.
        result.facilities[:, c] = np.round(vals) if j == 6 else np.ceil(vals * 100 - 1e-6) / 100
    result.facilities = np.maximum(result.facilities, 0)
    result.met_after = xr[met]
    cost = actual_cost(result, costs)
    result.objective = cost
    result.gap = 0.0 if cost <= 0 or bound is None else max(0.0, (cost - float(bound)) / cost)
    if result.status == "optimal" and result.gap > max(solver_opts["mip_rel_gap"], 1e-4):
        result.status = "feasible"
    return result


def actual_cost(result: SolveResult, costs: Costs) -> float:
    unit = costs.unit
    hire = np.array([unit["hire_degree_teacher_yuan"], unit["hire_backbone_teacher_yuan"],
                     unit["hire_pe_art_teacher_yuan"]])
    fac = np.array([unit[_UNIT_COST_KEYS[j]] for j in _FACILITY_VARS])
    return float((result.hires * hire).sum() + result.moves_in.sum() * unit["move_teacher_yuan"]
                 + (result.facilities * fac).sum())


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
    j: int
    sel: np.ndarray
    limit: float
    u: np.ndarray
    v: np.ndarray
    xbar: int
    resource: np.ndarray      # Y of the selected parts
    students: np.ndarray
    delta: sp.csr_matrix      # ΔY of the selected parts as rows over all columns


def _build_cone(b: MilpBuilder, st: str, j: int, sel: np.ndarray, limit: float, y_all: np.ndarray,
                students: np.ndarray, delta: sp.csr_matrix, t: float, points: list[np.ndarray]) -> _Cone:
    ind = INDICATORS[j].id
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
    cone = _Cone(st, j, sel, limit, u, v, xbar, y_all[sel], p, delta[sel].tocsr())
    for point in points:
        mean = point.sum() / p.sum()
        _add_piece_cuts(b, cone, sw * (point / p - mean) / t / (limit * mean / t), np.arange(k))
    return cone


def _add_piece_cuts(b: MilpBuilder, cone: _Cone, slope: np.ndarray, which: np.ndarray) -> None:
    """Cuts 2a·u_r − a²·c·xbar − v_r ≤ 0 for the parts ``which`` at slopes ``slope``."""
    if len(which) == 0:
        return
    a = slope[which] if len(slope) == len(cone.sel) else slope
    counter = b.__dict__.setdefault("_cut_count", {})
    start = counter.get((cone.stage, cone.j), 0)
    counter[(cone.stage, cone.j)] = start + len(which)
    m = len(which)
    keys = [f"{cone.stage},{INDICATORS[cone.j].id},{start + i}" for i in range(m)]
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
            cv_out[(cone.stage, INDICATORS[cone.j].id)] = cv
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
    if extra_cols is not None:
        r = np.concatenate([r, np.arange(len(rows))])
        c = np.concatenate([c, extra_cols])
        v = np.concatenate([v, extra_vals])
    b.add_rows(prefix, keys, r, c, v, lo, np.inf)


def _limit_note(j: int, gain: float, share: float) -> str:
    if j < 3:
        return f"每校每类教师新聘与调入上限合计 {gain:g} 人"
    label = {3: "教学及辅助用房新建上限", 4: "体育运动场地新建上限（土地）", 5: "设备购置上限",
             6: "多媒体教室新增上限"}[j]
    return f"{label}：本学段可得 {gain:g}（按学段分摊比例 {share:.3f}）"

