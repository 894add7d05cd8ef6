"""New campuses (新建校区/分校) for schools over the g04 size cap: a pre-step of the plan.

教督〔2017〕6号 第六条(四) caps a 小学 or 初中 at 2000 students and the compulsory part of a
九年一贯制/十二年一贯制 school at 2500; the city's measures 2 and 4 (城镇学校扩容增位, 学校规模控制在
2000人以内) say how: new places in new schools. No teacher, m² or room fixes an oversized school,
only moving students out does, so the plan opens new campuses before the main MILP:

- The students moved are fixed to the least number, ``students − cap`` of each oversized school.
  A seat costs about 4.5 万元 (land and building), far more than the resources a student fewer
  saves the parent school, so moving more never lowers the cost; fixing the number also keeps the
  CV cone of the MILP over fixed students (P_i), as before.
- Oversized schools of the same kind within ``max_km`` of each other may share one campus: a
  small MILP (HiGHS) opens the fewest campuses (each has a fixed cost), none above the cap,
  then the shortest travel.
- Each campus is built to the standard: its teachers, areas, equipment and multimedia rooms meet
  every 2017 threshold for its own students, and its cost counts all of that.
- Students take their classes along: moved students are drawn from the grades in proportion, the
  campus gets ceil(grade students / class cap) classes per grade and one music and one art room
  per 12 classes; the parent keeps its classes, rooms, teachers and stocks, so its ratios improve.

The changed data (new rows in ``schools``, ``sections``, ``facilities``, ``classes``, ``rooms``,
``grade_enrollment``) is what the MILP, then the standards engine, see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.geo import PLANNER_RADIUS_KM, distance_matrix
from junheng.domain.reasons import Reason
from junheng.planners.investment.actions import action, raising
from junheng.planners.investment.costs import Costs
from junheng.planners.investment.results import CampusCost, CampusSource, NewCampus
from junheng.planners.investment.rules import INDICATORS, STANDARD_ID, ResourceRules
from junheng.planners.milp import MilpBuilder

# The kind of school a campus of each oversized type is: the compulsory part moves, so a
# 完全中学's campus is a 初级中学 and a 十二年一贯制's a 九年一贯制.
CAMPUS_TYPE = {"primary": "primary", "teaching_point": "primary", "junior": "junior",
               "complete_secondary": "junior", "nine_year": "nine_year", "twelve_year": "nine_year"}
_GRADE_EPS = 1e-9
def _kind_key(column: str) -> str:
    """The short key of a teacher column in a campus's JSON (``degree_teachers`` → ``degree``)."""
    return column.removesuffix("_teachers")


@dataclass
class CampusPlan:
    data: Dataset
    campuses: list[NewCampus] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)   # rows of the action frame
    # The campuses explained, as kinds and numbers (planners/investment/words.py).
    explanation: list[Reason] = field(default_factory=list)

    @property
    def cost_yuan(self) -> float:
        return float(sum(a["cost_yuan"] for a in self.actions))


def _take(pool: np.ndarray, n: int) -> np.ndarray:
    """``n`` whole students drawn from ``pool`` in proportion (largest remainder); never more
    than a pool holds, since only pools with a fractional share get the extra one."""
    total = float(pool.sum())
    if n <= 0 or total <= 0:
        return np.zeros(len(pool), dtype=np.int64)
    exact = pool * (n / total)
    base = np.floor(exact + _GRADE_EPS).astype(np.int64)
    rest = n - int(base.sum())
    if rest > 0:
        order = np.argsort(-(exact - base), kind="stable")[:rest]
        base[order] += 1
    return np.minimum(base, pool.astype(np.int64))


def _km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return distance_matrix(lat, lon, lat, lon, radius=PLANNER_RADIUS_KM)


