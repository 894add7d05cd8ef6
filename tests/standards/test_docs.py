"""Every indicator, item and parameter id of the bundled standards appears in docs/standards.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from junheng.standards.loader import load_standard, standard_ids

DOC = Path(__file__).resolve().parents[2] / "docs" / "standards.md"


@pytest.mark.parametrize("standard_id", standard_ids())
def test_every_id_is_documented(standard_id: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    std = load_standard(standard_id)
    ids = [std.id] + [i.id for i in std.indicators] + [i.id for i in std.items] + list(std.params)
    missing = [i for i in ids if f"`{i}`" not in text]
    assert not missing, f"docs/standards.md does not mention: {missing}"
