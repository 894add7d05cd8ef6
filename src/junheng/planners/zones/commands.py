"""``junheng zones``: plan attendance zones for one county and stage."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import polars as pl

from junheng.cli import CliError, load_data
from junheng.domain.needs import TableNeeds

# Seats come from sections (approved seats, else classes × cap, else the size cap, said so).
NEEDS = TableNeeds(
    "zones", required=("counties", "schools", "sections", "areas", "area_children"),
    optional=("area_assignments", "travel"),
    title_zh="招生片区划分", title_en="Attendance zones")


def register(sub: Any) -> None:
    p = sub.add_parser("zones", help="招生片区优化 / optimise attendance zones")
    p.add_argument("data", help="数据: .xlsx / CSV 文件夹 / 数据库 URL")
    p.add_argument("--county", required=True, help="区县代码, 如 620702")
    p.add_argument("--stage", required=True, choices=["primary", "junior"])
    p.add_argument("--year", required=True, type=int)
    p.add_argument("--splittable", action="store_true", help="片区可拆分 (按比例分到多校)")
    p.add_argument("--contiguity", action="store_true", help="每个学校的片区须连片")
    p.add_argument("--polygons", help="片区边界 GeoJSON (用于相邻关系和输出)")
    p.add_argument("--polygon-key", default="area_id", help="GeoJSON 中片区编码的属性名")
    p.add_argument("--adjacency", default="auto", choices=["auto", "polygons", "delaunay", "knn"])
    lim = p.add_mutually_exclusive_group()
    lim.add_argument("--max-km", type=float, help="最远上学距离 km")
    lim.add_argument("--max-minutes", type=float, help="最长通行时间 分钟")
    p.add_argument("--keep-current", action="store_true", help="以现行片区为基础")
    p.add_argument("--max-moved", type=int, help="最多调整学生数 (配合 --keep-current)")
    p.add_argument("--close", nargs="*", default=[], metavar="SCHOOL_ID", help="停办学校")
    p.add_argument("--fixed", nargs="*", default=[], metavar="SCHOOL_ID", help="片区不变的学校")
    p.add_argument("--new-site", action="append", default=[], metavar="id,lat,lon,capacity",
                   help="新建学校校址")
    p.add_argument("--multi-school", action="append", default=[], metavar="id1+id2",
                   help="多校划片组")
    p.add_argument("--capacity", action="append", default=[], metavar="SCHOOL_ID=SEATS",
                   help="指定学位数")
    p.add_argument("--candidates", type=int, help="每个片区候选学校数 k (默认 10)")
    p.add_argument("--time-limit", type=float, help="求解时间上限 秒 (默认 60)")
    p.add_argument("--travel", help="通行距离 CSV: from_area_id,to_school_id,metres,minutes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=["json", "geojson", "xlsx"], default="json")
    p.add_argument("--out", required=True, help="输出文件")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from junheng.planners.zones.problem import NewSite, ZoneInputError, ZoneOptions
    from junheng.planners.zones.service import plan_zones

    ds = load_data(args.data, NEEDS)
    polygons = None
    if args.polygons:
        gj = json.loads(Path(args.polygons).read_text("utf-8"))
        polygons = {str(f["properties"][args.polygon_key]): f["geometry"] for f in gj["features"]}
    travel = None
    if args.travel:
        travel = pl.read_csv(args.travel, schema_overrides={"from_area_id": pl.String,
                                                            "to_school_id": pl.String})
        for c in ("metres", "minutes"):
            if c not in travel.columns:
                travel = travel.with_columns(pl.lit(None, dtype=pl.Float64).alias(c))
    try:
        caps = {k: int(v) for k, v in (c.split("=", 1) for c in args.capacity)}
        sites = tuple(NewSite.parse(s) for s in args.new_site)
    except ValueError as exc:
        raise CliError(f"参数格式错误 / bad option: {exc}") from exc
    opts = ZoneOptions(
        splittable=args.splittable, contiguity=args.contiguity, adjacency=args.adjacency,
        polygons=polygons, max_km=args.max_km, max_minutes=args.max_minutes,
        keep_current=args.keep_current or args.max_moved is not None, max_moved=args.max_moved,
        fixed_schools=tuple(args.fixed), closing=tuple(args.close), new_sites=sites,
        multi_school=tuple(tuple(g.split("+")) for g in args.multi_school), capacity=caps,
        travel=travel, candidates_per_area=args.candidates, time_limit_s=args.time_limit,
        seed=args.seed,
    )
    try:
        plan = plan_zones(ds, args.county, args.stage, args.year, opts)
    except ZoneInputError as exc:
        raise CliError(str(exc)) from exc
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "json":
        out.write_text(json.dumps(plan.to_json(), ensure_ascii=False, indent=2), "utf-8")
    elif args.format == "geojson":
        out.write_text(json.dumps(plan.to_geojson(), ensure_ascii=False), "utf-8")
    else:
        write_xlsx(plan, out)
    summary = plan.to_json()
    print(f"状态 status: {summary['status']}  学生·公里 student-km: "
          f"{summary['objective_student_km']}  gap: {summary['gap']}  → {out}")
    for s in summary["shortages"]:
        print(s["message_zh"])
    return 0 if plan.status in ("optimal", "feasible") else 1


def write_xlsx(plan: Any, out: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out))
    sheets: list[tuple[str, list[str], list[tuple[Any, ...]]]] = [
        ("片区分配", ["片区编码", "片区名称", "学校标识码", "学校名称", "比例", "学生数", "距离(公里)"],
         plan.assignments.select("area_id", "area_name", "school_id", "school_name", "share",
                                 "students", "distance_km").rows()),
        ("学校负荷", ["学校标识码", "学校名称", "学位数", "分配学生数", "使用率"],
         plan.schools.select("school_id", "school_name", "capacity", "assigned",
                             "utilisation").rows()),
        ("学位缺口", ["说明", "Message"],
         [(s["message_zh"], s["message_en"]) for s in plan.shortages]),
    ]
    j = plan.to_json()
    sheets.append(("概要", ["项目", "值"], [
        ("状态", j["status"]), ("学生·公里", j["objective_student_km"]), ("最优性差距", j["gap"]),
        ("调整学生数", j["moved_students"]), ("候选学校剪枝", j["pruning"].get("note_zh")),
        ("校验通过", (j["check"] or {}).get("ok")),
    ]))
    for name, head, rows in sheets:
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, head)
        for i, r in enumerate(rows, start=1):
            ws.write_row(i, 0, [None if isinstance(x, float) and math.isnan(x) else x for x in r])
    wb.close()
