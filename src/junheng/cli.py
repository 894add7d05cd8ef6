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

# The commands each module registers, so that ``junheng evaluate …`` imports the evaluation's
# module alone: importing every feature (solvers, forecasting, the web app, the database layer)
# costs about two CPU seconds before any work starts. A command missing here still works, through
# the full parser; tests/test_cli_lazy.py keeps this table equal to what the modules register.
COMMAND_MODULE_OF: dict[str, str] = {
    "template": "junheng.io.commands", "validate": "junheng.io.commands",
    "import": "junheng.io.commands", "export": "junheng.io.commands",
    "demo": "junheng.demo.commands", "demo-families": "junheng.demo.commands",
    "evaluate": "junheng.standards.commands",
    "forecast": "junheng.forecast.commands",
    "zones": "junheng.planners.zones.commands",
    "plan": "junheng.planners.investment.commands",
    "rotate": "junheng.planners.teachers.commands",
    "admissions": "junheng.admissions.commands",
    "finance": "junheng.finance.commands",
    "measures": "junheng.supervision.commands", "report": "junheng.supervision.commands",
    "aid": "junheng.aid.commands",
    "serve": "junheng.web.commands", "init-admin": "junheng.web.commands",
    "users": "junheng.web.commands",
}


class CliError(Exception):
    """An error the user can act on: printed without a traceback, exit code 2."""


def load_data(spec: str, needs: TableNeeds | None = None) -> Dataset:
    """DATA of every command (workbook, CSV folder or database URL). ``needs`` is what the
    command reads (its ``NEEDS``): only those tables are read and checked, and a missing one
    is a located problem. Bad input prints every located problem, then stops the command with
    a one-line reason."""
    from junheng.io.problems import ValidationFailed
    from junheng.io.source import is_database_url, load_dataset

    if is_database_url(spec):
        # SQLAlchemy is imported only for a database (half a second of start-up otherwise).
        from sqlalchemy.exc import SQLAlchemyError

        database_errors: tuple[type[Exception], ...] = (SQLAlchemyError,)
    else:
        database_errors = ()
    try:
        return load_dataset(spec, needs=needs)
    except ValidationFailed as exc:
        print(exc.report(), file=sys.stderr)
        raise CliError(f"数据有误，未做任何处理 / the data is invalid, nothing was done: "
                       f"{spec}") from None
    except database_errors as exc:
        raise CliError(f"无法读取数据库 / cannot read the database {spec}: "
                       f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}") from None


def command_modules(names: Sequence[str] = COMMAND_MODULES) -> list[ModuleType]:
    """The installed modules of ``names`` (by default all of COMMAND_MODULES), in --help
    order."""
    found = []
    for name in names:
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


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole CLI; with ``command`` (a name in COMMAND_MODULE_OF) only that command's
    module is imported and registered, which is all a run of that command parses."""
    module = COMMAND_MODULE_OF.get(command) if command is not None else None
    epilog = None
    if module is None:
        from junheng.io.db import database_url

        epilog = (f"默认数据库 / default database: {database_url()} (JUNHENG_DATABASE_URL 或 "
                  "JUNHENG_HOME 可改 / set JUNHENG_DATABASE_URL or JUNHENG_HOME to change it)")
    parser = argparse.ArgumentParser(
        prog="junheng",
        description="均衡 Junheng — 义务教育优质均衡发展平台 / balanced education platform",
        epilog=epilog,
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for mod in command_modules(COMMAND_MODULES if module is None else (module,)):
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    # The command is the first word; the top-level parser has no options of its own but
    # --help, which needs every command listed.
    first = args_in[0] if args_in else None
    parser = build_parser(first if first in COMMAND_MODULE_OF else None)
    args = parser.parse_args(args_in)
    try:
        result = args.func(args)
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
