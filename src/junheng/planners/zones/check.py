"""Step 4: check a returned plan against every constraint, from the plan and the inputs alone.

Nothing here reads the model: loads, distances, contiguity (breadth-first search over the
adjacency lists) and moved students are recomputed from the assignment table.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from junheng.domain.geo import haversine
from junheng.planners.zones.problem import ZoneProblem

TOL = 1e-6


@dataclass
class CheckResult:
    ok: bool
    violations: list[dict[str, str]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "violations": self.violations, "figures": self.figures}


def check_plan(problem: ZoneProblem, assignments: pl.DataFrame) -> CheckResult:
    """``assignments``: area_id, school_id (a school or a 多校划片 group id ``a+b``), share."""
    v: list[dict[str, str]] = []

    def bad(constraint: str, zh: str, en: str) -> None:
        v.append({"constraint": constraint, "message_zh": zh, "message_en": en})

    o = problem.options
    areas = problem.areas
    demand = dict(zip(areas["area_id"].to_list(), areas["students"].to_list(), strict=False))
    schools = problem.schools
    closing = set(schools.filter(pl.col("status") == "closing")["school_id"].to_list())
    open_s = schools.filter(pl.col("status") != "closing")
    unit_cap: dict[str, float] = defaultdict(float)
    unit_members: dict[str, list[str]] = defaultdict(list)
    for sid, uid, cap in zip(open_s["school_id"], open_s["unit_id"], open_s["capacity"], strict=False):
        unit_cap[uid] += float(cap)
        unit_members[uid].append(sid)

    rows = assignments.select("area_id", "school_id", "share").rows()
    share_sum: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    load: dict[str, float] = defaultdict(float)
    zone: dict[str, set[str]] = defaultdict(set)
    for a, u, s in rows:
        if a not in demand:
            bad("assign", f"未知片区 {a}", f"unknown area {a}")
            continue
        if u not in unit_cap:
            members = set(u.split("+"))
            if members & closing:
                bad("closing", f"停办学校 {u} 仍被分配片区 {a}", f"closing school {u} still gets {a}")
            else:
                bad("assign", f"片区 {a} 分配到未知学校 {u}", f"area {a} assigned to unknown {u}")
            continue
        if s < -TOL or s > 1 + TOL:
            bad("assign", f"片区 {a} 比例 {s} 不在 0–1", f"area {a} share {s} outside 0–1")
        share_sum[a] += s
        count[a] += 1
        load[u] += demand[a] * s
        if s > TOL:
            zone[u].add(a)
    for a in demand:
        if abs(share_sum.get(a, 0.0) - 1.0) > 1e-5:
            bad("assign", f"片区 {a} 分配比例合计 {share_sum.get(a, 0.0):.4f} ≠ 1",
                f"area {a} shares sum to {share_sum.get(a, 0.0):.4f}")
        elif not o.splittable and count[a] != 1:
            bad("whole", f"片区 {a} 被拆分到 {count[a]} 所学校", f"area {a} split over {count[a]}")
    for u, ld in load.items():
        if ld > unit_cap[u] + 1e-4:
            bad("capacity", f"{u} 分配 {ld:.0f} 人, 超过学位 {unit_cap[u]:.0f}",
                f"{u} assigned {ld:.0f}, over capacity {unit_cap[u]:.0f}")

    # Distances recomputed from coordinates (or the travel matrix, which is input data).
    area_idx = {a: i for i, a in enumerate(areas["area_id"].to_list())}
    unit_idx = {u: j for j, u in enumerate(problem.units["unit_id"].to_list())}
    s_lat = dict(zip(open_s["school_id"], open_s["latitude"], strict=False))
    s_lon = dict(zip(open_s["school_id"], open_s["longitude"], strict=False))
    s_cap = dict(zip(open_s["school_id"], open_s["capacity"], strict=False))
    lat = areas["latitude"].to_numpy()
    lon = areas["longitude"].to_numpy()
    has_travel = problem.travel_missing_pairs > 0 or o.travel is not None
    total_km = 0.0
    for a, u, s in rows:
        if a not in area_idx or u not in unit_cap or s <= TOL:
            continue
        i = area_idx[a]
        if has_travel:
            km = problem.dist_m[i, unit_idx[u]] / 1000
        else:
            mem = unit_members[u]
            caps = np.array([max(float(s_cap[m]), 1e-9) for m in mem])
            dd = haversine(lat[i], lon[i], np.array([s_lat[m] for m in mem]),
                             np.array([s_lon[m] for m in mem]))
            km = float((dd * caps).sum() / caps.sum()) / 1000
        total_km += demand[a] * s * km
        if o.max_km is not None and km > o.max_km + 1e-6:
            bad("max_distance", f"片区 {a} 到 {u} {km:.2f} km, 超过上限 {o.max_km} km",
                f"area {a} to {u} is {km:.2f} km > {o.max_km} km")
        if o.max_minutes is not None and problem.minutes is not None:
            mins = problem.minutes[i, unit_idx[u]]
            if mins > o.max_minutes + 1e-6:
                bad("max_minutes", f"片区 {a} 到 {u} {mins:.1f} 分钟, 超过上限",
                    f"area {a} to {u} takes {mins:.1f} min > {o.max_minutes}")

    if o.contiguity:
        nbr: dict[int, list[int]] = defaultdict(list)
        for x, y in problem.edges.tolist():
            nbr[x].append(y)
            nbr[y].append(x)
        for u, members in zone.items():
            nodes = {area_idx[a] for a in members}
            root = int(problem.root[unit_idx[u]])
            nodes.add(root)
            seen = {root}
            queue = deque([root])
            while queue:
                for y in nbr[queue.popleft()]:
                    if y in nodes and y not in seen:
                        seen.add(y)
                        queue.append(y)
            if len(seen) != len(nodes):
                bad("contiguity", f"{u} 的片区不连通 ({len(nodes) - len(seen)} 个片区与学校不相连)",
                    f"zone of {u} is not contiguous ({len(nodes) - len(seen)} areas cut off)")

    cur_unit = dict(zip(areas["area_id"].to_list(), areas["current_unit"].to_list(), strict=False))
    share_of = {(a, u): s for a, u, s in rows}
    moved = sum(demand[a] * (1 - share_of.get((a, cu), 0.0))
                for a, cu in cur_unit.items() if cu is not None and cu in unit_cap)
    forced = float(areas.filter(pl.Series(problem.forced_move))["students"].sum()) \
        if problem.forced_move.any() else 0.0
    if o.keep_current and o.max_moved is not None and moved > o.max_moved + 1e-4:
        bad("moved", f"转学学生 {moved:.0f} 人, 超过上限 {o.max_moved}",
            f"{moved:.0f} students change school, limit {o.max_moved}")

    fixed_units = set(problem.units.filter(pl.col("is_fixed"))["unit_id"].to_list())
    for a, cu in cur_unit.items():
        if cu in fixed_units and share_of.get((a, cu), 0.0) < 1 - 1e-6:
            bad("fixed", f"固定学校 {cu} 的片区 {a} 被改动", f"area {a} of fixed {cu} moved")
    for u in fixed_units:
        for a in zone.get(u, set()):
            if cur_unit.get(a) != u:
                bad("fixed", f"固定学校 {u} 新增片区 {a}", f"fixed school {u} gained area {a}")
    school_unit = dict(zip(open_s["school_id"], open_s["unit_id"], strict=False))
    for a, s in o.fixed_areas.items():
        u = school_unit.get(s)
        if share_of.get((a, u), 0.0) < 1 - 1e-6:
            bad("fixed", f"片区 {a} 应固定在 {s}", f"area {a} must stay with {s}")

    return CheckResult(
        ok=not v, violations=v,
        figures={"objective_student_km": round(total_km, 3), "moved_students": round(moved, 3),
                 "moved_students_forced": round(forced, 3),
                 "loads": {u: round(x, 3) for u, x in sorted(load.items())}},
    )
