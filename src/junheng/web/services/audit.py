"""The audit log: every change, and every view of personal data."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from junheng.web import models
from junheng.web.access import User
from junheng.web.security import account_clients, now
from junheng.web.settings import Settings

log = logging.getLogger("junheng.web.security")
# Pages of the audit log one may ask for (100 rows each: ten million rows).
MAX_PAGE = 100_000


def record(engine: Engine, user: User | None, action: str, target: str | None = None,
           detail: dict[str, Any] | None = None, ip: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(insert(models.audit_log).values(
            at=now(), user_id=user.id if user else None, username=user.username if user else None,
            ip=ip, action=action, target=target,
            detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None))


def entries(engine: Engine, page: int = 1, per_page: int = 100,
            action: str | None = None) -> tuple[list[dict[str, Any]], int]:
    a = models.audit_log
    q = select(a).order_by(a.c.id.desc())
    count_q = select(func.count()).select_from(a)
    if action:
        q = q.where(a.c.action == action)
        count_q = count_q.where(a.c.action == action)
    with engine.connect() as conn:
        total = conn.execute(count_q).scalar_one()
        rows = conn.execute(q.limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return [dict(r) for r in rows], total


def _bump(engine: Engine, action: str, target: str, ip: str | None, window: timedelta,
          add: dict[str, int], replace: dict[str, Any] | None = None) -> bool:
    """Count one more event in the newest ``action`` row for (target, ip) of this window, or
    start a new row. Returns True when a new row was started. ``add`` is added to the row's
    detail, ``replace`` overwrites it."""
    replace = replace or {}
    a = models.audit_log
    at = now()
    with engine.begin() as conn:
        q = select(a.c.id, a.c.detail).where(a.c.action == action, a.c.target == target,
                                              a.c.at >= at - window)
        q = q.where(a.c.ip == ip) if ip is not None else q
        row = conn.execute(q.order_by(a.c.id.desc()).limit(1)).first()
        if row is not None:
            detail = json.loads(row.detail or "{}")
            for k, n in add.items():
                detail[k] = int(detail.get(k, 0)) + n
            detail.update(replace)
            detail["last_at"] = at.isoformat(timespec="seconds")
            conn.execute(update(a).where(a.c.id == row.id).values(
                detail=json.dumps(detail, ensure_ascii=False)))
            return False
        conn.execute(insert(a).values(
            at=at, user_id=None, username=None, ip=ip, action=action, target=target,
            detail=json.dumps({**add, **replace, "last_at": at.isoformat(timespec="seconds")},
                              ensure_ascii=False)))
        return True


def login_failed(engine: Engine, settings: Settings, username: str, ip: str, *,
                 refused: bool, failures: int) -> None:
    """One audit row per (account, address) and window, counting the failed attempts (and
    those refused unchecked while the client had to wait), instead of a row per attempt: a
    guessing client cannot flood the log. ``failures`` (the account's failures from all
    clients in the window) past the alert threshold raises an alert: a WARNING log line when
    the attack is first seen in a window, and one counted ``login_alert`` row per account."""
    window = timedelta(minutes=settings.throttle_window_minutes)
    target = username.strip()[:64]
    _bump(engine, "login_failed", target, ip[:64], window,
          {"count": 1, "refused": 1 if refused else 0})
    if failures >= settings.throttle_alert_failures:
        clients = account_clients(engine, settings, target)
        if _bump(engine, "login_alert", target, None, window,
                 {"count": 1}, {"failures": failures, "clients": clients}):
            log.warning("sustained failed sign-ins for account %r: %d failures from %d "
                        "client(s) within %d minutes (last from %s)", target, failures,
                        clients, settings.throttle_window_minutes, ip)


class AlertDetail(BaseModel):
    """The detail of a ``login_alert`` row as :func:`login_failed` counts it."""

    count: int = 0
    failures: int = 0
    clients: int = 0
    last_at: str = ""


@dataclass(frozen=True)
class Alert:
    at: datetime
    username: str | None
    failures: int
    clients: int
    last_at: str


def alerts(engine: Engine, hours: int = 24) -> list[Alert]:
    """The accounts under sustained failed sign-ins in the last ``hours``, newest first."""
    a = models.audit_log
    with engine.connect() as conn:
        rows = conn.execute(select(a.c.at, a.c.target, a.c.detail).where(
            a.c.action == "login_alert", a.c.at >= now() - timedelta(hours=hours))
            .order_by(a.c.id.desc()).limit(20)).all()
    out = []
    for r in rows:
        d = AlertDetail.model_validate_json(r.detail or "{}")
        out.append(Alert(r.at, r.target, d.failures, d.clients, d.last_at))
    return out
