"""Step 4 of the plan, check: every constraint recomputed from the plan's own list of actions.

``check_plan`` knows nothing of the MILP: it takes the action rows a plan returns (school, stage,
kind, quantity, from-school, cost), adds them to the resources of the ``Problem``'s parts and
judges afresh — each action's cost is its quantity times its unit cost, the total is the sum of
the lines, every quantity is within its limit, moves balance per stage and kind, each part that
can pass has every indicator at the floor and enough indicators at the threshold, and every
reachable CV is within its limit. (The standards engine's evaluation of the changed data is the
other, wider check; this one names the constraint that breaks.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from junheng.planners.investment.actions import action
from junheng.planners.investment.cv import weighted_cv
from junheng.planners.investment.problem import Problem

_REL = 1e-6


@dataclass
class PlanCheck:
    violations: list[str] = field(default_factory=list)
    cv: dict[tuple[str, str], float] = field(default_factory=dict)
    total_cost_yuan: float = 0.0
    met_count: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        return not self.violations


def _per_part(p: Problem, rows: pl.DataFrame, value: str) -> np.ndarray:
    """Sum of ``value`` of action rows keyed (school_id, stage) onto the parts."""
    keys = pl.DataFrame({"school_id": p.school_ids, "stage": [str(s) for s in p.stage]}).with_row_index("r")
    summed = rows.group_by("school_id", "stage").agg(pl.col(value).sum())
    joined = keys.join(summed, on=["school_id", "stage"], how="left")
    return joined.sort("r")[value].fill_null(0.0).to_numpy().astype(float)


def _per_school(p: Problem, rows: pl.DataFrame) -> np.ndarray:
    keys = pl.DataFrame({"school_id": p.schools}).with_row_index("s")
    summed = rows.group_by("school_id").agg(pl.col("quantity").sum())
    return keys.join(summed, on="school_id", how="left").sort("s")["quantity"].fill_null(0.0).to_numpy().astype(float)


def check_plan(p: Problem, actions: pl.DataFrame, total_cost_yuan: float | None = None) -> PlanCheck:
    """Judge ``actions`` (one row per action, as ``InvestmentPlan.actions`` before phasing, or
    phased: quantities of one action over several years are summed) against ``p``."""
    out = PlanCheck()
    acts = actions.with_columns(pl.col("quantity").cast(pl.Float64), pl.col("cost_yuan").cast(pl.Float64))
    out.total_cost_yuan = float(acts["cost_yuan"].sum())
    if total_cost_yuan is not None and abs(total_cost_yuan - out.total_cost_yuan) > 0.01 + _REL * out.total_cost_yuan:
        out.violations.append(f"total {total_cost_yuan:,.2f} is not the sum of the action lines "
                              f"{out.total_cost_yuan:,.2f}")
    unit_area = p.rules.music_art_rooms
    # Costs: quantity × unit cost, line by line.
    for kind in acts["kind"].unique().to_list():
        act = action(kind)
        if act.cost is None:
            continue
        per_unit = act.unit_cost(p.costs)
        if act.group == "room":
            per_unit *= float(unit_area["music_area_m2" if kind == "build_music_rooms" else "art_area_m2"])
        sel = acts.filter(pl.col("kind") == kind)
        bad = sel.filter((pl.col("cost_yuan") - pl.col("quantity") * per_unit).abs()
                         > 0.01 + _REL * pl.col("cost_yuan").abs())
        for line in bad.head(5).to_dicts():
            out.violations.append(f"{kind} at {line['school_id']}: cost {line['cost_yuan']} ≠ "
                                  f"{line['quantity']} × {per_unit}")

    y = p.y.copy()
    stage_col = [str(s) for s in p.stage]
    for ind in p.indicators:
        j = p.col(ind.id)
        if ind.kind == "teacher":
            hire = next(a for a in p.model_actions if a.indicator == ind.id and a.group == "hire")
            move = next(a for a in p.model_actions if a.indicator == ind.id and a.group == "move")
            hires = _per_part(p, acts.filter(pl.col("kind") == hire.id), "quantity")
            moves = acts.filter(pl.col("kind") == move.id)
            ins = _per_part(p, moves, "quantity")
            outs = _per_part(p, moves.select(pl.col("from_school_id").alias("school_id"), "stage", "quantity"),
                             "quantity")
            for name, q, ub in (("hires", hires, p.upper[hire.id]), ("moves in", ins, p.upper[move.id]),
                                ("moves out", outs, p.move_out_upper[move.id])):
                for r in np.flatnonzero(q > ub + 1e-9):
                    out.violations.append(f"{ind.id} {name} at {p.school_ids[r]} {stage_col[r]}: {q[r]:g} > limit {ub[r]:g}")
            for st in set(stage_col):
                sel = np.asarray(stage_col) == st
                if abs(ins[sel].sum() - outs[sel].sum()) > 1e-9:
                    out.violations.append(f"{move.id} {st}: {ins[sel].sum():g} moved in, {outs[sel].sum():g} out")
            if moves.height and not moves.join(moves.select(pl.col("from_school_id").alias("school_id"), "stage"),
                                               on=["school_id", "stage"], how="semi").is_empty():
                # A school both giving and taking the same kind of teacher pays for nothing.
                out.violations.append(f"{move.id}: a school both gives and takes")
            y[:, j] += hires + ins - outs
        else:
            stock = next(a for a in p.model_actions if a.indicator == ind.id and a.group == "stock")
            q = _per_school(p, acts.filter(pl.col("kind") == stock.id))
            ub = p.upper[stock.id]
            for s in np.flatnonzero(q > ub + 1e-6):
                out.violations.append(f"{stock.id} at {p.schools[s]}: {q[s]:g} > limit {ub[s]:g}")
            y[:, j] += p.share * q[p.school_of_part]

    # Classrooms the class-size cap forces add teaching area (already counted in ``p``'s parts).
    met = y >= p.need - 1e-6
    out.met_count = met.sum(axis=1)
    for r in np.flatnonzero(p.can_pass):
        for jj in np.flatnonzero(y[r] < p.floor[r] - 1e-6):
            out.violations.append(f"{p.school_ids[r]} {stage_col[r]}: {p.indicators[int(jj)].id} below "
                                  f"{p.rules.floor_share:.0%} of its threshold")
        if met[r].sum() < p.rules.min_met:
            out.violations.append(f"{p.school_ids[r]} {stage_col[r]}: {int(met[r].sum())} indicators "
                                  f"at threshold, {p.rules.min_met} required")
    for pair in p.cv_pairs:
        j = p.col(pair.indicator)
        cv = weighted_cv(y[pair.rows, j], p.students[pair.rows])
        out.cv[(pair.stage, pair.indicator)] = cv
        if cv > p.rules.cv_limit[pair.stage] + 1e-9:
            out.violations.append(f"CV {pair.stage} {pair.indicator} {cv:.5f} > {p.rules.cv_limit[pair.stage]}")
    return out
