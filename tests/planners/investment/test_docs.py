"""docs/planning.md names every setting of the cost and rotation files, every action kind and
every key of a plan's JSON; a new setting without documentation fails here."""

from __future__ import annotations

from pathlib import Path

import yaml

from junheng.planners.investment.costs import DEFAULT_COSTS_PATH
from junheng.planners.investment.plan import KIND_LABELS
from junheng.planners.teachers.rotation import DEFAULT_PARAMS_PATH

DOC = (Path(__file__).resolve().parents[3] / "docs" / "planning.md").read_text(encoding="utf-8")


def test_every_cost_setting_is_documented() -> None:
    raw = yaml.safe_load(DEFAULT_COSTS_PATH.read_text(encoding="utf-8"))
    missing = [f"{sect}.{key}" for sect in ("unit_costs", "limits", "budget_norms", "classroom", "new_campus")
               for key in raw[sect] if f"{sect}.{key}" not in DOC]
    missing += [f"solver.{k}" for k in ("cv_margin", "mip_rel_gap") if f"solver.{k}" not in DOC]
    assert not missing, missing


def test_every_rotation_setting_is_documented() -> None:
    raw = yaml.safe_load(DEFAULT_PARAMS_PATH.read_text(encoding="utf-8"))
    missing = [key for sect in ("eligibility", "limits") for key in raw[sect] if key not in DOC]
    assert not missing, missing


def test_every_action_kind_and_plan_key_is_documented() -> None:
    assert not [k for k in KIND_LABELS if f"`{k}`" not in DOC]
    for key in ("status", "total_cost_yuan", "gap", "actions", "budget_lines", "outside_plan",
                "unattainable", "check", "schedule", "before", "after", "what_if_no_limits",
                "new_campuses", "explanation_zh"):
        assert f"`{key}`" in DOC, key
    for command in ("junheng plan", "junheng rotate"):
        assert command in DOC
