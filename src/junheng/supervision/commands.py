"""CLI: ``junheng measures DATA --year Y [--format json|xlsx] [--out F]`` — the 30 measures of
the Zhangye 2024 policy, each with its status per county and for the city."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from junheng.cli import load_data, require_out, write_json
from junheng.domain.needs import TableNeeds

if TYPE_CHECKING:
    from junheng.supervision.status import EvidenceState

# Counties are enough to list the register; every other table makes more statuses computed.
NEEDS = TableNeeds(
    "measures", required=("counties",),
    optional=("schools", "sections", "facilities", "rooms", "classes", "county_facts",
              "finance", "teachers", "transfers", "students", "aid_lists", "aid_awards",
              "kindergartens", "preschool_county", "care_children", "home_delivery",
              "school_health", "film_screenings", "sunan_activities"),
    title_zh="30项措施督导", title_en="Supervision of the 30 measures")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("measures", help="30项措施落实情况（督导）/ status of the 30 measures")
    p.add_argument("data", help="工作簿、CSV文件夹或数据库URL / workbook, CSV folder or database URL")
    p.add_argument("--year", type=int, required=True, help="学年 / school year")
    p.add_argument("--format", choices=["json", "xlsx"], default="json",
                   help="输出格式 / output format (default json)")
    p.add_argument("--out", type=Path, help="输出文件; json 可省略 (输出到屏幕) / output file")
    p.set_defaults(func=_measures)


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
    ds = load_data(args.data, NEEDS)
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
