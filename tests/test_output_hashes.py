"""Outputs of evaluate, plan, zones and forecast on the demo are those in the golden file.

The hashes were taken on main before the typed-result redesign (issue #16); a refactor must
leave them unchanged. A deliberate change of output updates tests/golden/demo_output_hashes.json
(``python scripts/output_hashes.py --write``) in a commit that says why.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from support.paths import REPO

_spec = importlib.util.spec_from_file_location("output_hashes", REPO / "scripts" / "output_hashes.py")
assert _spec is not None and _spec.loader is not None
output_hashes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(output_hashes)


def test_demo_outputs_match_golden_hashes(tmp_path: Path) -> None:
    golden = json.loads(output_hashes.GOLDEN.read_text(encoding="utf-8"))
    data = output_hashes.make_demo(tmp_path)
    got = output_hashes.output_hashes(data, tmp_path)
    assert set(got) == set(golden)
    differ = sorted(name for name in got if got[name] != golden[name])
    assert not differ, f"outputs changed: {differ} (see scripts/output_hashes.py)"
