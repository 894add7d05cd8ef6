"""CLI: ``junheng admissions allocate`` and ``junheng admissions verify`` (shared/spec/admissions.md).

``verify`` recomputes everything from DATA and the result file's seed and exits 0 when the
results are identical, 1 when they differ (naming the first difference), 2 when the list in
DATA no longer hashes to the result's ``list_sha256`` (the replay is refused).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from junheng.cli import CliError, load_data, require_out
from junheng.domain.needs import TableNeeds

# Zones decide priority (areas, the assignments in force); plans give the seats.
NEEDS = TableNeeds(
    "admissions", required=("counties", "schools", "areas", "admission_plans", "applications"),
    optional=("area_assignments",), title_zh="入学招生", title_en="Admissions")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("admissions", help="入学招生：摇号与录取 / admissions: lottery and "
                       "allocation")
    inner = p.add_subparsers(dest="admissions_command", metavar="<action>", required=True)

    a = inner.add_parser("allocate", help="冻结名单、摇号并录取 / freeze the list, draw, allocate")
    _common(a)
    a.add_argument("--seed", required=True, help="公布的摇号种子 / the announced seed (text)")
    a.add_argument("--format", choices=["json", "xlsx"], default="json",
                   help="输出格式 / output format (default json)")
    a.add_argument("--out", type=Path, help="输出文件; json 可省略 / output file")
    a.add_argument("--round-1-only", action="store_true",
                   help="只做第一轮（第二轮调剂在第一轮结果公布后另行运行）/ round 1 only")
    a.add_argument("--overrides", type=Path,
                   help="人工调整记录 JSON（列表，字段同结果文件的 overrides）/ staff overrides, "
                   "a JSON list as in the result's \"overrides\"")
    a.set_defaults(func=_allocate)

    v = inner.add_parser("verify", help="按结果文件重算并核对 / replay and compare with a result")
    _common(v)
    v.add_argument("--result", type=Path, required=True, help="allocate 写出的 JSON / result JSON")
    v.set_defaults(func=_verify)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", help="工作簿、CSV文件夹或数据库URL / workbook, CSV folder or database URL")
    p.add_argument("--county", required=True, help="区县代码 (6位) / county code")
    p.add_argument("--year", type=int, required=True, help="学年 / school year of entry")
    p.add_argument("--stage", required=True, choices=["primary", "junior"],
                   help="入学学段 / entry stage")
    p.add_argument("--rules", type=Path,
                   help="类别优先顺序 YAML (默认随软件提供) / precedence rules YAML")


def _rules(path: Path | None) -> Any:
    from junheng.admissions.rules import RulesError, load_rules

    if path is None:
        return None
    try:
        return load_rules(path.read_text("utf-8"))
    except (OSError, RulesError) as exc:
        raise CliError(f"优先顺序规则有误 / bad precedence rules {path}: {exc}") from None


def _overrides(doc: Any, where: str) -> Any:
    from junheng.admissions.allocate import AllocationError, Override

    if not isinstance(doc, list):
        raise CliError(f"人工调整记录应为列表 / overrides must be a list: {where}")
    try:
        return tuple(Override.from_json(o) for o in doc)
    except AllocationError as exc:
        raise CliError(f"{where}: {exc}") from None


def _allocate(args: argparse.Namespace) -> int:
    from junheng.admissions.allocate import AllocationError, allocate

    require_out(args.format, args.out)
    rules = _rules(args.rules)
    overrides = ()
    if args.overrides is not None:
        try:
            doc = json.loads(args.overrides.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise CliError(f"人工调整记录无法读取 / cannot read {args.overrides}: {exc}") from None
        overrides = _overrides(doc, str(args.overrides))
    ds = load_data(args.data, NEEDS)
    try:
        alloc = allocate(ds, args.county, args.year, args.stage, args.seed, rules,
                         round_2=not args.round_1_only, overrides=overrides)
    except AllocationError as exc:
        raise CliError(str(exc)) from None
    if alloc.applicants == 0:
        print(f"没有申请 / no applications for {args.county} {args.year} {args.stage}",
              file=sys.stderr)
    if args.format == "json":
        text = alloc.json_text()
        if args.out is None:
            sys.stdout.write(text)
        else:
            args.out.write_text(text, encoding="utf-8")
    else:
        from junheng.reports.admissions_xlsx import write_allocation_xlsx

        write_allocation_xlsx(alloc, args.out)
    return 0


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """The path of the first place where ``a`` and ``b`` differ, or None."""
    if type(a) is not type(b):
        return f"{path or '/'}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                return f"{path}/{k}: present on one side only"
            found = first_difference(a[k], b[k], f"{path}/{k}")
            if found:
                return found
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        if len(a) != len(b):
            return f"{path}: {len(a)} != {len(b)} items"
        return None
    return None if a == b else f"{path or '/'}: {a!r} != {b!r}"


def _verify(args: argparse.Namespace) -> int:
    from junheng.admissions.allocate import AllocationError, ListChanged, replay

    try:
        published_text = args.result.read_text("utf-8")
        published = json.loads(published_text)
        seed = str(published["seed"])
        expected_hash = str(published["list_sha256"])
        # Published round 1 (before 调剂) and the staff overrides are part of the record.
        round_2 = bool(published["round_2"])
        overrides = _overrides(published["overrides"], str(args.result))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CliError(f"结果文件无法读取 / cannot read the result {args.result}: {exc}") from None
    rules = _rules(args.rules)
    ds = load_data(args.data, NEEDS)
    try:
        alloc = replay(ds, args.county, args.year, args.stage, seed, expected_hash, rules,
                       round_2=round_2, overrides=overrides)
    except ListChanged as exc:
        print(exc, file=sys.stderr)
        return 2
    except AllocationError as exc:
        print(f"人工调整记录无法重放 / the overrides cannot be replayed: {exc}", file=sys.stderr)
        return 1
    text = alloc.json_text()
    if text != published_text:
        # Not byte-identical: compare the content, so a reformatted file still verifies and a
        # changed one is named at its first difference.
        diff = first_difference(published, json.loads(text))
        if diff:
            print(f"结果不一致 / results differ at {diff}", file=sys.stderr)
            return 1
    print(f"复核一致 / verified: {alloc.applicants} 份申请, SHA-256 {alloc.list_sha256}, 种子 {seed}, "
          f"{'含' if round_2 else '不含'}第二轮, 人工调整 {len(overrides)} 项 / overrides")
    return 0
