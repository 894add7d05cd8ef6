"""Unit costs and per-school limits of the investment planner, read from a bureau-edited YAML.

The defaults live in ``data/costs-default.yaml``; a bureau's file overrides any subset of keys.
Unknown keys are errors: a misspelt limit silently ignored would give a plan that cannot be built.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from junheng.domain.yaml_text import load_yaml

DEFAULT_COSTS_PATH = Path(str(resources.files("junheng.planners.investment") / "data" / "costs-default.yaml"))


class CostsError(ValueError):
    """A cost file that cannot be used (unknown key, negative cost, bad type)."""


def _merge(base: dict[str, Any], over: dict[str, Any], path: str) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        where = f"{path}.{key}" if path else str(key)
        if path == "" and key == "school_limits":
            # Per-school overrides are keyed by school id, so they are taken whole, not merged.
            out[key] = copy.deepcopy(value) or {}
            continue
        if key not in base:
            raise CostsError(f"成本文件中有未知的键 {where} / unknown key {where} in the cost file")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise CostsError(f"{where} 应为映射 / {where} must be a mapping")
            out[key] = _merge(base[key], value, where)
        else:
            out[key] = value
    return out


_SCHOOL_LIMIT_KEYS = {
    "teaching_area_max_m2",
    "sports_area_max_m2",
    "multimedia_rooms_max",
    "equipment_max_yuan",
    "max_hires_per_school_kind",
}


@dataclass(frozen=True)
class Costs:
    raw: dict[str, Any]

    @property
    def unit(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.raw["unit_costs"].items()}

    @property
    def limits(self) -> dict[str, Any]:
        return dict(self.raw["limits"])

    @property
    def school_limits(self) -> dict[str, dict[str, float]]:
        return {str(k): dict(v) for k, v in (self.raw.get("school_limits") or {}).items()}

    @property
    def classroom_area_m2(self) -> float:
        return float(self.raw["classroom"]["area_m2"])

    @property
    def new_campus(self) -> dict[str, Any]:
        return dict(self.raw["new_campus"])

    @property
    def norms(self) -> dict[str, Any]:
        return dict(self.raw["budget_norms"])

    @property
    def solver(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.raw["solver"].items()}

    def with_school_limit(self, school_id: str, **limits: float) -> Costs:
        """A copy with one school's limits overridden (used by what-if runs and tests)."""
        raw = copy.deepcopy(self.raw)
        raw.setdefault("school_limits", {})
        raw["school_limits"] = dict(raw["school_limits"] or {})
        raw["school_limits"].setdefault(school_id, {}).update(limits)
        return load_costs(raw)


    def without_limits(self, keys: set[str], schools: dict[str, set[str]] | None = None,
                       value: float = 1e7) -> Costs:
        """A copy with the limits ``keys`` lifted everywhere, and ``schools`` (school id → keys)
        lifted at those schools only (for the "what would it take" run)."""
        raw = copy.deepcopy(self.raw)
        raw["school_limits"] = dict(raw.get("school_limits") or {})
        for key in keys:
            raw["limits"][key] = value
            for lim in raw["school_limits"].values():
                lim.pop(key, None)
        for sid, skeys in (schools or {}).items():
            raw["school_limits"].setdefault(sid, {}).update({k: value for k in skeys})
        return Costs(raw)


def _validate(raw: dict[str, Any]) -> None:
    for key, value in raw["unit_costs"].items():
        if not isinstance(value, (int, float)) or value < 0:
            raise CostsError(f"单位成本 {key} 必须为非负数 / unit cost {key} must be a non-negative number")
    nc = raw["new_campus"]
    seat = nc["seat_yuan"]
    if not isinstance(seat, dict) or any(not isinstance(v, (int, float)) or v < 0 for v in seat.values()):
        raise CostsError("new_campus.seat_yuan 应为各学段的非负金额 / must map stages to non-negative yuan")
    for key in ("fixed_yuan", "max_km", "offset_m"):
        if not isinstance(nc[key], (int, float)) or nc[key] < 0:
            raise CostsError(f"new_campus.{key} 必须为非负数 / must be a non-negative number")
    for sid, lim in (raw.get("school_limits") or {}).items():
        if not isinstance(lim, dict):
            raise CostsError(f"school_limits.{sid} 应为映射 / must be a mapping")
        unknown = set(lim) - _SCHOOL_LIMIT_KEYS
        if unknown:
            raise CostsError(
                f"school_limits.{sid} 有未知的键 {sorted(unknown)} / unknown keys {sorted(unknown)}"
            )


def load_costs(source: str | Path | dict[str, Any] | None = None) -> Costs:
    """Defaults overlaid with ``source`` (a path to YAML, or an already parsed mapping)."""
    with DEFAULT_COSTS_PATH.open(encoding="utf-8") as fh:
        base = load_yaml(fh)
    if source is None:
        over: dict[str, Any] = {}
    elif isinstance(source, dict):
        over = source
    else:
        with Path(source).open(encoding="utf-8") as fh:
            over = load_yaml(fh) or {}
        if not isinstance(over, dict):
            raise CostsError(f"{source}: 成本文件应为映射 / the cost file must be a mapping")
    raw = _merge(base, over, "")
    _validate(raw)
    return Costs(raw)
