"""This year's teacher rotation list (交流轮岗), as a CP-SAT model.

Rule (教督〔2017〕6号 第六条(十一), numbers from the standard's YAML): at least 10 % of the
eligible teachers rotate each year, and at least 20 % of those rotated are backbone teachers of
county level or above. The list also:

- moves teachers toward the school-stage parts whose indicators need them — shortfalls of
  backbone, degree and PE/art teachers per the 2017 thresholds, from the standards engine;
- keeps each school's subjects and headcount in balance (a school losing a maths teacher gets
  one back, within ``subject_balance``), and takes at most ``max_out_share`` of a school's staff;
- respects eligibility (years at the school, distance to retirement, the data's own flag);
- keeps travel reasonable (straight-line km between schools, at most ``max_km``);
- serves the direction of 张掖市 measure 16 (优秀校长和骨干教师向乡村学校、薄弱学校流动): a share of
  all moves goes from other schools to rural or weak schools (weak = below the county on at least
  ``weak_min_indicators_below`` of the 2017 indicators it names — by default the three
  teacher indicators, the ones rotation changes), and a share of the backbone
  teachers moved goes there; the shares are data (``direction`` in the parameters).

Variables ``go[t, s]`` (teacher t to school s, among the nearest schools of the same stage);
objective: remaining shortfall × weight + km + a small weight per move. ``check_rotation``
recomputes every rule from the returned list alone.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder_helper as mbh
from ortools.sat.python import cp_model

from junheng.domain.dataset import Dataset
from junheng.domain.geo import PLANNER_RADIUS_KM, distance_matrix
from junheng.domain.reasons import Reason
from junheng.domain.yaml_text import load_yaml
from junheng.planners.teachers.words import say

STANDARD_ID = "quality-balance-2017"
DEFAULT_PARAMS_PATH = Path(str(resources.files("junheng.planners.teachers") / "data" / "rotation-default.yaml"))
KINDS = ("backbone", "degree", "pe_art")
KIND_INDICATOR = {"backbone": "backbone_teachers_per_100", "degree": "degree_teachers_per_100",
                  "pe_art": "pe_art_teachers_per_100"}


class RotationError(ValueError):
    """Rotation cannot be planned (no teacher data for the year, unknown parameter …)."""


def load_params(over: dict[str, Any] | str | Path | None = None) -> dict[str, Any]:
    with DEFAULT_PARAMS_PATH.open(encoding="utf-8") as fh:
        base: dict[str, Any] = load_yaml(fh)
    if over is None:
        return base
    if not isinstance(over, dict):
        with Path(over).open(encoding="utf-8") as fh:
            over = load_yaml(fh) or {}
    out: dict[str, Any] = copy.deepcopy(base)
    for sect, values in over.items():
        if sect not in base or not isinstance(values, dict):
            raise RotationError(f"未知的轮岗参数 {sect} / unknown rotation parameter {sect}")
        for k, v in values.items():
            if k not in base[sect]:
                raise RotationError(f"未知的轮岗参数 {sect}.{k} / unknown rotation parameter {sect}.{k}")
            out[sect][k] = v
    return out


def standard_shares(year: int) -> tuple[float, float, dict[str, Any]]:
    """(min rotated share, min backbone share among the rotated, traces) from the standard."""
    from junheng.standards.loader import load_standard
    from junheng.standards.rules import ResolvedRules, evaluation_date

    rr = ResolvedRules(load_standard(STANDARD_ID), evaluation_date(year))
    a, b = "g11_teacher_rotation.rotation_share", "g11_teacher_rotation.backbone_share"
    return float(rr.require(a)), float(rr.require(b)), {a: rr.trace(a), b: rr.trace(b)}


@dataclass
class RotationPlan:
    county_code: str
    year: int
    status: str
    moves: pl.DataFrame
    eligible: int
    required: int
    backbone_required_share: float
    objective: float | None
    bound: float | None
    shortfall_before: dict[str, int]
    shortfall_after: dict[str, int]
    # Each rule recomputed (check_rotation): rule, passed, value, reason (a Reason) and
    # text_zh (its Chinese words, as the JSON has them).
    checks: list[dict[str, Any]]
    # Why the list is what it is, as kinds and numbers (words.py says them).
    explanation: list[Reason]
    params: dict[str, Any]
    parts: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def explanation_zh(self) -> list[str]:
        return [say(r) for r in self.explanation]

    def explanation_in(self, lang: str) -> list[str]:
        return [say(r, lang) for r in self.explanation]

    def target_reason_in(self, school_id: str, stage: str, lang: str) -> str | None:
        """Why a school-stage part counts as rural or weak, in ``lang``."""
        rows = self.parts.filter((pl.col("school_id") == school_id) & (pl.col("stage") == stage))
        return _target_reason(rows.row(0, named=True), lang) if rows.height else None

    def to_json(self) -> dict[str, Any]:
        rotated = self.moves.height
        backbone = int(self.moves["is_backbone"].sum()) if rotated else 0
        return {
            "county_code": self.county_code,
            "year": self.year,
            "status": self.status,
            "eligible_teachers": self.eligible,
            "rotated_teachers": rotated,
            "rotated_share": round(rotated / self.eligible, 4) if self.eligible else None,
            "rotated_backbone_teachers": backbone,
            "backbone_share": round(backbone / rotated, 4) if rotated else None,
            "required_rotations": self.required,
            "objective": self.objective,
            "bound": self.bound,
            "shortfall_before": self.shortfall_before,
            "shortfall_after": self.shortfall_after,
            "direction": direction_summary(self.moves),
            "target_schools": _target_schools(self.parts),
            "checks": [{k: c[k] for k in ("rule", "passed", "value", "text_zh")}
                       for c in self.checks],
            "explanation_zh": self.explanation_zh,
            "moves": [{k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()}
                      for r in self.moves.to_dicts()],
            "params": self.params,
        }


def _km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    return distance_matrix(lat1, lon1, lat2, lon2, radius=PLANNER_RADIUS_KM)


def eligible_teachers(teachers: pl.DataFrame, year: int, params: dict[str, Any]) -> pl.DataFrame:
    """Teachers with the counted flags and the eligibility verdict (and its reason)."""
    el, cnt = params["eligibility"], params["counted"]
    age = pl.lit(year) - pl.col("birth_year")
    deg = pl.col("stage").replace_strict({k: v for k, v in cnt["degree_levels"].items()},
                                         default=None, return_dtype=pl.List(pl.Utf8))
    flag_ok = (pl.col("is_rotation_eligible").fill_null(True) if el["require_data_flag"] else pl.lit(True))
    years_ok = pl.col("years_at_school").fill_null(0) >= el["min_years_at_school"]
    retire_ok = (age.fill_null(0) <= el["retirement_age"] - el["years_before_retirement"])
    return teachers.with_columns(
        is_backbone=pl.col("backbone_level").is_in(cnt["backbone_levels"]).fill_null(False),
        is_degree=deg.list.contains(pl.col("degree")).fill_null(False),
        is_pe_art=pl.col("subject").is_in(cnt["pe_art_subjects"]).fill_null(False),
        eligible=flag_ok & years_ok & retire_ok,
        ineligible_reason=pl.when(~flag_ok).then(pl.lit("数据标记为不符合交流条件"))
        .when(~years_ok).then(pl.lit(f"本校任教不满{el['min_years_at_school']}年"))
        .when(~retire_ok).then(pl.lit(f"距退休不足{el['years_before_retirement']}年"))
        .otherwise(None),
    )


def _parts(ds: Dataset, year: int, county: str, params: dict[str, Any]) -> pl.DataFrame:
    """School-stage parts with their teacher needs (whole teachers to reach each threshold)."""
    from junheng.standards.engine import school_stage_table

    t = school_stage_table(ds, STANDARD_ID, year, county=county)
    coords = ds.table("schools").select("school_id", "latitude", "longitude")
    need = [
        (pl.col(f"threshold__{ind}") * pl.col("students").cast(pl.Float64) / 100 - 1e-9).ceil()
        .cast(pl.Int64).alias(f"need__{k}")
        for k, ind in KIND_INDICATOR.items()
    ]
    return direction_flags(
        t.join(coords, on="school_id", how="left").with_columns(need), params).select(
        "school_id", "school_name", "stage", "students", "teachers", "backbone_teachers",
        "degree_teachers", "pe_art_teachers", "latitude", "longitude", "locale",
        *_indicator_ids(), "indicators_below", "is_rural", "is_weak", "is_target",
        *[f"need__{k}" for k in KINDS])


def _indicator_ids() -> list[str]:
    from junheng.standards.loader import load_standard

    return [i.id for i in load_standard(STANDARD_ID).indicators if i.rule is not None]


def direction_flags(parts: pl.DataFrame, params: dict[str, Any]) -> pl.DataFrame:
    """Which school-stage parts the policy sends teachers to: rural schools (by ``locale``) and
    weak schools — below the county's own level (students-weighted, same stage) on at least
    ``weak_min_indicators_below`` of the ``weak_indicators`` (2017 indicator ids)."""
    d = params["direction"]
    known = _indicator_ids()
    inds = list(d["weak_indicators"])
    unknown = [i for i in inds if i not in known]
    if unknown:
        raise RotationError(f"未知的指标 {unknown}（direction.weak_indicators）/ unknown "
                            f"indicators {unknown}")
    # County level of an indicator = Σ resource / Σ students = students-weighted mean of values.
    county_level = [
        ((pl.col(i) * pl.col("students")).sum().over("stage")
         / pl.col("students").filter(pl.col(i).is_not_null()).sum().over("stage")).alias(f"cl__{i}")
        for i in inds]
    below = pl.sum_horizontal([(pl.col(i) < pl.col(f"cl__{i}")).fill_null(False).cast(pl.Int64)
                               for i in inds])
    return (parts.with_columns(county_level)
            .with_columns(indicators_below=below,
                          is_rural=pl.col("locale").is_in(list(d["rural_locales"])).fill_null(False))
            .with_columns(is_weak=pl.col("indicators_below") >= int(d["weak_min_indicators_below"]))
            .with_columns(is_target=pl.col("is_rural") | pl.col("is_weak"))
            .drop([f"cl__{i}" for i in inds]))


@dataclass
class _Solved:
    status: str
    chosen: list[tuple[int, int]]   # (teacher index in ``cand``, destination part)
    dist: np.ndarray
    t_part: np.ndarray
    objective: float | None
    bound: float | None
    shortfall_before: dict[str, int]


@dataclass
class _Model:
    """A built CP-SAT model and what is needed to read a list back from it."""
    model: cp_model.CpModel
    go: list[cp_model.IntVar]
    arcs: list[tuple[int, int, int]]   # (class index, destination part, 0.1 km rounded)
    classes: list[tuple[int, str, bool, bool, bool]]
    members: dict[tuple[int, str, bool, bool, bool], list[int]]
    dist: np.ndarray
    t_part: np.ndarray
    shortfall_before: dict[str, int]
    goal: str


# The objective counts km in tenths: whole km made every move under 0.5 km free, and in a town
# whose schools stand a few hundred metres apart (甘州区's old town: 98 of the 103 moves of the
# demo's list) the km could not tell a 140 m move from a 450 m one.
_KM_STEPS = 10


def _solve(cand: pl.DataFrame, parts: pl.DataFrame, p: dict[str, Any], required: int, max_rot: int,
           bb_share: float) -> _Solved:
    """Build and solve the CP-SAT model of this year's list."""
    return _run(_build(cand, parts, p, required, max_rot, bb_share), p)


