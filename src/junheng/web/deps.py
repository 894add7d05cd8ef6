"""Typed dependencies the routes declare: settings, engine, data, language, the signed-in
user with a permission, and the CSRF check every state-changing request passes."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine

from junheng.web import security
from junheng.web.access import Permission, User, can_see_county, can_see_school
from junheng.web.i18n import LANGUAGES, Translator
from junheng.web.services.data import DataService
from junheng.web.services.views import school_county
from junheng.web.settings import Settings

LANG_COOKIE = "junheng_lang"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Every ?year= is bounded before anything looks at it; a year the data does not hold is a
# 404 (views.pick_year), never a page of its own in a cache.
YearQuery = Annotated[int | None, Query(ge=1900, le=2100)]
# Codes and ids in query strings: county codes are 6 digits, school ids 10.
CountyQuery = Annotated[str | None, Query(max_length=12)]
StageQuery = Annotated[str | None, Query(max_length=16)]


class LoginRequired(Exception):
    pass


class PasswordChangeRequired(Exception):
    pass


class Forbidden(Exception):
    pass


class CsrfFailed(Exception):
    pass


async def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def _engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


async def _data(request: Request) -> DataService:
    return request.app.state.data  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[Engine, Depends(_engine)]
DataDep = Annotated[DataService, Depends(_data)]


def language_of(request: Request) -> str:
    """``?lang=``, else the language cookie, else the site's default: for routes (through
    :func:`language`) and for the error pages alike."""
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if lang in LANGUAGES:
        return lang
    return request.app.state.settings.default_language  # type: ignore[no-any-return]


async def language(request: Request) -> str:
    return language_of(request)


async def translator(lang: Annotated[str, Depends(language)]) -> Translator:
    return Translator(lang)


LangDep = Annotated[str, Depends(language)]
TDep = Annotated[Translator, Depends(translator)]


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    session_id: str


async def optional_session(request: Request, engine: EngineDep, settings: SettingsDep
                     ) -> Session | None:
    cookie = request.cookies.get(security.SESSION_COOKIE)
    cached = security.cached_session(settings, cookie)
    if security.is_miss(cached):
        # The database lookup runs in the thread pool: never a network round trip on the
        # event loop that every other request of this worker waits behind.
        found = await run_in_threadpool(security.read_session, engine, settings, cookie)
    else:
        found = cached  # type: ignore[assignment]
    if found is None:
        return None
    session = Session(*found)
    request.state.session = session
    return session


OptionalSessionDep = Annotated[Session | None, Depends(optional_session)]


async def session_allowing_password_change(session: OptionalSessionDep) -> Session:
    if session is None:
        raise LoginRequired()
    return session


async def current_session(session: Annotated[Session, Depends(session_allowing_password_change)]
                    ) -> Session:
    if session.user.must_change_password:
        raise PasswordChangeRequired()
    return session


PendingSessionDep = Annotated[Session, Depends(session_allowing_password_change)]
SessionDep = Annotated[Session, Depends(current_session)]


async def current_user(session: SessionDep) -> User:
    return session.user


UserDep = Annotated[User, Depends(current_user)]


def require(*permissions: Permission):  # type: ignore[no-untyped-def]
    """A dependency that lets through only users holding every one of ``permissions``."""
    async def check(user: UserDep) -> User:
        return _holds(user, permissions)

    check.__name__ = "require_" + "_".join(p.value for p in permissions)
    return check


def _holds(user: User, permissions: tuple[Permission, ...]) -> User:
    if not all(user.can(p) for p in permissions):
        raise Forbidden()
    return user


def require_in_county(*permissions: Permission):  # type: ignore[no-untyped-def]
    """``require``, and the county of the path (``{code}``) within the user's reach. As a
    dependency it is judged before a form is parsed, so a user of another county is refused
    (403) whatever the form holds, rather than told the form is incomplete."""
    async def check(code: str, user: UserDep) -> User:
        check_county(_holds(user, permissions), code)
        return user

    check.__name__ = "require_" + "_".join(p.value for p in permissions) + "_in_county"
    return check


def require_for_school(*permissions: Permission):  # type: ignore[no-untyped-def]
    """``require``, and the school of the path (``{school_id}``) within the user's reach
    (judged before a form is parsed, like :func:`require_in_county`)."""
    async def check(school_id: str, data: DataDep, user: UserDep) -> User:
        check_school(_holds(user, permissions), data, school_id)
        return user

    check.__name__ = "require_" + "_".join(p.value for p in permissions) + "_for_school"
    return check


def check_county(user: User, county_code: str) -> None:
    if not can_see_county(user, county_code):
        raise Forbidden()


def check_school(user: User, data: DataService, school_id: str) -> None:
    if not can_see_school(user, school_id, school_county(data, school_id)):
        raise Forbidden()


async def verify_csrf(request: Request, session: OptionalSessionDep,
                      x_csrf_token: Annotated[str | None, Header()] = None,
                      content_type: Annotated[str, Header()] = "") -> None:
    """Synchronizer token: the session's token in a form field ``csrf_token`` or the
    ``X-CSRF-Token`` header (htmx). Before login, the token is compared with a cookie."""
    if request.method not in UNSAFE_METHODS:
        return
    given = x_csrf_token
    # The form is read only for a form post (a JSON body has no field to look in).
    if not given and content_type.startswith(("application/x-www-form-urlencoded",
                                               "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    expected = (session.csrf_token if session is not None
                else request.cookies.get(security.LOGIN_CSRF_COOKIE))
    if not security.tokens_match(expected, given):
        raise CsrfFailed()


def client_ip(request: Request) -> str:
    """The client's address. X-Forwarded-For is believed only when the connection comes from
    one of the configured ``trusted_proxies`` (none by default): then the right-most address
    in it that is not itself a trusted proxy is the client."""
    peer = request.client.host if request.client else "unknown"
    proxies = request.app.state.settings.trusted_proxies
    if not proxies or not _is_trusted(peer, tuple(proxies)):
        return peer
    forwarded = [p.strip() for h in request.headers.getlist("x-forwarded-for")
                 for p in h.split(",") if p.strip()]
    for hop in reversed(forwarded):
        if not _is_trusted(hop, tuple(proxies)):
            return _valid_ip(hop) or peer
    first = _valid_ip(forwarded[0]) if forwarded else None
    return first or peer


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def _is_trusted(address: str, proxies: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for p in proxies:
        try:
            if ip in ipaddress.ip_network(p, strict=False):
                return True
        except ValueError:
            continue
    return False
