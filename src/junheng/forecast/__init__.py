"""Enrollment forecasting: grade-progression ratios, entry cohorts from births, reconciliation
of schools with counties, intervals calibrated on the model's own backtest.

Public entry points: ``forecast`` (projection table), ``run_backtest`` (accuracy report next to
the persistence and csr3 baselines) and ``project_dataset`` (a future year as a Dataset, for the
standards engine). See docs/forecast.md.
"""

from typing import Any

from junheng.domain.dataset import Dataset
from junheng.forecast.api import Forecast, forecast
from junheng.forecast.future import project_dataset
from junheng.forecast.options import ForecastError, ForecastOptions


def run_backtest(
    ds: Dataset, horizon: int, opts: ForecastOptions | None = None,
    origins: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Backtest report (see junheng.forecast.backtest.summary) for a dataset; ``origins``
    (first, last) limits the scores to those origin years."""
    from junheng.forecast.api import check_horizon
    from junheng.forecast.backtest import backtest
    from junheng.forecast.history import read_inputs

    check_horizon(horizon)
    return backtest(read_inputs(ds), horizon, opts or ForecastOptions(), origins)


__all__ = ["Forecast", "ForecastError", "ForecastOptions", "forecast", "project_dataset",
           "run_backtest"]