def _build(cand: pl.DataFrame, parts: pl.DataFrame, p: dict[str, Any], required: int, max_rot: int,
           bb_share: float, goal: str = "cost") -> _Model:
    """The CP-SAT model of the rules. ``goal``: ``cost`` minimises the objective (shortfalls,
    km, moves); ``most`` maximises the number rotated instead (used to say how many the other
    rules allow when the share cannot be met); ``any`` has no objective, so the solver stops at
    the first list (the diagnosis asks only whether one exists). Only ``cost`` has the shortfall
    variables, which serve the objective alone; the go variables come first in the model, in
    the order of ``arcs``.

    Teachers the rules cannot tell apart — same school-stage part, subject and counted flags
    (backbone, degree, PE/art) — form one class, and the model decides how many of a class go
    to each destination (an integer per class and destination, not a yes/no per teacher). Every
    rule and the objective read only these attributes, so the model allows exactly the lists a
    yes/no per teacher allowed, up to which of two identical teachers is named — without the
    interchangeable copies the search had to tell apart (about half as many variables for
    甘州区). The class's teachers are then named in ``teacher_id`` order, nearest destination
    first."""
    limits, obj = p["limits"], p["objective"]
    part_key = {(r["school_id"], r["stage"]): i for i, r in enumerate(parts.iter_rows(named=True))}
    n_parts = parts.height
    lat = parts["latitude"].to_numpy().astype(float)
    lon = parts["longitude"].to_numpy().astype(float)
    stage_arr = parts["stage"].to_numpy()
    dist = np.nan_to_num(_km(lat, lon, lat, lon), nan=0.0)
    t_part = np.array([part_key[(s, st)] for s, st in zip(cand["school_id"], cand["stage"], strict=True)],
                      dtype=int)
    # Candidate destinations of a part: same stage, another school, within max_km, nearest first.
    dests: list[list[int]] = []
    for src in range(n_parts):
        ok = np.flatnonzero((stage_arr == stage_arr[src]) & (np.arange(n_parts) != src)
                            & (dist[src] <= limits["max_km"]))
        dests.append([int(d) for d in ok[np.argsort(dist[src, ok], kind="stable")][: limits["nearest_schools"]]])

    subj = cand["subject"].fill_null("").to_list()
    flags = {"backbone": cand["is_backbone"].to_numpy().astype(bool),
             "degree": cand["is_degree"].to_numpy().astype(bool),
             "pe_art": cand["is_pe_art"].to_numpy().astype(bool)}
    # ``cand`` is sorted by teacher_id, so each class lists its teachers in that order.
    members: dict[tuple[int, str, bool, bool, bool], list[int]] = {}
    for ti in range(cand.height):
        key = (int(t_part[ti]), subj[ti], bool(flags["backbone"][ti]), bool(flags["degree"][ti]),
               bool(flags["pe_art"][ti]))
        members.setdefault(key, []).append(ti)
    classes = sorted(members)
    kind_of = {"backbone": 2, "degree": 3, "pe_art": 4}

    m = cp_model.CpModel()
    arcs: list[tuple[int, int, int]] = []   # (class index, destination part, 0.1 km rounded)
    go: list[cp_model.IntVar] = []
    for ci, key in enumerate(classes):
        n = len(members[key])
        ks = []
        for d in dests[key[0]]:
            ks.append(len(go))
            arcs.append((ci, d, round(float(dist[key[0], d]) * _KM_STEPS)))
            go.append(m.new_int_var(0, n, f"go[{ci},{d}]"))
        if len(ks) > 1:
            m.add(cp_model.LinearExpr.sum([go[k] for k in ks]) <= n).with_name(f"class_size[{ci}]")
    total = cp_model.LinearExpr.sum(go)
    m.add_linear_constraint(total, required, max_rot).with_name("share")
    cls_part = [c[0] for c in classes]
    cls_bb = [c[2] for c in classes]
    # ≥ 20 % backbone among the rotated, exactly in integers: 100·Σ backbone ≥ 20·Σ all.
    pct = round(bb_share * 100)
    m.add(cp_model.LinearExpr.weighted_sum(go, [(100 - pct) if cls_bb[a[0]] else -pct for a in arcs])
          >= 0).with_name("backbone_share")
    # Direction (measure 16), exact in integers like the backbone share. Only where the county
    # has rural or weak parts to send teachers to; otherwise the rule is reported as not
    # applicable rather than making every list infeasible.
    target = parts["is_target"].to_numpy().astype(bool)
    if target.any():
        d_p = p["direction"]
        share_t, share_bb = round(100 * d_p["min_share_toward"]), round(100 * d_p["backbone_min_share_toward"])
        outward = [k for k, a in enumerate(arcs) if not target[cls_part[a[0]]]]
        m.add(cp_model.LinearExpr.weighted_sum(
            [go[k] for k in outward], [(100 - share_t) if target[arcs[k][1]] else -share_t for k in outward])
            >= 0).with_name("direction_toward")
        bb_arcs = [k for k, a in enumerate(arcs) if cls_bb[a[0]]]
        m.add(cp_model.LinearExpr.weighted_sum(
            [go[k] for k in bb_arcs], [(100 - share_bb) if target[arcs[k][1]] else -share_bb for k in bb_arcs])
            >= 0).with_name("backbone_toward")

    staff = parts["teachers"].fill_null(0).to_numpy()
    # Teachers of each kind in each part, counted once (not by a pass over every class for
    # every part and kind).
    flagged: dict[tuple[int, str], int] = {}
    for c in classes:
        for kind in KINDS:
            if c[kind_of[kind]]:
                flagged[(c[0], kind)] = flagged.get((c[0], kind), 0) + len(members[c])
    into: dict[int, list[int]] = {}
    out_of: dict[int, list[int]] = {}
    for k, (ci, d, _) in enumerate(arcs):
        into.setdefault(d, []).append(k)
        out_of.setdefault(cls_part[ci], []).append(k)
    short_vars = []
    shortfall_before: dict[str, int] = {}
    for j in range(n_parts):
        ins, outs = into.get(j, []), out_of.get(j, [])
        out_cap = math.floor(limits["max_out_share"] * staff[j] + 1e-9)
        if outs:
            m.add(cp_model.LinearExpr.sum([go[k] for k in outs]) <= out_cap).with_name(f"max_out[{j}]")
        if ins or outs:
            # |in − out| ≤ balance, one two-sided constraint.
            m.add_linear_constraint(cp_model.LinearExpr.weighted_sum(
                [go[k] for k in ins + outs], [1] * len(ins) + [-1] * len(outs)),
                -limits["headcount_balance"], limits["headcount_balance"]).with_name(f"headcount[{j}]")
        by_subject: dict[str, tuple[list[int], list[int]]] = {}
        for k in ins:
            by_subject.setdefault(classes[arcs[k][0]][1], ([], []))[0].append(k)
        for k in outs:
            by_subject.setdefault(classes[arcs[k][0]][1], ([], []))[1].append(k)
        for s in sorted(by_subject):
            si, so = by_subject[s]
            m.add_linear_constraint(cp_model.LinearExpr.weighted_sum(
                [go[k] for k in si + so], [1] * len(si) + [-1] * len(so)),
                -limits["subject_balance"], limits["subject_balance"]).with_name(f"subject[{j},{s}]")
        for kind in KINDS:
            have = int(parts[f"{kind}_teachers"][j] or 0)
            need = int(parts[f"need__{kind}"][j] or 0)
            shortfall_before[kind] = shortfall_before.get(kind, 0) + max(0, need - have)
            if goal != "cost":
                continue
            f_in = [k for k in ins if classes[arcs[k][0]][kind_of[kind]]]
            f_out = [k for k in outs if classes[arcs[k][0]][kind_of[kind]]]
            # A part that keeps enough even after losing all it may lose has no shortfall to
            # count (nor can the net loss pass the count ``have``, which bounds it below).
            most_lost = min(out_cap, flagged.get((j, kind), 0))
            if need - have + most_lost <= 0:
                continue
            gain = cp_model.LinearExpr.weighted_sum([go[k] for k in f_in + f_out],
                                                    [1] * len(f_in) + [-1] * len(f_out))
            sv = m.new_int_var(0, max(need, 0), f"short[{kind},{j}]")
            m.add(sv + gain >= need - have).with_name(f"shortfall[{kind},{j}]")
            short_vars.append(sv)
    if goal == "most":
        m.maximize(total)
    elif goal == "cost":
        # In tenths of a point, so the km are counted to 0.1 km (see _KM_STEPS).
        m.minimize(_KM_STEPS * obj["shortfall_weight"] * cp_model.LinearExpr.sum(short_vars)
                   + cp_model.LinearExpr.weighted_sum(
                       go, [a[2] + _KM_STEPS * obj["per_move_weight"] for a in arcs]))
    return _Model(m, go, arcs, classes, members, dist, t_part, shortfall_before, goal)


