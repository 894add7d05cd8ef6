"""CLI: ``junheng measures DATA --year Y [--format json|xlsx] [--out F]`` — the 30 measures of
the Zhangye 2024 policy, each with its status per county and for the city — and the
督导评估 reports built on them: ``junheng report county|city DATA --year Y --out F.pdf|F.xlsx``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from junheng.cli import CliError, load_data, require_out, write_json
from junheng.domain.needs import TableNeeds

if TYPE_CHECKING:
    from junheng.domain.dataset import Dataset
    from junheng.supervision.status import EvidenceState, MeasuresResult

# Counties are enough to list the register; every other table makes more statuses computed.
MEASURES_NEEDS = TableNeeds(
    "measures", required=("counties",),
    optional=("schools", "sections", "facilities", "rooms", "classes", "county_facts",
              "finance", "teachers", "transfers", "students", "aid_lists", "aid_awards",
              "kindergartens", "preschool_county", "care_children", "home_delivery",
              "school_health", "film_screenings", "sunan_activities"),
    title_zh="30项措施督导", title_en="Supervision of the 30 measures")
# The city report: the measures and the evaluation of every year (progress over the years).
CITY_REPORT_NEEDS = TableNeeds(
    "report city", required=("counties",), optional=MEASURES_NEEDS.optional,
    title_zh="全市督导评估报告", title_en="City supervision report")
# The county report adds what its plan forecasts from and the admissions figures; every
# section whose tables are absent is printed as 未报送.
COUNTY_REPORT_NEEDS = TableNeeds(
    "report county", required=("counties",),
    optional=(*MEASURES_NEEDS.optional, "grade_enrollment", "births", "area_children", "areas",
              "admission_plans", "applications"),
    title_zh="县区督导评估报告", title_en="County supervision report")
NEEDS = {"measures": MEASURES_NEEDS, "report county": COUNTY_REPORT_NEEDS,
         "report city": CITY_REPORT_NEEDS}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("measures", help="30项措施落实情况（督导）/ status of the 30 measures")
    p.add_argument("data", help="工作簿、CSV文件夹或数据库URL / workbook, CSV folder or database URL")
    p.add_argument("--year", type=int, required=True, help="学年 / school year")
    p.add_argument("--format", choices=["json", "xlsx"], default="json",
                   help="输出格式 / output format (default json)")
    p.add_argument("--out", type=Path, help="输出文件; json 可省略 (输出到屏幕) / output file")
    p.set_defaults(func=_measures)

    r = sub.add_parser("report", help="督导评估报告（PDF 或 Excel）/ supervision report (PDF or Excel)")
    inner = r.add_subparsers(dest="report_command", metavar="<level>", required=True)
    c = inner.add_parser("county", help="县区督导评估报告 / county report")
    c.add_argument("data", help="工作簿、CSV文件夹或数据库URL / workbook, CSV folder or database URL")
    c.add_argument("--county", required=True, help="区县代码 (6位) / county code")
    _report_args(c)
    c.add_argument("--no-plan", action="store_true",
                   help="不生成达标规划（更快）/ leave the plan to pass out (faster)")
    c.add_argument("--plan-time-limit", type=float, default=30.0,
                   help="达标规划求解时间上限（秒）/ solver time limit of the plan (s)")
    c.set_defaults(func=_report_county)
    y = inner.add_parser("city", help="全市督导评估报告 / city report")
    y.add_argument("data", help="工作簿、CSV文件夹或数据库URL / workbook, CSV folder or database URL")
    _report_args(y)
    y.set_defaults(func=_report_city)


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=int, required=True, help="学年 / school year")
    p.add_argument("--out", type=Path, required=True,
                   help="输出文件：.pdf 或 .xlsx / output file (.pdf or .xlsx)")


def _check_out(out: Path) -> None:
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise CliError(f"输出文件应为 .pdf 或 .xlsx / --out must end in .pdf or .xlsx: {out}")


def _report_county(args: argparse.Namespace) -> int:
    from junheng.reports.supervision_report import county_document, write_report
    from junheng.supervision.report import county_report

    _check_out(args.out)
    ds = load_data(args.data, COUNTY_REPORT_NEEDS)
    try:
        report = county_report(ds, args.county, args.year, plan=not args.no_plan,
                               plan_time_limit=args.plan_time_limit,
                               measures=_measures_of(ds, args))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    write_report(county_document(report), args.out)
    from junheng.reports.labels import county_verdict_zh

    status = county_verdict_zh(report.county.status if report.county is not None
                               else "not_reported")
    from junheng.supervision.report import SECTION_ZH

    missing = "、".join(SECTION_ZH[k] for k in report.missing_zh) or "无"
    print(f"{report.county_name} {args.year} 学年督导评估报告（优质均衡：{status}；"
          f"未报送或略去的部分：{missing}）写入 {args.out}")
    return 0


def _measures_of(ds: Dataset, args: argparse.Namespace) -> MeasuresResult:
    """The measures as ``junheng measures`` gives them (with a database's reviewed evidence)."""
    from junheng.supervision.status import measure_statuses

    return measure_statuses(ds, args.year, evidence=_evidence(args.data, args.year))


def _report_city(args: argparse.Namespace) -> int:
    from junheng.reports.supervision_report import city_document, write_report
    from junheng.supervision.report import city_report

    _check_out(args.out)
    ds = load_data(args.data, CITY_REPORT_NEEDS)
    report = city_report(ds, args.year, measures=_measures_of(ds, args))
    write_report(city_document(report), args.out)
    print(f"全市 {args.year} 学年督导评估报告（{report.passed}/{len(report.counties)} 个县区通过"
          f"优质均衡）写入 {args.out}")
    return 0


def _evidence(spec: str, year: int) -> dict[tuple[str, str], EvidenceState]:
    """The reviewed evidence of a database (the web's uploads); a file has none."""
    from junheng.io.source import is_database_url

    if not is_database_url(spec):
        return {}
    import sqlalchemy as sa

    from junheng.io import evidence
    from junheng.io.db import make_engine
    from junheng.supervision.status import EvidenceState

    engine = make_engine(spec)
    try:
        if not sa.inspect(engine).has_table(evidence.evidence.name):
            return {}
        return {k: EvidenceState(r.status, r.review_reason)
                for k, r in evidence.latest(engine, year).items()}
    finally:
        engine.dispose()


def _measures(args: argparse.Namespace) -> int:
    from junheng.supervision.status import measure_statuses

    require_out(args.format, args.out)
    ds = load_data(args.data, MEASURES_NEEDS)
    result = measure_statuses(ds, args.year, evidence=_evidence(args.data, args.year))
    if args.format == "json":
        write_json(result.to_json(), args.out)
    else:
        from junheng.reports.measures_xlsx import write_measures_xlsx

        write_measures_xlsx(result, args.out)
    if args.out is not None:
        city = result.summary()["city"]
        print(f"30项措施（全市）：已完成 {city['done']}，推进中 {city['in_progress']}，"
              f"滞后 {city['lagging']}，未报送 {city['not_reported']}；写入 {args.out}")
    return 0