def _pool(excess: np.ndarray, dist: np.ndarray, cap: float, fixed: float,
          max_km: float) -> list[tuple[int, list[tuple[int, int]]]]:
    """Fewest campuses (then least student-km) taking ``excess[i]`` students from each school,
    each campus at most ``cap``, sited at a school within ``max_km`` of all it takes from.
    Returns [(host school, [(source school, students)])]."""
    n = len(excess)
    sites = np.repeat(np.arange(n), np.maximum(1, np.ceil(excess / cap)).astype(int))
    ns = len(sites)
    d = np.nan_to_num(dist[:, sites], nan=np.inf)
    src, site = np.nonzero((d <= max_km) | (np.arange(n)[:, None] == sites[None, :]))
    b = MilpBuilder()
    # The travel term only breaks ties: a county's student-km stays far below one fixed cost.
    x = b.add_vars("campus_students", [f"{i},{s}" for i, s in zip(src, site, strict=False)], 0.0, float(excess.max()),
                   1e-3 * np.where(src == sites[site], 0.0, d[src, site]), integer=True)
    y = b.add_vars("campus_open", [str(s) for s in range(ns)], 0.0, 1.0, max(fixed, 1.0), integer=True)
    b.add_rows("campus_takes_excess", [str(i) for i in range(n)], src, x, np.ones(len(x)), excess, excess)
    b.add_rows("campus_size_cap", [str(s) for s in range(ns)], np.concatenate([site, np.arange(ns)]),
               np.concatenate([x, y]), np.concatenate([np.ones(len(x)), np.full(ns, -cap)]), -np.inf, 0.0)
    h = b.build(20.0, 1e-6)
    h.run()
    if h.getInfo().primal_solution_status != 2:  # cannot happen (each school may use its own site)
        return [(i, [(i, int(excess[i]))]) for i in range(n)]
    xs = np.round(np.asarray(h.getSolution().col_value)[x])
    out: dict[int, list[tuple[int, int]]] = {}
    for k in np.flatnonzero(xs > 0):
        out.setdefault(int(site[k]), []).append((int(src[k]), int(xs[k])))
    return [(int(sites[s]), flows) for s, flows in sorted(out.items())]


def _grade_pools(ds_year: Dataset, parts: pl.DataFrame) -> dict[tuple[str, str], tuple[list[int], np.ndarray]]:
    """Students per grade of each school-stage, from the class list where it adds up to the
    section's students (otherwise the stage is handled as a whole)."""
    cls = ds_year.table("classes")
    if cls.height == 0:
        return {}
    by_grade = (cls.group_by("school_id", "stage", "grade").agg(pl.col("students").sum())
                .sort("school_id", "stage", "grade"))
    totals = by_grade.group_by("school_id", "stage").agg(total=pl.col("students").sum(),
                                                        grades=pl.col("grade"), students=pl.col("students"))
    ok = totals.join(parts.select("school_id", "stage", pl.col("students").alias("p")),
                     on=["school_id", "stage"], how="inner").filter(pl.col("total") == pl.col("p"))
    return {(r["school_id"], r["stage"]): (list(r["grades"]), np.array(r["students"], dtype=np.int64))
            for r in ok.to_dicts()}


def _split_weights(year: int, params: dict[str, Any] | None) -> dict[str, dict[str, float]]:
    from junheng.standards.loader import load_standard
    from junheng.standards.rules import ResolvedRules, evaluation_date

    resolved = ResolvedRules(load_standard(STANDARD_ID), evaluation_date(year), params)
    return {t: {k: float(v) for k, v in w.items()} for t, w in (resolved.value("split_weights") or {}).items()}


def _ceil(x: float, digits: int = 0) -> float:
    f = 10.0 ** digits
    return math.ceil(x * f - 1e-6) / f


def _free_ids(ds: Dataset, county: str, n: int) -> list[str]:
    used = set(ds.table("schools")["school_id"].to_list())
    # Proposed sites take numbers from 9001 up, clear of the ones schools are given in order.
    return [sid for sid in (f"{county}{k:04d}" for k in range(9001, 10000)) if sid not in used][:n]


def _append(ds: Dataset, table: str, rows: list[dict[str, Any]]) -> Dataset:
    if not rows:
        return ds
    old = ds.table(table)
    new = pl.DataFrame(rows, infer_schema_length=None)
    new = new.select([c for c in new.columns if c in old.columns])
    new = new.cast({c: old.schema[c] for c in new.columns})
    return ds.with_table(table, pl.concat([old, new], how="diagonal_relaxed").select(old.columns))