def _run(mod: _Model, p: dict[str, Any], time_limit: float | None = None,
         lp_at_once: bool = False) -> _Solved:
    """Solve a built model and name the teachers of the list it chose. ``lp_at_once`` puts every
    constraint in CP-SAT's LP from the start instead of adding them as they are violated: the
    diagnosis's maximum is proven by that LP's bound, which then takes half the work (甘州区)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(p["solver"]["time_limit_s"] if time_limit is None
                                                   else time_limit)
    solver.parameters.num_workers = int(p["solver"]["workers"])
    solver.parameters.cp_model_presolve = bool(p["solver"]["presolve"])
    solver.parameters.random_seed = 0
    if lp_at_once:
        solver.parameters.add_lp_constraints_lazily = False
    st = solver.solve(mod.model)
    status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible",
              cp_model.INFEASIBLE: "infeasible"}.get(st, "unknown")
    arcs, classes, members, go = mod.arcs, mod.classes, mod.members, mod.go
    chosen: list[tuple[int, int]] = []
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        taken: dict[int, int] = {}
        # Nearest destination first, so the class's first teachers take the shortest trips.
        for k in sorted(range(len(arcs)), key=lambda k: (arcs[k][0], mod.dist[classes[arcs[k][0]][0], arcs[k][1]],
                                                         arcs[k][1])):
            ci, d, _ = arcs[k]
            for _ in range(int(solver.value(go[k]))):
                chosen.append((members[classes[ci]][taken.get(ci, 0)], d))
                taken[ci] = taken.get(ci, 0) + 1
    found = bool(chosen)
    # The cost objective back in points (1 per km); ``most`` counts teachers.
    unit = _KM_STEPS if mod.goal == "cost" else 1
    return _Solved(status, chosen, mod.dist, mod.t_part,
                   solver.objective_value / unit if found else None,
                   solver.best_objective_bound / unit if found else None, mod.shortfall_before)


_RELAXATIONS: tuple[tuple[str, Any], ...] = (
    ("max_km", lambda v: v * 2),
    ("subject_balance", lambda v: v + 2),
    ("headcount_balance", lambda v: v + 2),
    ("max_out_share", lambda v: max(v, 0.5)),
    ("nearest_schools", lambda v: max(v, 30)),
    ("direction.min_share_toward", lambda v: v / 2),
    ("direction.backbone_min_share_toward", lambda v: v / 2),
)


# Slack on an LP bound (floating point, GLOP's tolerances are ~1e-7 relative) before it counts
# as proof about whole teachers: a bound within it of the next whole number counts as that
# number, which only ever claims less (fewer relaxations useless, fewer maxima proven).
_LP_TOL = 1e-2


def _lp_bound(model: cp_model.CpModel) -> float | None:
    """The LP relaxation's optimum of a model with only linear constraints and an objective
    (GLOP, a fraction of a second for 甘州区): for a ``most`` model, a bound no list can pass.
    None when GLOP gives no optimum."""
    pr = model.proto
    big = float(2**62)
    lo = np.array([v.domain[0] for v in pr.variables], dtype=float)
    hi = np.array([v.domain[len(v.domain) - 1] for v in pr.variables], dtype=float)
    indptr, cols, vals, rlo, rhi = [0], [], [], [], []
    for c in pr.constraints:
        lin = c.linear
        if not c.has_linear() or len(c.enforcement_literal):
            return None
        cols.extend(lin.vars)
        vals.extend(lin.coeffs)
        indptr.append(len(cols))
        rlo.append(lin.domain[0])
        rhi.append(lin.domain[len(lin.domain) - 1])
    low, high = np.array(rlo, dtype=float), np.array(rhi, dtype=float)
    low[low < -big], high[high > big] = -np.inf, np.inf
    obj = np.zeros(lo.size)
    obj[np.array(list(pr.objective.vars), dtype=np.int64)] = np.array(list(pr.objective.coeffs), dtype=float)
    matrix = sp.csr_matrix((np.array(vals, dtype=float), np.array(cols, dtype=np.int64),
                            np.array(indptr, dtype=np.int64)), shape=(len(rlo), lo.size))
    lp = mbh.ModelBuilderHelper()
    # ortools' stub types these float64 arrays wrongly (ndarray[float64, ...]).
    lp.fill_model_from_sparse_data(lo, hi, obj, low, high, matrix)  # type: ignore[arg-type]
    glop = mbh.ModelSolverHelper("glop")
    glop.solve(lp)
    if glop.status() != mbh.SolveStatus.OPTIMAL:
        return None
    # CP-SAT keeps a maximisation as the minimisation of its negation (scaling factor −1).
    return float(glop.objective_value()) * (pr.objective.scaling_factor or 1.0)


def _diagnose(cand: pl.DataFrame, parts: pl.DataFrame, p: dict[str, Any], required: int, max_rot: int,
              bb_share: float) -> list[Reason]:
    """Why no list meets the share: how many the rules allow, and which single relaxation helps
    (the relaxations' words are in words.RELAXATION, by parameter).

    Each question first gets the LP relaxation's bound on the number rotated (GLOP, about 0.1 s
    each for 甘州区): a relaxation whose bound stays below the share cannot help, and the
    maximum is proven when a list reaches the bound. CP-SAT then runs only where the LP leaves
    the answer open, within ``solver.diagnosis_time_limit_s`` for the whole diagnosis (the
    maximum at most half of it). What it does not settle in time is said as such: the number
    found is then a least, not a most, and a relaxation left open is unknown, not useless."""
    deadline = time.monotonic() + float(p["solver"]["diagnosis_time_limit_s"])

    def left() -> float:
        return max(0.0, deadline - time.monotonic())

    mod = _build(cand, parts, p, 0, max_rot, bb_share, "most")
    bound = _lp_bound(mod.model)
    top = None if bound is None else math.floor(bound + _LP_TOL)
    most = _run(mod, p, left() / 2, lp_at_once=True) if left() > 0 else None
    n = len(most.chosen) if most else 0
    proven = (most is not None and most.status == "optimal") or (top is not None and n >= top)
    out = [Reason("most_possible", {"most": n, "required": required, "proven": proven,
                                    "bound": None if proven else top})]
    helps, unknown = [], []
    for key, fn in _RELAXATIONS:
        q = copy.deepcopy(p)
        sect, _, name = key.rpartition(".")
        block = q[sect or "limits"]
        block[name] = fn(block[name])
        mod = _build(cand, parts, q, 0, max_rot, bb_share, "most")
        bound = _lp_bound(mod.model)
        if bound is not None and bound < required - _LP_TOL:
            continue   # not even the LP relaxation reaches the share: no list can
        mod.model.proto.clear_objective()
        mod.model.add(cp_model.LinearExpr.sum(mod.go) >= required).with_name("share_required")
        got = _run(mod, p, left(), lp_at_once=True) if left() > 0 else None
        if got is not None and got.chosen:
            helps.append(key)
        elif got is None or got.status != "infeasible":
            unknown.append(key)
    out.append(Reason("relaxations", {"helps": helps, "unknown": unknown}))
    return out


def rotate_teachers(ds: Dataset, county: str, year: int, params: dict[str, Any] | str | Path | None = None,
                    share: float | None = None) -> RotationPlan:
    """This year's rotation list for ``county``. ``share`` raises the minimum share (never below
    the standard's)."""
    p = load_params(params)
    try:
        min_share, bb_share, traces = standard_shares(year)
    except ValueError as exc:
        raise RotationError(str(exc)) from None
    if share is not None:
        if share < min_share:
            raise RotationError(f"轮岗比例不能低于标准的 {min_share:.0%} / share below the standard's {min_share:.0%}")
        min_share = share
    teachers = ds.table("teachers").filter(pl.col("year") == year)
    if teachers.height == 0:
        raise RotationError(f"没有 {year} 学年的教师名单 (teachers) / no teacher list for {year}")
    parts = _parts(ds, year, county, p)
    tt = eligible_teachers(teachers.join(parts.select("school_id", "stage"), on=["school_id", "stage"],
                                         how="semi"), year, p)
    # The counts the indicators are judged on are those of sections; the teacher list may differ
    # slightly, so shortfalls are taken from sections and moves adjust them.
    cand = tt.filter(pl.col("eligible")).sort("teacher_id")
    n_elig = cand.height
    required = math.ceil(min_share * n_elig - 1e-9)
    limits = p["limits"]
    max_rot = max(required, math.floor(limits["max_share"] * n_elig + 1e-9))

    sol = _solve(cand, parts, p, required, max_rot, bb_share)
    status, chosen, dist, t_part = sol.status, sol.chosen, sol.dist, sol.t_part
    shortfall_before = sol.shortfall_before
    diagnosis = _diagnose(cand, parts, p, required, max_rot, bb_share) if status == "infeasible" else []

    rows = []
    names = dict(zip(parts["school_id"].to_list(), parts["school_name"].to_list(), strict=False))
    target = parts["is_target"].to_list()
    for ti, d in chosen:
        r = cand.row(ti, named=True)
        rows.append({"teacher_id": r["teacher_id"], "stage": r["stage"], "subject": r["subject"],
                     "from_school_id": r["school_id"], "from_school_name": names.get(r["school_id"]),
                     "to_school_id": parts["school_id"][d], "to_school_name": parts["school_name"][d],
                     "distance_km": float(dist[t_part[ti], d]), "is_backbone": bool(r["is_backbone"]),
                     "is_degree": bool(r["is_degree"]), "is_pe_art": bool(r["is_pe_art"]),
                     "backbone_level": r["backbone_level"], "years_at_school": r["years_at_school"],
                     "from_is_target": bool(target[t_part[ti]]), "to_is_target": bool(target[d]),
                     "to_reason": _target_reason(parts.row(d, named=True))})
    schema = {"teacher_id": pl.Utf8, "stage": pl.Utf8, "subject": pl.Utf8, "from_school_id": pl.Utf8,
              "from_school_name": pl.Utf8, "to_school_id": pl.Utf8, "to_school_name": pl.Utf8,
              "distance_km": pl.Float64, "is_backbone": pl.Boolean, "is_degree": pl.Boolean,
              "is_pe_art": pl.Boolean, "backbone_level": pl.Utf8, "years_at_school": pl.Int64,
              "from_is_target": pl.Boolean, "to_is_target": pl.Boolean, "to_reason": pl.Utf8}
    moves = pl.DataFrame(rows, schema=schema).sort("from_school_id", "teacher_id")
    after = _shortfall_after(parts, moves)
    checks = check_rotation(moves, tt, parts, p, min_share, bb_share, year)
    plan = RotationPlan(county, year, status, moves, n_elig, required, bb_share,
                        sol.objective, sol.bound,
                        shortfall_before, after, checks, [], p, parts)
    plan.explanation = _explain(plan, p, min_share, traces, tt) + diagnosis
    return plan


