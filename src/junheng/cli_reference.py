"""Generate the command reference (docs/cli.md) from the argument parser itself.

``python -m junheng.cli_reference > docs/cli.md``. A test fails when the committed page and
the parser disagree, so every command and option the CLI accepts is documented.
"""

from __future__ import annotations

import argparse

from junheng.cli import build_parser, command_needs


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _help_of(parser: argparse.ArgumentParser, name: str) -> str:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.dest == name:
                    return choice.help or ""
    return ""


def _rows(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        names = ", ".join(f"`{o}`" for o in action.option_strings) or f"`{action.dest.upper()}`"
        if action.choices and not isinstance(action.choices, dict):
            names += " (" + " / ".join(str(c) for c in action.choices) + ")"
        default = ""
        if action.option_strings and action.default not in (None, False, argparse.SUPPRESS):
            default = f"默认 default: `{action.default}`"
        text = (action.help or "").replace("|", "/").replace("\n", " ")
        rows.append(f"| {names} | {text} | {default} |")
    return rows


def render() -> str:
    parser = build_parser()
    lines = [
        "# 命令参考 / Command reference",
        "",
        "本页由命令行解析器自动生成（`python -m junheng.cli_reference > docs/cli.md`），请勿手工修改。",
        "Generated from the CLI parser; do not edit by hand.",
        "",
    ]
    needs = command_needs()
    for name, sub in _subparsers(parser).items():
        lines += [f"## `junheng {name}`", "", _help_of(parser, name), ""]
        if name in needs:
            lines += [f"读取的数据表 / tables read: {needs[name].summary_zh()}", ""]
        usage = " ".join(sub.format_usage().split())
        lines += ["```", usage.removeprefix("usage: "), "```", ""]
        nested = _subparsers(sub)
        rows = _rows(sub)
        if rows:
            lines += ["| 参数 option | 说明 help | |", "|---|---|---|", *rows, ""]
        for child, child_parser in nested.items():
            lines += [f"### `junheng {name} {child}`", "", _help_of(sub, child), ""]
            if f"{name} {child}" in needs:
                lines += [f"读取的数据表 / tables read: {needs[f'{name} {child}'].summary_zh()}",
                          ""]
            usage = " ".join(child_parser.format_usage().split())
            lines += ["```", usage.removeprefix("usage: "), "```", ""]
            child_rows = _rows(child_parser)
            if child_rows:
                lines += ["| 参数 option | 说明 help | |", "|---|---|---|", *child_rows, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
