"""No file of the repository names one machine's folders: shared data is ``../shared`` from the
repository root (tests/support/paths.py), outputs go where the user says."""

from __future__ import annotations

import re
import subprocess

from tests.support.paths import REPO

# Absolute paths of a particular machine or user (the temp folder is asked of tempfile).
MACHINE_PATH = re.compile(r"""["'(=\s](/work/|/home/[a-z]|/Users/[A-Za-z]|/root/|[A-Z]:\\\\Users)""")


def test_no_machine_paths() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.split()
    found = []
    for name in files:
        path = REPO / name
        if path.suffix not in {".py", ".md", ".yaml", ".yml", ".toml", ".sh", ".html", ".js",
                               ".ini", ".cfg", ".txt"} or not path.is_file():
            continue
        for n, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
            if MACHINE_PATH.search(line) and "test_no_machine_paths" not in name:
                found.append(f"{name}:{n}: {line.strip()[:100]}")
    assert not found, "\n".join(found)
