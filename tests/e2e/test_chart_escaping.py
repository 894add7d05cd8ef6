"""Hostile school and area names in every chart, in a real browser: each tooltip of every
series is shown, and no name may become an element (issue 14, finding 7: an
``<img onerror>`` school name became a real element in a tooltip)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from junheng.demo import generate
from junheng.io.db import import_dataset, make_engine
from junheng.web.database import prepare
from junheng.web.services.accounts import create_user
from tests.e2e.server import serve
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e
PASSWORD = "zhangye-escaping-2027"
COUNTY = "620723"  # 临泽县: small, so its zones and plan are quick
PAYLOAD = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'

# Every tooltip of every chart on the page: returns how many were shown and their texts.
SHOW_ALL_TIPS = """() => {
  const texts = [];
  let shown = 0;
  document.querySelectorAll('.chart, [id$="-map"], [id$="-chart"], [id^="zones-"]')
    .forEach((el) => {
      const chart = echarts.getInstanceByDom(el);
      if (!chart) return;
      (chart.getOption().series || []).forEach((series, si) => {
        const n = Math.min((series.data || []).length, 400);
        for (let di = 0; di < n; di++) {
          chart.dispatchAction({ type: 'showTip', seriesIndex: si, dataIndex: di });
          shown++;
          el.querySelectorAll('div').forEach((d) => {
            if (d.style && d.style.position === 'absolute' && d.innerText) texts.push(d.innerText);
          });
        }
      });
    });
  return { shown, texts };
}"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("escaping")
    url = f"sqlite:///{tmp / 'junheng.sqlite'}"
    ds = generate()
    tables = dict(ds.tables)
    tables["schools"] = ds.table("schools").with_columns(
        pl.when(pl.col("county_code") == COUNTY)
        .then(pl.lit(PAYLOAD) + pl.col("school_id").str.slice(6))
        .otherwise(pl.col("school_name")).alias("school_name"))
    tables["areas"] = ds.table("areas").with_columns(
        pl.when(pl.col("county_code") == COUNTY)
        .then(pl.lit(PAYLOAD) + pl.col("area_id"))
        .otherwise(pl.col("area_name")).alias("area_name"))
    engine = make_engine(url)
    prepare(engine)
    import_dataset(engine, type(ds)(tables))
    create_user(engine, "city", PASSWORD, "city_admin", must_change_password=False)
    engine.dispose()
    return url


def test_hostile_names_stay_text_in_every_chart(browser, hostile_site: str,  # type: ignore[no-untyped-def]
                                                screenshots: Path) -> None:
    with serve(hostile_site) as base:
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page.set_default_timeout(90_000)
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text)
                if "Content Security Policy" in m.text else None)
        sign_in(page, base, "city", PASSWORD)
        page.wait_for_url("**/city")

        seen_payload = False
        pages = [("/city", "#city-map canvas"), (f"/county/{COUNTY}", "main"),
                 (f"/forecast?county={COUNTY}", "#forecast-chart canvas"),
                 (f"/zones?county={COUNTY}&stage=primary&wait=1", "#zones-proposed canvas"),
                 (f"/plans/{COUNTY}", "#plan-map canvas")]
        for path, ready in pages:
            page.goto(base + path)
            page.wait_for_selector(ready)
            page.wait_for_timeout(1500)  # the maps load their geojson first
            result = page.evaluate(SHOW_ALL_TIPS)
            assert page.locator('img[src="x"]').count() == 0, path
            assert page.evaluate("() => window.__xss") is None, path
            seen_payload = seen_payload or any("<img src=x" in t for t in result["texts"])
            if path.startswith("/zones"):
                assert result["shown"] > 0
                assert any("<img src=x" in t for t in result["texts"]), result["texts"][:5]
                page.screenshot(path=str(screenshots / "escaping-zones.png"))
        # The names were shown, as text, in the tooltips.
        assert seen_payload
        assert violations == [], violations
        page.close()
