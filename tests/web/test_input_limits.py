"""Input that cannot take the site down or be stored untrue (issue #14.4, .8, .10, .17 and the
cross-field checks of #13): bodies capped as they arrive, checks off the event loop and
bounded, staged files purged, the edit form as strict as an import."""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from junheng.web import models
from junheng.web.app import create_app
from junheng.web.security import now
from junheng.web.services import uploads
from tests.io.test_input_bounds import dimension_bomb
from tests.web import tiny
from tests.web.conftest import Site, csrf_from
from tests.web.workbooks import WEAK_SCHOOL, write_fixed

SCHOOL = "6207020002"


def _asgi_post(app: object, path: str, chunks: int, chunk_bytes: int,
               headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """POST a streamed body straight into the ASGI app; (status, chunks the app pulled)."""
    pulled = 0
    status = 0

    # A well-formed multipart start, so the form parser keeps reading the (endless) file.
    preamble = (b'--zzz\r\nContent-Disposition: form-data; name="file"; filename="x.xlsx"\r\n'
                b"Content-Type: application/octet-stream\r\n\r\n")

    async def receive() -> dict:  # type: ignore[type-arg]
        nonlocal pulled
        if pulled >= chunks:
            return {"type": "http.disconnect"}
        pulled += 1
        body = b"x" * chunk_bytes if pulled > 1 else preamble + b"x" * chunk_bytes
        return {"type": "http.request", "body": body, "more_body": pulled < chunks}

    async def send(message: dict) -> None:  # type: ignore[type-arg]
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
             "server": ("testserver", 80),
             "headers": [(b"host", b"testserver"),
                         (b"content-type", b"multipart/form-data; boundary=zzz"), *headers]}
    # In a thread of its own: a browser test earlier in the session may leave an event loop
    # running in this one, and asyncio.run() refuses to nest.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()  # type: ignore[operator]
    return status, pulled


def test_anonymous_200_mb_post_is_refused_before_its_body_is_read(site: Site) -> None:
    size = 200 * 1024 * 1024
    status, pulled = _asgi_post(site.app, "/data/upload", chunks=size // 65536,
                                chunk_bytes=65536,
                                headers=[(b"content-length", str(size).encode())])
    assert status == 413 and pulled == 0
    # Without a declared length (chunked), bytes are counted as they come and refused past
    # the cap: a megabyte or so is read, not 200.
    status, pulled = _asgi_post(site.app, "/data/upload", chunks=size // 65536,
                                chunk_bytes=65536, headers=[])
    assert status == 413
    assert pulled * 65536 <= site.settings.request_max_bytes + 65536


def test_only_a_signed_in_importer_may_send_a_workbook_sized_body(site: Site,
                                                                   tmp_path: Path) -> None:
    big = b"\0" * (2 * 1024 * 1024)  # over request_max_bytes, under upload_max_bytes
    for who in ("parent", "inspector"):
        c = site.login(who)
        token = csrf_from(c.get("/account/password").text)
        r = c.post("/data/upload", headers={"X-CSRF-Token": token},
                   files={"file": ("x.xlsx", io.BytesIO(big))})
        assert r.status_code == 413, who
        assert "请求过大" in r.text and "Request too large" in r.text
    c = site.login("city")
    token = csrf_from(c.get("/data").text)
    r = c.post("/data/upload", headers={"X-CSRF-Token": token},
               files={"file": ("x.xlsx", io.BytesIO(big))})
    assert r.status_code == 303  # read and checked (and found not to be a workbook)
    # Any other route keeps the small cap, signed in or not.
    r = c.post(f"/school/{SCHOOL}/edit", headers={"X-CSRF-Token": token},
               data={"year": "2024", "x": "y" * (2 * 1024 * 1024)})
    assert r.status_code == 413


