"""Passwords, sessions, CSRF tokens and login throttling, all kept in the database so any
worker behind a load balancer can serve any request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, ValidationError
from sqlalchemy import and_, bindparam, delete, func, insert, select
from sqlalchemy.engine import Engine

from junheng.web import models
from junheng.web.access import Role, User
from junheng.web.settings import Settings

SESSION_COOKIE = "junheng_session"
LOGIN_CSRF_COOKIE = "junheng_login_csrf"
DEVICE_COOKIE = "junheng_device"

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


# zxcvbn scores 0 (guessed at once) to 4 (about 10^10 guesses or more); 3 and up resists an
# online attack comfortably and an offline one against argon2 for years.
MIN_PASSWORD_SCORE = 3
# Words anyone guessing at this site tries first, beyond zxcvbn's own dictionaries.
SITE_WORDS = ["junheng", "zhangye", "gansu", "ganzhou", "sunan", "minle", "linze", "gaotai",
              "shandan", "jiaoyu", "jiaoyuju", "xuexiao", "admin", "mima"]
# zxcvbn's warnings (English), in Chinese; anything else gets the general message.
_WARNINGS_ZH = {
    "This is a top-10 common password.": "这是最常见的十个密码之一",
    "This is a top-100 common password.": "这是最常见的一百个密码之一",
    "This is a very common password.": "这是非常常见的密码",
    "This is similar to a commonly used password.": "与常见密码相似",
    "A word by itself is easy to guess.": "单个词语很容易被猜到",
    "Names and surnames by themselves are easy to guess.": "姓名很容易被猜到",
    "Common names and surnames are easy to guess.": "常见姓名很容易被猜到",
    "Straight rows of keys are easy to guess.": "键盘上连续的按键很容易被猜到",
    "Short keyboard patterns are easy to guess.": "简短的键盘组合很容易被猜到",
    'Repeats like "aaa" are easy to guess.': "“aaa”这样的重复很容易被猜到",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        "“abcabc”这样的重复很容易被猜到",
    "Sequences like abc or 6543 are easy to guess.": "“abc”“6543”这样的序列很容易被猜到",
    "Recent years are easy to guess.": "近年的年份很容易被猜到",
    "Dates are often easy to guess.": "日期很容易被猜到",
}


def password_problem(password: str, username: str) -> tuple[str, str] | None:
    """Why a new password is not acceptable, in Chinese and English, or None: too short,
    containing the username, or too easy to guess by zxcvbn's estimate (its dictionaries hold
    the common passwords, words, names, keyboard patterns, sequences and dates)."""
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD_LENGTH:
        return (f"密码至少 {MIN_PASSWORD_LENGTH} 个字符",
                f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    user = username.strip().lower()
    # A one- or two-letter username would forbid half of all passwords; those are rare and
    # zxcvbn still sees them as user input.
    if len(user) >= 3 and user in password.lower():
        return ("密码不能包含用户名", "the password must not contain the username")
    # zxcvbn is exponential in nothing but slow on very long input; 100 characters is plenty.
    result = zxcvbn(password[:100], user_inputs=[user, *SITE_WORDS] if user else SITE_WORDS)
    if result["score"] < MIN_PASSWORD_SCORE:
        warning = str(result["feedback"].get("warning") or "")
        zh = _WARNINGS_ZH.get(warning, "")
        return ("密码太容易被猜到" + (f"（{zh}）" if zh else "")
                + "：请用更长、不常见的词语组合，例如三四个不相关的词加数字",
                "the password is too easy to guess" + (f" ({warning})" if warning else "")
                + ": use a longer mix of uncommon words, e.g. three or four unrelated words "
                  "and digits")
    return None


def random_password(username: str = "") -> str:
    """A random password that passes ``password_problem`` (a 16-character random string
    almost always does; the loop covers the rare one that contains the username)."""
    while True:
        password = secrets.token_urlsafe(12)
        if password_problem(password, username) is None:
            return password


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


# Sessions recently read from the database, per process: cookie → (read at, answer). A page
# served from the page cache would otherwise spend most of its time on this one query, on
# the event loop. Ending a session or a user's sessions drops the entries at once in this
# process; other processes see it within ``session_cache_seconds``.
_SESSION_CACHE: OrderedDict[str, tuple[float, tuple[User, str, str, datetime] | None]] = (
    OrderedDict())
_SESSION_CACHE_MAX = 10_000
_MISS = object()


def cached_session(settings: Settings, cookie: str | None) -> object:
    """The answer ``read_session`` would give, from the per-process cache, or ``_MISS``."""
    if not cookie:
        return None
    hit = _SESSION_CACHE.get(cookie)
    if hit is None or time.monotonic() - hit[0] >= settings.session_cache_seconds:
        return _MISS
    if hit[1] is None:
        return None
    user, csrf, sid, expires_at = hit[1]
    if expires_at < now():
        return None
    return user, csrf, sid


def is_miss(value: object) -> bool:
    return value is _MISS


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
        answer = None
    else:
        user = User(id=row.uid, username=row.username, display_name=row.display_name,
                    role=Role(row.role), county_code=row.county_code, school_id=row.school_id,
                    must_change_password=bool(row.must_change_password))
        answer = (user, row.csrf_token, row.id, _aware(row.expires_at))
    if settings.session_cache_seconds > 0:
        _SESSION_CACHE[cookie] = (time.monotonic(), answer)
        _SESSION_CACHE.move_to_end(cookie)
        while len(_SESSION_CACHE) > _SESSION_CACHE_MAX:
            _SESSION_CACHE.popitem(last=False)
    return answer[:3] if answer is not None else None


def _forget(match: Callable[[tuple[User, str, str, datetime]], bool]) -> None:
    for cookie, (_, answer) in list(_SESSION_CACHE.items()):
        if answer is not None and match(answer):
            _SESSION_CACHE.pop(cookie, None)


def end_session(engine: Engine, session_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(models.sessions).where(models.sessions.c.id == session_id))
    _forget(lambda a: a[2] == session_id)


def end_user_sessions(engine: Engine, user_id: int, keep: str | None = None) -> None:
    cond = models.sessions.c.user_id == user_id
    if keep is not None:
        cond = and_(cond, models.sessions.c.id != keep)
    with engine.begin() as conn:
        conn.execute(delete(models.sessions).where(cond))
    # Every cached answer for this user goes, the kept session's too: it is read again with
    # the account as it is now (e.g. no longer bound to change the password).
    _forget(lambda a: a[0].id == user_id)


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def _backoff_seconds(failures: int, free: int, settings: Settings) -> float:
    """How long a client must wait after ``failures`` failures: nothing for the first ``free``,
    then base, 2×base, 4×base, ... up to the maximum."""
    if failures < free:
        return 0.0
    steps = min(failures - free, 40)  # 2**40 × base is far beyond any maximum
    return float(min(settings.throttle_backoff_base_seconds * 2 ** steps,
                     settings.throttle_backoff_max_seconds))


class _Device(BaseModel):
    """The device cookie's signed content: the account (``u``) and the device's id (``d``)."""

    u: str
    d: str


def device_cookie(settings: Settings, username: str) -> str:
    """A signed cookie naming the account this browser signed in to successfully: its later
    attempts are throttled on their own, apart from everyone else at the same address."""
    return URLSafeSerializer(settings.secret_key, salt="junheng-device").dumps(
        _Device(u=username.strip().lower(), d=secrets.token_urlsafe(12)).model_dump())


def client_key(settings: Settings, username: str, ip: str, device: str | None) -> str:
    """Whom a login attempt is throttled as: the browser's device id when it holds a valid
    device cookie for this account, else its address."""
    if device:
        try:
            value = _Device.model_validate(
                URLSafeSerializer(settings.secret_key, salt="junheng-device").loads(device),
                strict=True)
        except (BadSignature, ValidationError):
            value = None
        if value is not None and value.u == username.strip().lower():
            return "device:" + value.d[:16]
    return ip[:64]


def locked_for(engine: Engine, settings: Settings, username: str, client: str) -> float:
    """Seconds this client must still wait before trying this account again (0: may try).
    Failures are counted per (account, client), so nobody can lock out another client; an
    address is also slowed when it guesses at many accounts."""
    a = models.login_attempts
    at = now()
    since = at - timedelta(minutes=settings.throttle_window_minutes)
    with engine.connect() as conn:
        mine = conn.execute(select(func.count(), func.max(a.c.at)).where(
            a.c.username == username.strip().lower(), a.c.ip == client, a.c.at >= since,
            a.c.succeeded.is_(False))).one()
        by_ip = (None if client.startswith("device:") else conn.execute(
            select(func.count(), func.max(a.c.at)).where(
                a.c.ip == client, a.c.at >= since, a.c.succeeded.is_(False))).one())
    wait = 0.0
    checks = [(mine, settings.throttle_free_failures)]
    if by_ip is not None:
        checks.append((by_ip, settings.throttle_max_failures_per_ip))
    for (count, last), free in checks:
        if last is None:
            continue
        until = _aware(last) + timedelta(seconds=_backoff_seconds(count, free, settings))
        wait = max(wait, (until - at).total_seconds())
    return max(wait, 0.0)


def record_attempt(engine: Engine, settings: Settings, username: str, client: str,
                   succeeded: bool) -> int:
    """Record a checked attempt; returns the account's failures within the window from all
    clients together (0 after a success)."""
    a = models.login_attempts
    user = username.strip().lower()[:64]
    at = now()
    with engine.begin() as conn:
        conn.execute(insert(a).values(username=user, ip=client[:64], at=at,
                                      succeeded=succeeded))
        # Old attempts say nothing any more: keep the table small.
        conn.execute(delete(a).where(
            a.c.at < at - timedelta(minutes=2 * settings.throttle_window_minutes)))
        if succeeded:
            # Only this client's failures are forgiven: another client still guessing at the
            # account keeps its backoff.
            conn.execute(delete(a).where(a.c.username == user, a.c.ip == client[:64]))
            return 0
        return int(conn.execute(select(func.count()).where(
            a.c.username == user, a.c.succeeded.is_(False),
            a.c.at >= at - timedelta(minutes=settings.throttle_window_minutes))).scalar_one())


def account_clients(engine: Engine, settings: Settings, username: str) -> int:
    """How many distinct clients failed at this account within the window."""
    a = models.login_attempts
    since = now() - timedelta(minutes=settings.throttle_window_minutes)
    with engine.connect() as conn:
        return int(conn.execute(select(func.count(func.distinct(a.c.ip))).where(
            a.c.username == username.strip().lower(), a.c.at >= since,
            a.c.succeeded.is_(False))).scalar_one())
