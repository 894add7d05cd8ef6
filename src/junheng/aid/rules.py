"""Strict loader of the student-aid eligibility rules (``data/student-aid.yaml``).

Program and category codes are checked against the field registry, so a rule cannot name a
program the awards table does not know; dated values go through the standards loader's rule
parser (source required, no overlapping periods).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from junheng.domain.fields import registry
from junheng.standards.loader import DatedValue, Rule, StandardError, _Ctx, _rule, read_yaml

_TOP_KEYS = {"id", "label", "label_en", "source", "stage_by_grade", "programs", "note"}
_PROGRAM_KEYS = {"values", "note"}
_VALUE_KEYS = {"stages", "locales", "all_of", "any_of"}
_CONDITION_KEYS = {"categories", "hardship_level_min", "disabled"}


class AidRuleError(StandardError):
    """An aid rule file that cannot be trusted."""


@dataclass(frozen=True)
class Condition:
    categories: tuple[str, ...] = ()
    hardship_level_min: int | None = None
    disabled: bool | None = None


@dataclass(frozen=True)
class Eligibility:
    stages: tuple[str, ...]
    locales: tuple[str, ...] | None
    all_of: Condition | None
    any_of: Condition | None


@dataclass(frozen=True)
class AidRules:
    id: str
    label: str
    source: str
    stage_by_grade: dict[str, tuple[int, int]]
    programs: dict[str, Rule]

    def at(self, program: str, day: dt.date) -> tuple[Eligibility, DatedValue] | None:
        """The eligibility of ``program`` in force on ``day`` (None: not in force)."""
        value = self.programs[program].at(day)
        if value is None:
            return None
        return _eligibility(value.value), value


def _condition(node: dict[str, Any] | None) -> Condition | None:
    if node is None:
        return None
    return Condition(categories=tuple(node.get("categories") or ()),
                     hardship_level_min=node.get("hardship_level_min"),
                     disabled=node.get("disabled"))


def _eligibility(value: dict[str, Any]) -> Eligibility:
    locales = value.get("locales")
    return Eligibility(stages=tuple(value["stages"]),
                       locales=tuple(locales) if locales is not None else None,
                       all_of=_condition(value.get("all_of")),
                       any_of=_condition(value.get("any_of")))


def _check_value(ctx: _Ctx, value: Any, path: str, stages: set[str]) -> None:
    node = ctx.keys(value, path, _VALUE_KEYS, {"stages"})
    reg = registry()
    for key, allowed in (("stages", stages), ("locales", set(reg.enums["locale"]))):
        if key in node:
            codes = node[key]
            if not isinstance(codes, list) or not codes or not set(codes) <= allowed:
                raise ctx.fail(f"{path}.{key}", f"expected a list of {sorted(allowed)}")
    for part in ("all_of", "any_of"):
        if part not in node:
            continue
        cond = ctx.keys(node[part], f"{path}.{part}", _CONDITION_KEYS)
        if not cond:
            raise ctx.fail(f"{path}.{part}", "empty condition / 条件为空")
        cats = cond.get("categories")
        if cats is not None and (not isinstance(cats, list)
                                 or not set(cats) <= set(reg.enums["aid_category"])):
            raise ctx.fail(f"{path}.{part}.categories",
                           f"unknown category; allowed {list(reg.enums['aid_category'])}")
        level = cond.get("hardship_level_min")
        if level is not None and (not isinstance(level, int) or isinstance(level, bool)):
            raise ctx.fail(f"{path}.{part}.hardship_level_min", "expected a whole number")
        if "disabled" in cond and cond["disabled"] is not True:
            raise ctx.fail(f"{path}.{part}.disabled", "only `disabled: true` is meaningful")


def parse_rules(doc: Any, file: str) -> AidRules:
    ctx = _Ctx(file)
    ctx.keys(doc, "(top)", _TOP_KEYS, {"id", "label", "source", "stage_by_grade", "programs"})
    ctx.text(doc["source"], "source")
    stages = set(registry().enums["stage"])
    sbg = ctx.keys(doc["stage_by_grade"], "stage_by_grade", stages)
    stage_by_grade: dict[str, tuple[int, int]] = {}
    for stage, rng in sbg.items():
        if (not isinstance(rng, list) or len(rng) != 2
                or not all(isinstance(x, int) for x in rng) or rng[0] > rng[1]):
            raise ctx.fail(f"stage_by_grade.{stage}", "expected [first grade, last grade]")
        stage_by_grade[stage] = (rng[0], rng[1])
    program_codes = set(registry().enums["aid_program"])
    raw = ctx.keys(doc["programs"], "programs", program_codes)
    programs: dict[str, Rule] = {}
    for pid, node in raw.items():
        path = f"programs.{pid}"
        ctx.keys(node, path, _PROGRAM_KEYS, {"values"})
        rule = _rule(ctx, pid, node, path, registry().enums["aid_program"][pid])
        assert rule is not None
        for i, v in enumerate(rule.values):
            _check_value(ctx, v.value, f"{path}.values[{i}].value", stages)
        programs[pid] = rule
    return AidRules(id=doc["id"], label=doc["label"], source=doc["source"],
                    stage_by_grade=stage_by_grade, programs=programs)


def load_rules_text(text: str, name: str = "<string>") -> AidRules:
    try:
        return parse_rules(read_yaml(text, name), name)
    except AidRuleError:
        raise
    except StandardError as exc:
        raise AidRuleError(str(exc)) from None


@cache
def aid_rules() -> AidRules:
    """The bundled aid rules."""
    res = resources.files("junheng.aid") / "data" / "student-aid.yaml"
    return load_rules_text(res.read_text(encoding="utf-8"), str(res))