def test_upload_check_runs_off_the_event_loop_and_busy_is_a_clear_503(
        site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = uploads.stage

    def stage(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            asyncio.get_running_loop()
            seen.append(True)  # called on the event loop: everyone else waits
        except RuntimeError:
            seen.append(False)
        return real(*args, **kwargs)

    monkeypatch.setattr(uploads, "stage", stage)
    c = site.login("city")
    token = csrf_from(c.get("/data").text)
    workbook = write_fixed(tiny.build(), WEAK_SCHOOL, 2024, tmp_path / "fixed.xlsx")
    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": ("fixed.xlsx", workbook.read_bytes())})
    assert r.status_code == 303 and seen == [False]

    slots = site.app.state.upload_slots  # type: ignore[attr-defined]
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    try:
        r = c.post("/data/upload", data={"csrf_token": token},
                   files={"file": ("fixed.xlsx", workbook.read_bytes())})
        assert r.status_code == 503 and "服务器繁忙，请稍后重试" in r.text
        assert r.headers["retry-after"]
        assert seen == [False]  # refused at once, not queued
    finally:
        for _ in range(taken):
            slots.release()
    assert taken == site.settings.upload_check_slots


def test_dimension_bomb_upload_is_refused_with_a_clear_message(site: Site,
                                                               tmp_path: Path) -> None:
    bomb = dimension_bomb(tmp_path / "bomb.xlsx", bomb_sheet="rooms")
    c = site.login("city")
    token = csrf_from(c.get("/data").text)
    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": ("bomb.xlsx", bomb.read_bytes())}, follow_redirects=True)
    assert r.status_code == 200 and "有错误，未导入" in r.text


def _content(site: Site, upload_id: str) -> bytes:
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        return conn.execute(select(models.uploads.c.content)  # type: ignore[no-any-return]
                            .where(models.uploads.c.id == upload_id)).scalar_one()


def test_staged_files_are_purged_after_confirm_cancel_and_expiry(site: Site,
                                                                  tmp_path: Path) -> None:
    c = site.login("city")
    token = csrf_from(c.get("/data").text)
    workbook = write_fixed(tiny.build(), WEAK_SCHOOL, 2024, tmp_path / "fixed.xlsx")

    def upload(data: bytes, name: str = "fixed.xlsx") -> str:
        r = c.post("/data/upload", data={"csrf_token": token}, files={"file": (name, data)})
        assert r.status_code == 303
        return str(r.headers["location"].rsplit("/", 1)[-1])

    invalid = upload(b"junk")
    assert _content(site, invalid) == b""  # an invalid file is never kept

    confirmed = upload(workbook.read_bytes())
    assert _content(site, confirmed) != b""
    assert c.post(f"/data/uploads/{confirmed}/confirm",
                  data={"csrf_token": token}).status_code == 303
    assert _content(site, confirmed) == b""

    cancelled = upload(workbook.read_bytes())
    page = c.get(f"/data/uploads/{cancelled}").text
    assert 'id="cancel-upload"' in page
    r = c.post(f"/data/uploads/{cancelled}/cancel", data={"csrf_token": token},
               follow_redirects=True)
    assert r.status_code == 200 and "已取消" in r.text
    assert _content(site, cancelled) == b""
    assert c.post(f"/data/uploads/{cancelled}/confirm",
                  data={"csrf_token": token}).status_code == 400  # nothing left to import

    # Expiry: older than the retention, deleted at the next upload and when a worker starts.
    old = upload(workbook.read_bytes())
    with site.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(update(models.uploads).where(models.uploads.c.id == old).values(
            created_at=now() - timedelta(hours=site.settings.upload_retention_hours + 1)))
    fresh = upload(workbook.read_bytes())
    assert uploads.get(site.engine, old) is None  # type: ignore[arg-type]
    with site.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(update(models.uploads).where(models.uploads.c.id == fresh).values(
            created_at=now() - timedelta(hours=site.settings.upload_retention_hours + 1)))
    create_app(site.settings, site.engine)  # type: ignore[arg-type]
    assert uploads.get(site.engine, fresh) is None  # type: ignore[arg-type]
    # Someone else's upload cannot be cancelled.
    other = upload(workbook.read_bytes())
    g = site.login("ganzhou")
    g_token = csrf_from(g.get("/data").text)
    assert g.post(f"/data/uploads/{other}/cancel",
                  data={"csrf_token": g_token}).status_code == 403
    assert _content(site, other) != b""


@pytest.mark.parametrize("field, value, zh", [
    ("sections.primary.students", "1e400", "应为有限的数字"),
    ("sections.primary.students", "nan", "应为有限的数字"),
    ("sections.primary.students", "inf", "应为有限的数字"),
    ("sections.primary.students", "1000000000000000000", "不能大于50000"),
    ("facilities.teaching_area_m2", "1e400", "应为有限的数字"),
    ("facilities.sports_area_m2", "NaN", "应为有限的数字"),
    ("facilities.equipment_value_yuan", "1e300", "不能大于"),
    ("sections.primary.backbone_teachers", "500", "不能大于专任教师数"),
    ("sections.primary.classes", "100000", "不能大于1000"),
    ("sections.primary.classes", "900", "在校生数不能小于班级数"),
])
def test_edit_form_refuses_what_an_import_refuses(site: Site, field: str, value: str,
                                                  zh: str) -> None:
    c = site.login("ganzhou")
    token = csrf_from(c.get(f"/school/{SCHOOL}/edit?year=2024").text)
    before = c.get(f"/api/school/{SCHOOL}?year=2024").json()
    r = c.post(f"/school/{SCHOOL}/edit", data={"csrf_token": token, "year": "2024",
                                               field: value})
    assert r.status_code == 400, r.text[:500]
    assert zh in r.text and value in r.text
    assert c.get(f"/api/school/{SCHOOL}?year=2024").json() == before  # nothing stored


def test_backbone_teachers_above_all_teachers_is_never_stored(site: Site) -> None:
    """The example of issue #13: 500 backbone teachers at a school with 101 teachers."""
    c = site.login("ganzhou")
    token = csrf_from(c.get(f"/school/{SCHOOL}/edit?year=2024").text)
    r = c.post(f"/school/{SCHOOL}/edit", data={
        "csrf_token": token, "year": "2024", "sections.primary.teachers": "101",
        "sections.primary.backbone_teachers": "500"})
    assert r.status_code == 400
    assert "县级以上骨干教师数为500，专任教师数为101" in r.text
    ok = c.post(f"/school/{SCHOOL}/edit", data={
        "csrf_token": token, "year": "2024", "sections.primary.teachers": "101",
        "sections.primary.backbone_teachers": "23"})
    assert ok.status_code == 303
