"""Request body limits, enforced as the bytes arrive (plain ASGI, before any route or form
parser sees the body), so an oversized POST is refused with 413 instead of being spooled to
disk first.

Every request may carry ``request_max_bytes``. Only a signed-in user who may import data,
posting to an upload route, may send a workbook (``upload_max_bytes`` plus the form's own
overhead): the session is checked from the cookie before a single body byte is read.
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import anyio.to_thread
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from junheng.web import security
from junheng.web.access import Permission, Role, User
from junheng.web.settings import Settings

UPLOAD_PATHS = frozenset({"/data/upload"})
# Proofs of the admissions portal: a signed-in family sends one photo or scan at a time.
PROOF_PATH = re.compile(r"^/family/applications/\d{1,12}/files$")
# Evidence for the measures: a county administrator sends one file with a note.
EVIDENCE_PATH = re.compile(r"^/measures/(\d{6})/evidence$")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Multipart boundaries, part headers and the CSRF field around the file itself.
FORM_OVERHEAD_BYTES = 64 * 1024


class _TooLarge(Exception):
    pass


def _page(limit: int) -> bytes:
    mb = limit / (1024 * 1024)
    size = f"{mb:.0f} MB" if mb >= 1 else f"{limit // 1024} KB"
    return (
        '<!doctype html><html lang="zh"><head><meta charset="utf-8">'
        "<title>请求过大 / Request too large</title></head><body>"
        f"<h1>请求过大</h1><p>提交的内容超过了允许的大小（{size}）。上传工作簿请先登录，"
        "并使用“数据填报与导入”页面。</p>"
        f"<p lang=\"en\">Request too large: the body exceeds the allowed {size}. Sign in and "
        "use the data import page to upload a workbook.</p></body></html>").encode()


async def _refuse(send: Send, limit: int) -> None:
    body = _page(limit)
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


def _session_cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is simply no session
                return None
            morsel = jar.get(security.SESSION_COOKIE)
            return morsel.value if morsel else None
    return None


class BodyLimit:
    def __init__(self, app: ASGIApp, settings: Settings, engine: Engine) -> None:
        self.app = app
        self.settings = settings
        self.engine = engine

    async def _session_user(self, scope: Scope) -> User | None:
        """The signed-in user of the request, read before a byte of its body is."""
        cookie = _session_cookie(scope)
        if not cookie:
            return None
        found = await anyio.to_thread.run_sync(
            security.read_session, self.engine, self.settings, cookie)
        return None if found is None else found[0]

    async def _is_family(self, scope: Scope) -> bool:
        user = await self._session_user(scope)
        return user is not None and user.role == Role.PARENT

    async def _may_submit_evidence(self, scope: Scope, county_code: str) -> bool:
        """Only the county's own administrator uploads its evidence."""
        user = await self._session_user(scope)
        if user is None:
            return False
        return (user.role == Role.COUNTY_ADMIN and user.county_code == county_code
                and not user.must_change_password)

    async def _may_upload(self, scope: Scope) -> bool:
        user = await self._session_user(scope)
        if user is None:
            return False
        return bool(user.can(Permission.IMPORT_DATA) and not user.must_change_password)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.settings.request_max_bytes
        if scope["path"] in UPLOAD_PATHS and await self._may_upload(scope):
            limit = max(limit, self.settings.upload_max_bytes + FORM_OVERHEAD_BYTES)
        elif PROOF_PATH.match(scope["path"]) and await self._is_family(scope):
            from junheng.web.services.admissions import FILE_MAX_BYTES

            limit = max(limit, FILE_MAX_BYTES + FORM_OVERHEAD_BYTES)
        elif ((m := EVIDENCE_PATH.match(scope["path"])) is not None
              and await self._may_submit_evidence(scope, m.group(1))):
            from junheng.web.services.evidence import FILE_MAX_BYTES as EVIDENCE_MAX

            limit = max(limit, EVIDENCE_MAX + FORM_OVERHEAD_BYTES)
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)  # not one byte of the body read
            return
        received = 0
        over = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _TooLarge()
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if over:
                return  # whatever the app makes of a cut-off body, the answer is 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _refuse(send, limit)
