"""The 30 measures for the web: one computation per data version, year and state of the
evidence (the same ``measure_statuses`` the CLI and the Excel use), shaped for the city grid
and a county."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from junheng.domain.dataset import Dataset
from junheng.supervision.status import MeasuresResult, measure_statuses
from junheng.web.services.data import DataService


def measures(data: DataService, year: int, engine: Engine | None = None) -> MeasuresResult:
    """With ``engine``, evidence indicators take the state of the county's newest upload."""
    from junheng.web.services import evidence

    states = evidence.states(engine, year) if engine is not None else {}
    key = tuple(sorted((k, v.status, v.reason) for k, v in states.items()))
    return data.memo(("measures", year, key),
                     lambda: measure_statuses(Dataset(dict(data.dataset().tables)), year,
                                              evidence=states))
