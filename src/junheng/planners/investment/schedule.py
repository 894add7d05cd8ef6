"""Spread a county's plan over the years up to its target year within yearly budgets.

A second, small MILP. Teachers, rooms, equipment and moves may be split over years in whole
units; a building project (teaching area, sports ground, classrooms of one school) is done in
one year. Funding as much of the plan as the budgets allow comes first; among the ways to do
that, spending earlier is preferred (the nearest evaluation needs the resources soonest).
Whatever cannot be funded by the target year is reported with the amount missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import polars as pl

from junheng.planners.milp import MilpBuilder, allow_seconds

BUILDING_KINDS = ("build_teaching_area_m2", "build_sports_area_m2", "add_classrooms", "new_campus")


@dataclass
class Schedule:
    actions: pl.DataFrame        # one row per action and year (quantity, cost_yuan, year)
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


def schedule_plan(actions: pl.DataFrame, years: list[int], budget: dict[int, float] | None,
                  time_limit: float = 6.0) -> Schedule:
    if actions.height == 0 or not budget:
        year = years[0]
        out = actions.with_columns(year=pl.lit(year, pl.Int64))
        spent = {year: float(actions["cost_yuan"].sum())} if actions.height else {}
        return Schedule(out, years, budget or {}, spent, 0.0, 0.0, "no_budget")
    n = actions.height
    qty = actions["quantity"].to_numpy().astype(float)
    cost = actions["cost_yuan"].to_numpy().astype(float)
    building = actions["kind"].is_in(list(BUILDING_KINDS)).to_numpy()
    # Units that can be split: whole teachers and rooms; equipment in 元 is split in 1 万元 steps.
    unit = np.where(actions["kind"].to_numpy() == "buy_equipment_yuan", 10000.0, 1.0)
    units = np.where(building, 1.0, np.ceil(qty / unit))
    unit_cost = cost / units
    ny = len(years)
    b = MilpBuilder()
    keys = [f"{i},{y}" for i in range(n) for y in years]
    uc = np.repeat(unit_cost, ny)
    q = b.add_vars("do", keys, 0.0, np.repeat(units, ny), 0.0, integer=True)
    short = b.add_vars("unfunded", [str(i) for i in range(n)], 0.0, units, unit_cost, integer=True)
    qm = q.reshape(n, ny)
    b.add_rows("all_or_unfunded", [str(i) for i in range(n)],
               np.concatenate([np.repeat(np.arange(n), ny), np.arange(n)]),
               np.concatenate([qm.ravel(), short]), np.ones(n * ny + n), units, units)
    # Budgets per year.
    cap = np.array([float(budget.get(y, 0.0)) for y in years])
    b.add_rows("budget", [str(y) for y in years], np.tile(np.arange(ny), n), qm.ravel(),
               np.repeat(unit_cost, ny), -np.inf, cap)
    # Lexicographic: first fund as much as the budgets allow, then, with that amount fixed,
    # spend as early as possible (a yuan spent k years after the first plan year costs k).
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
    late = np.tile(np.arange(ny, dtype=float), n)
    h.changeColsCost(b.n_cols, np.arange(b.n_cols, dtype=np.int32),
                     np.concatenate([uc * late, np.zeros(n)]))
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
        for k, y in enumerate(years):
            if done[i, k] > 0:
                part = done[i, k] / units[i]
                rows.append({"row": i, "year": y, "share": part})
        if x[short[i]] > 0:
            rows.append({"row": i, "year": None, "share": x[short[i]] / units[i]})
    split = pl.DataFrame(rows, schema={"row": pl.Int64, "year": pl.Int64, "share": pl.Float64})
    base = actions.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    out = (
        split.join(base.drop("year", strict=False), on="row", how="left")
        .with_columns(
            quantity=pl.when(pl.col("kind") == "buy_equipment_yuan")
            .then((pl.col("quantity") * pl.col("share")).round(0))
            .when(pl.col("kind").is_in(list(BUILDING_KINDS))).then(pl.col("quantity"))
            .otherwise((pl.col("quantity") * pl.col("share")).round(0)),
            cost_yuan=(pl.col("cost_yuan") * pl.col("share")).round(2),
            funded=pl.col("year").is_not_null(),
        )
        .drop("row", "share")
    )
    spent = {y: float(out.filter(pl.col("year") == y)["cost_yuan"].sum()) for y in years}
    missing = float(out.filter(~pl.col("funded"))["cost_yuan"].sum())
    status = "funded" if missing <= 0.5 else "budget_short"
    return Schedule(out, years, {y: float(budget.get(y, 0.0)) for y in years}, spent, missing,
                    min(missing, unfunded_bound), status)
