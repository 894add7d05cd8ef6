"""The forecast page shows the backtest next to the forecast (issue #15): error by horizon of the
method, persistence and 3-year cohort survival in %, and the share of outcomes in the band, in
Chinese and without raw ids."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from junheng.demo import generate
from junheng.domain.dataset import Dataset
from junheng.web.i18n import Translator
from junheng.web.services import planning
from junheng.web.templating import templates


class _Data:
    """What ``planning.forecast_view`` reads of the data service: the dataset and its memo."""

    def __init__(self, ds: Dataset) -> None:
        self._ds = ds
        self._memo: dict[Any, Any] = {}

    def dataset(self) -> Dataset:
        return self._ds

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


@pytest.fixture(scope="module")
def data() -> _Data:
    return _Data(generate(0))


def _page(data: _Data, county: str | None, lang: str = "zh") -> tuple[planning.ForecastView, str]:
    v = planning.forecast_view(data, county)  # type: ignore[arg-type]
    html = templates.env.get_template("forecast.html").render(
        {"t": Translator(lang), "lang": lang, "user": None, "csrf_token": "",
         "path": "/forecast", "v": v, "choices": {}, "county_name": "甘州区" if county else None})
    return v, html


@pytest.mark.parametrize("county", [None, "620702"])
def test_backtest_beside_the_forecast(data: _Data, county: str | None) -> None:
    v, html = _page(data, county)
    rows = v.backtest
    # The demo holds 2019–2024: origins 2020–2023 give outcomes 1–4 years ahead.
    assert [r.h for r in rows] == [1, 2, 3, 4]
    assert [r.n for r in rows] == [4, 3, 2, 1]
    section = html[html.index('id="forecast-backtest"'):]
    section = section[:section.index("</section>")]
    assert "持续法" in section and "三年队列存活法" in section and "覆盖率" in section
    cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', section)
    assert len(cells) == 5 * len(rows)
    for r in rows:
        for key in ("method", "persistence", "csr3"):
            assert f"{getattr(r, key):,.2f}%" in cells, (key, r)
    assert "1 年后" in section
    visible = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)
    assert not re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", visible)
    assert "csr3" not in visible and "persistence" not in visible


def test_english_page_names_the_baselines(data: _Data) -> None:
    _, html = _page(data, None, "en")
    assert "3-year cohort survival" in html and "Persistence" in html
