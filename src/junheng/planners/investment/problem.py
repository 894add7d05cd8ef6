"""Step 1 of the plan, build: what the least-cost MILP is asked, as arrays over the county's
school-stage parts, with the rules the limits make impossible found before any solve.

Everything here is data: the seven indicators come from the standard's YAML (``rules.py``), the
actions that raise them and their costs and limits from the action registry and the bureau's cost
file (``actions.py``, ``costs.py``). ``solve.py`` turns a ``Problem`` into a model; ``check.py``
judges a returned plan against the same ``Problem`` without the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from junheng.planners.investment.actions import Action, limit_for, limit_label, raising
from junheng.planners.investment.costs import Costs
from junheng.planners.investment.cv import min_cv_in_box, weighted_cv
from junheng.planners.investment.rules import INDICATORS, STAGES, Indicator, ResourceRules

_TOL = 1e-9


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


@dataclass(frozen=True)
class CvPair:
    """The CV limit of one stage and indicator that the plan must hold (it is reachable)."""

    stage: str
    indicator: str
    rows: np.ndarray          # the parts of the stage
    target: float             # the limit less the solver's margin


@dataclass
class Problem:
    """The county's parts and what each action may do to them.

    Arrays over parts have one row per part (``parts``' order) and, where they are per indicator,
    one column per indicator in the standard's order (``indicators``); ``col(indicator_id)`` names
    the column, so no code depends on an indicator's position.
    """

    parts: pl.DataFrame
    rules: ResourceRules
    costs: Costs
    indicators: tuple[Indicator, ...]
    stage: np.ndarray
    students: np.ndarray
    share: np.ndarray
    school_ids: list[str]          # per part
    schools: list[str]             # distinct, sorted; whole-school stocks are per school
    school_of_part: np.ndarray     # index into ``schools``
    locale: dict[str, str]         # school id -> urban / town / rural
    y: np.ndarray                  # resource now
    need: np.ndarray               # resource at the threshold
    floor: np.ndarray              # resource at the floor share (85 %) of the threshold
    upper: dict[str, np.ndarray]   # action id -> upper bound of its quantity (per part or per school)
    move_out_upper: dict[str, np.ndarray]   # move action id -> teachers a part may give
    upper_gain: np.ndarray         # most resource the limits allow a part to gain
    lower_loss: np.ndarray         # most resource a part may lose (teachers moved out)
    floor_ok: np.ndarray           # the floor is reachable within the limits
    full_ok: np.ndarray            # the threshold is reachable within the limits
    can_pass: np.ndarray           # the part can pass the school rule within the limits
    cv_pairs: list[CvPair]
    unattainable: list[Unattainable]

    def col(self, indicator_id: str) -> int:
        return next(j for j, ind in enumerate(self.indicators) if ind.id == indicator_id)

    @property
    def teacher_indicators(self) -> list[Indicator]:
        return [ind for ind in self.indicators if ind.kind == "teacher"]

    @property
    def facility_indicators(self) -> list[Indicator]:
        return [ind for ind in self.indicators if ind.kind == "facility"]

    @property
    def model_actions(self) -> list[Action]:
        """The MILP's actions in the order their variables are created: per teacher indicator its
        hire then its move, then the whole-school stocks in the indicators' order."""
        out: list[Action] = []
        for ind in self.teacher_indicators:
            out += [raising(ind.id, "hire"), raising(ind.id, "move")]
        out += [raising(ind.id, "stock") for ind in self.facility_indicators]
        return out

    def limit(self, key: str) -> np.ndarray:
        """Limit ``key`` per school (``schools``' order)."""
        return np.array([limit_for(self.costs, key, self.locale[s], s) for s in self.schools])

    def limit_per_part(self, key: str) -> np.ndarray:
        return np.array([limit_for(self.costs, key, self.locale[s], s) for s in self.school_ids])


def build_problem(parts: pl.DataFrame, rules: ResourceRules, costs: Costs) -> Problem:
    """The arrays of ``parts`` (``inputs.school_stage_parts``), the bounds of every action, and
    the rules no action within the limits can meet (left out of the model and reported)."""
    inds = INDICATORS
    stage = parts["stage"].to_numpy()
    students = parts["students"].to_numpy().astype(float)
    share = parts["share"].to_numpy().astype(float)
    school_ids = [str(s) for s in parts["school_id"].to_list()]
    uniq, s_of_r = np.unique(np.asarray(school_ids), return_inverse=True)
    schools = [str(s) for s in uniq]
    locale = dict(zip(school_ids, parts["locale"].to_list(), strict=False))
    n, k = parts.height, len(inds)

    y = np.column_stack([parts[ind.resource].to_numpy().astype(float) for ind in inds])
    thr = np.column_stack([np.array([rules.thresholds[ind.id][st] for st in stage]) for ind in inds])
    scale = np.array([ind.scale for ind in inds])
    need = thr * students[:, None] / scale[None, :]
    floor = rules.floor_share * need

    def per_part(key: str) -> np.ndarray:
        return np.array([limit_for(costs, key, locale[s], s) for s in school_ids])

    def per_school(key: str) -> np.ndarray:
        return np.array([limit_for(costs, key, locale[s], s) for s in schools])

    upper: dict[str, np.ndarray] = {}
    move_out_upper: dict[str, np.ndarray] = {}
    upper_gain = np.zeros((n, k))
    lower_loss = np.zeros((n, k))
    out_share = float(costs.limits["max_move_out_share"])
    for j, ind in enumerate(inds):
        if ind.kind == "teacher":
            hire, move = raising(ind.id, "hire"), raising(ind.id, "move")
            max_h = per_part(str(hire.limit))
            upper[hire.id] = max_h
            upper[move.id] = per_part(str(move.limit))
            mo_ub = np.floor(y[:, j] * out_share + _TOL)
            move_out_upper[move.id] = mo_ub
            movable = np.zeros(n)
            for st in STAGES:
                in_stage = stage == st
                movable[in_stage] = mo_ub[in_stage].sum()
            # Moves in are capped like hires, and by what the other schools of the stage can give.
            upper_gain[:, j] = max_h + np.minimum(upper[move.id], movable - mo_ub)
            lower_loss[:, j] = mo_ub
        else:
            stock = raising(ind.id, "stock")
            lim = per_school(str(stock.limit))
            upper[stock.id] = lim
            upper_gain[:, j] = share * lim[s_of_r]

    # What the limits allow at best, part by part (moves in count as hires here: both are capped).
    best = y + upper_gain
    floor_ok = best >= floor - _TOL
    full_ok = best >= need - _TOL
    can_pass = floor_ok.all(axis=1) & (full_ok.sum(axis=1) >= rules.min_met)
    unattainable: list[Unattainable] = []
    for r in np.flatnonzero(~can_pass):
        for jj in np.flatnonzero(~floor_ok[r] | ~full_ok[r]):
            j = int(jj)
            ind = inds[j]
            kind = "school_floor" if not floor_ok[r, j] else "school_count"
            unattainable.append(Unattainable(
                kind, str(stage[r]), ind.id, school_ids[r], y[r, j] * ind.scale / students[r],
                best[r, j] * ind.scale / students[r],
                (floor if kind == "school_floor" else need)[r, j] * ind.scale / students[r],
                _limit_note(ind, upper_gain[r, j], share[r]),
            ))

    # CVs: which can be met at all within the limits (the least CV in the box of reachable
    # resources); the others are reported and left out of the model.
    margin = costs.solver["cv_margin"]
    cv_pairs: list[CvPair] = []
    for st in STAGES:
        sel = np.flatnonzero(stage == st)
        if len(sel) < 2:
            continue
        limit = rules.cv_limit[st]
        target = limit - margin
        for j, ind in enumerate(inds):
            now = weighted_cv(y[sel, j], students[sel])
            if now > target:
                reach = min_cv_in_box(y[sel, j] - lower_loss[sel, j], y[sel, j] + upper_gain[sel, j],
                                      students[sel], target)
                if reach > target:
                    unattainable.append(Unattainable(
                        "cv", st, ind.id, None, now, reach, limit,
                        "各校上限内（土地、编制等）可达到的最小差异系数"))
                    continue
            # Within the limit now or reachable; kept, since actions could push it out.
            cv_pairs.append(CvPair(st, ind.id, sel, target))

    return Problem(parts, rules, costs, inds, stage, students, share, school_ids, schools,
                   np.asarray(s_of_r), locale, y, need, floor, upper, move_out_upper, upper_gain,
                   lower_loss, floor_ok, full_ok, can_pass, cv_pairs, unattainable)


def _limit_note(ind: Indicator, gain: float, share: float) -> str:
    if ind.kind == "teacher":
        return f"每校每类教师新聘与调入上限合计 {gain:g} 人"
    stock = raising(ind.id, "stock")
    return f"{limit_label(str(stock.limit))}：本学段可得 {gain:g}（按学段分摊比例 {share:.3f}）"


def lifted_limit(indicator_id: str) -> str:
    """The limit of the cost file to lift so that ``indicator_id`` can rise further."""
    for group in ("stock", "hire"):
        try:
            return str(raising(indicator_id, group).limit)
        except KeyError:
            continue
    raise KeyError(indicator_id)
