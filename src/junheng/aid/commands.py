"""CLI: ``junheng aid match DATA --year Y [--format json|xlsx] [--out F]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from junheng.cli import load_data, require_out, write_json
from junheng.domain.needs import TableNeeds

# The roll, the department lists and what the roll refers to; awards when given (without
# them every qualifying student is in the gap).
NEEDS = TableNeeds(
    "aid", required=("counties", "schools", "students", "aid_lists"),
    optional=("aid_awards",), title_zh="学生资助比对（应助尽助）",
    title_en="Student aid matching")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("aid", help="学生资助: 学籍与部门名单比对, 应助尽助 / student aid")
    aid_sub = p.add_subparsers(dest="aid_command", metavar="<aid command>", required=True)
    m = aid_sub.add_parser("match", help="学籍与部门名单比对, 找出应助未助 / match the roll with "
                           "department lists and find who qualifies without an award")
    m.add_argument("data", help="工作簿、CSV文件夹或数据库URL / workbook, CSV folder or database URL")
    m.add_argument("--year", type=int, required=True, help="学年 (开始年份) / school year")
    m.add_argument("--format", choices=["json", "xlsx"], default="json",
                   help="输出格式 / output format (default json)")
    m.add_argument("--out", type=Path, help="输出文件; json 可省略 (输出到屏幕) / output file")
    m.set_defaults(func=_match)


def _match(args: argparse.Namespace) -> int:
    from junheng.aid.eligibility import evaluate_aid

    require_out(args.format, args.out)
    ds = load_data(args.data, NEEDS)
    result = evaluate_aid(ds, args.year)
    doc = result.to_json()
    if args.format == "json":
        write_json(doc, args.out)
    else:
        from junheng.reports.aid_report import write_aid_xlsx

        write_aid_xlsx(doc, args.out)
    if args.out is not None:
        print(f"比对 {len(doc['matches'])} 条, 问题 {len(doc['problems'])} 条, "
              f"应助未助 {len(doc['not_aided'])} 人; 结果写入 {args.out} / "
              f"{len(doc['matches'])} matches, {len(doc['problems'])} problems, "
              f"{len(doc['not_aided'])} students qualify without an award; written to "
              f"{args.out}")
    return 0
