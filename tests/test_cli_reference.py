"""Every command and option of the CLI is documented (docs/cli.md is generated from the parser)
and every command appears in the README's command table."""

from __future__ import annotations

from support.paths import REPO

from junheng.cli_reference import render


def test_cli_reference_is_current() -> None:
    committed = (REPO / "docs" / "cli.md").read_text("utf-8").rstrip("\n")
    assert committed == render().rstrip("\n"), (
        "docs/cli.md is stale: python -m junheng.cli_reference > docs/cli.md")


def test_every_command_is_in_the_readme() -> None:
    from junheng.cli import build_parser
    from junheng.cli_reference import _subparsers

    readme = (REPO / "README.md").read_text("utf-8")
    missing = [name for name in _subparsers(build_parser())
               if f"`junheng {name}" not in readme]
    assert missing == [], f"commands missing from the README table: {missing}"
