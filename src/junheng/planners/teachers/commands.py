"""CLI: ``junheng rotate DATA --county CODE --year Y [--share 0.10] [--params YAML]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from junheng.cli import CliError, load_data, require_out, write_json
from junheng.domain.needs import TableNeeds

# Shortfalls are judged on sections' counts; the moves are drawn from the teacher list.
NEEDS = TableNeeds(
    "rotate", required=("counties", "schools", "sections", "teachers"),
    optional=("facilities",),
    title_zh="教师交流轮岗", title_en="Teacher rotation")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rotate", help="本学年教师交流轮岗名单 / this year's teacher rotation list")
    p.add_argument("data", help="工作簿、CSV文件夹或数据库URL / workbook, CSV folder or database URL")
    p.add_argument("--county", required=True, help="区县代码 (6位) / county code")
    p.add_argument("--year", type=int, required=True, help="学年 / school year")
    p.add_argument("--share", type=float, help="轮岗比例下限（不低于标准的10%%）/ minimum share")
    p.add_argument("--params", type=Path, help="轮岗参数 YAML（覆盖默认值）/ rotation parameters YAML")
    p.add_argument("--format", choices=["json", "xlsx"], default="json", help="输出格式 / output format")
    p.add_argument("--out", type=Path, help="输出文件；json 可省略 / output file")
    p.set_defaults(func=_rotate)


def _rotate(args: argparse.Namespace) -> int:
    from junheng.planners.teachers import RotationError, rotate_teachers
    from junheng.planners.teachers.words import STATUS_NOTE

    require_out(args.format, args.out)
    ds = load_data(args.data, NEEDS)
    try:
        plan = rotate_teachers(ds, args.county, args.year, params=args.params, share=args.share)
    except (RotationError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from None
    result = plan.to_json()
    if plan.status in STATUS_NOTE:   # anything short of a proven optimum says so
        print(STATUS_NOTE[plan.status], file=sys.stderr)
    if args.format == "json":
        write_json(result, args.out)
    else:
        from junheng.reports.planning_xlsx import write_rotation_xlsx

        write_rotation_xlsx(result, args.out)
    if args.out is not None:
        print(f"轮岗 {result['rotated_teachers']} 人（符合条件 {result['eligible_teachers']} 人），"
              f"写入 {args.out} / {result['rotated_teachers']} teachers rotated")
    return 0
