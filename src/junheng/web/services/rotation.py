"""The teacher rotation list (交流轮岗, measure 16) for the web: the planner's result shaped for
the page and the Excel download, cached per county, year and parameters."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from junheng.domain.dataset import Dataset
from junheng.web.services import views
from junheng.web.services.data import DataService

# What staff may change on the page; everything else comes from the default parameters.
SHARES = (0.10, 0.12, 0.15)
MAX_KM_RANGE = (5.0, 200.0)


def rotation_key(county: str, year: int, share: float, max_km: float) -> tuple[Any, ...]:
    return ("rotation", county, year, share, max_km)


def rotation_view(data: DataService, county: str, year: int, share: float,
                  max_km: float) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        from junheng.planners.teachers import RotationError, rotate_teachers

        if county not in views.county_names(data):
            raise views.NotFound(county)
        try:
            plan = rotate_teachers(Dataset(dict(data.dataset().tables)), county, year,
                                   params={"limits": {"max_km": max_km}}, share=share)
        except RotationError as exc:
            return {"error": str(exc)}
        out = plan.to_json()
        out["share_asked"] = share
        out["max_km"] = max_km
        return out

    return data.memo(rotation_key(county, year, share, max_km), run)


def rotation_xlsx(view: dict[str, Any]) -> bytes:
    from junheng.reports.planning_xlsx import write_rotation_xlsx

    with tempfile.TemporaryDirectory(prefix="junheng-rotation-") as tmp:
        path = Path(tmp) / "rotation.xlsx"
        write_rotation_xlsx(view, path)
        return path.read_bytes()
