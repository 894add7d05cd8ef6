"""The 30 measures for the web: one computation per data version and year (the same
``measure_statuses`` the CLI and the Excel use), shaped for the city grid and a county."""

from __future__ import annotations

from junheng.domain.dataset import Dataset
from junheng.supervision.status import MeasuresResult, measure_statuses
from junheng.web.services.data import DataService


def measures(data: DataService, year: int) -> MeasuresResult:
    return data.memo(("measures", year),
                     lambda: measure_statuses(Dataset(dict(data.dataset().tables)), year))
