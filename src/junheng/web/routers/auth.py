"""Sign in, sign out, change password, and the home redirect."""

from __future__ import annotations

import math
import secrets
from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from junheng.web import security
from junheng.web.access import home_path
from junheng.web.deps import (
    EngineDep,
    OptionalSessionDep,
    PendingSessionDep,
    SettingsDep,
    TDep,
    UserDep,
    client_ip,
)
from junheng.web.services import accounts, audit
from junheng.web.templating import render

router = APIRouter(tags=["auth"])


def _safe_next(nxt: str | None) -> str | None:
    # Only same-site paths, so the login form cannot be used as an open redirect.
    if not nxt or not nxt.startswith("/") or nxt.startswith("//"):
        return None
    parsed = urlparse(nxt)
    return None if parsed.netloc or parsed.scheme else nxt


def _login_page(request: Request, t: TDep, settings: SettingsDep, nxt: str | None,
                error: str | None = None, status_code: int = 200,
                username: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", t, {
        "login_csrf": token, "error": error, "username": username,
        "next": _safe_next(nxt) or ""}, status_code=status_code)
    response.set_cookie(security.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax",
                        secure=settings.cookie_secure, max_age=3600)
    return response


@router.get("/")
def home(session: OptionalSessionDep) -> Response:
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_path(session.user), status_code=303)


@router.get("/login")
def login_form(request: Request, t: TDep, settings: SettingsDep, session: OptionalSessionDep,
               next: Annotated[str | None, Query(max_length=2048)] = None) -> Response:
    if session is not None:
        return RedirectResponse(home_path(session.user), status_code=303)
    return _login_page(request, t, settings, next)


@router.post("/login")
def login(request: Request, t: TDep, settings: SettingsDep, engine: EngineDep,
          username: Annotated[str, Form(max_length=256)],
          password: Annotated[str, Form(max_length=1024)],
          next: Annotated[str, Form(max_length=2048)] = "") -> Response:
    ip = client_ip(request)
    client = security.client_key(settings, username, ip,
                                 request.cookies.get(security.DEVICE_COOKIE))
    result = accounts.authenticate(engine, settings, username, password, client)
    if result.user is None:
        # Counted, not written row by row: see audit.login_failed.
        audit.login_failed(engine, settings, username, ip, refused=result.failures == 0,
                           failures=result.failures)
        if result.locked:
            seconds = math.ceil(result.wait_seconds)
            error = t("login.locked", minutes=seconds // 60, seconds=seconds % 60)
        else:
            error = t("login.failed")
        # The page asks again with the same ``next`` (the form posts it; the URL has none).
        return _login_page(request, t, settings, next, error=error,
                           status_code=429 if result.locked else 401, username=username)
    cookie = security.create_session(engine, settings, result.user.id)
    audit.record(engine, result.user, "login", ip=ip)
    to = "/account/password" if result.user.must_change_password else (
        _safe_next(next) or home_path(result.user))
    response = RedirectResponse(to, status_code=303)
    response.set_cookie(security.SESSION_COOKIE, cookie, httponly=True, samesite="lax",
                        secure=settings.cookie_secure,
                        max_age=settings.session_lifetime_minutes * 60)
    # This browser is now known to this account: its own failed tries later are throttled
    # apart from anyone else's at the same address.
    response.set_cookie(security.DEVICE_COOKIE,
                        security.device_cookie(settings, result.user.username), httponly=True,
                        samesite="lax", secure=settings.cookie_secure, max_age=365 * 24 * 3600)
    response.delete_cookie(security.LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(session: PendingSessionDep, engine: EngineDep) -> Response:
    security.end_session(engine, session.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE)
    return response


@router.get("/account/password")
def password_form(request: Request, t: TDep, session: PendingSessionDep) -> Response:
    return render(request, "password.html", t, {"forced": session.user.must_change_password})


@router.post("/account/password")
def change_password(request: Request, t: TDep, engine: EngineDep, session: PendingSessionDep,
                    current: Annotated[str, Form()], new: Annotated[str, Form()],
                    confirm: Annotated[str, Form()]) -> Response:
    error = None
    if new != confirm:
        error = t("password.mismatch")
    else:
        try:
            accounts.change_password(engine, session.user, current, new)
        except accounts.AccountError as exc:
            error = exc.message_zh if t.lang == "zh" else exc.message_en
    if error:
        return render(request, "password.html", t,
                      {"forced": session.user.must_change_password, "error": error},
                      status_code=400)
    # Other sessions of this user end: whoever knew the old password is signed out.
    security.end_user_sessions(engine, session.user.id, keep=session.session_id)
    audit.record(engine, session.user, "password_changed", ip=client_ip(request))
    return RedirectResponse(home_path(session.user), status_code=303)


@router.get("/welcome")
def welcome(request: Request, t: TDep, user: UserDep) -> Response:
    return render(request, "welcome.html", t, {})
