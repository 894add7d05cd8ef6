"""Spread a county's plan over the years up to its target year: each action in the year it is
needed, within yearly budgets where they are given.

When is an action needed? The plan is made for the target year's students; in each earlier year
the enrollment forecast (``junheng.forecast``) gives each school's students, and an action is due
as soon as its school would fall below the per-student level the plan gives it (``due_shares``
gives, per action, the cumulative share due by each year). A school that is short today needs its
actions in the first plan year; one that grows into a shortfall gets them the year it grows.
Teachers, rooms, equipment and moves may be split over years in whole units; a building project
(teaching area, sports ground, classrooms, a campus, music and art rooms of one school) is done
in one year — the first year any of it is due.

Without budgets the actions are placed in their due years. With budgets a small MILP funds as
much of the plan as the budgets allow by the target year and, among the ways to do that, keeps
each unit as close to its due year as it can (late costs more than early: a late unit leaves a
school short). Whatever cannot be funded by the target year is reported with the amount missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import polars as pl

from junheng.planners.investment.actions import action
from junheng.planners.milp import MilpBuilder, allow_seconds

# A unit a year late weighs this much more than a unit a year early.
_LATE_WEIGHT = 3.0


@dataclass
class Schedule:
    actions: pl.DataFrame        # one row per action and year (quantity, cost_yuan, year, due_year)
    years: list[int]
    budget: dict[int, float]
    spent: dict[int, float]
    missing_yuan: float
    missing_lower_bound_yuan: float
    status: str                  # "funded" | "budget_short" | "no_budget"


def _solution(values: np.ndarray) -> highspy.HighsSolution:
    sol = highspy.HighsSolution()
    sol.col_value = list(values)
    sol.value_valid = True
    return sol


def _building(kind: str) -> bool:
    return action(kind).building


def _step(kind: str) -> float:
    return action(kind).phase_step


def phase_plan(actions: pl.DataFrame, years: list[int], shares: np.ndarray) -> pl.DataFrame:
    """``actions`` split into one row per action and due year. ``shares[i, k]`` is the
    cumulative share of action ``i`` due by ``years[k]`` (the last year is taken as 1: the plan
    is complete by the target year). Quantities are split in whole steps of the action (a
    teacher, a room, 1 万元 of equipment); a building is whole, in its first due year; the cost
    follows the quantity and the pieces of a line add up to the line exactly."""
    if actions.height == 0:
        return actions.with_columns(year=pl.lit(None, pl.Int64), due_year=pl.lit(None, pl.Int64))
    ny = len(years)
    cum = np.maximum.accumulate(np.clip(np.nan_to_num(shares, nan=1.0), 0.0, 1.0), axis=1)
    cum[:, -1] = 1.0
    rows: list[dict[str, object]] = []
    for i, r in enumerate(actions.to_dicts()):
        q = float(r["quantity"])
        if _building(str(r["kind"])) or q <= 0:
            k = int(np.argmax(cum[i] > 1e-9))
            rows.append({**r, "year": years[k], "due_year": years[k]})
            continue
        step = _step(str(r["kind"]))
        units = int(np.ceil(q / step - 1e-9))
        done = np.minimum(np.ceil(cum[i] * units - 1e-9), units).astype(int)
        done[-1] = units
        pieces = np.diff(np.concatenate([[0], done]))
        spent_q, spent_c = 0.0, 0.0
        last = int(np.flatnonzero(pieces > 0)[-1])
        for k in range(ny):
            if pieces[k] <= 0:
                continue
            if k == last:
                qk, ck = q - spent_q, float(r["cost_yuan"]) - spent_c
            else:
                qk = min(pieces[k] * step, q - spent_q)
                ck = round(float(r["cost_yuan"]) * qk / q, 2)
            spent_q += qk
            spent_c += ck
            rows.append({**r, "quantity": round(qk, 2), "cost_yuan": round(ck, 2),
                         "year": years[k], "due_year": years[k]})
    schema = pl.Schema({**dict(actions.schema), "year": pl.Int64(), "due_year": pl.Int64()})
    return pl.DataFrame(rows, schema=schema)


def schedule_plan(actions: pl.DataFrame, years: list[int], budget: dict[int, float] | None,
                  time_limit: float = 6.0) -> Schedule:
    """``actions`` as phased by ``phase_plan`` (a ``due_year`` per row), placed in years within
    ``budget`` (year → 元); without a budget each row stays in its due year."""
    if actions.height == 0 or not budget:
        out = actions.with_columns(year=pl.col("due_year")) if "due_year" in actions.columns else \
            actions.with_columns(year=pl.lit(years[0], pl.Int64))
        spent = {int(y): float(out.filter(pl.col("year") == y)["cost_yuan"].sum()) for y in years}
        spent = {y: v for y, v in spent.items() if v or out.height == 0}
        return Schedule(out, years, budget or {}, spent if out.height else {}, 0.0, 0.0, "no_budget")
    n = actions.height
    qty = actions["quantity"].to_numpy().astype(float)
    cost = actions["cost_yuan"].to_numpy().astype(float)
    kinds = actions["kind"].to_list()
    building = np.array([_building(k) for k in kinds])
    step = np.array([_step(k) for k in kinds])
    units = np.where(building, 1.0, np.maximum(np.ceil(qty / step - 1e-9), 1.0))
    unit_cost = cost / units
    due = np.array([years.index(int(d)) if d in years else 0 for d in actions["due_year"].to_list()])
    ny = len(years)
    b = MilpBuilder()
    keys = [f"{i},{y}" for i in range(n) for y in years]
    q = b.add_vars("do", keys, 0.0, np.repeat(units, ny), 0.0, integer=True)
    short = b.add_vars("unfunded", [str(i) for i in range(n)], 0.0, units, unit_cost, integer=True)
    qm = q.reshape(n, ny)
    b.add_rows("all_or_unfunded", [str(i) for i in range(n)],
               np.concatenate([np.repeat(np.arange(n), ny), np.arange(n)]),
               np.concatenate([qm.ravel(), short]), np.ones(n * ny + n), units, units)
    cap = np.array([float(budget.get(y, 0.0)) for y in years])
    b.add_rows("budget", [str(y) for y in years], np.tile(np.arange(ny), n), qm.ravel(),
               np.repeat(unit_cost, ny), -np.inf, cap)
    # Lexicographic: first fund as much as the budgets allow, then, with that amount fixed,
    # keep every unit as near its due year as possible (late weighs more than early).
    h = b.build(time_limit / 2, 1e-4)
    # The amount missing is reported with its proven lower bound; a thousand yuan either way
    # does not change a budget decision.
    h.setOptionValue("mip_abs_gap", 1000.0)
    h.run()
    if h.getModelStatus() not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit):
        raise RuntimeError(f"schedule MILP: {h.modelStatusToString(h.getModelStatus())}")
    unfunded = float(h.getInfo().objective_function_value)
    unfunded_bound = max(0.0, float(h.getInfo().mip_dual_bound))
    first = np.asarray(h.getSolution().col_value)
    b.add_rows("funding_kept", ["all"], np.zeros(n, int), short, unit_cost, -np.inf, unfunded + 0.5)
    b.push_new(h)
    k = np.arange(ny, dtype=float)[None, :]
    off = k - due[:, None]
    weight = np.where(off >= 0, _LATE_WEIGHT * off, -off)
    h.changeColsCost(b.n_cols, np.arange(b.n_cols, dtype=np.int32),
                     np.concatenate([(unit_cost[:, None] * weight).ravel(), np.zeros(n)]))
    h.setOptionValue("mip_rel_gap", 1e-3)
    h.setOptionValue("mip_abs_gap", 1e-6)
    allow_seconds(h, time_limit / 2)
    h.setSolution(_solution(first))
    h.run()
    late_ok = h.getInfo().primal_solution_status == 2
    x = np.round(np.asarray(h.getSolution().col_value) if late_ok else first)
    done = x[qm]
    rows = []
    for i in range(n):
        for kk, y in enumerate(years):
            if done[i, kk] > 0:
                rows.append({"row": i, "year": y, "share": done[i, kk] / units[i]})
        if x[short[i]] > 0:
            rows.append({"row": i, "year": None, "share": x[short[i]] / units[i]})
    split = pl.DataFrame(rows, schema={"row": pl.Int64, "year": pl.Int64, "share": pl.Float64})
    base = actions.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    out = (
        split.join(base.drop("year", strict=False), on="row", how="left")
        .with_columns(
            quantity=pl.when(pl.col("kind").is_in([a for a in set(kinds) if _building(a)]))
            .then(pl.col("quantity"))
            .otherwise((pl.col("quantity") * pl.col("share")).round(2)),
            cost_yuan=(pl.col("cost_yuan") * pl.col("share")).round(2),
            funded=pl.col("year").is_not_null(),
        )
        .sort("row", "year", nulls_last=True)
        .drop("row", "share")
    )
    spent = {y: float(out.filter(pl.col("year") == y)["cost_yuan"].sum()) for y in years}
    missing = float(out.filter(~pl.col("funded"))["cost_yuan"].sum())
    status = "funded" if missing <= 0.5 else "budget_short"
    return Schedule(out, years, {y: float(budget.get(y, 0.0)) for y in years}, spent, missing,
                    min(missing, unfunded_bound), status)
