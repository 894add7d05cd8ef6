"""Category precedence as data (``data/precedence.yaml``), per county and school year.

Measure 12 of the policy gives 优抚对象 priority and 随迁子女 equal terms; the order of the other
classes is each county's own decision, published in its admissions notice. The order is data so
that a county's new notice is a YAML change. The loader is strict (unknown keys, a category
missing or listed twice, a rule without a source are errors), because a typo here would silently
change who gets a place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from junheng.domain.fields import registry
from junheng.domain.yaml_text import load_yaml

_RULE_KEYS = {"source", "date", "order", "note"}
_COUNTY_KEYS = _RULE_KEYS | {"county_code", "from_year"}


class RulesError(ValueError):
    """The precedence file is not what the loader understands."""


def categories() -> dict[str, str]:
    """admission_category code -> Chinese label, in the default precedence order."""
    return dict(registry().enums["admission_category"])


@dataclass(frozen=True)
class Precedence:
    """The order of categories in force for one county and year."""

    classes: tuple[tuple[str, ...], ...]
    source: str
    date: dt.date
    county_code: str | None  # None: the default of the spec
    from_year: int | None = None

    def rank(self, category: str) -> int:
        """0 for the highest class; categories of one class share a rank."""
        for i, members in enumerate(self.classes):
            if category in members:
                return i
        raise KeyError(category)

    @property
    def ranks(self) -> dict[str, int]:
        return {c: i for i, members in enumerate(self.classes) for c in members}

    def describe_zh(self) -> str:
        return self.describe("zh")

    def describe(self, lang: str) -> str:
        """The order as words: the registry's labels of the categories, highest first."""
        labels = categories()
        if lang == "en":
            labels = {**labels, **registry().enums_en.get("admission_category", {})}
        sep = ", " if lang == "en" else "、"
        return " > ".join(sep.join(labels[c] for c in members) for members in self.classes)


@dataclass(frozen=True)
class PrecedenceRules:
    default: Precedence
    counties: tuple[Precedence, ...]

    def for_county(self, county_code: str, year: int) -> Precedence:
        """The county's latest rule in force in ``year``; the default when it has none."""
        mine = [r for r in self.counties
                if r.county_code == county_code and (r.from_year or 0) <= year]
        if not mine:
            return self.default
        return max(mine, key=lambda r: r.from_year or 0)


def _rule(doc: Any, where: str, keys: set[str], county: bool) -> Precedence:
    if not isinstance(doc, dict):
        raise RulesError(f"{where}: expected a mapping")
    unknown = set(doc) - keys
    if unknown:
        raise RulesError(f"{where}: unknown keys {sorted(unknown)}")
    required = {"source", "date", "order"} | ({"county_code", "from_year"} if county else set())
    missing = required - set(doc)
    if missing:
        raise RulesError(f"{where}: missing {sorted(missing)}")
    if not str(doc["source"]).strip():
        raise RulesError(f"{where}: source is empty")
    date = doc["date"]
    if not isinstance(date, dt.date):
        try:
            date = dt.date.fromisoformat(str(date))
        except ValueError:
            raise RulesError(f"{where}: date {doc['date']!r} is not YYYY-MM-DD") from None
    order = doc["order"]
    if not isinstance(order, list) or not order:
        raise RulesError(f"{where}: order must be a non-empty list of classes")
    classes: list[tuple[str, ...]] = []
    seen: list[str] = []
    known = categories()
    for item in order:
        members = item if isinstance(item, list) else [item]
        for code in members:
            if code not in known:
                raise RulesError(f"{where}: unknown category {code!r}; known: {list(known)}")
            if code in seen:
                raise RulesError(f"{where}: category {code!r} is listed twice")
            seen.append(code)
        classes.append(tuple(members))
    absent = [c for c in known if c not in seen]
    if absent:
        raise RulesError(f"{where}: categories missing from the order: {absent}")
    county_code = str(doc["county_code"]) if county else None
    from_year = int(doc["from_year"]) if county else None
    return Precedence(tuple(classes), str(doc["source"]).strip(), date, county_code, from_year)


def parse_rules(doc: Any) -> PrecedenceRules:
    if not isinstance(doc, dict) or set(doc) - {"default", "counties"} or "default" not in doc:
        raise RulesError("precedence rules: expected keys 'default' and 'counties'")
    default = _rule(doc["default"], "default", _RULE_KEYS, county=False)
    counties: list[Precedence] = []
    seen: set[tuple[str, int]] = set()
    for i, item in enumerate(doc.get("counties") or []):
        rule = _rule(item, f"counties[{i}]", _COUNTY_KEYS, county=True)
        key = (rule.county_code or "", rule.from_year or 0)
        if key in seen:
            raise RulesError(f"counties[{i}]: a second rule for {key[0]} from {key[1]}")
        seen.add(key)
        counties.append(rule)
    return PrecedenceRules(default, tuple(counties))


def load_rules(text: str | None = None) -> PrecedenceRules:
    """The shipped rules, or those of ``text`` (YAML) when given."""
    if text is None:
        return shipped_rules()
    return parse_rules(load_yaml(text))


@cache
def shipped_rules() -> PrecedenceRules:
    text = resources.files("junheng.admissions").joinpath("data/precedence.yaml").read_text(
        "utf-8")
    return parse_rules(load_yaml(text))
