"""Strict loader of the standards YAML (``standards/data/*.yaml``).

A standard is data: indicators, county items and parameters, each threshold a list of dated
values with the document it comes from. The loader refuses anything it does not understand —
an unknown key, a key written twice, a date that is not a real ISO date, a value without a
source, overlapping validity periods — and names the file and the key path, because a typo in a
rule file would otherwise silently change a verdict.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from junheng.domain.yaml_text import SafeLoader

COMPARISONS = ("ge", "le", "eq", "gt", "lt")
KINDS = ("enacted", "target")
METHODS = ("quality_2017", "basic_2012", "zhangye_targets", "preschool_2020")
PARTS = ("government", "quality", "recognition", "veto", "targets", "coverage", "care_quality")

_STANDARD_KEYS = {"id", "label", "label_en", "kind", "method", "source", "issued",
                  "effective_from", "effective_to", "note", "stages", "scope", "params",
                  "indicators", "items"}
_REQUIRED_STANDARD = {"id", "label", "kind", "method", "source", "effective_from", "stages"}
_SCOPE_KEYS = {"school_types", "ownership", "note"}
_RULE_KEYS = {"label", "label_en", "unit", "comparison", "values", "note"}
_VALUE_KEYS = {"effective_from", "effective_to", "value", "source", "clause", "unverified",
               "note", "deadline"}
_INDICATOR_KEYS = {"id", "label", "label_en", "numerator", "scale", "unit", "resource_label",
                   "resource_label_en", "resource_unit", "integer", "comparison", "values", "note"}
_ITEM_KEYS = {"id", "part", "label", "label_en", "veto", "checks", "note"}
_CHECK_KEYS = {"id", "measure", "comparison", "unit", "values", "note"}
_MEASURE_KEYS = {"flag", "column", "ratio", "computed", "count_stages"}


class StandardError(ValueError):
    """A standards file that cannot be trusted; the message names the file and the key."""


@dataclass(frozen=True)
class DatedValue:
    """One value of a rule over a period, with the document that sets it."""

    effective_from: dt.date
    effective_to: dt.date | None
    value: Any
    source: str
    clause: str | None = None
    unverified: bool = False
    note: str | None = None
    deadline: int | None = None

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True)
class Rule:
    """A named, dated parameter: a threshold, a limit, a weight table. ``id`` is the key a
    bureau uses to override it through the engine's ``params``."""

    id: str
    label: str
    values: tuple[DatedValue, ...]
    label_en: str | None = None
    unit: str | None = None
    comparison: str | None = None

    def at(self, day: dt.date) -> DatedValue | None:
        for v in self.values:
            if v.covers(day):
                return v
        return None

    def next_after(self, day: dt.date) -> DatedValue | None:
        later = [v for v in self.values if v.effective_from > day]
        return min(later, key=lambda v: v.effective_from) if later else None


@dataclass(frozen=True)
class Indicator:
    """A per-school resource indicator: value = numerator resource × scale ÷ students."""

    id: str
    label: str
    numerator: str
    scale: float
    unit: str
    resource_label: str
    resource_unit: str
    label_en: str | None = None
    # What the school lacks, in English words that read after the amount, unit included
    # ("+5 networked multimedia classrooms", "+640 m² of teaching and auxiliary floor area").
    resource_label_en: str | None = None
    integer: bool = False
    rule: Rule | None = None


@dataclass(frozen=True)
class Check:
    id: str
    measure: Mapping[str, Any]
    rule: Rule


@dataclass(frozen=True)
class Item:
    """A county-level item (g01…g15, q01…q09, recognition, veto, local targets)."""

    id: str
    part: str
    label: str
    checks: tuple[Check, ...]
    label_en: str | None = None
    veto: bool = False


@dataclass(frozen=True)
class Scope:
    school_types: tuple[str, ...]
    ownership: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True)
class Standard:
    id: str
    label: str
    kind: str
    method: str
    source: str
    effective_from: dt.date
    stages: tuple[str, ...]
    scope: Scope
    params: dict[str, Rule] = field(default_factory=dict)
    indicators: tuple[Indicator, ...] = ()
    items: tuple[Item, ...] = ()
    label_en: str | None = None
    issued: dt.date | None = None
    effective_to: dt.date | None = None
    note: str | None = None
    path: str = ""

    def rules(self) -> dict[str, Rule]:
        """Every overridable rule by id: parameters, indicator thresholds, item checks."""
        out: dict[str, Rule] = dict(self.params)
        for ind in self.indicators:
            if ind.rule is not None:
                out[ind.id] = ind.rule
        for item in self.items:
            for chk in item.checks:
                out[chk.rule.id] = chk.rule
        return out

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)


# --------------------------------------------------------------------------------------------
# YAML reading: duplicate keys are an error, and dates stay strings so that we parse them
# strictly ourselves (PyYAML would turn 2017-02-30 into a bare ValueError without a location).


