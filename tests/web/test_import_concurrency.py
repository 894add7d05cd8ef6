"""Imports take turns (issue 14, finding 5).

Before: on SQLite a confirm that met another writer failed with 500 "database is locked", and
the temporary key table it had made stayed on the pooled connection, so every later import on
that connection failed with 500 until the server restarted. Now an import waits for the other
one; if it waits too long it answers "请稍后重试 / try again" (503) and the upload stays ready;
and no temporary table outlives an import, whatever path it took.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from junheng.domain.dataset import Dataset
from junheng.io import db
from junheng.web.services import uploads
from tests.web import tiny
from tests.web.conftest import Site, csrf_from
from tests.web.workbooks import write_fixed


def _pooled_temp_tables(site: Site) -> list[str]:
    """Temporary import tables on every connection the pool holds (checked out at once, so
    each is a different connection)."""
    engine = site.engine
    held = [engine.connect() for _ in range(max(1, engine.pool.checkedin()))]  # type: ignore[attr-defined]
    try:
        return [name for conn in held for name in db.temp_tables(conn)]
    finally:
        for conn in held:
            conn.close()


@contextmanager
def _another_writer(site: Site, seconds: float,
                    until: threading.Event | None = None) -> Iterator[None]:
    """Something else holds the database for writing for ``seconds`` from entering the block
    (or, given ``until``, until that is set): on SQLite any writer (a raw connection in a write
    transaction), on PostgreSQL another import. It lets go on its own, as a real writer would,
    while requests are waiting."""
    url = str(site.engine.url)  # type: ignore[attr-defined]
    holding, done = threading.Event(), threading.Event()
    release = until or threading.Event()  # never set: the writer holds for ``seconds``

    def hold() -> None:
        if url.startswith("sqlite"):
            raw = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            raw.execute("BEGIN IMMEDIATE")
            holding.set()
            release.wait(seconds)
            raw.execute("ROLLBACK")
            raw.close()
        else:
            with db.import_transaction(site.engine):  # type: ignore[arg-type]
                holding.set()
                release.wait(seconds)
        done.set()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(30)
    try:
        yield
    finally:
        thread.join(60)
        assert done.is_set()


def _staged(site: Site, c: TestClient, path: Path) -> str:
    token = csrf_from(c.get("/data").text)
    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": (path.name, path.read_bytes())}, follow_redirects=True)
    assert 'id="confirm-import"' in r.text
    return r.url.path


def test_a_busy_database_means_try_again_not_500(site: Site, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "IMPORT_WAIT_SECONDS", 0.5)
    c = site.login("city")
    token = csrf_from(c.get("/data").text)
    first = _staged(site, c, write_fixed(tiny.build(), "6207230002", 2024, tmp_path / "a.xlsx"))
    # The other writer lets go once the import has given up, not after a fixed time: on a busy
    # machine the confirm (which checks the workbook again first) can take longer than any
    # fixed hold to reach the lock, and would then simply succeed. The request still has to
    # record the attempt afterwards, while the lock changes hands.
    gave_up = threading.Event()
    attempt = uploads.import_staged

    def observed(*args: Any, **kwargs: Any) -> Any:
        try:
            return attempt(*args, **kwargs)
        finally:
            gave_up.set()

    monkeypatch.setattr(uploads, "import_staged", observed)
    with _another_writer(site, seconds=120, until=gave_up):
        r = c.post(first + "/confirm", data={"csrf_token": token})
    assert r.status_code == 503, r.text[:300]
    assert r.headers["retry-after"]
    assert "另一项导入正在进行" in r.text and "请稍后" in r.text
    assert 'id="confirm-import"' in r.text  # the same upload can simply be confirmed again
    assert _pooled_temp_tables(site) == []
    # The lock is gone: the same confirm works, and so do later imports.
    assert c.post(first + "/confirm", data={"csrf_token": token}).status_code == 303
    second = _staged(site, c, write_fixed(tiny.build(), "6207020002", 2024, tmp_path / "b.xlsx"))
    assert c.post(second + "/confirm", data={"csrf_token": token}).status_code == 303
    assert _pooled_temp_tables(site) == []


def test_two_confirms_at_once_both_end_well(site: Site, tmp_path: Path) -> None:
    """Two clerks confirm while a third import holds the lock: both wait and both land."""
    clients = [site.login("city"), site.login("city")]
    token = [csrf_from(c.get("/data").text) for c in clients]
    paths = [_staged(site, clients[i], write_fixed(
        tiny.build(), school, 2024, tmp_path / f"{i}.xlsx"))
        for i, school in enumerate(("6207230002", "6207020002"))]
    status: list[int] = []

    def confirm(i: int) -> None:
        status.append(clients[i].post(paths[i] + "/confirm",
                                      data={"csrf_token": token[i]}).status_code)

    with _another_writer(site, seconds=1.5):
        threads = [threading.Thread(target=confirm, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.5)  # both are waiting for the lock now
        assert status == []
    for t in threads:
        t.join(timeout=60)
    assert sorted(status) == [303, 303]
    for i in range(2):
        assert "已导入" in clients[i].get(paths[i]).text
    assert _pooled_temp_tables(site) == []


def test_no_temporary_table_outlives_a_failed_import(site: Site) -> None:
    """An import that the database refuses half-way (after its key tables were made) leaves
    nothing behind on the connection, and the next import runs."""
    ds = db.load_dataset(site.engine)  # type: ignore[arg-type]
    counties = ds.table("counties")
    broken = Dataset({"counties": counties, "schools": ds.table("schools").with_columns(
        school_name=None)})  # NOT NULL in the database: refused after counties were replaced
    with pytest.raises(db.DatabaseWriteError):
        db.import_dataset(site.engine, broken)  # type: ignore[arg-type]
    assert _pooled_temp_tables(site) == []
    db.import_dataset(site.engine, Dataset({"counties": counties}))  # type: ignore[arg-type]
    assert _pooled_temp_tables(site) == []
