"""Step 1: the zoning problem as tables, built from an exchange-format ``Dataset``.

A *unit* is what an area is assigned to: one school, or a 多校划片 group of schools sharing one
zone (capacity the sum of its members). Everything the model and the checker need is here, so
both read the same inputs but neither reads the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import polars as pl

from junheng.domain.dataset import Dataset
from junheng.domain.geo import haversine
from junheng.domain.yaml_text import load_yaml
from junheng.planners.zones.geo import (
    connect_components,
    delaunay_edges,
    knn_edges,
    polygon_edges,
)


class ZoneInputError(ValueError):
    """The data cannot make a zoning problem (no areas, no schools, no children …)."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    text = resources.files("junheng.planners.zones").joinpath("data/rules.yaml").read_text("utf-8")
    return dict(load_yaml(text))


@dataclass(frozen=True)
class NewSite:
    """A planned school: a site with coordinates and a capacity."""

    school_id: str
    latitude: float
    longitude: float
    capacity: int
    school_name: str | None = None

    @classmethod
    def parse(cls, text: str) -> NewSite:
        """``"id,lat,lon,capacity[,name]"`` as given on the command line."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) < 4:
            raise ValueError(f"新校址格式应为 id,lat,lon,capacity: {text!r}")
        return cls(parts[0], float(parts[1]), float(parts[2]), int(float(parts[3])),
                   parts[4] if len(parts) > 4 else None)


@dataclass
class ZoneOptions:
    """What the planner may set. Defaults: whole areas, no contiguity, no distance limit."""

    splittable: bool = False
    contiguity: bool = False
    adjacency: str = "auto"                     # auto | polygons | delaunay | knn
    polygons: dict[str, dict[str, Any]] | None = None   # area_id -> GeoJSON geometry
    max_km: float | None = None
    max_minutes: float | None = None
    keep_current: bool = False
    max_moved: int | None = None
    fixed_schools: tuple[str, ...] = ()         # their current zones stay exactly as they are
    fixed_areas: dict[str, str] = field(default_factory=dict)   # area_id -> school_id
    closing: tuple[str, ...] = ()
    new_sites: tuple[NewSite, ...] = ()
    multi_school: tuple[tuple[str, ...], ...] = ()
    capacity: dict[str, int] = field(default_factory=dict)     # school_id -> seats override
    class_size_cap: int | None = None
    school_size_cap: int | None = None
    demand: pl.DataFrame | None = None          # area_id, students (e.g. from the forecast)
    travel: pl.DataFrame | None = None          # from_area_id, to_school_id, metres, minutes
    candidates_per_area: int | None = None
    time_limit_s: float | None = None
    mip_rel_gap: float | None = None
    speed_kmh: float | None = None
    seed: int = 0
    polish: bool = True     # whole areas: near-optimal start before the MIP (off = plain MIP)

    def to_json(self) -> dict[str, Any]:
        return {
            "splittable": self.splittable, "contiguity": self.contiguity,
            "adjacency": self.adjacency, "max_km": self.max_km, "max_minutes": self.max_minutes,
            "keep_current": self.keep_current, "max_moved": self.max_moved,
            "fixed_schools": list(self.fixed_schools), "fixed_areas": dict(self.fixed_areas),
            "closing": list(self.closing),
            "new_sites": [s.__dict__ for s in self.new_sites],
            "multi_school": [list(g) for g in self.multi_school],
            "capacity_overrides": dict(self.capacity),
            "class_size_cap": self.class_size_cap, "school_size_cap": self.school_size_cap,
            "candidates_per_area": self.candidates_per_area, "time_limit_s": self.time_limit_s,
            "seed": self.seed,
        }


@dataclass
class ZoneProblem:
    county: str
    stage: str
    year: int
    options: ZoneOptions
    areas: pl.DataFrame      # area_id, area_name, township, latitude, longitude, students, current_unit
    schools: pl.DataFrame    # school_id, school_name, latitude, longitude, capacity, capacity_source, status, unit_id
    units: pl.DataFrame      # unit_id, unit_name, capacity, members, is_group, is_fixed
    dist_m: np.ndarray       # areas × units
    minutes: np.ndarray | None
    allowed: np.ndarray      # areas × units, bool
    root: np.ndarray         # per unit: the area index holding its (first, largest) school
    edges: np.ndarray        # adjacency, (e, 2) area indices
    edges_added: np.ndarray  # links added to join graph islands
    adjacency_source: str
    fixed_unit: np.ndarray   # per area: unit index it is fixed to, -1 if free
    forced_move: np.ndarray  # per area: current school is closing
    notes: list[dict[str, str]]
    travel_missing_pairs: int
    geometries: list[dict[str, Any] | None] | None

    @property
    def n_areas(self) -> int:
        return self.areas.height

    @property
    def n_units(self) -> int:
        return self.units.height

    @property
    def demand(self) -> np.ndarray:
        return self.areas["students"].to_numpy().astype(float)

    @property
    def capacity(self) -> np.ndarray:
        return self.units["capacity"].to_numpy().astype(float)

    @property
    def current(self) -> np.ndarray:
        """Per area: index of its current unit, -1 when none (or its school closes)."""
        ids = self.units["unit_id"].to_list()
        pos = {u: i for i, u in enumerate(ids)}
        return np.array([pos.get(u, -1) if u is not None else -1
                         for u in self.areas["current_unit"].to_list()], dtype=np.int64)

    def note(self, zh: str, en: str) -> None:
        self.notes.append({"zh": zh, "en": en})


def build_problem(
    ds: Dataset, county: str, stage: str, year: int, options: ZoneOptions | None = None
) -> ZoneProblem:
    options = options or ZoneOptions()
    cfg = rules()
    if stage not in cfg["stages"]:
        raise ZoneInputError(f"学段只能是 primary 或 junior: {stage}",
                             f"stage must be primary or junior: {stage}")
    scfg = cfg["stages"][stage]
    notes: list[dict[str, str]] = []

    areas = ds.table("areas").filter(pl.col("county_code") == county)
    areas = areas.filter(pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null())
    if areas.height == 0:
        raise ZoneInputError(f"区县 {county} 没有带坐标的居民区 (areas)",
                             f"county {county} has no areas with coordinates")
    areas = areas.sort("area_id")
    demand = _demand(ds, areas, stage, year, options, notes)
    areas = areas.join(demand, on="area_id", how="left").with_columns(
        pl.col("students").fill_null(0.0)
    )

    schools = _schools(ds, county, stage, year, options, notes)
    groups = [tuple(g) for g in options.multi_school if len(g) > 0]
    unit_of: dict[str, str] = {}
    for g in groups:
        for s in g:
            unit_of[s] = "+".join(g)
    schools = schools.with_columns(
        pl.col("school_id").replace_strict(unit_of, default=pl.col("school_id")).alias("unit_id")
    )
    open_schools = schools.filter(pl.col("status") != "closing")
    units = (
        open_schools.group_by("unit_id", maintain_order=True)
        .agg(
            pl.col("school_name").str.join("+").alias("unit_name"),
            pl.col("capacity").sum().alias("capacity"),
            pl.col("school_id").alias("members"),
            (pl.col("status") == "fixed").any().alias("is_fixed"),
        )
        .with_columns((pl.col("members").list.len() > 1).alias("is_group"))
    )
    if units.height == 0:
        raise ZoneInputError(f"区县 {county} 没有可招收{scfg['label']}学生的学校",
                             f"county {county} has no open {stage} schools")

    # Distances area × school, then area × unit (a group: capacity-weighted mean, the expected
    # trip when its seats are shared out in proportion to capacity).
    alat = areas["latitude"].to_numpy()
    alon = areas["longitude"].to_numpy()
    slat = open_schools["latitude"].to_numpy()
    slon = open_schools["longitude"].to_numpy()
    d_school = haversine(alat[:, None], alon[:, None], slat[None, :], slon[None, :])
    minutes_school: np.ndarray | None = None
    travel = options.travel if options.travel is not None else ds.table("travel")
    missing = 0
    speed = options.speed_kmh or cfg["defaults"]["speed_kmh"]
    if travel is not None and travel.height:
        d_school, minutes_school, missing = _apply_travel(
            travel, areas["area_id"].to_list(), open_schools["school_id"].to_list(), d_school, speed
        )
        notes.append({"zh": f"通行距离表缺少 {missing} 个片区-学校组合, 这些组合用球面直线距离",
                      "en": f"travel table lacks {missing} area-school pairs; great-circle used"})
    elif options.max_minutes is not None:
        minutes_school = d_school / 1000 / speed * 60
        notes.append({"zh": f"无通行时间表, 通行时间按直线距离和 {speed} km/h 估算",
                      "en": f"no travel table: minutes estimated from distance at {speed} km/h"})
    unit_ids = units["unit_id"].to_list()
    col_unit = np.array([unit_ids.index(u) for u in open_schools["unit_id"].to_list()])
    cap_s = open_schools["capacity"].to_numpy().astype(float)
    w = np.zeros((len(cap_s), len(unit_ids)))
    w[np.arange(len(cap_s)), col_unit] = np.maximum(cap_s, 1e-9)
    w = w / w.sum(axis=0, keepdims=True)
    dist_u = d_school @ w
    minutes_u = minutes_school @ w if minutes_school is not None else None

    n, u_count = areas.height, units.height
    allowed = np.ones((n, u_count), dtype=bool)
    if options.max_km is not None:
        allowed &= dist_u <= options.max_km * 1000 + 1e-6
    if options.max_minutes is not None and minutes_u is not None:
        allowed &= minutes_u <= options.max_minutes + 1e-9

    current = _current(ds, areas, stage, year, notes)
    school_unit = dict(zip(schools["school_id"].to_list(), schools["unit_id"].to_list(), strict=False))
    closing = set(schools.filter(pl.col("status") == "closing")["school_id"].to_list())
    cur_school = current.to_list()
    forced = np.array([c in closing for c in cur_school], dtype=bool)
    cur_unit = [None if (c is None or c in closing) else school_unit.get(c) for c in cur_school]
    areas = areas.with_columns(
        pl.Series("current_school", cur_school, dtype=pl.String),
        pl.Series("current_unit", cur_unit, dtype=pl.String),
    )

    fixed_unit = np.full(n, -1, dtype=np.int64)
    area_pos = {a: i for i, a in enumerate(areas["area_id"].to_list())}
    fixed_units = set(units.filter(pl.col("is_fixed"))["unit_id"].to_list())
    for i, cu in enumerate(cur_unit):
        if cu in fixed_units:
            fixed_unit[i] = unit_ids.index(cu)
    for a, s in options.fixed_areas.items():
        if a not in area_pos or school_unit.get(s) not in unit_ids:
            raise ZoneInputError(f"固定片区 {a} → {s}: 片区或学校不存在",
                                 f"fixed area {a} -> {s}: unknown area or school")
        fixed_unit[area_pos[a]] = unit_ids.index(school_unit[s])
    for j, uid in enumerate(unit_ids):
        if uid in fixed_units:
            # A fixed school's zone is frozen: it neither loses nor gains areas.
            allowed[:, j] = fixed_unit == j
    has_fix = fixed_unit >= 0
    allowed[has_fix] = False
    allowed[np.nonzero(has_fix)[0], fixed_unit[has_fix]] = True

    root = np.array([
        int(np.argmin(d_school[:, int(np.argmax(np.where(col_unit == j, cap_s, -1)))]))
        for j in range(u_count)
    ], dtype=np.int64)

    geoms: list[dict[str, Any] | None] | None = None
    if options.polygons:
        geoms = [options.polygons.get(a) for a in areas["area_id"].to_list()]
    mode = options.adjacency
    if mode == "auto":
        mode = "polygons" if geoms is not None and any(g for g in geoms) else "delaunay"
    if mode == "polygons":
        if geoms is None:
            raise ZoneInputError("按边界求相邻需要片区多边形", "polygon adjacency needs polygons")
        edges = polygon_edges(geoms)
    elif mode == "knn":
        edges = knn_edges(alat, alon, 6)
    else:
        edges = delaunay_edges(alat, alon)
    added = connect_components(edges, alat, alon) if n > 1 else np.zeros((0, 2), dtype=np.int64)
    if len(added):
        notes.append({"zh": f"相邻图有孤立部分, 补充了 {len(added)} 条最近连接",
                      "en": f"adjacency graph had islands; {len(added)} nearest links added"})
        edges = np.concatenate([edges, added])

    return ZoneProblem(
        county=county, stage=stage, year=year, options=options, areas=areas, schools=schools,
        units=units, dist_m=dist_u, minutes=minutes_u, allowed=allowed, root=root, edges=edges,
        edges_added=added, adjacency_source=mode, fixed_unit=fixed_unit, forced_move=forced,
        notes=notes, travel_missing_pairs=missing, geometries=geoms,
    )


def _demand(ds: Dataset, areas: pl.DataFrame, stage: str, year: int, options: ZoneOptions,
            notes: list[dict[str, str]]) -> pl.DataFrame:
    if options.demand is not None:
        return options.demand.select(
            pl.col("area_id").cast(pl.String), pl.col("students").cast(pl.Float64)
        ).group_by("area_id").agg(pl.col("students").sum())
    lo, hi = rules()["stages"][stage]["ages"]
    kids = ds.table("area_children").filter(
        pl.col("area_id").is_in(areas["area_id"].to_list()) & pl.col("age").is_between(lo, hi)
    )
    if kids.height == 0:
        raise ZoneInputError("没有适龄儿童数据 (area_children), 也没有传入需求表",
                             "no area_children rows and no demand frame given")
    years = sorted(kids["year"].unique().to_list())
    use = year if year in years else max([y for y in years if y <= year] or [years[-1]])
    if use != year:
        notes.append({"zh": f"{year} 年无适龄儿童数据, 使用 {use} 年", "en":
                      f"no children for {year}; {use} used"})
    return kids.filter(pl.col("year") == use).group_by("area_id").agg(
        pl.col("children").sum().cast(pl.Float64).alias("students")
    )


def _schools(ds: Dataset, county: str, stage: str, year: int, options: ZoneOptions,
             notes: list[dict[str, str]]) -> pl.DataFrame:
    cfg = rules()
    scfg = cfg["stages"][stage]
    other = "junior" if stage == "primary" else "primary"
    class_cap = options.class_size_cap or scfg["class_size_cap"]
    sch = ds.table("schools").filter(
        (pl.col("county_code") == county) & pl.col("school_type").is_in(scfg["school_types"])
        & (pl.col("ownership").is_null() | (pl.col("ownership") != "private"))
    )
    sec = ds.table("sections").filter(pl.col("year") <= year)
    if sec.height == 0:
        sec = ds.table("sections")
    latest = sec.filter(pl.col("school_id").is_in(sch["school_id"].to_list())).sort("year")
    mine = latest.filter(pl.col("stage") == stage).group_by("school_id").last()
    oth = latest.filter(pl.col("stage") == other).group_by("school_id").last().select(
        "school_id", pl.col("students").alias("other_students")
    )
    size = cfg["school_size_cap"]
    sch = (
        sch.join(mine.select("school_id", "capacity", "classes"), on="school_id", how="inner")
        .join(oth, on="school_id", how="left")
        .with_columns(
            pl.when(pl.lit(options.school_size_cap is not None))
            .then(pl.lit(options.school_size_cap))
            .otherwise(pl.col("school_type").replace_strict(size, default=size["default"]))
            .cast(pl.Float64).alias("size_cap")
        )
        .with_columns(
            (pl.col("size_cap") - pl.col("other_students").fill_null(0)).alias("size_bound"),
            pl.when(pl.col("capacity").is_not_null()).then(pl.lit("bureau"))
            .when(pl.col("classes").is_not_null()).then(pl.lit("classes"))
            .otherwise(pl.lit("size_cap")).alias("capacity_source"),
            pl.coalesce(pl.col("capacity").cast(pl.Float64),
                        pl.col("classes").cast(pl.Float64) * class_cap).alias("base"),
        )
        .with_columns(
            pl.min_horizontal(pl.col("base").fill_null(pl.col("size_bound")), pl.col("size_bound"))
            .clip(lower_bound=0).alias("capacity")
        )
    )
    nocoord = sch.filter(pl.col("latitude").is_null() | pl.col("longitude").is_null())
    if nocoord.height:
        notes.append({"zh": f"{nocoord.height} 所学校无坐标, 未参与划片: "
                      + "、".join(nocoord["school_name"].to_list()[:5]),
                      "en": f"{nocoord.height} schools without coordinates left out"})
    sch = sch.filter(pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null())
    n_size = sch.filter(pl.col("capacity_source") == "size_cap").height
    if n_size:
        notes.append({"zh": f"{n_size} 所学校无核定学位和班级数, 按学校规模上限计学位",
                      "en": f"{n_size} schools lack capacity and classes; size cap used"})
    closing = set(options.closing)
    fixed = set(options.fixed_schools)
    sch = sch.select(
        "school_id", "school_name", "latitude", "longitude",
        pl.col("capacity").cast(pl.Float64), "capacity_source",
        pl.when(pl.col("school_id").is_in(list(closing))).then(pl.lit("closing"))
        .when(pl.col("school_id").is_in(list(fixed))).then(pl.lit("fixed"))
        .otherwise(pl.lit("open")).alias("status"),
    )
    if options.new_sites:
        sites = pl.DataFrame({
            "school_id": [s.school_id for s in options.new_sites],
            "school_name": [s.school_name or f"新校址 {s.school_id}" for s in options.new_sites],
            "latitude": [s.latitude for s in options.new_sites],
            "longitude": [s.longitude for s in options.new_sites],
            "capacity": [float(s.capacity) for s in options.new_sites],
            "capacity_source": ["new_site"] * len(options.new_sites),
            "status": ["new"] * len(options.new_sites),
        })
        sch = pl.concat([sch, sites], how="vertical_relaxed")
    if options.capacity:
        sch = sch.with_columns(
            pl.when(pl.col("school_id").is_in(list(options.capacity)))
            .then(pl.col("school_id").replace_strict(
                {k: float(v) for k, v in options.capacity.items()}, default=None))
            .otherwise(pl.col("capacity")).alias("capacity"),
            pl.when(pl.col("school_id").is_in(list(options.capacity))).then(pl.lit("override"))
            .otherwise(pl.col("capacity_source")).alias("capacity_source"),
        )
    unknown = (closing | fixed) - set(sch["school_id"].to_list())
    if unknown:
        raise ZoneInputError("未知学校: " + "、".join(sorted(unknown)),
                             "unknown schools: " + ", ".join(sorted(unknown)))
    sch = sch.with_columns(
        pl.when(pl.col("status") == "closing").then(0.0).otherwise(pl.col("capacity"))
        .alias("capacity")
    )
    return sch.sort("school_id")


def _current(ds: Dataset, areas: pl.DataFrame, stage: str, year: int,
             notes: list[dict[str, str]]) -> pl.Series:
    asg = ds.table("area_assignments").filter(
        (pl.col("stage") == stage) & pl.col("area_id").is_in(areas["area_id"].to_list())
    )
    if asg.height == 0:
        return pl.Series("current", [None] * areas.height, dtype=pl.String)
    years = sorted(asg["year"].unique().to_list())
    use = year if year in years else max([y for y in years if y <= year] or [years[-1]])
    if use != year:
        notes.append({"zh": f"现行片区取自 {use} 年", "en": f"current zones taken from {use}"})
    cur = asg.filter(pl.col("year") == use).group_by("area_id").agg(pl.col("school_id").first())
    return areas.select("area_id").join(cur, on="area_id", how="left")["school_id"]


def _apply_travel(travel: pl.DataFrame, area_ids: list[str], school_ids: list[str],
                  d_school: np.ndarray, speed_kmh: float) -> tuple[np.ndarray, np.ndarray, int]:
    apos = {a: i for i, a in enumerate(area_ids)}
    spos = {s: j for j, s in enumerate(school_ids)}
    t = travel.filter(pl.col("from_area_id").is_in(area_ids) & pl.col("to_school_id").is_in(school_ids))
    ii = np.array([apos[a] for a in t["from_area_id"].to_list()], dtype=np.int64)
    jj = np.array([spos[s] for s in t["to_school_id"].to_list()], dtype=np.int64)
    d = d_school.copy()
    metres = t["metres"].cast(pl.Float64).to_numpy()
    ok = ~np.isnan(metres)
    d[ii[ok], jj[ok]] = metres[ok]
    have = np.zeros(d.shape, dtype=bool)
    have[ii[ok], jj[ok]] = True
    minutes = d / 1000 / speed_kmh * 60
    mins = t["minutes"].cast(pl.Float64).to_numpy()
    okm = ~np.isnan(mins)
    minutes[ii[okm], jj[okm]] = mins[okm]
    have[ii[okm], jj[okm]] = True
    return d, minutes, int((~have).sum())
