"""The FastAPI application: one router per resource, errors rendered as pages in the user's
language, security headers on every response."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Mapping
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from junheng.web import deps
from junheng.web.i18n import LANGUAGES, Translator
from junheng.web.limits import BodyLimit
from junheng.web.routers import (
    admin,
    admissions_family,
    admissions_staff,
    api,
    assets,
    auth,
    county,
    data,
    finance,
    measures,
    overview,
    planning,
    rotation,
    school,
)
from junheng.web.services import uploads
from junheng.web.services.data import DataService
from junheng.web.services.views import NotFound
from junheng.web.settings import Settings, get_settings
from junheng.web.templating import render

log = logging.getLogger("junheng.web")

# Page data travels as JSON in <script type="application/json">, so no inline script runs;
# ECharts and htmx set inline styles.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
       "form-action 'self'")


class SecurityHeaders:
    """Security headers on every response, and the language cookie when ``?lang=`` is given.
    Plain ASGI (not BaseHTTPMiddleware), so it adds next to nothing to each request."""

    def __init__(self, app: ASGIApp, cookie_secure: bool) -> None:
        self.app = app
        self.cookie_secure = cookie_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang = None
        query = scope.get("query_string", b"").decode("latin-1")
        for part in query.split("&"):
            if part.startswith("lang=") and part[5:] in LANGUAGES:
                lang = part[5:]

        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                # Pages, downloads and API answers may hold personal data or a signed-in
                # user's view: no browser or proxy may keep them. Only the static assets
                # (which set their own Cache-Control) may be cached.
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
                if lang:
                    secure = "; Secure" if self.cookie_secure else ""
                    headers.append("Set-Cookie", f"{deps.LANG_COOKIE}={lang}; Max-Age=31536000; "
                                   f"Path=/; HttpOnly; SameSite=Lax{secure}")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _purge_staged_uploads(engine: Engine, settings: Settings) -> None:
    """Staged uploads past their retention are deleted when a worker starts (and at each
    upload). A database not yet prepared has nothing to purge."""
    from sqlalchemy.exc import SQLAlchemyError

    from junheng.web.services.uploads import purge_expired

    with contextlib.suppress(SQLAlchemyError):
        purge_expired(engine, settings.upload_retention_hours)


_ERROR_KEYS = {400: "error.bad_request", 403: "error.forbidden", 404: "error.not_found",
               405: "error.method", 500: "error.server"}


async def _error_page(request: Request, code: int,
                      headers: Mapping[str, str] | None = None) -> Response:
    """The error page in the site's frame, with the signed-in user's navigation when there is
    a session (an unknown page is reached before any route has looked for one)."""
    if getattr(request.state, "session", None) is None:
        try:
            await deps.optional_session(request, request.app.state.engine,
                                        request.app.state.settings)
        except Exception:  # the error page must render even when the session store fails
            log.warning("no session for the error page", exc_info=True)
    key = _ERROR_KEYS.get(code, "error.generic")
    response = render(request, "error.html", Translator(deps.language_of(request)),
                      {"code": code, "message_key": key}, status_code=code)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    from junheng.web.database import make_engine

    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    app = FastAPI(title="均衡 Junheng", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(deps.verify_csrf)])
    app.state.settings = settings
    app.state.engine = engine
    app.state.data = DataService(engine, settings)
    app.state.upload_slots = threading.BoundedSemaphore(max(1, settings.upload_check_slots))
    uploads.CHECK_PROCESSES = max(1, settings.upload_check_slots)  # one process per slot
    _purge_staged_uploads(engine, settings)

    for module in (auth, overview, county, school, data, admin, api, planning, rotation,
                   finance, measures, assets, admissions_family, admissions_staff):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    # Inside the security headers, so the 413 page carries them too.
    app.add_middleware(BodyLimit, settings=settings, engine=engine)
    app.add_middleware(SecurityHeaders, cookie_secure=settings.cookie_secure)

    def _redirect(request: Request, to: str) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": to})
        return RedirectResponse(to, status_code=303)

    @app.exception_handler(deps.LoginRequired)
    async def login_required(request: Request, exc: Exception) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": "login required / 请先登录"}, status_code=401)
        nxt = request.url.path if request.method == "GET" else "/"
        return _redirect(request, f"/login?next={nxt}")

    @app.exception_handler(deps.PasswordChangeRequired)
    async def password_change(request: Request, exc: Exception) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": "password change required / 请先修改密码"},
                                status_code=403)
        return _redirect(request, "/account/password")

    @app.exception_handler(deps.Forbidden)
    async def forbidden(request: Request, exc: Exception) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": "forbidden / 无权访问"}, status_code=403)
        return render(request, "error.html", Translator(deps.language_of(request)),
                      {"code": 403, "message_key": "error.forbidden"}, status_code=403)

    @app.exception_handler(deps.CsrfFailed)
    async def csrf_failed(request: Request, exc: Exception) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": "CSRF token missing or wrong / 安全令牌无效"},
                                status_code=403)
        return render(request, "error.html", Translator(deps.language_of(request)),
                      {"code": 403, "message_key": "error.csrf"}, status_code=403)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: Exception) -> Response:
        # A parameter out of its bounds (?page=10^20, ?year=abc): a plain 400, never a 500.
        if _wants_json(request):
            return JSONResponse({"error": "bad request / 请求参数无效"}, status_code=400)
        return render(request, "error.html", Translator(deps.language_of(request)),
                      {"code": 400, "message_key": "error.bad_request"}, status_code=400)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: Exception) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": "not found / 未找到"}, status_code=404)
        return await _error_page(request, 404)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        # An unknown page, a wrong method, a route's own refusal: a page in the site's frame
        # (the API keeps answering JSON).
        assert isinstance(exc, StarletteHTTPException)
        if _wants_json(request):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code,
                                headers=exc.headers)
        return await _error_page(request, exc.status_code, exc.headers)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _wants_json(request):
            return JSONResponse({"error": "server error / 服务器错误"}, status_code=500)
        return await _error_page(request, 500)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return FileResponse(Path(__file__).parent / "static" / "favicon.svg",
                            media_type="image/svg+xml")

    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory junheng.web.app:app_from_env`` (several workers)."""
    return create_app()