class _StrictLoader(SafeLoader):  # type: ignore[misc]  # libyaml where present
    pass


_StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode,
                       deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in out:
            line = key_node.start_mark.line + 1
            raise StandardError(f"{key_node.start_mark.name}:{line}: duplicate key '{key}' / 重复的键")
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Named(io.StringIO):
    """Text with a file name: libyaml's parser names its error marks after ``stream.name``."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name


def read_yaml(text: str, name: str) -> Any:
    loader = _StrictLoader(_Named(text, name))
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise StandardError(f"{name}: invalid YAML: {exc}") from exc
    finally:
        loader.dispose()


# --------------------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> StandardError:
        return StandardError(f"{self.file}: {path}: {message}")

    def keys(self, node: Any, path: str, allowed: set[str],
             required: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise self.fail(path, f"expected a mapping, got {type(node).__name__} / 应为键值映射")
        unknown = set(node) - allowed
        if unknown:
            raise self.fail(path, f"unknown key(s) {sorted(map(str, unknown))} / 未知的键")
        missing = required - set(node)
        if missing:
            raise self.fail(path, f"missing key(s) {sorted(missing)} / 缺少必需的键")
        return node

    def date(self, raw: Any, path: str) -> dt.date:
        if isinstance(raw, dt.date):
            return raw
        try:
            text = str(raw)
            if len(text) != 10:
                raise ValueError(text)
            return dt.date.fromisoformat(text)
        except ValueError:
            raise self.fail(path, f"bad date {raw!r}, expected YYYY-MM-DD / 日期无效") from None

    def text(self, raw: Any, path: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise self.fail(path, "expected non-empty text / 应为非空文本")
        return raw


def _rule(ctx: _Ctx, rid: str, node: dict[str, Any], path: str, label: str,
          allow_empty: bool = False) -> Rule | None:
    raw_values = node.get("values")
    if raw_values is None:
        if allow_empty:
            return None
        raise ctx.fail(path, "missing key(s) ['values'] / 缺少必需的键")
    if not isinstance(raw_values, list) or not raw_values:
        raise ctx.fail(f"{path}.values", "expected a non-empty list / 应为非空列表")
    comparison = node.get("comparison")
    if comparison is not None and comparison not in COMPARISONS:
        raise ctx.fail(f"{path}.comparison", f"unknown comparison {comparison!r}, expected one of {COMPARISONS}")
    values: list[DatedValue] = []
    for i, raw in enumerate(raw_values):
        vpath = f"{path}.values[{i}]"
        ctx.keys(raw, vpath, _VALUE_KEYS, {"effective_from", "value"})
        if "source" not in raw or not isinstance(raw["source"], str) or not raw["source"].strip():
            raise ctx.fail(vpath, "value without a source / 数值缺少出处 (source)")
        start = ctx.date(raw["effective_from"], f"{vpath}.effective_from")
        end = ctx.date(raw["effective_to"], f"{vpath}.effective_to") if raw.get("effective_to") is not None else None
        if end is not None and end < start:
            raise ctx.fail(vpath, "effective_to before effective_from / 失效日期早于生效日期")
        if raw.get("unverified") and not raw.get("note"):
            raise ctx.fail(vpath, "an unverified value needs a note / 待核数值须附说明 (note)")
        deadline = raw.get("deadline")
        if deadline is not None and not isinstance(deadline, int):
            raise ctx.fail(f"{vpath}.deadline", "expected a year / 应为年份")
        values.append(DatedValue(
            effective_from=start, effective_to=end, value=raw["value"], source=raw["source"],
            clause=raw.get("clause"), unverified=bool(raw.get("unverified", False)),
            note=raw.get("note"), deadline=deadline,
        ))
    values.sort(key=lambda v: v.effective_from)
    for a, b in zip(values, values[1:], strict=False):
        if a.effective_to is None or a.effective_to >= b.effective_from:
            raise ctx.fail(f"{path}.values", f"periods overlap at {b.effective_from} / 有效期重叠")
    return Rule(id=rid, label=label, values=tuple(values), label_en=node.get("label_en"),
                unit=node.get("unit"), comparison=comparison)


def parse_standard(doc: Any, file: str) -> Standard:
    ctx = _Ctx(file)
    ctx.keys(doc, "(top)", _STANDARD_KEYS, _REQUIRED_STANDARD)
    if doc["kind"] not in KINDS:
        raise ctx.fail("kind", f"expected one of {KINDS}")
    if doc["method"] not in METHODS:
        raise ctx.fail("method", f"expected one of {METHODS}")
    ctx.text(doc["source"], "source")
    seen: set[str] = set()

    def unique(rid: str, path: str) -> None:
        if rid in seen:
            raise ctx.fail(path, f"duplicate id '{rid}' / 重复的标识")
        seen.add(rid)

    scope_raw = ctx.keys(doc.get("scope", {}), "scope", _SCOPE_KEYS, {"school_types", "ownership"})
    scope = Scope(tuple(scope_raw["school_types"]), tuple(scope_raw["ownership"]), scope_raw.get("note"))

    params: dict[str, Rule] = {}
    for pid, node in (doc.get("params") or {}).items():
        path = f"params.{pid}"
        ctx.keys(node, path, _RULE_KEYS, {"label", "values"})
        unique(pid, path)
        rule = _rule(ctx, pid, node, path, node["label"])
        assert rule is not None
        params[pid] = rule

    indicators: list[Indicator] = []
    for i, node in enumerate(doc.get("indicators") or []):
        path = f"indicators[{i}]"
        ctx.keys(node, path, _INDICATOR_KEYS,
                 {"id", "label", "numerator", "scale", "unit", "resource_label", "resource_unit"})
        path = f"indicators.{node['id']}"
        unique(node["id"], path)
        rule = _rule(ctx, node["id"], node, path, node["label"], allow_empty=True)
        indicators.append(Indicator(
            id=node["id"], label=node["label"], numerator=node["numerator"],
            scale=float(node["scale"]), unit=node["unit"], resource_label=node["resource_label"],
            resource_unit=node["resource_unit"], label_en=node.get("label_en"),
            resource_label_en=node.get("resource_label_en"), integer=bool(node.get("integer", False)), rule=rule,
        ))

    items: list[Item] = []
    for i, node in enumerate(doc.get("items") or []):
        path = f"items[{i}]"
        ctx.keys(node, path, _ITEM_KEYS, {"id", "part", "label", "checks"})
        path = f"items.{node['id']}"
        unique(node["id"], path)
        if node["part"] not in PARTS:
            raise ctx.fail(f"{path}.part", f"expected one of {PARTS}")
        checks: list[Check] = []
        for j, cnode in enumerate(node["checks"] or []):
            cpath = f"{path}.checks[{j}]"
            ctx.keys(cnode, cpath, _CHECK_KEYS, {"id", "measure", "comparison", "values"})
            measure = ctx.keys(cnode["measure"], f"{cpath}.measure", _MEASURE_KEYS)
            kinds = [k for k in ("flag", "column", "ratio", "computed") if k in measure]
            if len(kinds) != 1:
                raise ctx.fail(f"{cpath}.measure", "exactly one of flag/column/ratio/computed / 须且仅须一种度量")
            if "ratio" in measure and (not isinstance(measure["ratio"], list) or len(measure["ratio"]) != 2):
                raise ctx.fail(f"{cpath}.measure.ratio", "expected [numerator, denominator]")
            rid = f"{node['id']}.{cnode['id']}"
            unique(rid, cpath)
            rule = _rule(ctx, rid, cnode, cpath, node["label"])
            assert rule is not None
            checks.append(Check(id=cnode["id"], measure=measure, rule=rule))
        if not checks:
            raise ctx.fail(f"{path}.checks", "an item needs at least one check / 至少一项检查")
        items.append(Item(id=node["id"], part=node["part"], label=node["label"],
                          checks=tuple(checks), label_en=node.get("label_en"),
                          veto=bool(node.get("veto", False))))

    return Standard(
        id=doc["id"], label=doc["label"], kind=doc["kind"], method=doc["method"],
        source=doc["source"], effective_from=ctx.date(doc["effective_from"], "effective_from"),
        stages=tuple(doc["stages"]), scope=scope, params=params, indicators=tuple(indicators),
        items=tuple(items), label_en=doc.get("label_en"),
        issued=ctx.date(doc["issued"], "issued") if doc.get("issued") else None,
        effective_to=ctx.date(doc["effective_to"], "effective_to") if doc.get("effective_to") else None,
        note=doc.get("note"), path=file,
    )


def load_standard_file(path: str | Path) -> Standard:
    p = Path(path)
    return parse_standard(read_yaml(p.read_text(encoding="utf-8"), str(p)), str(p))


def load_standard_text(text: str, name: str = "<string>") -> Standard:
    return parse_standard(read_yaml(text, name), name)


def _data_dir() -> Any:
    return resources.files("junheng.standards") / "data"


@cache
def standard_ids() -> tuple[str, ...]:
    return tuple(sorted(p.name.removesuffix(".yaml") for p in _data_dir().iterdir()
                        if p.name.endswith(".yaml")))


@cache
def load_standard(standard_id: str) -> Standard:
    """The bundled standard ``standard_id`` (e.g. ``quality-balance-2017``)."""
    if standard_id not in standard_ids():
        raise KeyError(f"未知的评估标准 / unknown standard: {standard_id} (可选 / choose from: {', '.join(standard_ids())})")
    res = _data_dir() / f"{standard_id}.yaml"
    std = parse_standard(read_yaml(res.read_text(encoding="utf-8"), str(res)), str(res))
    if std.id != standard_id:
        raise StandardError(f"{res}: id '{std.id}' does not match the file name")
    return std
