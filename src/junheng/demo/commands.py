"""CLI: ``junheng demo`` writes the built-in Zhangye demo dataset."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from junheng.cli import CliError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="生成张掖六县区演示数据 / write the Zhangye demo dataset")
    p.add_argument("--out", type=Path, required=True,
                   help=".xlsx 工作簿或 CSV 文件夹 / an .xlsx workbook or a CSV folder")
    p.add_argument("--seed", type=int, default=0, help="随机种子 (默认 0) / random seed")
    p.add_argument("--years", default="2019-2024",
                   help="学年范围, 如 2019-2024 / school years, e.g. 2019-2024")
    p.set_defaults(func=_demo)

    p = sub.add_parser("demo-families", help="把演示数据的入学申请放入网上招生 / put the "
                       "demo's applications into the admissions portal")
    p.add_argument("--db", help="数据库地址 / database URL (default: JUNHENG_DATABASE_URL or "
                                "the installation's database shown by junheng --help)")
    p.add_argument("--seed", type=int, default=0,
                   help="导入的演示数据所用的随机种子 (默认 0) / the imported demo's seed")
    p.add_argument("--years", default="2019-2024",
                   help="导入的演示数据的学年范围 / the imported demo's school years")
    p.set_defaults(func=_demo_families)


def parse_years(text: str) -> range:
    """'2019-2024' -> range(2019, 2025); a single year '2024' is accepted too."""
    m = re.fullmatch(r"\s*(\d{4})\s*(?:[-–~至]\s*(\d{4}))?\s*", text)
    if not m:
        raise CliError(f"学年范围格式应为 2019-2024, 收到 {text!r} / years must look like "
                       f"2019-2024, got {text!r}")
    first = int(m.group(1))
    last = int(m.group(2) or first)
    if last < first:
        raise CliError(f"学年范围起止颠倒: {text} / the range runs backwards: {text}")
    if first < 2002 or last > 2035:
        raise CliError(f"演示数据支持 2002–2035 学年, 收到 {text} / the demo covers school years "
                       f"2002–2035, got {text}")
    return range(first, last + 1)


def _demo(args: argparse.Namespace) -> int:
    from junheng.demo import generate
    from junheng.io.writers import write_dataset

    years = parse_years(args.years)
    ds = generate(seed=args.seed, years=years)
    write_dataset(ds, Path(args.out))
    counts = ", ".join(f"{t} {ds[t].height}" for t in ds)
    print(f"已写出演示数据 / demo dataset written: {args.out}\n{counts}")
    return 0


def _demo_families(args: argparse.Namespace) -> int:
    """After ``junheng import`` of the demo: its applications, with their synthetic children,
    into the portal's tables, which the staff admissions pages read (see
    web/services/admissions_demo.py)."""
    from junheng.demo import generate
    from junheng.demo.admissions import from_dataset
    from junheng.io.db import load_dataset
    from junheng.web.commands import _engine
    from junheng.web.services.admissions import AdmissionsError
    from junheng.web.services.admissions_demo import load_demo_families

    engine = _engine(args.db)
    demo = from_dataset(generate(seed=args.seed, years=parse_years(args.years)), args.seed)
    imported = load_dataset(engine, tables=["applications"]).table("applications")
    try:
        done = load_demo_families(engine, demo, imported)
    except AdmissionsError as exc:
        raise CliError(f"{exc.zh} / {exc.en}") from exc
    if done.already:
        print("演示家庭的申请已在网上招生中，未重复载入 / the demo's families are in the portal "
              "already: nothing loaded")
    else:
        print(f"已载入演示家庭的入学申请 {done.approved + done.to_review} 份（其中 {done.to_review} "
              f"份待审核）/ demo applications loaded: {done.approved + done.to_review} "
              f"({done.to_review} awaiting review)")
    return 0
