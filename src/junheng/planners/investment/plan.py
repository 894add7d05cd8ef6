"""``plan_county``: the least-cost path of one county to the 优质均衡 resource rules.

Like the zones planner, four steps: build (``problem.py``: the county's parts, what each action of
the registry may do, the rules out of reach), solve and read back (``solve.py``: the MILP with its
CV cuts, quantities per action), check (``check.py``: every constraint recomputed from the listed
actions). The actions are then applied to the target year's data (``apply.py``) together with the
money-fixable county items (``county_items.py``); the standards engine evaluates the changed data
from scratch, and the plan reports what passes, what remains and why. Last, the actions are
phased over the years up to the target year from the enrollment forecast (``schedule.py``).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import linear_sum_assignment

from junheng.domain.dataset import Dataset
from junheng.domain.geo import PLANNER_RADIUS_KM, distance_matrix
from junheng.domain.reasons import Reason
from junheng.planners.investment.actions import action, limit_for, limit_label, raising
from junheng.planners.investment.actions import labels as action_labels
from junheng.planners.investment.actions import units as action_units
from junheng.planners.investment.apply import apply_plan
from junheng.planners.investment.campuses import CampusPlan, plan_new_campuses
from junheng.planners.investment.check import check_plan
from junheng.planners.investment.classes import classes_needed
from junheng.planners.investment.costs import Costs, load_costs
from junheng.planners.investment.county_items import budget_lines, outside_plan
from junheng.planners.investment.inputs import school_stage_parts
from junheng.planners.investment.problem import Problem, Unattainable, build_problem, lifted_limit
from junheng.planners.investment.results import (
    FailingCv,
    FailingSchool,
    InvestmentPlan,
    LiftedLimits,
    OverLimit,
    PlanSchedule,
    ResourceCheck,
    SchoolsPassing,
    UnattainableRule,
)
from junheng.planners.investment.rules import (
    INDICATOR_BY_ID,
    STANDARD_ID,
    ResourceRules,
    load_rules,
)
from junheng.planners.investment.schedule import phase_plan, schedule_plan
from junheng.planners.investment.solve import SolveResult, solve_problem
from junheng.standards.engine import Evaluation
from junheng.standards.results import SchoolResult

# Labels and units of every action kind, from the action registry (data/actions.yaml).
KIND_LABELS = action_labels("zh")
KIND_LABELS_EN = action_labels("en")
KIND_UNITS = action_units("zh")


class PlanError(ValueError):
    """The plan cannot be made (county absent, target year before the data, …)."""


def _km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km (haversine); unknown coordinates give 0."""
    return np.asarray(np.nan_to_num(distance_matrix(lat1, lon1, lat2, lon2, radius=PLANNER_RADIUS_KM),
                                    nan=0.0))


def _pair_moves(p: Problem, res: SolveResult) -> list[dict[str, Any]]:
    """Which school gives which teacher to which: the least total distance pairing of the
    model's moves out and in (a move costs the same whatever the pair, so the model leaves the
    pairing free and it is chosen here)."""
    out: list[dict[str, Any]] = []
    lat = p.parts["latitude"].to_numpy().astype(float)
    lon = p.parts["longitude"].to_numpy().astype(float)
    ids = p.parts["school_id"].to_numpy()
    for ind in p.teacher_indicators:
        move = raising(ind.id, "move")
        cost = move.unit_cost(p.costs)
        for st in ("primary", "junior"):
            sel = p.stage == st
            src = np.repeat(np.flatnonzero(sel), res.moves_out[move.id][sel].astype(int))
            dst = np.repeat(np.flatnonzero(sel), res.quantities[move.id][sel].astype(int))
            if len(src) == 0:
                continue
            dist = _km(lat[src], lon[src], lat[dst], lon[dst])
            r, c = linear_sum_assignment(dist)
            pairs: dict[tuple[int, int], list[float]] = {}
            for i, j in zip(r, c, strict=False):
                pairs.setdefault((int(src[i]), int(dst[j])), []).append(float(dist[i, j]))
            for (a, b), kms in pairs.items():
                out.append({"school_id": ids[b], "stage": st, "kind": move.id,
                            "quantity": len(kms), "unit": move.unit, "cost_yuan": len(kms) * cost,
                            "from_school_id": ids[a], "distance_km": round(kms[0], 1)})
    return out


