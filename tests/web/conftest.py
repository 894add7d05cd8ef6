"""A fresh database per test (SQLite, and PostgreSQL through the shared ``db_url`` fixture),
with a small Zhangye dataset imported and one account per role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from junheng.io.db import import_dataset, make_engine
from junheng.web.access import Role
from junheng.web.app import create_app
from junheng.web.database import prepare
from junheng.web.services.accounts import create_user
from junheng.web.settings import Settings
from tests.web import tiny

PASSWORD = "correct-horse-42"

# username → (role, county, school)
ACCOUNTS: dict[str, tuple[Role, str | None, str | None]] = {
    "city": (Role.CITY_ADMIN, None, None),
    "inspector": (Role.INSPECTOR, None, None),
    "ganzhou": (Role.COUNTY_ADMIN, "620702", None),
    "linze": (Role.COUNTY_ADMIN, "620723", None),
    "clerk": (Role.SCHOOL_CLERK, None, "6207020001"),
    "parent": (Role.PARENT, None, None),
}


@dataclass
class Site:
    app: object
    engine: object
    settings: Settings

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)  # type: ignore[arg-type]

    def login(self, username: str, password: str = PASSWORD) -> TestClient:
        c = self.client()
        assert login(c, username, password).status_code == 303
        return c


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(c: TestClient, username: str, password: str):  # type: ignore[no-untyped-def]
    page = c.get("/login")
    return c.post("/login", data={"username": username, "password": password,
                                  "csrf_token": csrf_from(page.text)})


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 with minimal cost in tests: hashes are still real argon2id hashes, verified by
    the same code, but take a millisecond instead of a quarter second."""
    from argon2 import PasswordHasher

    from junheng.web import security

    saved = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = saved


@pytest.fixture
def site(db_url: str) -> Iterator[Site]:
    engine = make_engine(db_url)
    prepare(engine)
    import_dataset(engine, tiny.build())
    for name, (role, county, school) in ACCOUNTS.items():
        create_user(engine, name, PASSWORD, role, county_code=county, school_id=school,
                    must_change_password=False)
    settings = Settings(database_url=db_url, secret_key="test-secret", cache_ttl_seconds=300)
    app = create_app(settings, engine)
    yield Site(app, engine, settings)
    engine.dispose()
