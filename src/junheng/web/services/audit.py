"""The audit log: every change, and every view of personal data."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from junheng.web import models
from junheng.web.access import User
from junheng.web.security import now


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
