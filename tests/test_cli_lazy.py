"""``junheng COMMAND`` imports only COMMAND's module (issue #15: start-up cost of the national
evaluation). The table naming each command's module must match what the modules register, and
a command run through the short parser behaves as through the full one."""

from __future__ import annotations

import argparse
import subprocess
import sys

from junheng.cli import COMMAND_MODULE_OF, build_parser, command_modules


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_every_registered_command_names_its_module() -> None:
    registered: dict[str, str] = {}
    for module in command_modules():
        parser = argparse.ArgumentParser()
        module.register(parser.add_subparsers())
        registered.update(dict.fromkeys(_commands(parser), module.__name__))
    assert registered == COMMAND_MODULE_OF, "add the new command to cli.COMMAND_MODULE_OF"


def test_short_parser_has_the_command_with_the_same_options() -> None:
    full = build_parser()
    for command in COMMAND_MODULE_OF:
        short = build_parser(command)
        assert command in _commands(short)
    full_sub = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    short = build_parser("evaluate")
    short_sub = next(a for a in short._actions if isinstance(a, argparse._SubParsersAction))
    assert (full_sub.choices["evaluate"].format_help()
            == short_sub.choices["evaluate"].format_help())


def test_evaluate_does_not_import_other_features() -> None:
    code = ("import sys\n"
            "from junheng.cli import build_parser\n"
            "build_parser('evaluate')\n"
            "heavy = [m for m in ('sqlalchemy', 'ortools', 'fastapi', 'junheng.forecast', "
            "'junheng.planners', 'junheng.web') if m in sys.modules]\n"
            "print(heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