def _oversized(parts: pl.DataFrame, caps: dict[str, int]) -> pl.DataFrame:
    """One row per school of ``parts`` above its size cap, with its excess and campus type."""
    return (parts.group_by("school_id").agg(
        pl.col("school_name").first(), pl.col("school_type").first(), pl.col("locale").first(),
        pl.col("latitude").first(), pl.col("longitude").first(), students=pl.col("students").sum())
        .with_columns(cap=pl.col("school_type").replace_strict(caps, default=None, return_dtype=pl.Int64))
        .filter(pl.col("cap").is_not_null() & (pl.col("students") > pl.col("cap"))
                & pl.col("school_type").is_in(list(CAMPUS_TYPE)))
        .with_columns(excess=pl.col("students") - pl.col("cap"),
                      campus_type=pl.col("school_type").replace_strict(CAMPUS_TYPE))
        .sort("school_id"))


def _groups(per: pl.DataFrame, caps: dict[str, int], nc: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """The campuses to open: (campus type, host school, [(source school, students)]), pooling the
    excess of nearby schools of the same campus kind."""
    out: list[tuple[str, str, list[tuple[str, int]]]] = []
    for (ctype,), grp in per.group_by(["campus_type"], maintain_order=True):
        dist = _km(grp["latitude"].to_numpy().astype(float), grp["longitude"].to_numpy().astype(float))
        ids = grp["school_id"].to_list()
        for host_i, flows_i in _pool(grp["excess"].to_numpy().astype(float), dist, float(caps[str(ctype)]),
                                     float(nc["fixed_yuan"]), float(nc["max_km"])):
            out.append((str(ctype), ids[host_i], [(ids[i], q) for i, q in flows_i]))
    return out


@dataclass
class _Movers:
    """The students still to move from each oversized school, by stage and by grade, and those
    moved so far (the parents are shrunk by ``moved_grade`` and ``give − left_stage``)."""

    give: dict[str, dict[str, int]]
    grades: dict[tuple[str, str], tuple[list[int], np.ndarray]]
    left_stage: dict[str, dict[str, int]] = field(default_factory=dict)
    left_grade: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    moved_grade: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.left_stage = {sid: dict(v) for sid, v in self.give.items()}
        self.left_grade = {k: v[1].copy() for k, v in self.grades.items()}
        self.moved_grade = {k: np.zeros(len(v[1]), np.int64) for k, v in self.grades.items()}

    def take(self, sid: str, q: int, stage_p: dict[str, int], grade_p: dict[tuple[str, int], int]) -> None:
        """Move ``q`` students of school ``sid`` (stages and grades in proportion) into the
        campus tallies ``stage_p`` and ``grade_p``."""
        left = self.left_stage[sid]
        st_take = _take(np.array([left[st] for st in left], float), q)
        for st, t in zip(list(left), st_take, strict=False):
            t = int(t)
            if t == 0:
                continue
            left[st] -= t
            stage_p[st] = stage_p.get(st, 0) + t
            key = (sid, st)
            if key in self.grades:
                g_take = _take(self.left_grade[key].astype(float), t)
                self.left_grade[key] -= g_take
                self.moved_grade[key] += g_take
                for g, n in zip(self.grades[key][0], g_take, strict=False):
                    if n > 0:
                        grade_p[(st, g)] = grade_p.get((st, g), 0) + int(n)


def _staff(stage_p: dict[str, int], rules: ResourceRules, costs: Costs) -> tuple[dict[str, dict[str, int]], float]:
    """Whole teachers of each counted kind to the threshold of each stage part, and their first
    year's cost. The kinds are hired as different people (conservative: a backbone teacher who
    also holds the higher degree would count twice in the data, not in the cost)."""
    staff: dict[str, dict[str, int]] = {}
    cost = 0.0
    for st, p in stage_p.items():
        staff[st] = {}
        for ind in INDICATORS:
            if ind.kind != "teacher":
                continue
            hire = raising(ind.id, "hire")
            n = math.ceil(rules.thresholds[ind.id][st] * p / ind.scale - 1e-9)
            staff[st][ind.resource] = n
            cost += n * hire.unit_cost(costs)
    return staff, cost


def _intro(per: pl.DataFrame, n_campuses: int, nc: dict[str, Any]) -> Reason:
    return Reason("campus_intro", {"schools": per.height, "campuses": n_campuses,
                                   "seat_yuan": dict(nc["seat_yuan"]), "max_km": float(nc["max_km"]),
                                   "fixed": float(nc["fixed_yuan"])})


def _notes(per: pl.DataFrame, nc: dict[str, Any], rules: ResourceRules, costs: Costs) -> list[Reason]:
    """Where moving only the excess may not be cheapest, and where rezoning may do instead."""
    lines: list[Reason] = []
    thr, class_cap = rules.thresholds, rules.class_size_max
    # Why the least number moved is the least cost: a student fewer saves the parent at most the
    # thresholds' worth of every resource and a share of a classroom; a seat costs more.
    for st, seat in nc["seat_yuan"].items():
        if st not in class_cap:
            continue
        saved = sum(thr[ind.id][st] / ind.scale * raising(ind.id, "hire" if ind.kind == "teacher" else "stock")
                    .unit_cost(costs) for ind in INDICATORS) \
            + action("add_classrooms").unit_cost(costs) / class_cap[st]
        if float(seat) < saved:
            lines.append(Reason("seat_cheaper", {"stage": st, "seat": float(seat), "saved": saved}))
    small = per.filter(pl.col("excess") < 50)
    if small.height:
        lines.append(Reason("rezone_instead", {"schools": [(r["school_name"], r["excess"])
                                                           for r in small.to_dicts()]}))

    return lines


def _shrink_parents(ds_t: Dataset, year: int, movers: _Movers, has_ge: bool) -> Dataset:
    """The parent schools: fewer students, same classes (rooms kept), grades re-split evenly."""
    give = movers.give
    moved_stage = pl.DataFrame(
        [{"school_id": sid, "stage": st, "moved": give[sid][st] - movers.left_stage[sid][st]}
         for sid in give for st in give[sid]], schema={"school_id": pl.Utf8, "stage": pl.Utf8, "moved": pl.Int64})
    out = ds_t
    sec = out.table("sections")
    sec = (sec.join(moved_stage.with_columns(year=pl.lit(year, sec.schema["year"])),
                    on=["year", "school_id", "stage"], how="left")
           .with_columns((pl.col("students") - pl.col("moved").fill_null(0)).cast(sec.schema["students"]).alias("students"))
           .select(sec.columns))
    out = out.with_table("sections", sec)
    g_rows = [{"school_id": sid, "stage": st, "grade": g, "moved": int(n)}
              for (sid, st), arr in movers.moved_grade.items()
              for g, n in zip(movers.grades[(sid, st)][0], arr, strict=False) if n > 0]
    if g_rows:
        mg = pl.DataFrame(g_rows).with_columns(year=pl.lit(year, pl.Int64))
        cls = out.table("classes")
        mg = mg.cast({"year": cls.schema["year"], "grade": cls.schema["grade"]})
        touched = cls.join(mg, on=["year", "school_id", "stage", "grade"], how="inner")
        kept = cls.join(mg, on=["year", "school_id", "stage", "grade"], how="anti")
        resplit = (touched.sort("class_name")
                   .with_columns(remain=pl.col("students").sum().over("year", "school_id", "stage", "grade")
                                 - pl.col("moved"),
                                 n=pl.len().over("year", "school_id", "stage", "grade"),
                                 idx=pl.int_range(pl.len()).over("year", "school_id", "stage", "grade"))
                   .with_columns(students=(pl.col("remain") // pl.col("n")
                                           + (pl.col("idx") < pl.col("remain") % pl.col("n")).cast(pl.Int64))
                                 .cast(cls.schema["students"]))
                   .select(cls.columns))
        out = out.with_table("classes", pl.concat([kept, resplit]).sort("year", "school_id", "stage", "grade"))
        ge = out.table("grade_enrollment")
        if has_ge:
            mge = mg.group_by("year", "school_id", "grade").agg(pl.col("moved").sum()).cast(
                {"year": ge.schema["year"], "grade": ge.schema["grade"]})
            ge = (ge.join(mge, on=["year", "school_id", "grade"], how="left")
                  .with_columns((pl.col("students") - pl.col("moved").fill_null(0)).cast(ge.schema["students"])
                                .alias("students")).select(ge.columns))
            out = out.with_table("grade_enrollment", ge)
    return out


def plan_new_campuses(ds_t: Dataset, year: int, county: str, parts: pl.DataFrame,
                      rules: ResourceRules, costs: Costs,
                      params: dict[str, Any] | None = None) -> CampusPlan:
    """New campuses taking the students above the size cap of every oversized school of
    ``county`` in ``year``; ``parts`` are the county's school-stage parts (``school_stage_parts``)."""
    caps = rules.school_size_max
    per = _oversized(parts, caps)
    if per.height == 0:
        return CampusPlan(ds_t)

    nc = costs.new_campus
    ds_year = ds_t.for_year(year)
    stage_students = {(r["school_id"], r["stage"]): int(r["students"]) for r in parts.to_dicts()}
    weights = _split_weights(year, params)
    class_cap = rules.class_size_max
    names = dict(zip(per["school_id"], per["school_name"], strict=False))

    # Students each oversized school gives, by stage (in proportion for combined schools).
    give: dict[str, dict[str, int]] = {}
    for r in per.to_dicts():
        stages = [st for st in ("primary", "junior") if stage_students.get((r["school_id"], st), 0) > 0]
        take = _take(np.array([stage_students[(r["school_id"], st)] for st in stages], float), int(r["excess"]))
        give[r["school_id"]] = dict(zip(stages, (int(t) for t in take), strict=False))
    movers = _Movers(give, _grade_pools(ds_year, parts))
    plan_groups = _groups(per, caps, nc)

    new_ids = _free_ids(ds_t, county, len(plan_groups))
    info = per.select("school_id", "locale", "latitude", "longitude").rows_by_key("school_id", named=True, unique=True)
    sch_rows: list[dict[str, Any]] = []
    sec_rows: list[dict[str, Any]] = []
    fac_rows: list[dict[str, Any]] = []
    cls_rows: list[dict[str, Any]] = []
    room_rows: list[dict[str, Any]] = []
    ge_rows: list[dict[str, Any]] = []
    campuses: list[NewCampus] = []
    actions: list[dict[str, Any]] = []
    lines: list[Reason] = []
    thr = rules.thresholds
    offset_deg = float(nc["offset_m"]) / 111_320.0
    per_host: dict[str, int] = {}
    has_ge = ds_year.table("grade_enrollment").height > 0
    teacher_words = {ind.resource: ind.label_zh for ind in INDICATORS if ind.kind == "teacher"}

    for new_id, (ctype, host, flows) in zip(new_ids, plan_groups, strict=False):
        k = per_host.get(host, 0)
        per_host[host] = k + 1
        h = info[host]
        name = f"{names[host]}新校区（规划）" if k == 0 else f"{names[host]}新校区{k + 1}（规划）"
        stage_p: dict[str, int] = {}
        grade_p: dict[tuple[str, int], int] = {}
        sources: list[CampusSource] = []
        for sid, q in flows:
            movers.take(sid, q, stage_p, grade_p)
            d = float(_km(np.array([info[sid]["latitude"], h["latitude"]], float),
                          np.array([info[sid]["longitude"], h["longitude"]], float))[0, 1])
            sources.append(CampusSource(school_id=sid, school_name=names[sid], students=q,
                                        distance_km=round(d, 2) if math.isfinite(d) else None))
        seats = sum(stage_p.values())
        stages = [st for st in ("primary", "junior") if stage_p.get(st, 0) > 0]
        stage_p = {st: stage_p[st] for st in stages}
        # Classes: per grade where the class list is known, else per stage.
        classes = {st: (sum(math.ceil(n / class_cap[s]) for (s, _g), n in grade_p.items() if s == st)
                        if any(s == st for s, _g in grade_p) else math.ceil(stage_p[st] / class_cap[st]))
                   for st in stages}
        for (st, g), n in sorted(grade_p.items()):
            m = math.ceil(n / class_cap[st])
            for i in range(m):
                cls_rows.append({"year": year, "school_id": new_id, "stage": st, "grade": g,
                                 "class_name": f"{g}年级{i + 1}班", "students": n // m + (1 if i < n % m else 0)})
            if has_ge:
                ge_rows.append({"year": year, "school_id": new_id, "grade": g, "students": n})
        staff, teach_cost = _staff(stage_p, rules, costs)
        for st in stages:
            heads = sum(staff[st].values())
            sec_rows.append({"year": year, "school_id": new_id, "stage": st, "students": stage_p[st],
                             "classes": classes[st], "teachers": heads, **staff[st],
                             "certified_teachers": heads, "capacity": stage_p[st]})
        # School-wide stocks: enough that every stage part's share (weighted-student split of
        # the engine, standards.md §4) meets its threshold.
        w = {st: weights.get(ctype, {}).get(st, 1.0) for st in stages}
        wsum = sum(w[st] * stage_p[st] for st in stages)
        stock = {ind.resource: max(thr[ind.id][st] / ind.scale / w[st] for st in stages) * wsum
                 for ind in INDICATORS if ind.kind == "facility"}
        teaching = _ceil(stock["teaching_area_m2"], 2)
        sports = _ceil(stock["sports_area_m2"], 2)
        equipment = _ceil(stock["equipment_value_yuan"])
        rooms_mm = math.ceil(stock["multimedia_rooms"] - 1e-9)
        fac_rows.append({"year": year, "school_id": new_id, "teaching_area_m2": teaching,
                         "sports_area_m2": sports, "equipment_value_yuan": equipment,
                         "multimedia_rooms": rooms_mm})
        ma = rules.music_art_rooms
        n_ma = math.ceil(sum(classes.values()) / ma["classes_per_room"])
        for _ in range(n_ma):
            room_rows.append({"year": year, "school_id": new_id, "room_type": "music", "area_m2": ma["music_area_m2"]})
            room_rows.append({"year": year, "school_id": new_id, "room_type": "art", "area_m2": ma["art_area_m2"]})
        site_lat = None if h["latitude"] is None else float(h["latitude"]) + offset_deg * (k + 1)
        sch_rows.append({"school_id": new_id, "school_name": name, "county_code": county, "school_type": ctype,
                         "ownership": "public", "locale": h["locale"], "is_boarding": False,
                         "latitude": site_lat, "longitude": h["longitude"], "parent_school_id": host})

        seat_cost = sum(stage_p[st] * float(nc["seat_yuan"][st]) for st in stages)
        fixed = float(nc["fixed_yuan"])
        eq_cost = equipment * action("buy_equipment_yuan").unit_cost(costs)
        mm_cost = rooms_mm * action("add_multimedia_rooms").unit_cost(costs)
        total = seat_cost + fixed + teach_cost + eq_cost + mm_cost
        breakdown = CampusCost(land_and_building_yuan=round(seat_cost, 2), fixed_yuan=round(fixed, 2),
                               teachers_first_year_yuan=round(teach_cost, 2), equipment_yuan=round(eq_cost, 2),
                               multimedia_rooms_yuan=round(mm_cost, 2))
        text = Reason("campus", {
            "name": name, "host": names[host], "offset_m": float(nc["offset_m"]) * (k + 1),
            "sources": [(s.school_name, s.students) for s in sources], "seats": seats,
            "classes": sum(classes.values()), "teacher_words": teacher_words,
            "staff": {st: dict(v) for st, v in staff.items()}, "teaching": teaching,
            "sports": sports, "equipment": equipment, "multimedia_rooms": rooms_mm,
            "music_art_rooms": n_ma, "total": total, "seat_cost": seat_cost, "fixed": fixed,
            "teachers_cost": teach_cost, "equipment_cost": eq_cost, "multimedia_cost": mm_cost})
        campuses.append(NewCampus(
            school_id=new_id, school_name=name, school_type=ctype, parent_school_id=host,
            latitude=site_lat, longitude=h["longitude"], seats=seats, students_by_stage=stage_p,
            classes_by_stage=classes, sources=tuple(sources),
            teachers_by_stage={st: {_kind_key(col): n for col, n in v.items()} for st, v in staff.items()},
            teaching_area_m2=teaching, sports_area_m2=sports, equipment_value_yuan=equipment,
            multimedia_rooms=rooms_mm, music_rooms=n_ma, art_rooms=n_ma, cost_yuan=round(total, 2),
            cost_breakdown=breakdown, reason=text))
        lines.append(text)
        actions.append({"school_id": new_id, "stage": stages[0] if len(stages) == 1 else None,
                        "kind": "new_campus", "quantity": float(seats), "unit": "学位",
                        "cost_yuan": round(total, 2), "from_school_id": host, "distance_km": None})

    lines = [_intro(per, len(campuses), nc), *lines, *_notes(per, nc, rules, costs)]
    out = _shrink_parents(ds_t, year, movers, has_ge)
    out = _append(out, "schools", sch_rows)
    out = _append(out, "sections", sec_rows)
    out = _append(out, "facilities", fac_rows)
    out = _append(out, "classes", cls_rows)
    # Rooms only where the data has a room list: otherwise g03 is not reported for the whole
    # county, and one school's rooms would not change that.
    if "rooms" in ds_t.tables:
        out = _append(out, "rooms", room_rows)
    out = _append(out, "grade_enrollment", ge_rows)
    return CampusPlan(out, campuses, actions, lines)
