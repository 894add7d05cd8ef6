"""CLI: ``junheng evaluate DATA --standard ID --year Y [--county CODE]
--format json|xlsx|html|parquet|csv``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from junheng.cli import CliError, load_data, require_out
from junheng.domain.needs import TableNeeds

# The school table needs sections and facilities; the items read the rest when reported.
NEEDS = TableNeeds(
    "evaluate", required=("counties", "schools", "sections", "facilities"),
    optional=("rooms", "classes", "county_facts", "finance", "teachers"),
    title_zh="达标评估", title_en="Evaluation against a standard")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from junheng.standards.loader import standard_ids

    p = sub.add_parser("evaluate", help="按评估标准评估区县和学校 / evaluate counties and schools "
                       "against a standard")
    p.add_argument("data", help="工作簿、CSV文件夹或数据库URL / workbook, CSV folder or database URL")
    p.add_argument("--standard", required=True, choices=standard_ids(),
                   help="评估标准 / standard id")
    p.add_argument("--year", type=int, required=True, help="学年 (开始年份) / school year")
    p.add_argument("--county", help="只评估该区县 (6位代码) / only this county")
    p.add_argument("--format", choices=["json", "xlsx", "html", "parquet", "csv"], default="json",
                   help="输出格式; parquet/csv 为文件夹, 每层一张表 (区县、学段、指标、县级项目、"
                   "学校…) / output format (default json); parquet and csv write a folder with "
                   "one table per level")
    p.add_argument("--out", type=Path, help="输出文件或文件夹; json 可省略 (输出到屏幕) / "
                   "output file (folder for parquet/csv)")
    p.add_argument("--indent", type=int, metavar="N",
                   help="JSON 缩进 N 个空格 (默认紧凑) / indent JSON by N spaces (default compact)")
    p.add_argument("--trace", action="store_true",
                   help="JSON 中每所学校附上判定依据 (规则、条款、输入) / include every school's "
                   "traces in the JSON (rule, clause, inputs)")
    p.add_argument("--param", action="append", default=[], metavar="ID=VALUE",
                   help="覆盖规则数值, 值按YAML书写, 可重复 / override a rule value (YAML), "
                   "repeatable, e.g. teaching_point_min_students=30")
    p.add_argument("--no-schools", action="store_true",
                   help="不输出学校明细 / leave the per-school table out")
    p.set_defaults(func=_evaluate)


def parse_params(items: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for raw in items:
        if "=" not in raw:
            raise CliError(f"参数格式应为 规则id=值: {raw} / expected ID=VALUE")
        key, value = raw.split("=", 1)
        try:
            params[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise CliError(f"参数值无法解析 {raw}: {exc} / cannot parse the value") from None
    return params


def _evaluate(args: argparse.Namespace) -> int:
    from junheng.standards.engine import evaluate

    require_out(args.format, args.out)
    params = parse_params(args.param)
    ds = load_data(args.data, NEEDS)
    try:
        ev = evaluate(ds, args.standard, args.year, args.county, params or None)
    except (ValueError, KeyError) as exc:
        raise CliError(str(exc).strip("'\"")) from None
    schools = not args.no_schools
    if args.format == "json":
        from junheng.reports.evaluation_json import write_evaluation_json

        write_evaluation_json(ev, args.out, include_schools=schools, traces=args.trace,
                              indent=args.indent)
    elif args.format in ("parquet", "csv"):
        from junheng.reports.evaluation_tables import write_evaluation_tables

        write_evaluation_tables(ev, args.out, args.format, include_schools=schools)
    elif args.format == "xlsx":
        from junheng.reports.evaluation_xlsx import write_evaluation_xlsx

        write_evaluation_xlsx(ev, args.out, include_schools=schools)
    else:
        from junheng.reports.evaluation_html import write_evaluation_html

        write_evaluation_html(ev, args.out, include_schools=schools)
    if args.out is not None:
        n, passed = len(ev.counties), sum(1 for c in ev.counties if c.passed)
        print(f"已评估 {n} 个区县, 通过 {passed} 个; 结果写入 {args.out} / "
              f"{n} counties evaluated, {passed} passed; written to {args.out}")
    return 0
