"""Resolve a standard's dated rules for one evaluation date, with a bureau's overrides.

Every threshold the engine uses goes through :class:`ResolvedRules`, so each verdict can cite
the value, its document and clause, its period of validity, and whether a bureau replaced it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from junheng.standards.loader import DatedValue, Rule, Standard, _Ctx, _rule
from junheng.standards.results import RuleTrace

OVERRIDE_SOURCE = "参数覆盖 / bureau override"


def evaluation_date(year: int) -> dt.date:
    """School year ``year`` is judged as it stood at its start (students with 学籍 at the start
    of the school year), i.e. on 1 September."""
    return dt.date(year, 9, 1)


@dataclass(frozen=True)
class Resolved:
    rule: Rule
    dated: DatedValue | None
    value: Any
    overridden: bool = False

    def rule_trace(self) -> RuleTrace:
        d = self.dated
        return RuleTrace(
            rule=self.rule.id,
            label=self.rule.label,
            value=self.value,
            comparison=self.rule.comparison,
            unit=self.rule.unit,
            source=OVERRIDE_SOURCE if self.overridden and d is None else (d.source if d else None),
            clause=d.clause if d else None,
            effective_from=d.effective_from.isoformat() if d else None,
            effective_to=d.effective_to.isoformat() if d and d.effective_to else None,
            deadline=d.deadline if d else None,
            unverified=bool(d.unverified) if d else False,
            note=d.note if d else None,
            overridden=self.overridden,
        )

    def trace(self) -> dict[str, Any]:
        return self.rule_trace().to_json()


class ResolvedRules:
    """All rules of ``standard`` as they stand on ``as_of``; ``params`` maps rule ids to a new
    value (a number, or a mapping merged into a by-stage mapping) or to a list of dated values
    in the YAML form."""

    def __init__(self, standard: Standard, as_of: dt.date, params: Mapping[str, Any] | None = None):
        self.standard = standard
        self.as_of = as_of
        rules = standard.rules()
        params = dict(params or {})
        unknown = sorted(set(params) - set(rules))
        if unknown:
            raise ValueError(
                f"未知参数 / unknown parameter(s) {unknown}; 可覆盖 / overridable: {sorted(rules)}"
            )
        self._resolved: dict[str, Resolved] = {}
        for rid, rule in rules.items():
            dated = rule.at(as_of)
            if rid not in params:
                self._resolved[rid] = Resolved(rule, dated, dated.value if dated else None)
                continue
            override = params[rid]
            if isinstance(override, list):
                node = {"values": override}
                new_rule = _rule(_Ctx("params"), rid, node, f"params.{rid}", rule.label)
                assert new_rule is not None
                new_rule = Rule(rid, rule.label, new_rule.values, rule.label_en, rule.unit,
                                rule.comparison)
                nd = new_rule.at(as_of)
                self._resolved[rid] = Resolved(new_rule, nd, nd.value if nd else None, True)
                continue
            base = dated.value if dated else None
            if isinstance(override, Mapping) and isinstance(base, Mapping):
                value: Any = {**base, **override}
            else:
                value = override
            self._resolved[rid] = Resolved(rule, None, value, True)

    def value(self, rid: str) -> Any:
        return self._resolved[rid].value

    def require(self, rid: str) -> Any:
        r = self._resolved[rid]
        if r.value is None:
            raise ValueError(
                f"规则 {rid} 在 {self.as_of} 没有有效值 (标准 {self.standard.id} 尚未生效或已失效) / "
                f"rule {rid} has no value in force on {self.as_of}"
            )
        return r.value

    def resolved(self, rid: str) -> Resolved:
        return self._resolved[rid]

    def trace(self, rid: str) -> dict[str, Any]:
        return self._resolved[rid].trace()

    def rule_trace(self, rid: str) -> RuleTrace:
        return self._resolved[rid].rule_trace()

    def all_traces(self) -> dict[str, dict[str, Any]]:
        return {rid: r.trace() for rid, r in self._resolved.items()}

    def rule_traces(self) -> dict[str, RuleTrace]:
        """Every rule of the standard as it stands on ``as_of``, by rule id."""
        return {rid: r.rule_trace() for rid, r in self._resolved.items()}
