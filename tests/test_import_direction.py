"""The direction of imports of docs/architecture.md, checked: a lower package never imports a
higher one (lazy imports inside functions included)."""

from __future__ import annotations

import ast

from tests.support.paths import REPO

SRC = REPO / "src" / "junheng"
# package → the Junheng packages it may import (itself always).
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "standards": {"domain"},
    "forecast": {"domain", "standards"},
    "planners": {"domain", "standards", "forecast"},
    "admissions": {"domain", "standards", "forecast", "planners"},
    "finance": {"domain", "standards"},
    "aid": {"domain", "standards"},
}
# The CLI glue of a core package (``commands.py``) reads files through ``cli``/``io``.
EDGE_MODULES = {"commands.py"}


def _imports(path: str) -> set[str]:
    tree = ast.parse((SRC / path).read_text("utf-8"))
    out = set()
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            parts = name.split(".")
            if parts[0] == "junheng" and len(parts) > 1:
                out.add(parts[1])
    return out


def test_lower_packages_do_not_import_higher_ones() -> None:
    wrong = []
    for package, allowed in ALLOWED.items():
        for path in sorted((SRC / package).rglob("*.py")):
            if path.name in EDGE_MODULES:
                continue
            rel = str(path.relative_to(SRC))
            bad = _imports(rel) - allowed - {package}
            if bad:
                wrong.append(f"{rel}: imports {sorted(bad)}")
    assert not wrong, "\n".join(wrong)
