"""CLI: ``junheng plan DATA --county CODE --target-year Y [--budget …] [--costs YAML]``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from junheng.cli import CliError, load_data, require_out, write_json
from junheng.domain.needs import TableNeeds

# The evaluation's tables, plus what the forecast to the target year reads (a plan looks ahead
# from enrolment by grade; births or children by area sharpen the entry grades).
NEEDS = TableNeeds(
    "plan", required=("counties", "schools", "sections", "facilities", "grade_enrollment"),
    optional=("rooms", "classes", "county_facts", "finance", "teachers", "births",
              "area_children", "areas"),
    title_zh="优质均衡达标规划", title_en="Plan to pass")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("plan", help="区县达到优质均衡的最低成本投资规划 / least-cost investment plan "
                       "for a county")
    p.add_argument("data", help="工作簿、CSV文件夹或数据库URL / workbook, CSV folder or database URL")
    p.add_argument("--county", required=True, help="区县代码 (6位) / county code")
    p.add_argument("--target-year", type=int, required=True, help="目标学年 / target school year")
    p.add_argument("--budget", help="每年预算（元），或逗号分隔的逐年预算，或 YAML 文件（列表或 年份: 金额）/ "
                   "yearly budget in yuan, a comma-separated list, or a YAML file")
    p.add_argument("--costs", type=Path, help="单位成本与上限 YAML（覆盖默认值）/ cost and limit YAML")
    p.add_argument("--time-limit", type=float, default=60.0, help="求解时间上限（秒）/ solver time limit (s)")
    p.add_argument("--format", choices=["json", "xlsx"], default="json", help="输出格式 / output format")
    p.add_argument("--out", type=Path, help="输出文件；json 可省略 / output file")
    p.add_argument("--write-model", type=Path,
                   help="把模型写成 .lp 文件（变量和约束均有名称）以便审查 / write the MILP as an .lp file")
    p.add_argument("--no-evaluations", action="store_true",
                   help="JSON 中不含规划前后的完整评估 / leave the full before/after evaluations out")
    p.set_defaults(func=_plan)


def parse_budget(raw: str | None) -> Any:
    if raw is None:
        return None
    path = Path(raw)
    if path.suffix in (".yaml", ".yml") and path.exists():
        value = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(value, dict):
            return {int(k): float(v) for k, v in value.items()}
        if isinstance(value, list):
            return [float(v) for v in value]
        if isinstance(value, (int, float)):
            return float(value)
        raise CliError(f"预算文件应为数值、列表或 年份: 金额 / bad budget file {raw}")
    try:
        parts = [float(x) for x in raw.split(",")]
    except ValueError:
        raise CliError(f"预算应为金额（元）/ budget must be an amount in yuan: {raw}") from None
    return parts[0] if len(parts) == 1 else parts


def _plan(args: argparse.Namespace) -> int:
    from junheng.forecast.options import ForecastError
    from junheng.planners.investment import PlanError, plan_county
    from junheng.planners.investment.costs import CostsError

    require_out(args.format, args.out)
    budget = parse_budget(args.budget)
    ds = load_data(args.data, NEEDS)
    try:
        plan = plan_county(ds, args.county, args.target_year, costs=args.costs, budget=budget,
                           time_limit=args.time_limit,
                           write_model=str(args.write_model) if args.write_model else None)
    except (PlanError, CostsError, ForecastError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from None
    if args.format == "json":
        result = plan.to_json()
        if args.no_evaluations:
            result.pop("before", None)
            result.pop("after", None)
        write_json(result, args.out)
    else:
        from junheng.reports.planning_xlsx import write_plan_xlsx

        write_plan_xlsx(plan, args.out)
    if args.out is not None:
        gap = None if plan.gap is None else round(plan.gap, 8)
        print(f"规划状态 {plan.status_zh}，投资 {plan.total_cost_yuan:,.0f} 元，间隙 {gap}；"
              f"写入 {args.out} / status {plan.status}, cost {plan.total_cost_yuan:,.0f} yuan")
    return 0
