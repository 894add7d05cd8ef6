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
