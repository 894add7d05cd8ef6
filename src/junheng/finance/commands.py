"""CLI: ``junheng finance DATA --year Y [--county C] [--format json|xlsx|html] [--out F]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from junheng.cli import CliError, load_data, require_out, write_json
from junheng.domain.needs import TableNeeds

# Counties and their finance rows; the checks that use schools, sections, transfers or
# students run when those are given and say "未报送" otherwise.
NEEDS = TableNeeds(
    "finance", required=("counties", "finance"),
    optional=("sections", "schools", "county_facts", "transfers", "students", "aid_awards"),
    title_zh="教育经费保障", title_en="Finance guarantees")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("finance", help="教育经费保障检查 (两个只增不减、工资不低于公务员、公用经费、"
                       "经费随学籍流动) / finance guarantee checks")
    p.add_argument("data", help="工作簿、CSV文件夹或数据库URL / workbook, CSV folder or database URL"
                   " (只需 counties 和 finance 两张表 / needs only counties and finance)")
    p.add_argument("--year", type=int, required=True, help="预算年度 / fiscal year")
    p.add_argument("--county", help="只检查该区县 (6位代码) / only this county")
    p.add_argument("--format", choices=["json", "xlsx", "html"], default="json",
                   help="输出格式 / output format (default json)")
    p.add_argument("--out", type=Path, help="输出文件; json 可省略 (输出到屏幕) / output file")
    p.set_defaults(func=_finance)


def _finance(args: argparse.Namespace) -> int:
    from junheng.finance.checks import evaluate_finance

    require_out(args.format, args.out)
    ds = load_data(args.data, NEEDS)
    try:
        result = evaluate_finance(ds, args.year, args.county)
    except KeyError as exc:
        raise CliError(str(exc).strip("'\"")) from None
    if args.format == "json":
        write_json(result.to_json(), args.out)
    elif args.format == "xlsx":
        from junheng.reports.finance_report import write_finance_xlsx

        write_finance_xlsx(result, args.out)
    else:
        from junheng.reports.finance_report import write_finance_html

        write_finance_html(result, args.out)
    if args.out is not None:
        failed = sum(1 for a in result.counties for c in a.checks if c.passed is False)
        print(f"已检查 {len(result.counties)} 个区县, 未达标 {failed} 项; 结果写入 {args.out} / "
              f"{len(result.counties)} counties checked, {failed} checks failed; "
              f"written to {args.out}")
    return 0
