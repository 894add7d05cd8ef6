"""The teacher rotation list (交流轮岗, measure 16) for the web: the planner's result shaped for
the page and the Excel download, cached per county, year and parameters."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from junheng.domain.dataset import Dataset
from junheng.planners.teachers.rotation import RotationPlan
from junheng.planners.teachers.words import WORDS
from junheng.web.services import views
from junheng.web.services.data import DataService

# What staff may change on the page; everything else comes from the default parameters.
SHARES = (0.10, 0.12, 0.15)
MAX_KM_RANGE = (5.0, 200.0)


def rotation_key(county: str, year: int, share: float, max_km: float) -> tuple[Any, ...]:
    return ("rotation", county, year, share, max_km)


@dataclass(frozen=True)
class RotationView:
    """What the page and the download show: the planner's result with the parameters asked
    for, or why there is none (``error``, in the planner's bilingual words)."""

    plan: RotationPlan | None
    error: str | None
    share_asked: float
    max_km: float

    @property
    def teachers(self) -> int:
        """How many teachers the list names (what the audit log records)."""
        return self.plan.moves.height if self.plan is not None else 0

    @cached_property  # the view is cached per parameters; render its JSON once too
    def page(self) -> dict[str, Any]:
        """The plan's JSON rendering with the parameters asked for (empty when refused)."""
        if self.plan is None:
            return {}
        return {**self.plan.to_json(), "share_asked": self.share_asked, "max_km": self.max_km}

    def page_in(self, lang: str) -> dict[str, Any]:
        """The page's figures with the planner's reasons in ``lang``: ``explanation`` (the
        plan's, in order), each check's ``text``, each move's ``to_reason`` and each target
        school's ``reason`` (the JSON's own ``*_zh`` words are left as they are)."""
        if self.plan is None:
            return {}
        plan, page = self.plan, self.page
        return {**page, "explanation": plan.explanation_in(lang),
                "checks": [{**c, "text": r["reason"].words(WORDS, lang)}
                           for c, r in zip(page["checks"], plan.checks, strict=True)],
                "moves": [{**m, "to_reason": plan.target_reason_in(m["to_school_id"], m["stage"],
                                                                   lang)}
                          for m in page["moves"]],
                "target_schools": [{**s, "reason": plan.target_reason_in(s["school_id"],
                                                                         s["stage"], lang)}
                                   for s in page["target_schools"]]}


def rotation_view(data: DataService, county: str, year: int, share: float,
                  max_km: float) -> RotationView:
    def run() -> RotationView:
        from junheng.planners.teachers import RotationError, rotate_teachers

        if county not in views.county_names(data):
            raise views.NotFound(county)
        try:
            plan = rotate_teachers(Dataset(dict(data.dataset().tables)), county, year,
                                   params={"limits": {"max_km": max_km}}, share=share)
        except RotationError as exc:
            return RotationView(None, str(exc), share, max_km)
        return RotationView(plan, None, share, max_km)

    # A run whose solver ran out of time without a list is shown but not kept: it says more
    # about the machine's load at that moment than about the county.
    return data.memo(rotation_key(county, year, share, max_km), run,
                     keep=lambda view: view.plan is None or view.plan.status != "unknown")


def rotation_xlsx(view: RotationView, lang: str = "zh") -> bytes:
    from junheng.reports.planning_xlsx import write_rotation_xlsx

    with tempfile.TemporaryDirectory(prefix="junheng-rotation-") as tmp:
        path = Path(tmp) / "rotation.xlsx"
        write_rotation_xlsx(view.page_in(lang), path, lang)
        return path.read_bytes()