def _target_reason(part: dict[str, Any], lang: str = "zh") -> str | None:
    """Why a destination counts as rural or weak, in the bureau's words (or English)."""
    if not (part["is_rural"] or part["is_weak"]):
        return None
    return say(Reason("target", {"rural": bool(part["is_rural"]), "weak": bool(part["is_weak"]),
                                 "below": part["indicators_below"]}), lang)


def _target_schools(parts: pl.DataFrame) -> list[dict[str, Any]]:
    """The parts the direction rule sends teachers to, with the reason."""
    if parts.height == 0 or "is_target" not in parts.columns:
        return []
    return [{"school_id": r["school_id"], "school_name": r["school_name"], "stage": r["stage"],
             "reason_zh": _target_reason(r)}
            for r in parts.filter(pl.col("is_target")).sort("stage", "school_id")
            .iter_rows(named=True)]


def direction_summary(moves: pl.DataFrame) -> dict[str, Any]:
    """Shares and distances by direction, for the report and the page."""
    n = moves.height
    out_other = moves.filter(~pl.col("from_is_target")) if n else moves
    toward = out_other.filter(pl.col("to_is_target")) if n else moves
    bb = moves.filter(pl.col("is_backbone")) if n else moves
    bb_to = bb.filter(pl.col("to_is_target")) if bb.height else bb

    def km(frame: pl.DataFrame) -> dict[str, float | None]:
        if frame.height == 0:
            return {"mean": None, "median": None, "max": None}
        s = frame["distance_km"].cast(pl.Float64)
        return {"mean": round(float(s.mean() or 0.0), 1),  # type: ignore[arg-type]
                "median": round(float(s.median() or 0.0), 1),  # type: ignore[arg-type]
                "max": round(float(s.max() or 0.0), 1)}  # type: ignore[arg-type]

    flows = {}
    for key, frm, to in (("other_to_target", False, True), ("target_to_other", True, False),
                         ("other_to_other", False, False), ("target_to_target", True, True)):
        flows[key] = moves.filter((pl.col("from_is_target") == frm)
                                  & (pl.col("to_is_target") == to)).height if n else 0
    return {
        "moves_from_other": out_other.height,
        "moves_toward": toward.height,
        "share_toward": round(toward.height / out_other.height, 4) if out_other.height else None,
        "backbone_moved": bb.height,
        "backbone_toward": bb_to.height,
        "backbone_share_toward": round(bb_to.height / bb.height, 4) if bb.height else None,
        "flows": flows,
        "distance_km": km(moves),
        "distance_km_toward": km(toward),
    }