ACTION_SCHEMA = {"school_id": pl.Utf8, "stage": pl.Utf8, "kind": pl.Utf8, "quantity": pl.Float64,
                 "unit": pl.Utf8, "cost_yuan": pl.Float64, "from_school_id": pl.Utf8, "distance_km": pl.Float64}


def _actions(p: Problem, res: SolveResult, new_classes: pl.DataFrame,
             campus_rows: list[dict[str, Any]] | None = None) -> pl.DataFrame:
    """The read-back as one row per school (and stage) and action, with its cost."""
    rows: list[dict[str, Any]] = list(campus_rows or [])
    for ind in p.teacher_indicators:
        hire = raising(ind.id, "hire")
        q_all = res.quantities[hire.id]
        for r in np.flatnonzero(q_all > 0):
            q = int(q_all[r])
            rows.append({"school_id": p.school_ids[r], "stage": p.stage[r], "kind": hire.id,
                         "quantity": q, "unit": hire.unit, "cost_yuan": q * hire.unit_cost(p.costs)})
    rows += _pair_moves(p, res)
    stages_of = p.parts.group_by("school_id").agg(pl.col("stage").unique())
    single = {r["school_id"]: (r["stage"][0] if len(r["stage"]) == 1 else None) for r in stages_of.to_dicts()}
    for ind in p.facility_indicators:
        stock = raising(ind.id, "stock")
        for si in np.flatnonzero(res.quantities[stock.id] > 0):
            amount = float(res.quantities[stock.id][si])
            sid = res.schools[si]
            rows.append({"school_id": sid, "stage": single.get(sid), "kind": stock.id,
                         "quantity": int(amount) if stock.integer else round(amount, 2),
                         "unit": stock.unit, "cost_yuan": round(amount * stock.unit_cost(p.costs), 2)})
    room = action("add_classrooms")
    for nc in new_classes.filter(pl.col("new_classes") > 0).to_dicts():
        rows.append({"school_id": nc["school_id"], "stage": nc["stage"], "kind": room.id,
                     "quantity": int(nc["new_classes"]), "unit": room.unit,
                     "cost_yuan": int(nc["new_classes"]) * room.unit_cost(p.costs)})
    frame = pl.DataFrame(rows, schema=ACTION_SCHEMA) if rows else pl.DataFrame(schema=ACTION_SCHEMA)
    return frame.sort("kind", "school_id")


