"""Chinese words shared by the evaluation reports (presentation only).

Every word comes from :mod:`junheng.standards.labels` (the standards' YAML, the field
registry and the few words of the method itself); the names here are the reports' short
handles to it, not copies.
"""

from __future__ import annotations

from typing import Any

from junheng.standards import labels


def _zh(kind: str) -> dict[str, str]:
    return {k: pair[0] for k, pair in labels.vocabulary(kind).items()}


STAGE_ZH = _zh("stage")
PART_ZH = _zh("part")
STATUS_ZH = _zh("status")
COUNTY_ZH = {"passed": "通过", "failed": "未通过", "not_reported": "未报送 (不能认定)"}
COMPARISON_ZH = _zh("comparison")


def status_zh(status: str | None) -> str:
    return STATUS_ZH.get(status or "", "—")


def county_verdict_zh(status: str | None) -> str:
    return COUNTY_ZH.get(status or "", "—")


def key_zh(key: object) -> str:
    """The word for a key of a rule's value or a measure (``nine_year``, ``music_area_m2``)."""
    return labels.any_label(str(key)) or str(key)


def ids_zh(ids: list[str]) -> str:
    """A list of ids (items, ``stage.indicator``) as the reader's words."""
    return labels.ids_label(ids)


def fmt_value(v: Any) -> Any:
    """A rule or measured value as a cell: numbers stay numbers, mappings become text."""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, dict):
        return "; ".join(f"{key_zh(k)} {fmt_value(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(str(fmt_value(x)) for x in v)
    return v
