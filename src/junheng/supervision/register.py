"""The register of measures (data/measures-2024.yaml), loaded strictly: an unknown key, a
duplicate number or indicator id, or an indicator without a known source is an error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from junheng.domain.yaml_text import load_yaml

_MEASURE_KEYS = {"number", "title", "title_en", "responsible", "deadline", "indicators"}
_INDICATOR_KEYS = {"id", "label", "label_en", "from", "deadline", "target", "progress", "note"}
_SOURCES = {"standard", "finance", "aid", "evidence", "rule"}
# The parameters each computed rule of ``supervision.figures`` understands.
_RULE_PARAMS = {
    "school_share": ({"table"}, {"flag", "at_least", "school_types"}),
    "ratio": ({"table", "numerator", "denominator"}, set()),
    "partner_activities": ({"table", "partner_county", "activity", "min"}, set()),
}


class RegisterError(ValueError):
    """The register file is malformed."""


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    kind: str                 # standard | finance | aid | evidence | rule
    ref: tuple[str, ...]      # (standard id, item id) | (check id,) | ("not_aided",) | () | (rule,)
    deadline: int | None
    # A computed rule's parameters (table, columns …) and the shares that make it done (target)
    # and, below that, still in progress rather than lagging (progress).
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    target: float | None = None
    progress: float | None = None
    label_en: str | None = None

    def label_in(self, lang: str) -> str:
        """The label in the reader's language (the Chinese where no English is given)."""
        return (self.label_en or self.label) if lang == "en" else self.label


@dataclass(frozen=True)
class Measure:
    no: int
    title: str
    responsible: tuple[str, ...]
    deadline: int | None
    indicators: tuple[Indicator, ...]
    title_en: str | None = None

    def title_in(self, lang: str) -> str:
        return (self.title_en or self.title) if lang == "en" else self.title


@dataclass(frozen=True)
class Register:
    id: str
    label: str
    source: str
    responsible_note: str
    measures: tuple[Measure, ...]
    label_en: str | None = None
    responsible_note_en: str | None = None
    # The lead units' names in English (``responsible_en`` of the file).
    responsible_en: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def label_in(self, lang: str) -> str:
        return (self.label_en or self.label) if lang == "en" else self.label

    def note_in(self, lang: str) -> str:
        return (self.responsible_note_en or self.responsible_note) if lang == "en" \
            else self.responsible_note

    def indicator_label(self, indicator_id: str, lang: str) -> str:
        """An indicator's label in the reader's language, by id ("" for an unknown id)."""
        for m in self.measures:
            for i in m.indicators:
                if i.id == indicator_id:
                    return i.label_in(lang)
        return ""

    def responsible_in(self, measure: Measure, lang: str) -> tuple[str, ...]:
        """The measure's lead units in the reader's language."""
        if lang != "en":
            return measure.responsible
        return tuple(self.responsible_en.get(u, u) for u in measure.responsible)


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
    elif kind == "rule":
        return _rule_indicator(raw, src, where)
    else:
        ref = (str(src[kind]),)
    return Indicator(str(raw["id"]), str(raw["label"]), kind, ref, raw.get("deadline"),
                     label_en=raw.get("label_en"))


def _rule_indicator(raw: dict[str, Any], src: dict[str, Any], where: str) -> Indicator:
    from junheng.domain.fields import registry

    rule = str(src["rule"])
    if rule not in _RULE_PARAMS:
        raise RegisterError(f"{where}: unknown rule {rule!r} (one of {sorted(_RULE_PARAMS)})")
    required, optional = _RULE_PARAMS[rule]
    params = {k: v for k, v in src.items() if k != "rule"}
    if not required <= set(params) or set(params) - required - optional:
        raise RegisterError(f"{where}: rule {rule} takes {sorted(required)} "
                            f"and optionally {sorted(optional)}")
    if rule == "school_share" and len({"flag", "at_least"} & set(params)) != 1:
        raise RegisterError(f"{where}: school_share needs one of flag / at_least")
    # The tables and columns named must be in the exchange format, so a typo fails here.
    reg = registry()
    if not reg.has_table(str(params["table"])):
        raise RegisterError(f"{where}: unknown table {params['table']!r}")
    table = reg.table(str(params["table"]))
    named = [params.get("flag"), *(params.get("at_least") or {}), params.get("numerator"),
             params["denominator"] if isinstance(params.get("denominator"), str) else None]
    for col in (c for c in named if c is not None):
        if col not in table.column_ids:
            raise RegisterError(f"{where}: table {table.id} has no column {col!r}")
    target = raw.get("target")
    if target is None or not 0 < float(target) <= 1:
        raise RegisterError(f"{where}: a rule indicator needs a target share in (0, 1]")
    progress = raw.get("progress")
    if progress is not None and not 0 <= float(progress) < float(target):
        raise RegisterError(f"{where}: progress must be below the target")
    return Indicator(str(raw["id"]), str(raw["label"]), "rule", (rule,), raw.get("deadline"),
                     MappingProxyType(params), float(target),
                     float(progress) if progress is not None else None, raw.get("label_en"))


@cache
def load_register(name: str = "measures-2024.yaml") -> Register:
    text = (resources.files("junheng.supervision") / "data" / name).read_text("utf-8")
    doc = load_yaml(text)
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
                                raw.get("deadline"), inds, raw.get("title_en")))
    if sorted(seen_no) != list(range(1, len(seen_no) + 1)):
        raise RegisterError("measures must be numbered 1…N without gaps")
    responsible_en = {str(k): str(v) for k, v in (doc.get("responsible_en") or {}).items()}
    if responsible_en:
        unknown_units = {u for m in measures for u in m.responsible} - set(responsible_en)
        if unknown_units:
            raise RegisterError(f"responsible_en: no English for {sorted(unknown_units)}")
    return Register(str(doc["id"]), str(doc["label"]), str(doc["source"]),
                    str(doc.get("responsible_note", "")), tuple(measures),
                    doc.get("label_en"), doc.get("responsible_note_en"),
                    MappingProxyType(responsible_en))
