"""The register of measures (data/measures-2024.yaml), loaded strictly: an unknown key, a
duplicate number or indicator id, or an indicator without a known source is an error."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

_MEASURE_KEYS = {"number", "title", "responsible", "deadline", "indicators"}
_INDICATOR_KEYS = {"id", "label", "from", "deadline"}
_SOURCES = {"standard", "finance", "aid", "evidence"}


class RegisterError(ValueError):
    """The register file is malformed."""


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    kind: str                 # standard | finance | aid | evidence
    ref: tuple[str, ...]      # (standard id, item id) | (check id,) | ("not_aided",) | ()
    deadline: int | None


@dataclass(frozen=True)
class Measure:
    no: int
    title: str
    responsible: tuple[str, ...]
    deadline: int | None
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Register:
    id: str
    label: str
    source: str
    responsible_note: str
    measures: tuple[Measure, ...]


def _indicator(raw: dict[str, Any], where: str) -> Indicator:
    unknown = set(raw) - _INDICATOR_KEYS
    if unknown:
        raise RegisterError(f"{where}: unknown keys {sorted(unknown)}")
    src = raw.get("from") or {}
    kinds = set(src) & _SOURCES
    if len(kinds) != 1:
        raise RegisterError(f"{where}: 'from' must name one of {sorted(_SOURCES)}")
    kind = kinds.pop()
    if kind == "standard":
        if set(src) != {"standard", "item"}:
            raise RegisterError(f"{where}: a standard indicator names standard and item")
        ref: tuple[str, ...] = (str(src["standard"]), str(src["item"]))
    elif kind == "evidence":
        ref = ()
    else:
        ref = (str(src[kind]),)
    return Indicator(str(raw["id"]), str(raw["label"]), kind, ref, raw.get("deadline"))


@cache
def load_register(name: str = "measures-2024.yaml") -> Register:
    text = (resources.files("junheng.supervision") / "data" / name).read_text("utf-8")
    doc = yaml.safe_load(text)
    measures: list[Measure] = []
    seen_no: set[int] = set()
    seen_ind: set[str] = set()
    for raw in doc["measures"]:
        # "number", not "no": YAML reads a bare ``no`` key as the boolean false.
        where = f"measure {raw.get('number')}"
        unknown = set(raw) - _MEASURE_KEYS
        if unknown:
            raise RegisterError(f"{where}: unknown keys {sorted(unknown)}")
        no = int(raw["number"])
        if no in seen_no:
            raise RegisterError(f"{where}: duplicate number")
        seen_no.add(no)
        inds = tuple(_indicator(i, f"{where}.{i.get('id')}") for i in raw["indicators"])
        for i in inds:
            if i.id in seen_ind:
                raise RegisterError(f"{where}: duplicate indicator {i.id}")
            seen_ind.add(i.id)
        measures.append(Measure(no, str(raw["title"]), tuple(raw["responsible"]),
                                raw.get("deadline"), inds))
    if sorted(seen_no) != list(range(1, len(seen_no) + 1)):
        raise RegisterError("measures must be numbered 1…N without gaps")
    return Register(str(doc["id"]), str(doc["label"]), str(doc["source"]),
                    str(doc.get("responsible_note", "")), tuple(measures))
