"""The zones page says the solver's status in words and explains the map's colours (#13)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from junheng.demo import generate
from junheng.io.db import import_dataset, make_engine
from junheng.web.access import Role
from junheng.web.app import create_app
from junheng.web.database import prepare
from junheng.web.i18n import catalogue
from junheng.web.services.accounts import create_user
from junheng.web.settings import Settings
from tests.web.conftest import PASSWORD, login
from tests.web.test_no_raw_ids import visible_text

RAW = re.compile(r"\b(optimal|feasible|infeasible|unknown|Optimal|Infeasible)\b")


@pytest.fixture
def linze(db_url: str) -> Iterator[TestClient]:
    """The demo data (the tiny site has no coordinates, so no zones), as 临泽's staff."""
    engine = make_engine(db_url)
    prepare(engine)
    import_dataset(engine, generate(0))
    create_user(engine, "linze", PASSWORD, Role.COUNTY_ADMIN, county_code="620723",
                must_change_password=False)
    c = TestClient(create_app(Settings(database_url=db_url, secret_key="test-secret"), engine),
                   follow_redirects=False)
    assert login(c, "linze", PASSWORD).status_code == 303
    yield c
    engine.dispose()


def test_zones_page_status_in_words_and_legend(linze: TestClient) -> None:
    c = linze
    page = c.get("/zones", params={"county": "620723", "stage": "primary", "wait": "1"})
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "求解状态：" in text
    assert not RAW.findall(text), RAW.findall(text)
    assert "图例" in text and "菱形为学校" in text and "圆点为村/社区" in text
    # One swatch per school of the load table, for the script to colour like the map.
    assert page.text.count('class="swatch" data-i=') == page.text.count('href="/school/')
    en = c.get("/zones", params={"county": "620723", "stage": "primary", "wait": "1",
                                 "lang": "en"})
    assert "Legend" in en.text and "Solver status" in en.text


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("status", ["optimal", "feasible", "infeasible", "unknown", "current",
                                    "other"])
def test_every_solver_status_has_words(lang: str, status: str) -> None:
    words = catalogue(lang).get(f"zones.status_{status}")
    assert words and not RAW.fullmatch(words)