def _shortfall_after(parts: pl.DataFrame, moves: pl.DataFrame) -> dict[str, int]:
    out: dict[str, int] = {}
    for kind in KINDS:
        flag = f"is_{kind}"
        gain = moves.filter(pl.col(flag)).group_by(pl.col("to_school_id").alias("school_id"), "stage").len("gin")
        loss = moves.filter(pl.col(flag)).group_by(pl.col("from_school_id").alias("school_id"), "stage").len("gout")
        t = (parts.join(gain, on=["school_id", "stage"], how="left").join(loss, on=["school_id", "stage"], how="left")
             .with_columns(have=pl.col(f"{kind}_teachers").fill_null(0) + pl.col("gin").fill_null(0)
                           - pl.col("gout").fill_null(0)))
        out[kind] = int(t.select((pl.col(f"need__{kind}") - pl.col("have")).clip(lower_bound=0).sum()).item())
    return out


def check_rotation(moves: pl.DataFrame, teachers: pl.DataFrame, parts: pl.DataFrame, params: dict[str, Any],
                   min_share: float, backbone_share: float, year: int) -> list[dict[str, Any]]:
    """Every rule recomputed from the returned list alone (independent of the model)."""
    lim = params["limits"]
    elig = eligible_teachers(teachers.drop("is_backbone", "is_degree", "is_pe_art", "eligible",
                                           "ineligible_reason", strict=False), year, params)
    n_elig = int(elig["eligible"].sum())
    moved = moves.join(elig.select("teacher_id", "eligible", "school_id", "stage", "is_backbone"),
                       on="teacher_id", how="left", suffix="_data")
    checks = []

    def add(rule: str, ok: bool, value: Any, reason: Reason | None = None) -> None:
        why = reason or Reason(rule)
        checks.append({"rule": rule, "passed": bool(ok), "value": value, "reason": why,
                       "text_zh": say(why)})

    n = moves.height
    add("min_share", n >= min_share * n_elig - 1e-9, round(n / n_elig, 4) if n_elig else None,
        Reason("min_share", {"rotated": n, "eligible": n_elig, "min_share": min_share}))
    nb = int(moves["is_backbone"].sum()) if n else 0
    add("backbone_share", n == 0 or nb >= backbone_share * n - 1e-9, round(nb / n, 4) if n else None,
        Reason("backbone_share", {"backbone": nb, "backbone_share": backbone_share}))
    add("eligible_only", bool(moved["eligible"].fill_null(False).all()) if n else True, None)
    add("unique_teachers", moves["teacher_id"].n_unique() == n, None)
    add("real_move", bool((moves["from_school_id"] != moves["to_school_id"]).all()) if n else True, None)
    add("from_matches_data", bool((moved["school_id"] == moved["from_school_id"]).all()) if n else True, None)
    add("max_km", bool((moves["distance_km"] <= lim["max_km"] + 1e-6).all()) if n else True,
        float(moves["distance_km"].cast(pl.Float64).max() or 0.0) if n else 0.0,  # type: ignore[arg-type]
        Reason("max_km", {"max_km": lim["max_km"]}))
    ins = moves.group_by(pl.col("to_school_id").alias("school_id"), "stage", "subject").len("i")
    outs = moves.group_by(pl.col("from_school_id").alias("school_id"), "stage", "subject").len("o")
    # Counts are unsigned; their difference must not wrap around.
    bal = (ins.join(outs, on=["school_id", "stage", "subject"], how="full", coalesce=True)
           .with_columns(pl.col("i").cast(pl.Int64), pl.col("o").cast(pl.Int64)).fill_null(0))
    worst_subject = int(bal.select((pl.col("i") - pl.col("o")).abs().max()).item() or 0) if bal.height else 0
    add("subject_balance", worst_subject <= lim["subject_balance"], worst_subject,
        Reason("subject_balance", {"subject_balance": lim["subject_balance"]}))
    head = bal.group_by("school_id", "stage").agg(pl.col("i").sum(), pl.col("o").sum())
    worst_head = int(head.select((pl.col("i") - pl.col("o")).abs().max()).item() or 0) if head.height else 0
    add("headcount_balance", worst_head <= lim["headcount_balance"], worst_head,
        Reason("headcount_balance", {"headcount_balance": lim["headcount_balance"]}))
    out_share = head.join(parts.select("school_id", "stage", "teachers"), on=["school_id", "stage"], how="left")
    over = out_share.filter(pl.col("o") > (pl.col("teachers").fill_null(0) * lim["max_out_share"] + 1e-9).floor())
    add("max_out_share", over.height == 0, over.height,
        Reason("max_out_share", {"max_out_share": lim["max_out_share"]}))
    # Direction, from the parts' own flags (not the list's columns).
    d = params["direction"]
    flags = direction_flags(parts.drop("indicators_below", "is_rural", "is_weak", "is_target",
                                       strict=False), params)
    tgt = flags.select("school_id", "stage", "is_target")
    dirs = (moves.select("teacher_id", "stage", "is_backbone", "from_school_id", "to_school_id")
            .join(tgt.rename({"school_id": "from_school_id", "is_target": "frm"}),
                  on=["from_school_id", "stage"], how="left")
            .join(tgt.rename({"school_id": "to_school_id", "is_target": "to"}),
                  on=["to_school_id", "stage"], how="left")
            .with_columns(pl.col("frm").fill_null(False), pl.col("to").fill_null(False)))
    if not bool(flags["is_target"].any()):
        add("direction_toward", True, None, Reason("direction_not_applicable"))
    else:
        out_other = dirs.filter(~pl.col("frm"))
        toward = out_other.filter(pl.col("to")).height
        add("direction_toward",
            toward * 100 >= round(100 * d["min_share_toward"]) * out_other.height,
            round(toward / out_other.height, 4) if out_other.height else None,
            Reason("direction_toward", {"from_other": out_other.height, "toward": toward,
                                        "min_share_toward": d["min_share_toward"],
                                        "source": d["source"]}))
        bbm = dirs.filter(pl.col("is_backbone"))
        bb_to = bbm.filter(pl.col("to")).height
        add("backbone_toward",
            bbm.height == 0 or bb_to * 100 >= round(100 * d["backbone_min_share_toward"]) * bbm.height,
            round(bb_to / bbm.height, 4) if bbm.height else None,
            Reason("backbone_toward", {"backbone": bbm.height, "toward": bb_to,
                                       "backbone_min_share_toward": d["backbone_min_share_toward"]}))
    return checks


