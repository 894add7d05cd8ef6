"""Step 3: the plan read back as tables, with its shortages, figures and renderings.

``ZonePlan.to_json()`` is the shape of issue 6; ``to_geojson()`` gives one feature per zone and
one per school; ``which_school`` answers "which school serves this village".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from junheng.domain.numbers import json_number
from junheng.planners.zones.check import CheckResult
from junheng.planners.zones.problem import ZoneProblem, rules
from junheng.planners.zones.solve import Solution


@dataclass
class ZonePlan:
    problem: ZoneProblem
    status: str
    objective_student_km: float | None
    gap: float | None
    bound_student_km: float | None
    assignments: pl.DataFrame      # area_id, area_name, school_id, school_name, share, students, distance_km
    schools: pl.DataFrame          # school_id, school_name, capacity, assigned, utilisation, members
    moved_students: float
    moved_students_forced: float
    shortages: list[dict[str, Any]] = field(default_factory=list)
    unserved_areas: list[str] = field(default_factory=list)
    check: CheckResult | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    pruning: dict[str, Any] = field(default_factory=dict)
    county_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        p = self.problem
        groups = p.units.filter(pl.col("is_group"))
        return {
            "status": self.status,
            "objective_student_km": _r(self.objective_student_km),
            "gap": _r(self.gap, 6),
            "assignments": [
                {"area_id": a, "school_id": s, "students": _num(st), "share": _r(sh, 6)}
                for a, s, st, sh in self.assignments.select(
                    "area_id", "school_id", "students", "share").rows()
            ],
            "schools": [
                {"school_id": s, "school_name": n, "capacity": _num(c), "assigned": _num(a),
                 "members": m}
                for s, n, c, a, m in self.schools.select(
                    "school_id", "school_name", "capacity", "assigned", "members").rows()
            ],
            "moved_students": _num(self.moved_students),
            "moved_students_forced": _num(self.moved_students_forced),
            "county": p.county, "county_name": self.county_name, "stage": p.stage, "year": p.year,
            "lower_bound_student_km": _r(self.bound_student_km),
            "shortages": self.shortages,
            "unserved_areas": self.unserved_areas,
            "groups": [{"group_id": g, "members": m} for g, m in
                       groups.select("unit_id", "members").rows()],
            "options": p.options.to_json(),
            "adjacency": {"source": p.adjacency_source, "edges": len(p.edges),
                          "links_added": len(p.edges_added)},
            "pruning": self.pruning,
            "solver": self.stats,
            "notes": p.notes,
            "check": self.check.to_json() if self.check else None,
        }

    def to_geojson(self) -> dict[str, Any]:
        p = self.problem
        feats: list[dict[str, Any]] = []
        kind = "polygons_union" if p.geometries is not None else "multipoint"
        pos = {a: i for i, a in enumerate(p.areas["area_id"].to_list())}
        lat = p.areas["latitude"].to_list()
        lon = p.areas["longitude"].to_list()
        for (sid,), part in self.assignments.group_by(["school_id"], maintain_order=True):
            idx = [pos[a] for a in part["area_id"].to_list()]
            if kind == "polygons_union":
                geom = _union([p.geometries[i] for i in idx])  # type: ignore[index]
            else:
                geom = {"type": "MultiPoint", "coordinates": [[lon[i], lat[i]] for i in idx]}
            row = self.schools.filter(pl.col("school_id") == sid)
            feats.append({"type": "Feature", "geometry": geom, "properties": {
                "kind": "zone", "geometry_kind": kind, "school_id": sid,
                "school_name": row["school_name"][0] if row.height else sid,
                "areas": part["area_id"].to_list(), "students": _num(float(part["students"].sum())),
                "capacity": _num(row["capacity"][0]) if row.height else None,
            }})
        load = dict(zip(self.schools["school_id"].to_list(), self.schools["assigned"].to_list(), strict=False))
        for sid, name, la, lo, cap, status, uid in p.schools.select(
                "school_id", "school_name", "latitude", "longitude", "capacity", "status",
                "unit_id").rows():
            feats.append({"type": "Feature",
                          "geometry": {"type": "Point", "coordinates": [lo, la]},
                          "properties": {"kind": "school", "school_id": sid, "school_name": name,
                                         "zone_id": uid, "capacity": _num(cap), "status": status,
                                         "zone_assigned": _num(load.get(uid, 0.0))}})
        return {"type": "FeatureCollection", "features": feats,
                "properties": {"status": self.status, "geometry_kind": kind,
                               "objective_student_km": _r(self.objective_student_km)}}


def _union(geoms: list[dict[str, Any] | None]) -> dict[str, Any]:
    from shapely.geometry import mapping, shape
    from shapely.ops import unary_union

    shapes = [shape(g).buffer(0) for g in geoms if g]
    return dict(mapping(unary_union(shapes))) if shapes else {"type": "GeometryCollection",
                                                               "geometries": []}


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else json_number(float(x), nd)


def _num(x: float | None) -> float | int | None:
    if x is None:
        return None
    return round(x) if abs(x - round(x)) < 1e-6 else round(float(x), 3)


def read_back(problem: ZoneProblem, sol: Solution, county_name: str | None = None) -> ZonePlan:
    unit_ids = problem.units["unit_id"].to_list()
    unit_names = problem.units["unit_name"].to_list()
    area_ids = problem.areas["area_id"].to_list()
    area_names = problem.areas["area_name"].to_list()
    d = problem.demand
    share = sol.share
    asg = pl.DataFrame({
        "area_id": [area_ids[i] for i in sol.pair_area],
        "area_name": [area_names[i] for i in sol.pair_area],
        "school_id": [unit_ids[j] for j in sol.pair_unit],
        "school_name": [unit_names[j] for j in sol.pair_unit],
        "share": share.astype(float),
        "students": d[sol.pair_area] * share,
        "distance_km": problem.dist_m[sol.pair_area, sol.pair_unit] / 1000,
    }, schema_overrides={"area_id": pl.String, "school_id": pl.String}).sort(["area_id", "school_id"])
    load = np.bincount(sol.pair_unit, weights=d[sol.pair_area] * share, minlength=problem.n_units)
    cap = problem.capacity
    sch = pl.DataFrame({
        "school_id": unit_ids, "school_name": unit_names, "capacity": cap, "assigned": load,
        "utilisation": np.where(cap > 0, load / np.maximum(cap, 1e-9), np.nan),
        "members": problem.units["members"].to_list(),
    })
    cur = problem.current
    on_cur = np.zeros(problem.n_areas)
    hit = cur[sol.pair_area] == sol.pair_unit
    np.add.at(on_cur, sol.pair_area[hit], share[hit])
    moved = float((d * (1 - on_cur))[cur >= 0].sum())
    forced = float(d[problem.forced_move].sum())
    plan = ZonePlan(
        problem=problem, status=sol.status, objective_student_km=sol.objective_student_km,
        gap=sol.gap, bound_student_km=sol.bound_student_km, assignments=asg, schools=sch,
        moved_students=moved + forced, moved_students_forced=forced,
        unserved_areas=[area_ids[i] for i in sol.unserved_areas], stats=sol.stats,
        pruning=sol.pruning, county_name=county_name,
    )
    if sol.objective_student_km is not None and len(sol.pair_area):
        plan.objective_student_km = float((d[sol.pair_area] * share * problem.dist_m[
            sol.pair_area, sol.pair_unit]).sum() / 1000)
    plan.shortages = shortages(problem, sol, load, county_name)
    return plan


def shortages(problem: ZoneProblem, sol: Solution, load: np.ndarray,
              county_name: str | None) -> list[dict[str, Any]]:
    """Missing seats per cluster of neighbouring short schools: two short schools are one
    cluster when an area given to one has the other among its three nearest schools."""
    out: list[dict[str, Any]] = []
    label = rules()["stages"][problem.stage]["label"]
    place = county_name or problem.county
    if sol.slack_seats is not None:
        short = np.nonzero(sol.slack_seats > 1e-6)[0]
        if len(short):
            dist = np.where(problem.allowed, problem.dist_m, np.inf)
            near3 = np.argsort(dist, axis=1)[:, :3]
            is_short = np.zeros(problem.n_units, dtype=bool)
            is_short[short] = True
            src, dst = [], []
            for a, u in zip(sol.pair_area, sol.pair_unit, strict=False):
                if is_short[u]:
                    for w in near3[a]:
                        if is_short[w] and w != u:
                            src.append(u)
                            dst.append(w)
            g = coo_matrix((np.ones(len(src)), (src, dst)), shape=(problem.n_units,) * 2)
            _, lab = connected_components(g, directed=False)
            names = problem.units["unit_name"].to_list()
            ids = problem.units["unit_id"].to_list()
            town = problem.areas["township"].to_list() if "township" in problem.areas.columns \
                else [None] * problem.n_areas
            for c in np.unique(lab[short]):
                members = short[lab[short] == c]
                need = float(load[members].sum())
                have = float(problem.capacity[members].sum())
                miss = float(sol.slack_seats[members].sum())
                towns = [town[a] for a, u in zip(sol.pair_area, sol.pair_unit, strict=False)
                         if u in set(members.tolist()) and town[a]]
                if towns:
                    top = pl.Series(towns).value_counts(sort=True)[:, 0].to_list()[:2]
                    where = "、".join(top) + "片"
                else:
                    where = "、".join(names[m] for m in members[:3]) + ("等" if len(members) > 3 else "")
                    where += " 片区"
                out.append({
                    "kind": "seats", "schools": [ids[m] for m in members], "missing_seats":
                    _num(miss), "demand": _num(need), "available": _num(have),
                    "message_zh": f"{place} {where}: 缺少 {miss:,.0f} 个{label}学位 "
                                  f"(需求 {need:,.0f}, 可用 {have:,.0f})",
                    "message_en": f"{place} {where}: {miss:,.0f} {problem.stage} seats missing "
                                  f"(demand {need:,.0f}, available {have:,.0f})",
                })
    if sol.moved_excess > 1e-6:
        out.append({"kind": "moved", "excess_students": _num(sol.moved_excess),
                    "message_zh": f"{place}: 在不超过学位的前提下, 至少还需多调整 "
                                  f"{sol.moved_excess:,.0f} 名学生 (超出转学上限)",
                    "message_en": f"{place}: {sol.moved_excess:,.0f} more students must change "
                                  "school than the limit allows"})
    if sol.unserved_areas:
        names = problem.areas["area_name"].to_list()
        miss = float(problem.demand[sol.unserved_areas].sum())
        out.append({"kind": "unreachable", "areas": [problem.areas["area_id"][i]
                                                       for i in sol.unserved_areas],
                    "students": _num(miss),
                    "message_zh": f"{place}: {len(sol.unserved_areas)} 个片区 ("
                                  + "、".join(names[i] for i in sol.unserved_areas[:5])
                                  + f") 在距离/时间上限内没有学校, 涉及 {miss:,.0f} 名学生",
                    "message_en": f"{place}: {len(sol.unserved_areas)} areas have no school "
                                  f"within the limit ({miss:,.0f} students)"})
    if sol.status == "infeasible" and not out:
        out.append({"kind": "constraints", "message_zh": f"{place}: 学位总量够, 但固定/连通等约束"
                    "相互冲突, 无可行方案", "message_en": "seats suffice but fixed/contiguity "
                    "constraints conflict"})
    return out


def which_school(plan_or_assignments: ZonePlan | pl.DataFrame, area: str) -> list[dict[str, Any]]:
    """The school(s) serving an area, looked up by area id, exact name, then part of the name."""
    asg = plan_or_assignments.assignments if isinstance(plan_or_assignments, ZonePlan) \
        else plan_or_assignments
    key = area.strip()
    hit = asg.filter(pl.col("area_id") == key)
    if hit.height == 0 and "area_name" in asg.columns:
        hit = asg.filter(pl.col("area_name") == key)
        if hit.height == 0 and key:
            hit = asg.filter(pl.col("area_name").str.contains(key, literal=True))
    cols = [c for c in ("area_id", "area_name", "school_id", "school_name", "share", "students",
                        "distance_km") if c in hit.columns]
    return [dict(zip(cols, r, strict=False)) for r in hit.select(cols).rows()]
