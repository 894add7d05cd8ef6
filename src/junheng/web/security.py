"""Passwords, sessions, CSRF tokens and login throttling, all kept in the database so any
worker behind a load balancer can serve any request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, bindparam, delete, func, insert, select
from sqlalchemy.engine import Engine

from junheng.web import models
from junheng.web.access import Role, User
from junheng.web.settings import Settings

SESSION_COOKIE = "junheng_session"
LOGIN_CSRF_COOKIE = "junheng_login_csrf"

_hasher = PasswordHasher()
_dummy: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so the answer takes as long as
    for a real account and does not reveal which usernames exist."""
    key = id(_hasher)
    if key not in _dummy:
        _dummy[key] = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy[key]

MIN_PASSWORD_LENGTH = 10


def now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime) -> datetime:
    # SQLite returns naive datetimes even for timezone-aware columns.
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str, username: str) -> tuple[str, str] | None:
    """Why a new password is not acceptable, in Chinese and English, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (f"密码至少 {MIN_PASSWORD_LENGTH} 个字符",
                f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.lower() == username.lower():
        return ("密码不能与用户名相同", "the password must differ from the username")
    if len(set(password)) < 4:
        return ("密码过于简单", "the password is too simple")
    return None


def random_password() -> str:
    return secrets.token_urlsafe(12)


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt="junheng-session")


def _token_id(token: str) -> str:
    # Only a hash of the token is stored, so a leaked table does not hand out sessions.
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(engine: Engine, settings: Settings, user_id: int) -> str:
    """A new session; returns the signed cookie value."""
    token = secrets.token_urlsafe(32)
    at = now()
    with engine.begin() as conn:
        conn.execute(insert(models.sessions).values(
            id=_token_id(token), user_id=user_id, csrf_token=secrets.token_urlsafe(32),
            created_at=at, expires_at=at + timedelta(minutes=settings.session_lifetime_minutes)))
        conn.execute(delete(models.sessions).where(models.sessions.c.expires_at < at))
    return _serializer(settings).dumps(token)


# Built once: every request runs it, and building the statement costs more than running it.
_SESSION_QUERY = (
    select(models.sessions.c.id, models.sessions.c.csrf_token, models.sessions.c.expires_at,
           models.users.c.id.label("uid"), models.users.c.username, models.users.c.display_name,
           models.users.c.role, models.users.c.county_code, models.users.c.school_id,
           models.users.c.must_change_password, models.users.c.is_active)
    .join(models.users, models.users.c.id == models.sessions.c.user_id)
    .where(models.sessions.c.id == bindparam("sid"))
)


def read_session(engine: Engine, settings: Settings, cookie: str | None
                 ) -> tuple[User, str, str] | None:
    """(user, csrf token, session id) for a valid cookie, else None."""
    if not cookie:
        return None
    try:
        token = _serializer(settings).loads(cookie)
    except BadSignature:
        return None
    if not isinstance(token, str):
        return None
    with engine.connect() as conn:
        row = conn.execute(_SESSION_QUERY, {"sid": _token_id(token)}).first()
    if row is None or not row.is_active or _aware(row.expires_at) < now():
        return None
    user = User(id=row.uid, username=row.username, display_name=row.display_name,
                role=Role(row.role), county_code=row.county_code, school_id=row.school_id,
                must_change_password=bool(row.must_change_password))
    return user, row.csrf_token, row.id


def end_session(engine: Engine, session_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(models.sessions).where(models.sessions.c.id == session_id))


def end_user_sessions(engine: Engine, user_id: int, keep: str | None = None) -> None:
    cond = models.sessions.c.user_id == user_id
    if keep is not None:
        cond = and_(cond, models.sessions.c.id != keep)
    with engine.begin() as conn:
        conn.execute(delete(models.sessions).where(cond))


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def is_locked(engine: Engine, settings: Settings, username: str, ip: str) -> bool:
    """Too many recent failures for this username or from this address."""
    a = models.login_attempts
    since = now() - timedelta(minutes=settings.throttle_window_minutes)
    with engine.connect() as conn:
        by_user = conn.execute(select(func.count()).where(
            a.c.username == username.lower(), a.c.at >= since, a.c.succeeded.is_(False))).scalar_one()
        by_ip = conn.execute(select(func.count()).where(
            a.c.ip == ip, a.c.at >= since, a.c.succeeded.is_(False))).scalar_one()
    return (by_user >= settings.throttle_max_failures_per_user
            or by_ip >= settings.throttle_max_failures_per_ip)


def record_attempt(engine: Engine, username: str, ip: str, succeeded: bool) -> None:
    a = models.login_attempts
    with engine.begin() as conn:
        conn.execute(insert(a).values(username=username.lower()[:64], ip=ip[:64], at=now(),
                                      succeeded=succeeded))
        if succeeded:
            # A successful login clears the user's failure count, not the address's.
            conn.execute(delete(a).where(a.c.username == username.lower(),
                                         a.c.succeeded.is_(False)))
