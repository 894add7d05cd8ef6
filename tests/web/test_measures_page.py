"""The measures pages show the same statuses as ``junheng measures`` (one computation)."""

from __future__ import annotations

from junheng.supervision.status import STATUS_ZH, measure_statuses
from tests.web import tiny
from tests.web.conftest import Site


def test_city_grid_shows_every_county_and_the_cli_statuses(site: Site) -> None:
    page = site.login("city").get("/measures?year=2024").text
    assert 'id="measures-grid"' in page and "市委办发〔2024〕2号" in page
    result = measure_statuses(tiny.build(), 2024)
    grid = page.split('id="measures-grid"', 1)[1]
    rows = grid.split("<tr>")[2:]
    assert len(rows) == 30
    for row, ms in zip(rows, result.measures, strict=True):
        cells = [c.split(">", 1)[1].split("<", 1)[0]
                 for c in row.split('class="measure-cell')[1:]]
        want = [STATUS_ZH[ms.counties[cc].status] for cc in result.county_names]
        assert cells == [*want, STATUS_ZH[ms.city.status]]


def test_county_page_and_scope(site: Site) -> None:
    c = site.login("linze")
    r = c.get("/measures")
    assert r.status_code == 303 and r.headers["location"] == "/measures/620723"
    page = c.get("/measures/620723").text
    assert 'id="measure-30"' in page and "待上传佐证" in page
    assert c.get("/measures/620702").status_code == 403
    assert site.login("clerk").get("/measures").status_code == 403
    assert site.login("inspector").get("/measures/620702").status_code == 200