def _labelled(actions: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """Actions with the names of their school and of the school a moved teacher comes from, and
    the action's label in Chinese and English (from the registry)."""
    names = names.unique(subset=["school_id"])
    return (actions.drop("school_name", "from_school_name", "label_zh", "label_en", strict=False)
            .join(names, on="school_id", how="left")
            .join(names.rename({"school_id": "from_school_id", "school_name": "from_school_name"}),
                  on="from_school_id", how="left")
            .with_columns(label_zh=pl.col("kind").replace_strict(KIND_LABELS, default=pl.col("kind")),
                          label_en=pl.col("kind").replace_strict(KIND_LABELS_EN, default=pl.col("kind"))))


def _target_data(ds: Dataset, target_year: int, notes: list[Reason]) -> tuple[Dataset, int]:
    years = ds.years()
    if not years:
        raise PlanError("数据中没有学年数据 / the data has no school years")
    if target_year in years:
        return ds, target_year
    last = max(years)
    if target_year < last:
        raise PlanError(f"数据中没有 {target_year} 学年 / no data for school year {target_year}")
    from junheng.forecast import project_dataset

    notes.append(Reason("projected", {"target": target_year, "last": last}))
    return project_dataset(ds, target_year), last


def _unattainable(parts: pl.DataFrame, items: list[Unattainable],
                  rules: ResourceRules) -> tuple[UnattainableRule, ...]:
    names = dict(zip(parts["school_id"].to_list(), parts["school_name"].to_list(), strict=False))
    out = []
    for u in items:
        ind = INDICATOR_BY_ID[u.indicator] if u.indicator else None
        label = ind.label if ind else ""
        if u.kind == "cv":
            text = (f"{_stage_zh(u.stage)}{label}的差异系数现为 {u.value_now:.4f}，在各校上限内最低只能降到 "
                    f"{u.best_reachable:.4f}，高于限值 {u.required:g}")
        else:
            need = f"阈值的{rules.floor_share:.0%}" if u.kind == "school_floor" else "阈值"
            text = (f"{names.get(u.school_id, u.school_id)}（{_stage_zh(u.stage)}）{label}现为 {u.value_now:.4g}，"
                    f"在上限内最多达到 {u.best_reachable:.4g}，低于{need} {u.required:.4g}；{u.limit_note}")
        out.append(UnattainableRule(
            kind=u.kind, stage=u.stage, indicator=u.indicator, school_id=u.school_id,
            school_name=names.get(u.school_id) if u.school_id else None, indicator_label=label,
            value_now=round(float(u.value_now), 6), best_reachable=round(float(u.best_reachable), 6),
            required=round(float(u.required), 6), limit=u.limit_note, text_zh=text))
    return tuple(out)


def _what_if_no_limits(p: Problem, res: SolveResult, time_limit: float) -> LiftedLimits:
    """What it would take if the binding limits were lifted: the cost and the actions beyond the
    limits. Turns "cannot" into "would need 49 907 m² at school X, where the land allows 4 000"."""
    # A school that cannot pass has its own limits lifted; a CV out of reach lifts the limit at
    # every school (any of them may be where the cheapest fix lies).
    keys: set[str] = set()
    per_school: dict[str, set[str]] = {}
    for u in res.unattainable:
        key = lifted_limit(str(u.indicator))
        if u.kind == "cv":
            keys.add(key)
        elif u.school_id is not None:
            per_school.setdefault(u.school_id, set()).add(key)
    relaxed = p.costs.without_limits(keys, per_school)
    lifted = keys | {k for ks in per_school.values() for k in ks}
    alt = solve_problem(build_problem(p.parts, p.rules, relaxed), time_limit=min(time_limit, 30.0))
    unsolved = LiftedLimits(lifted_limits=tuple(sorted(keys)),
                            lifted_at_schools={k: tuple(sorted(v)) for k, v in per_school.items()},
                            status=alt.status, total_cost_yuan=alt.objective,
                            unattainable_left=len(alt.unattainable))
    if alt.objective is None:
        return unsolved
    names = dict(zip(p.parts["school_id"].to_list(), p.parts["school_name"].to_list(), strict=False))
    over = []
    for ind in p.facility_indicators:
        stock = raising(ind.id, "stock")
        key = str(stock.limit)
        if key not in lifted:
            continue
        for si, sid in enumerate(alt.schools):
            q = float(alt.quantities[stock.id][si])
            lim = limit_for(p.costs, key, p.locale[sid], sid)
            if q > lim + 1e-6:
                over.append(OverLimit(
                    school_id=sid, school_name=names.get(sid), limit_key=key,
                    limit_label=limit_label(key), limit_label_en=limit_label(key, "en"),
                    kind=stock.id, quantity=round(q, 2), limit=lim,
                    text_zh=f"{names.get(sid, sid)}需{stock.label} {q:,.0f}{stock.unit}，超出上限 {lim:,.0f}"))
    text = (f"若取消上限（{'、'.join(limit_label(k) for k in sorted(lifted))}），全部要求可在 {alt.objective:,.0f} 元内达到，"
            f"比本规划多 {alt.objective - (res.objective or 0.0):,.0f} 元；超出上限的措施："
            + ("；".join(o.text_zh for o in over) or "无")) if not alt.unattainable else (
            "即使取消这些上限仍有要求无法达到 / still unattainable without these limits")
    return replace(unsolved, extra_cost_yuan=round(alt.objective - (res.objective or 0.0), 2),
                   over_limit=tuple(over),
                   lifted_labels_zh=tuple(limit_label(k) for k in sorted(lifted)),
                   lifted_labels_en=tuple(limit_label(k, "en") for k in sorted(lifted)),
                   text_zh=text)


def _stage_zh(stage: str) -> str:
    return {"primary": "小学", "junior": "初中"}.get(stage, stage)


def _resource_check(after: Evaluation, county: str) -> ResourceCheck:
    """What the engine says of the resource part of the changed data (read from its typed
    result, not from the JSON)."""
    c = after.find_county(county)
    if c is None:
        return ResourceCheck(resources_passed=False, failing_schools=(), failing_cvs=(),
                             county_found=False)
    # Stages without any evaluated school (a county with no 初中 in a test, say) have no CV to
    # judge; the engine calls them not reported, the plan judges the stages that exist.
    stages = {st: b for st, b in c.stages.items() if b.evaluated and b.schools_evaluated > 0}
    failing_cv = tuple(FailingCv(stage=st, indicator=iid, cv=ind.cv, cv_limit=ind.cv_limit)
                       for st, block in stages.items()
                       for iid, ind in block.indicators.items() if ind.cv_passed is not True)
    failing_schools = tuple(FailingSchool(school_id=s.school_id, stage=s.stage, met_count=s.met_count,
                                          status=s.status, shortfalls=s.shortfalls)
                            for s in after.school_results() if s.county_code == county and not s.passed)
    resources = c.parts.get("resources")
    g04, g05 = c.items.get("g04_school_size"), c.items.get("g05_class_size")
    # The schools the engine finds over the g04 cap, from its checks' traces (their open shape).
    over = tuple(o for chk in (g04.checks if g04 else ()) for o in chk.trace.inputs.get("over") or [])
    return ResourceCheck(
        resources_passed=bool(stages) and not failing_cv and not failing_schools,
        failing_schools=failing_schools, failing_cvs=failing_cv,
        resources_status=resources.status if resources else None, county_passed=c.passed,
        g05_class_size=g05.status if g05 else None, g04_school_size=g04.status if g04 else None,
        schools_over_size_cap=over, reasons_zh=tuple(c.reasons_zh))


def _budget_by_year(budget: float | list[float] | dict[int, float] | None, years: list[int]) -> dict[int, float] | None:
    if budget is None:
        return None
    if isinstance(budget, dict):
        return {int(k): float(v) for k, v in budget.items()}
    if isinstance(budget, (int, float)):
        return {y: float(budget) for y in years}
    values = [float(v) for v in budget]
    return {y: (values[i] if i < len(values) else 0.0) for i, y in enumerate(years)}


def with_new_classrooms(ds_t: Dataset, year: int, parts: pl.DataFrame, rules: ResourceRules,
                        costs: Costs) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The parts with the teaching area of the classrooms g05 forces already counted (they are
    built whatever else the plan does), and the new classes per part."""
    new_classes = classes_needed(ds_t.for_year(year), parts, rules.class_size_max)
    per_school = new_classes.group_by("school_id").agg(
        (pl.col("new_classes").sum() * costs.classroom_area_m2).alias("_room_m2"))
    parts = (parts.join(per_school, on="school_id", how="left")
             .with_columns(teaching_area_m2=pl.col("teaching_area_m2")
                           + pl.col("_room_m2").fill_null(0.0) * pl.col("share"))
             .drop("_room_m2"))
    return parts, new_classes


def plan_inputs(ds_t: Dataset, year: int, county: str, rules: ResourceRules, costs: Costs,
                params: dict[str, Any] | None = None) -> tuple[Dataset, pl.DataFrame, pl.DataFrame, CampusPlan]:
    """What the MILP is given: the year's data after the new campuses of g04 (students above each
    size cap moved, new schools added), its school-stage parts with the classrooms g05 forces
    already counted, the new classes per part, and the campus plan itself."""
    parts = school_stage_parts(ds_t, year, county, params)
    if parts.height == 0:
        raise PlanError(f"区县 {county} 在 {year} 学年没有参评学校 / no schools to plan")
    # g04 first: new campuses take the students above each size cap, and everything after
    # (classrooms, the MILP, the engine's check) sees the moved students and the new schools.
    campus = plan_new_campuses(ds_t, year, county, parts, rules, costs, params)
    if campus.campuses:
        ds_t = campus.data
        parts = school_stage_parts(ds_t, year, county, params)
    parts, new_classes = with_new_classrooms(ds_t, year, parts, rules, costs)
    return ds_t, parts, new_classes, campus


def plan_county(
    ds: Dataset,
    county: str,
    target_year: int,
    costs: Costs | str | dict[str, Any] | None = None,
    budget: float | list[float] | dict[int, float] | None = None,
    time_limit: float = 60.0,
    params: dict[str, Any] | None = None,
    write_model: str | None = None,
) -> InvestmentPlan:
    """The least-cost plan for ``county`` to meet the resource rules in ``target_year``.

    ``budget``: a yearly amount (元), a list of amounts from the first plan year, or a
    {year: amount} mapping; the plan is then spread over the years up to the target year.
    ``write_model``: a path (``.lp`` or ``.mps``) to write the MILP to, for inspection.
    """
    costs = costs if isinstance(costs, Costs) else load_costs(costs)
    try:
        rules = load_rules(target_year, params)
    except ValueError as exc:
        raise PlanError(str(exc)) from None
    notes: list[Reason] = []
    if county not in ds.table("counties")["county_code"].to_list():
        raise PlanError(f"数据中没有区县 {county} / county {county} is not in the data")
    ds_before, data_year = _target_data(ds, target_year, notes)
    ds_t, parts, new_classes, campus = plan_inputs(ds_before, target_year, county, rules, costs, params)
    missing = [c.removeprefix("missing__") for c in parts.columns
               if c.startswith("missing__") and parts[c].any()]
    if missing:
        notes.append(Reason("unreported", {"columns": missing}))

    if campus.campuses:
        notes.append(Reason("new_campuses", {"campuses": len(campus.campuses),
                                             "seats": sum(c.seats for c in campus.campuses)}))
    if (new_classes["basis"] == "stage").any() and (new_classes["new_classes"] > 0).any():
        notes.append(Reason("classes_estimated"))

    # Build, solve, read back.
    problem = build_problem(parts, rules, costs)
    res = solve_problem(problem, time_limit=time_limit, write_model=write_model)
    before_ev = _evaluate(ds_before, target_year, county, params)
    names = parts.select("school_id", "school_name")
    years = list(range(data_year + 1, target_year + 1)) if target_year > data_year else [target_year]
    if res.objective is None:
        actions = _labelled(_actions(problem, res, new_classes.filter(pl.lit(False)), campus.actions), names)
        return InvestmentPlan(
            county, target_year, data_year, res.status, res.status, campus.cost_yuan, None, res.bound,
            res.seconds, res.cut_rounds, actions.with_columns(year=pl.lit(years[0], pl.Int64)), (), (),
            _unattainable(parts, res.unattainable, rules), before_ev, before_ev,
            _resource_check(before_ev, county), _passing(before_ev, before_ev, county),
            notes=(*notes, Reason("no_feasible_plan")),
            new_campuses=tuple(campus.campuses), explanation=tuple(campus.explanation))

    actions = _actions(problem, res, new_classes, campus.actions)
    applied = apply_plan(ds_t, target_year, actions, costs.classroom_area_m2, rules.class_size_max, new_classes)
    in_scope = parts.select("school_id").unique()
    items = budget_lines(applied, county, target_year, rules, costs, in_scope)
    # The music and art rooms g03 asks for are built at named schools: actions like the others,
    # in the total (they were a separate line the total left out).
    if items.room_actions:
        actions = pl.concat([actions, pl.DataFrame(items.room_actions, schema=ACTION_SCHEMA)]).sort("kind", "school_id")
    after_ds = items.after
    after_ev = _evaluate(after_ds, target_year, county, params)
    check = _resource_check(after_ev, county)
    # Step 4: every constraint recomputed from the listed actions, independently of the model.
    own = check_plan(problem, actions.filter(pl.col("kind").is_in(list(problem.upper))))
    check = replace(check, plan_check_passed=own.ok, plan_check_violations=tuple(own.violations))
    outside = outside_plan(after_ev, county, {b.item for b in items.budget_lines}
                           | ({"g03_music_art_rooms"} if items.room_actions else set()))
    unattainable = _unattainable(parts, res.unattainable, rules)
    what_if = _what_if_no_limits(problem, res, time_limit) if res.unattainable else None

    # Phasing: each action in the year the forecast says it is needed, within the budgets.
    shares = _due_shares(ds, problem, actions, years, target_year, county, params)
    phased = phase_plan(actions, years, shares)
    sched = schedule_plan(phased, years, _budget_by_year(budget, years))
    actions = _labelled(sched.actions, names).sort("year", "kind", "school_id", nulls_last=True)
    schedule = PlanSchedule(
        status=sched.status, years=tuple(sched.years),
        budget_by_year={str(k): v for k, v in sched.budget.items()},
        spent_by_year={str(k): round(v, 2) for k, v in sched.spent.items()},
        missing_yuan=round(sched.missing_yuan, 2),
        missing_lower_bound_yuan=round(sched.missing_lower_bound_yuan, 2),
        basis_zh="每项措施安排在学生数预测显示需要它的年份（学校生均水平低于规划水平的第一年），"
                 "工程项目一次建成；有年度预算时在预算内尽量靠近该年份")
    if sched.status == "budget_short":
        notes.append(Reason("budget_short", {"target": target_year, "missing": sched.missing_yuan}))
    status = res.status
    if unattainable:
        status = "partial"
    # The classrooms g05 forces, the new campuses of g04 and the rooms of g03 are outside the
    # MILP (their number is fixed); they are part of the plan's cost and shift its lower bound
    # by the same amount. The total is the sum of every line listed.
    total = float(actions["cost_yuan"].sum())
    fixed_cost = total - float(res.objective or 0.0)
    bound = None if res.bound is None else float(res.bound) + fixed_cost
    gap = None if bound is None else (0.0 if total <= 0 else max(0.0, (total - bound) / total))
    return InvestmentPlan(
        county, target_year, data_year, status, res.status, total, gap, bound,
        res.seconds, res.cut_rounds, actions, tuple(items.budget_lines), outside, unattainable,
        before_ev, after_ev, check, _passing(before_ev, after_ev, county), schedule, tuple(notes),
        after_ds, what_if, tuple(campus.campuses), tuple(campus.explanation))


def _passing(before: Evaluation, after: Evaluation, county: str) -> SchoolsPassing:
    """School sections passing the school rule before and after, each over its own total: the
    new campuses exist only after, so they are counted there (and named) and nowhere else."""
    def rows(ev: Evaluation) -> list[SchoolResult]:
        return [s for s in ev.school_results() if s.county_code == county]

    b_rows, a_rows = rows(before), rows(after)
    new = {s.school_id for s in a_rows} - {s.school_id for s in b_rows}
    return SchoolsPassing(before=sum(1 for s in b_rows if s.status == "passed"), before_total=len(b_rows),
                          after=sum(1 for s in a_rows if s.status == "passed"), after_total=len(a_rows),
                          new_campus_sections=sum(1 for s in a_rows if s.school_id in new))


def _due_shares(ds: Dataset, p: Problem, actions: pl.DataFrame, years: list[int], target_year: int,
                county: str, params: dict[str, Any] | None) -> np.ndarray:
    """Cumulative share of each action due by each plan year, from the forecast students.

    With P_y the forecast students of the action's school (and stage) in year y and P_T those of
    the target year, a school given resource Y + ΔY for P_T students needs (Y + ΔY)·P_y/P_T in
    year y to be at the plan's per-student level; the share of ΔY due by y is what that exceeds
    Y. A new campus is due the first year its school's forecast exceeds the size cap; the rooms
    g03 asks for are a shortfall of today's classes, due in the first year.
    """
    n = actions.height
    shares = np.ones((n, len(years)))
    if n == 0 or len(years) == 1:
        return shares
    students = _students_by_year(ds, years, county)
    if students.height == 0:
        return shares
    wide = students.pivot(on="year", index=["school_id", "stage"], values="students").fill_null(0)
    cols = [str(y) for y in years]
    for c in cols:
        if c not in wide.columns:
            wide = wide.with_columns(pl.lit(0).alias(c))
    school = wide.group_by("school_id").agg([pl.col(c).sum() for c in cols])
    part_p = {(r["school_id"], r["stage"]): np.array([float(r[c]) for c in cols]) for r in wide.to_dicts()}
    school_p = {r["school_id"]: np.array([float(r[c]) for c in cols]) for r in school.to_dicts()}
    part_row = {(sid, str(st)): r for r, (sid, st) in enumerate(zip(p.school_ids, p.stage, strict=False))}
    school_y = pl.DataFrame({"school_id": p.school_ids, **{
        ind.resource: p.y[:, j] for j, ind in enumerate(p.indicators)}}).group_by("school_id").sum()
    school_res = {r["school_id"]: r for r in school_y.to_dicts()}
    part_classes = dict(zip(zip(p.school_ids, [str(s) for s in p.stage], strict=False),
                            p.parts["classes"].fill_null(0).to_numpy().astype(float), strict=False))
    caps = p.rules.school_size_max
    types = dict(ds.table("schools").select("school_id", "school_type").iter_rows())

    def share(y_now: float, delta: float, pop: np.ndarray | None) -> np.ndarray:
        if pop is None or pop[-1] <= 0 or delta <= 0:
            return np.ones(len(years))
        need = (y_now + delta) * pop / pop[-1] - y_now
        out: np.ndarray = np.clip(need / delta, 0.0, 1.0)
        return out

    for i, a in enumerate(actions.to_dicts()):
        kind, sid, st = str(a["kind"]), str(a["school_id"]), a["stage"]
        act = action(kind)
        if act.group in ("hire", "move"):
            r = part_row.get((sid, str(st)))
            if r is not None:
                j = p.col(str(act.indicator))
                shares[i] = share(float(p.y[r, j]), float(a["quantity"]), part_p.get((sid, str(st))))
        elif act.group == "stock":
            res = school_res.get(sid)
            if res is not None:
                ind = next(ind for ind in p.indicators if ind.id == act.indicator)
                shares[i] = share(float(res[ind.resource]), float(a["quantity"]), school_p.get(sid))
        elif act.group == "classroom":
            shares[i] = share(part_classes.get((sid, str(st)), 0.0), float(a["quantity"]), part_p.get((sid, str(st))))
        elif act.group == "campus":
            host = str(a["from_school_id"])
            pop, cap = school_p.get(host), caps.get(str(types.get(host)))
            if pop is not None and cap is not None:
                over = pop > cap
                shares[i] = np.where(np.maximum.accumulate(over), 1.0, 0.0)
        # Rooms of g03 (group "room"): due now, shares stay 1.
    return shares


def _students_by_year(ds: Dataset, years: list[int], county: str) -> pl.DataFrame:
    """Students per school and stage of ``county`` in each plan year: reported where the data
    has the year, else the enrollment forecast (the same projection the plan's target year uses)."""
    from junheng.forecast import ForecastError
    from junheng.forecast.future import project_dataset

    have = set(ds.years())
    ids = ds.table("schools").filter(pl.col("county_code") == county).select("school_id")
    frames = []
    for y in years:
        try:
            src = ds if y in have else project_dataset(ds, y)
        except ForecastError:
            return pl.DataFrame()
        frames.append(src.table("sections").filter((pl.col("year") == y) & pl.col("stage").is_in(["primary", "junior"]))
                      .join(ids, on="school_id", how="semi")
                      .select("school_id", "stage", pl.col("year").cast(pl.Utf8),
                              pl.col("students").cast(pl.Float64).fill_null(0.0)))
    return pl.concat(frames) if frames else pl.DataFrame()


def _evaluate(ds: Dataset, year: int, county: str, params: dict[str, Any] | None) -> Evaluation:
    from junheng.standards.engine import evaluate

    return evaluate(ds, STANDARD_ID, year, county=county, params=params)


def finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)
