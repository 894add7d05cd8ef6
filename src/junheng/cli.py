"""One entry point: ``junheng <command>``.

Each feature package contributes its subcommands through a ``register(subparsers)`` function in
its ``commands`` module, so a feature is added without editing a central list of options.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from junheng.domain.dataset import Dataset
    from junheng.domain.needs import TableNeeds

# Modules that contribute subcommands, in the order their commands are listed in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "junheng.io.commands",            # template, import, export, validate
    "junheng.demo.commands",          # demo
    "junheng.standards.commands",     # evaluate
    "junheng.forecast.commands",      # forecast
    "junheng.planners.zones.commands",       # zones
    "junheng.planners.investment.commands",  # plan
    "junheng.planners.teachers.commands",    # rotate
    "junheng.admissions.commands",    # admissions allocate|verify
    "junheng.finance.commands",       # finance
    "junheng.supervision.commands",   # measures
    "junheng.aid.commands",           # aid match
    "junheng.web.commands",           # serve, users
)


class CliError(Exception):
    """An error the user can act on: printed without a traceback, exit code 2."""


def load_data(spec: str, needs: TableNeeds | None = None) -> Dataset:
    """DATA of every command (workbook, CSV folder or database URL). ``needs`` is what the
    command reads (its ``NEEDS``): only those tables are read and checked, and a missing one
    is a located problem. Bad input prints every located problem, then stops the command with
    a one-line reason."""
    from sqlalchemy.exc import SQLAlchemyError

    from junheng.io.problems import ValidationFailed
    from junheng.io.source import load_dataset

    try:
        return load_dataset(spec, needs=needs)
    except ValidationFailed as exc:
        print(exc.report(), file=sys.stderr)
        raise CliError(f"数据有误，未做任何处理 / the data is invalid, nothing was done: "
                       f"{spec}") from None
    except SQLAlchemyError as exc:
        raise CliError(f"无法读取数据库 / cannot read the database {spec}: "
                       f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}") from None


def command_modules() -> list[ModuleType]:
    """The installed modules of COMMAND_MODULES, in --help order."""
    found = []
    for name in COMMAND_MODULES:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            # Only a feature package that is not installed is skipped; a broken import inside an
            # existing module must surface.
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
    return found


def command_needs() -> dict[str, TableNeeds]:
    """Each command's declared needs (``NEEDS`` of its module: one value, or a dict by
    command name), in --help order."""
    from junheng.domain.needs import TableNeeds

    out: dict[str, TableNeeds] = {}
    for module in command_modules():
        needs = getattr(module, "NEEDS", None)
        if isinstance(needs, TableNeeds):
            out[needs.command] = needs
        elif isinstance(needs, dict):
            out.update({n.command: n for n in needs.values()})
    return out


def require_out(fmt: str, out: Path | None) -> None:
    """Binary formats cannot go to the terminal: say so before any work is done."""
    if fmt != "json" and out is None:
        raise CliError(f"{fmt} 格式须指定 --out 文件 / --out is required for {fmt}")


def write_json(result: object, out: Path | None) -> None:
    """JSON for people and tools alike: UTF-8, Chinese unescaped; stdout without --out."""
    text = json.dumps(result, ensure_ascii=False, indent=1, default=str)
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")


def build_parser() -> argparse.ArgumentParser:
    from junheng.io.db import database_url

    parser = argparse.ArgumentParser(
        prog="junheng",
        description="均衡 Junheng — 义务教育优质均衡发展平台 / balanced education platform",
        epilog=f"默认数据库 / default database: {database_url()} (JUNHENG_DATABASE_URL 或 "
               "JUNHENG_HOME 可改 / set JUNHENG_DATABASE_URL or JUNHENG_HOME to change it)",
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for module in command_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
