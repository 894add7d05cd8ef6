"""The county page says why a part fails and which schools drive a failing CV (issue 13),
on the demo data imported into each database backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from junheng.demo import generate
from junheng.io.db import import_dataset, make_engine
from junheng.web.access import Role
from junheng.web.app import create_app
from junheng.web.database import prepare
from junheng.web.services.accounts import create_user
from junheng.web.settings import Settings
from tests.web.conftest import PASSWORD, login
from tests.web.test_no_raw_ids import raw_ids, visible_text


@pytest.fixture
def sunan(db_url: str) -> Iterator[TestClient]:
    engine = make_engine(db_url)
    prepare(engine)
    import_dataset(engine, generate(0))
    create_user(engine, "sunan", PASSWORD, Role.COUNTY_ADMIN, county_code="620721",
                must_change_password=False)
    app = create_app(Settings(database_url=db_url, secret_key="test-secret"), engine)
    c = TestClient(app, follow_redirects=False)
    assert login(c, "sunan", PASSWORD).status_code == 303
    yield c
    engine.dispose()


def test_sunan_page_shows_causes_and_drivers(sunan: TestClient) -> None:
    page = sunan.get("/county/620721?year=2024")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "未达标的原因" in text
    assert "6 个学校学段（共 8 个）未达到“至少6项达标、其余不低于85%”的要求" in text
    # The sports-ground CV, its drivers: 红湾小学 below the mean, tiny township schools above.
    assert "小学 · 生均体育运动场馆面积：差异系数 1.167，上限 0.50" in text
    assert "肃南县红湾小学" in text and "肃南县马蹄乡中心小学" in text
    assert "↓ 低于" in text and "↑ 高于" in text
    assert "对差异系数的贡献" in text
    # What would fix it, with the amount per school and its unit.
    assert "怎样降到上限以内：" in text
    assert "补足 2 所学校的体育运动场馆，差异系数即由 1.167 降到 0.500（上限 0.50）" in text
    assert "肃南县红湾小学增加 28,706 m²（生均 11.38 → 45.04 m²）" in text
    section = page.text.split('id="causes"', 1)[1].split("</section>", 1)[0]
    assert not raw_ids(visible_text(section)), raw_ids(visible_text(section))
    en = sunan.get("/county/620721?year=2024&lang=en")
    assert en.status_code == 200
    assert "Why it is not met" in en.text and "6 of 8 school stages" in en.text
    assert "What would bring it under the limit:" in en.text
    assert "+28,706 m² (11.38 → 45.04 m² per student)" in en.text