def _direction(j: dict[str, Any], p: dict[str, Any]) -> Reason:
    d, s = p["direction"], j["direction"]
    if not j["target_schools"]:
        return Reason("direction_none")
    km = s["distance_km_toward"]
    return Reason("direction", {
        "source": d["source"], "targets": len(j["target_schools"]),
        "moves_from_other": s["moves_from_other"], "moves_toward": s["moves_toward"],
        "share_toward": s["share_toward"], "min_share_toward": d["min_share_toward"],
        "backbone_moved": s["backbone_moved"], "backbone_toward": s["backbone_toward"],
        "backbone_min_share_toward": d["backbone_min_share_toward"],
        "km_mean": km["mean"], "km_max": km["max"]})


def _explain(plan: RotationPlan, p: dict[str, Any], min_share: float, traces: dict[str, Any],
             teachers: pl.DataFrame) -> list[Reason]:
    lim, el, ob = p["limits"], p["eligibility"], p["objective"]
    j = plan.to_json()
    src = traces["g11_teacher_rotation.rotation_share"]
    out = [
        Reason("basis", {"source": src.get("source"), "clause": src.get("clause"),
                         "min_share": min_share, "backbone_share": plan.backbone_required_share}),
        Reason("eligible", {"eligible": plan.eligible, "min_years": el["min_years_at_school"],
                            "years_before_retirement": el["years_before_retirement"],
                            "data_flag": bool(el["require_data_flag"]),
                            "excluded": teachers.height - plan.eligible}),
        Reason("rotated", {"required": plan.required, "rotated": j["rotated_teachers"],
                           "rotated_share": j["rotated_share"],
                           "backbone": j["rotated_backbone_teachers"],
                           "backbone_share": j["backbone_share"]}),
        Reason("objective", {"shortfall_weight": ob["shortfall_weight"],
                             "per_move_weight": ob["per_move_weight"]}),
        _direction(j, p),
        Reason("shortfalls", {"before": {k: plan.shortfall_before[k] for k in KINDS},
                              "after": {k: plan.shortfall_after[k] for k in KINDS}}),
        Reason("constraints", {k: lim[k] for k in ("max_km", "nearest_schools", "subject_balance",
                                                   "headcount_balance", "max_out_share",
                                                   "max_share")}),
        # An unknown status: the time limit passed before any list was found (a busy machine
        # or a large county).
        Reason(f"status_{plan.status}" if plan.status in ("infeasible", "feasible", "optimal")
               else "status_unknown"),
        # Without a list there is nothing to re-check: its failed checks would read as a county
        # that breaks the rules.
        Reason("recheck_none") if plan.status == "unknown"
        else Reason("recheck", {"failed": [c["reason"] for c in plan.checks if not c["passed"]]}),
    ]
    return out
