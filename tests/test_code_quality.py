"""House style as tests: ruff over the whole tree, mypy strict over the pure core
(domain, standards, planners), as configured in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys

from support.paths import REPO


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=600)


def test_ruff() -> None:
    result = _run("ruff", "check", "src", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_the_pure_core() -> None:
    result = _run("mypy", "src/junheng/domain", "src/junheng/standards",
                  "src/junheng/planners", "src/junheng/finance", "src/junheng/admissions",
                  "src/junheng/aid")
    assert result.returncode == 0, result.stdout + result.stderr
