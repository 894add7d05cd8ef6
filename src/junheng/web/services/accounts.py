"""Accounts: create, authenticate (throttled), change and reset passwords, the initial admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from junheng.web import models, security
from junheng.web.access import Role, User
from junheng.web.settings import Settings

INITIAL_ADMIN = "admin"


class AccountError(ValueError):
    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en


def _user_from_row(row: Any) -> User:
    return User(id=row.id, username=row.username, display_name=row.display_name,
                role=Role(row.role), county_code=row.county_code, school_id=row.school_id,
                must_change_password=bool(row.must_change_password))


def _check_scope(role: Role, county_code: str | None, school_id: str | None) -> None:
    if role == Role.COUNTY_ADMIN and not county_code:
        raise AccountError("区县管理员须指定区县代码", "a county administrator needs a county code")
    if role == Role.SCHOOL_CLERK and not school_id:
        raise AccountError("学校填报员须指定学校标识码", "a school clerk needs a school id")


def create_user(engine: Engine, username: str, password: str, role: Role | str, *,
                display_name: str = "", county_code: str | None = None,
                school_id: str | None = None, must_change_password: bool = True) -> User:
    role = Role(role)
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("用户名不能为空且不超过64个字符", "username must be 1–64 characters")
    _check_scope(role, county_code, school_id)
    _check_known(engine, role, county_code, school_id)
    problem = security.password_problem(password, username)
    if problem:
        raise AccountError(*problem)
    with engine.begin() as conn:
        exists = conn.execute(select(models.users.c.id).where(
            func.lower(models.users.c.username) == username.lower())).first()
        if exists:
            raise AccountError(f"用户名“{username}”已存在", f"username '{username}' exists")
        key = conn.execute(insert(models.users).values(
            username=username, display_name=display_name or username,
            password_hash=security.hash_password(password), role=role.value,
            county_code=county_code if role == Role.COUNTY_ADMIN else None,
            school_id=school_id if role == Role.SCHOOL_CLERK else None,
            must_change_password=must_change_password, is_active=True,
            created_at=security.now())).inserted_primary_key
    assert key is not None  # an INSERT of one row always returns its key
    user = get_user(engine, int(key[0]))
    assert user is not None
    return user


def _check_known(engine: Engine, role: Role, county: str | None, school: str | None) -> None:
    """A county admin's county and a clerk's school must exist: an account scoped to a typo
    would see nothing and nobody would notice. Zhangye's six counties are always known, so
    their accounts can be made before the first import; a school only once it is imported.
    The same check for the console (``junheng users create``) and the web's user page."""
    from junheng.io.db import known_keys
    from junheng.web.services.views import ZHANGYE_COUNTIES

    if role == Role.COUNTY_ADMIN and county:
        counties = set(known_keys(engine).table("counties")["county_code"].to_list())
        if county not in counties | set(ZHANGYE_COUNTIES):
            raise AccountError(f"区县代码“{county}”不存在（数据中没有这个区县）",
                               f"unknown county '{county}': it is not in the data")
    if role == Role.SCHOOL_CLERK and school \
            and school not in set(known_keys(engine).table("schools")["school_id"].to_list()):
        raise AccountError(f"学校标识码“{school}”不存在（请先导入学校数据）",
                           f"unknown school '{school}': it is not in the data "
                           "(import the schools first)")


def get_user(engine: Engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(models.users).where(models.users.c.id == user_id)).first()
    return _user_from_row(row) if row else None


def find_user(engine: Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(models.users).where(
            func.lower(models.users.c.username) == username.strip().lower())).first()
    return _user_from_row(row) if row else None


def list_users(engine: Engine) -> list[dict[str, Any]]:
    u = models.users
    with engine.connect() as conn:
        rows = conn.execute(select(u.c.id, u.c.username, u.c.display_name, u.c.role,
                                   u.c.county_code, u.c.school_id, u.c.is_active,
                                   u.c.must_change_password, u.c.created_at)
                            .order_by(u.c.id)).mappings().all()
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    # Seconds this client must wait before its next try (0 when it may try at once).
    wait_seconds: float = 0.0
    # The account's failures in the window from all clients, when this attempt failed.
    failures: int = 0

    @property
    def locked(self) -> bool:
        return self.wait_seconds > 0


def authenticate(engine: Engine, settings: Settings, username: str, password: str,
                 client: str) -> LoginResult:
    """Check a login, throttled per (account, client) with a doubling wait (see
    ``security.locked_for``). While a client must wait, its attempts are refused without
    checking the password or recording an attempt."""
    username = username.strip()[:64]
    wait = security.locked_for(engine, settings, username, client)
    if wait > 0:
        return LoginResult(None, wait_seconds=wait)
    with engine.connect() as conn:
        row = conn.execute(select(models.users).where(
            func.lower(models.users.c.username) == username.lower())).first()
    ok = security.verify_password(row.password_hash if row else None, password)
    ok = ok and row is not None and bool(row.is_active)
    failures = security.record_attempt(engine, settings, username, client, ok)
    if not ok:
        return LoginResult(None, wait_seconds=security.locked_for(engine, settings, username,
                                                                  client),
                           failures=failures)
    return LoginResult(_user_from_row(row))


def change_password(engine: Engine, user: User, current: str, new: str) -> None:
    with engine.connect() as conn:
        row = conn.execute(select(models.users.c.password_hash).where(
            models.users.c.id == user.id)).first()
    if row is None or not security.verify_password(row.password_hash, current):
        raise AccountError("当前密码不正确", "the current password is wrong")
    if current == new:
        raise AccountError("新密码不能与当前密码相同", "the new password must differ from the current one")
    problem = security.password_problem(new, user.username)
    if problem:
        raise AccountError(*problem)
    with engine.begin() as conn:
        conn.execute(update(models.users).where(models.users.c.id == user.id).values(
            password_hash=security.hash_password(new), must_change_password=False))


def reset_password(engine: Engine, username: str, password: str | None = None) -> str:
    """Set a new password (random if none given) that must be changed at next login."""
    user = find_user(engine, username)
    if user is None:
        raise AccountError(f"用户“{username}”不存在", f"no user '{username}'")
    password = password or security.random_password(user.username)
    problem = security.password_problem(password, user.username)
    if problem:
        raise AccountError(*problem)
    with engine.begin() as conn:
        conn.execute(update(models.users).where(models.users.c.id == user.id).values(
            password_hash=security.hash_password(password), must_change_password=True,
            is_active=True))
    security.end_user_sessions(engine, user.id)
    return password


def set_active(engine: Engine, user_id: int, active: bool) -> None:
    with engine.begin() as conn:
        conn.execute(update(models.users).where(models.users.c.id == user_id)
                     .values(is_active=active))
    if not active:
        security.end_user_sessions(engine, user_id)


def ensure_initial_admin(engine: Engine) -> str | None:
    """Create the city administrator ``admin`` with a random password when there is no user
    at all. Returns the password (to print once), or None when accounts already exist."""
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(models.users)).scalar_one()
    if count:
        return None
    password = security.random_password(INITIAL_ADMIN)
    create_user(engine, INITIAL_ADMIN, password, Role.CITY_ADMIN, display_name=INITIAL_ADMIN,
                must_change_password=True)
    return password
