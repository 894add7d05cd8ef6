"""Where the shared folder is: beside the repository (as on every developer machine and in CI),
or wherever JUNHENG_SHARED points."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("JUNHENG_SHARED", REPO.parent / "shared"))
REAL_DATA = SHARED / "data" / "real"
