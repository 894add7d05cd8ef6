"""Zones drawn as the areas' outlines when the data has them (issue 13), on the real Baltimore
County 2015 case (../shared/data/real/bcps_redistricting): its 182 planning blocks carry their
polygons in ``areas.geometry`` (181: one is a sliver with no area and stays a point). In Debian
chromium both maps of the zones page hold one region per outlined block, coloured by its school,
and the legend says so. Screenshot: test-output/screenshots/zones-outlines-1440.png."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from junheng.io.db import import_dataset, make_engine
from junheng.web.database import prepare
from junheng.web.services.accounts import create_user
from tests.e2e.server import serve
from tests.e2e.steps import sign_in
from tests.planners.zones.bcps import COUNTY, load

pytestmark = pytest.mark.e2e
PASSWORD = "patapsco-outline-2015"

# What each map drew: its regions, and how many differently coloured ones.
REGIONS = """(id) => {
  const opt = echarts.getInstanceByDom(document.getElementById(id)).getOption();
  const regions = opt.geo[0].regions || [];
  return {map: opt.geo[0].map, regions: regions.length,
          colours: new Set(regions.map(r => r.itemStyle.areaColor)).size};
}"""


@pytest.fixture(scope="module")
def bcps_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('bcps') / 'junheng.sqlite'}"
    ds, _ = load()
    # The case gives no locale or enrolment per school; the database requires both (the
    # zones use the blocks' pupils, never these).
    ds = ds.with_table("schools", ds.table("schools").with_columns(locale=pl.lit("urban")))
    ds = ds.with_table("sections", ds.table("sections").with_columns(students=pl.lit(0)))
    engine = make_engine(url)
    prepare(engine)
    import_dataset(engine, ds)
    create_user(engine, "baltimore", PASSWORD, "city_admin", must_change_password=False)
    engine.dispose()
    return url


def test_zones_page_draws_area_outlines(browser, bcps_db: str, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    ds, _ = load()
    outlined = ds.table("areas")["geometry"].drop_nulls().len()
    assert outlined == 181
    with serve(bcps_db) as base:
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        page.set_default_timeout(120_000)  # the solver runs on first visit; shared CI machine
        sign_in(page, base, "baltimore", PASSWORD)
        page.goto(f"{base}/zones?county={COUNTY}&stage=primary&year=2015")
        page.wait_for_selector("#zones-proposed canvas")
        page.wait_for_function(
            "() => { const c = echarts.getInstanceByDom(document.getElementById('zones-proposed'));"
            " return c && c.getOption().geo && c.getOption().geo.length; }")
        page.screenshot(path=str(screenshots / "zones-outlines-1440.png"), full_page=True)
        for chart in ("zones-current", "zones-proposed"):
            drawn = page.evaluate(REGIONS, chart)
            assert drawn["map"].startswith("areas-"), drawn
            assert drawn["regions"] == outlined, drawn
            assert drawn["colours"] >= 10, drawn  # one colour per school (16 schools)
        assert "色块为片区边界（181 个片区）" in page.inner_text("#zone-legend")
        page.close()
