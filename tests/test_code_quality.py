"""House style as tests: ruff over the whole tree, mypy strict over the whole package, as
configured in pyproject.toml."""

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


def test_mypy_strict_on_the_whole_package() -> None:
    result = _run("mypy", "src/junheng")
    assert result.returncode == 0, result.stdout + result.stderr
