"""The action registry of the investment planner: what each kind of action is, read from
``data/actions.yaml`` (its variable, bounds, cost, the indicator it raises, labels, phasing).

Amounts (unit costs, limits) stay in the bureau's cost file; this registry names the key of each,
so the model, the read-back, the check, the schedule, the web page and the Excel workbook all
describe an action from one entry instead of parallel tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from junheng.domain.yaml_text import load_yaml
from junheng.planners.investment.costs import Costs

ACTIONS_PATH = Path(str(resources.files("junheng.planners.investment") / "data" / "actions.yaml"))
GROUPS = ("hire", "move", "stock", "classroom", "campus", "room")
_KEYS = {"id", "label", "label_en", "unit", "unit_en", "group", "indicator", "level", "variable", "cost",
         "limit", "model_unit", "integer", "building", "phase_step"}


class ActionRegistryError(ValueError):
    """actions.yaml is malformed (unknown key, unknown group, duplicate id)."""


@dataclass(frozen=True)
class Action:
    id: str
    label: str                 # Chinese
    label_en: str
    unit: str
    unit_en: str
    group: str                 # hire | move | stock | classroom | campus | room
    indicator: str | None      # indicator id of the standard this action raises
    level: str                 # "part" (school-stage) or "school" (whole-school stock)
    variable: str | None       # MILP variable prefix
    cost: str | None           # "unit_costs.<key>" or "budget_norms.<key>"
    limit: str | None          # key of the cost file's ``limits``
    model_unit: float
    integer: bool
    building: bool
    phase_step: float

    @property
    def in_model(self) -> bool:
        """Chosen by the least-cost MILP (the others are fixed before or after it)."""
        return self.group in ("hire", "move", "stock")

    def unit_cost(self, costs: Costs) -> float:
        """元 per unit of quantity (per m² for the rooms of g03, whose size the standard sets)."""
        if self.cost is None:
            raise ActionRegistryError(f"action {self.id} has no unit cost")
        section, key = self.cost.split(".", 1)
        table = costs.unit if section == "unit_costs" else costs.norms
        return float(table[key])

    def text(self, lang: str = "zh") -> str:
        return self.label_en if lang == "en" else self.label


def _parse(doc: Any) -> tuple[Action, ...]:
    if not isinstance(doc, dict) or not isinstance(doc.get("actions"), list):
        raise ActionRegistryError("actions.yaml: expected a mapping with a list `actions`")
    out: list[Action] = []
    for raw in doc["actions"]:
        unknown = set(raw) - _KEYS
        if unknown:
            raise ActionRegistryError(f"actions.yaml {raw.get('id')}: unknown keys {sorted(unknown)}")
        if raw["group"] not in GROUPS:
            raise ActionRegistryError(f"actions.yaml {raw['id']}: unknown group {raw['group']}")
        out.append(Action(
            id=str(raw["id"]), label=str(raw["label"]), label_en=str(raw["label_en"]),
            unit=str(raw["unit"]), unit_en=str(raw["unit_en"]), group=str(raw["group"]),
            indicator=raw.get("indicator"), level=str(raw["level"]), variable=raw.get("variable"),
            cost=raw.get("cost"), limit=raw.get("limit"), model_unit=float(raw["model_unit"]),
            integer=bool(raw["integer"]), building=bool(raw["building"]),
            phase_step=float(raw["phase_step"])))
    ids = [a.id for a in out]
    if len(set(ids)) != len(ids):
        raise ActionRegistryError("actions.yaml: duplicate action ids")
    return tuple(out)


@cache
def _registry() -> dict[str, Any]:
    with ACTIONS_PATH.open(encoding="utf-8") as fh:
        doc = load_yaml(fh)
    acts = _parse(doc)
    # The one label lookup (standards.labels) learns the actions' words from this registry, so
    # the web and the reports name an action the way the plan does.
    from junheng.standards import labels

    labels.register("action", {a.id: (a.label, a.label_en) for a in acts})
    labels.register("action_unit", {a.id: (a.unit, a.unit_en) for a in acts})
    return {"actions": acts, "limits": dict(doc.get("limits") or {})}


def actions() -> tuple[Action, ...]:
    """Every action kind, in the registry's order."""
    acts: tuple[Action, ...] = _registry()["actions"]
    return acts


def limit_label(key: str, lang: str = "zh") -> str:
    """The name of a limit of the cost file (``teaching_area_max_m2`` → 教学及辅助用房新建上限)."""
    entry = _registry()["limits"].get(key)
    if entry is None:
        return key
    return str(entry["label_en" if lang == "en" else "label"])


def action(kind: str) -> Action:
    for a in actions():
        if a.id == kind:
            return a
    raise KeyError(kind)


def labels(lang: str = "zh") -> dict[str, str]:
    """Action id → label (for the label lookup of the web and the reports)."""
    return {a.id: a.text(lang) for a in actions()}


def units(lang: str = "zh") -> dict[str, str]:
    return {a.id: (a.unit_en if lang == "en" else a.unit) for a in actions()}


def raising(indicator: str, group: str) -> Action:
    """The action of ``group`` that raises ``indicator``."""
    for a in actions():
        if a.indicator == indicator and a.group == group:
            return a
    raise KeyError((indicator, group))


def limit_for(costs: Costs, key: str, locale: str, school_id: str) -> float:
    """A school's limit ``key``: its own override, else the value for its locale (urban/town/
    rural), else the single county-wide value."""
    override = costs.school_limits.get(school_id, {})
    if key in override:
        return float(override[key])
    value = costs.limits[key]
    if isinstance(value, dict):
        return float(value.get(locale, max(value.values())))
    return float(value)


_registry()   # register the actions' labels as soon as the planner is imported
