"""Strict loader of the finance rules (``data/finance-guarantees.yaml``).

The same discipline as the standards: unknown or duplicate keys, bad dates, values without a
source and overlapping periods are refused with the file and key path, because a typo in a
rule file would silently change a verdict. The parsing of one dated rule is the standards
loader's, so both files obey the same rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from junheng.standards.loader import DatedValue, Rule, StandardError, _Ctx, _rule, read_yaml

RULE_IDS = ("budget_not_decreasing", "per_student_not_decreasing", "teacher_pay_parity",
            "public_funds_rates", "small_school_floor", "funds_follow_students")
CHECK_IDS = ("budget_not_decreasing", "per_student_not_decreasing", "teacher_pay_parity",
             "public_funds_norm", "funds_follow_students")
_TOP_KEYS = {"id", "label", "label_en", "source", "checks", "rules", "note"}
_LABEL_KEYS = {"label", "label_en"}
_RULE_KEYS = {"label", "label_en", "unit", "comparison", "values", "note"}
_RATE_KEYS = {"primary", "junior", "boarding_extra", "special", "disabled_regular_class"}
_SMALL_KEYS = {"min_students", "school_types", "locales"}
_FOLLOW_KEYS = {"programs"}


class FinanceRuleError(StandardError):
    """A finance rule file that cannot be trusted."""


@dataclass(frozen=True)
class FinanceRules:
    id: str
    label: str
    source: str
    rules: dict[str, Rule]
    labels: dict[str, tuple[str, str]]  # check id -> (zh, en)
    path: str = ""

    def at(self, rule_id: str, day: dt.date) -> DatedValue | None:
        """The value of ``rule_id`` in force on ``day`` (None: no rule in force then)."""
        return self.rules[rule_id].at(day)


def _check_value(ctx: _Ctx, rid: str, value: Any, path: str) -> None:
    """The shape each rule's value must have, so the checks never meet a surprise."""
    if rid in ("budget_not_decreasing", "per_student_not_decreasing", "teacher_pay_parity"):
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ctx.fail(path, "expected a non-negative amount / 应为非负金额")
    elif rid == "public_funds_rates":
        node = ctx.keys(value, path, _RATE_KEYS, _RATE_KEYS)
        for k, v in node.items():
            if not isinstance(v, int | float) or isinstance(v, bool) or v < 0:
                raise ctx.fail(f"{path}.{k}", "expected a non-negative amount / 应为非负金额")
    elif rid == "small_school_floor":
        node = ctx.keys(value, path, _SMALL_KEYS, _SMALL_KEYS)
        if not isinstance(node["min_students"], int) or node["min_students"] < 0:
            raise ctx.fail(f"{path}.min_students", "expected a whole number / 应为整数")
        for k in ("school_types", "locales"):
            if not isinstance(node[k], list) or not all(isinstance(x, str) for x in node[k]):
                raise ctx.fail(f"{path}.{k}", "expected a list of codes / 应为代码列表")
    elif rid == "funds_follow_students":
        node = ctx.keys(value, path, _FOLLOW_KEYS, _FOLLOW_KEYS)
        if not isinstance(node["programs"], list):
            raise ctx.fail(f"{path}.programs", "expected a list of programs / 应为资助项目列表")


def parse_rules(doc: Any, file: str) -> FinanceRules:
    ctx = _Ctx(file)
    ctx.keys(doc, "(top)", _TOP_KEYS, {"id", "label", "source", "checks", "rules"})
    ctx.text(doc["source"], "source")
    raw_checks = ctx.keys(doc["checks"], "checks", set(CHECK_IDS), set(CHECK_IDS))
    labels: dict[str, tuple[str, str]] = {}
    for cid in CHECK_IDS:
        node = ctx.keys(raw_checks[cid], f"checks.{cid}", _LABEL_KEYS, _LABEL_KEYS)
        labels[cid] = (ctx.text(node["label"], f"checks.{cid}.label"),
                       ctx.text(node["label_en"], f"checks.{cid}.label_en"))
    raw = ctx.keys(doc["rules"], "rules", set(RULE_IDS), set(RULE_IDS))
    rules: dict[str, Rule] = {}
    for rid in RULE_IDS:
        path = f"rules.{rid}"
        node = ctx.keys(raw[rid], path, _RULE_KEYS, {"label", "values"})
        rule = _rule(ctx, rid, node, path, node["label"])
        assert rule is not None
        for i, v in enumerate(rule.values):
            _check_value(ctx, rid, v.value, f"{path}.values[{i}].value")
        rules[rid] = rule
    return FinanceRules(id=doc["id"], label=doc["label"], source=doc["source"], rules=rules,
                        labels=labels, path=file)


def load_rules_text(text: str, name: str = "<string>") -> FinanceRules:
    try:
        return parse_rules(read_yaml(text, name), name)
    except FinanceRuleError:
        raise
    except StandardError as exc:
        raise FinanceRuleError(str(exc)) from None


@cache
def finance_rules() -> FinanceRules:
    """The bundled finance rules."""
    res = resources.files("junheng.finance") / "data" / "finance-guarantees.yaml"
    return load_rules_text(res.read_text(encoding="utf-8"), str(res))
