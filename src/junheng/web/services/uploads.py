"""Staged uploads: a workbook is validated and kept in the database until someone confirms
it, so any worker can show the problems or run the import."""

from __future__ import annotations

import json
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from junheng.domain.fields import registry
from junheng.io.problems import Problem, ValidationFailed
from junheng.web import models
from junheng.web.access import Role, User
from junheng.web.security import now
from junheng.web.services.data import DataService

ACCEPTED_SUFFIXES = (".xlsx",)


def _scope(user: User) -> str | None:
    return None if user.is_city_wide else user.county_code or "-"


@dataclass
class Staged:
    id: str
    user_id: int
    filename: str
    status: str  # invalid | valid | imported
    created_at: datetime
    problems: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    truncated: bool = False


@dataclass
class ImportOutcome:
    ok: bool
    counts: dict[str, int]


def _validate(engine: Engine, filename: str, content: bytes, county: str | None = None
              ) -> tuple[Any, list[Problem], list[Problem], bool]:
    """(dataset or None, errors, warnings, truncated). With ``county``, every row must belong
    to that county (a county administrator's upload)."""
    from junheng.domain.needs import still_needed
    from junheng.io.db import known_keys, stored_tables
    from junheng.io.validate import read_dataset

    suffix = Path(filename).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        return None, [Problem(filename, None, None, None,
                              "只接受 Excel 工作簿（.xlsx）；请用“下载模板”得到的文件填写",
                              "only Excel workbooks (.xlsx) are accepted; fill in the template")
                      ], [], False
    with tempfile.TemporaryDirectory(prefix="junheng-upload-") as tmp:
        # The clerk's file name is shown in messages, but never used as a path.
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)
        try:
            # Tables the database already holds need not come again (this year's enrolment
            # without the school list); a first upload brings the whole format.
            ds, warnings = read_dataset(str(path), known=known_keys(engine),
                                        require_tables=still_needed(stored_tables(engine)))
        except ValidationFailed as exc:
            return None, _renamed(exc.problems, filename), [], exc.truncated
        except Exception as exc:
            return None, [Problem(filename, None, None, None,
                                  f"无法读取该文件：{type(exc).__name__}",
                                  f"cannot read this file: {type(exc).__name__}")], [], False
    if county is not None:
        from junheng.web.services.scope import scope_problems

        outside = scope_problems(ds, engine, county, filename)
        if outside:
            return None, outside, [], False
    return ds, [], _renamed(warnings, filename), False


def _renamed(problems: list[Problem], filename: str) -> list[Problem]:
    return [Problem(filename, p.sheet, p.row, p.column, p.message_zh, p.message_en, p.severity)
            for p in problems]


def stage(engine: Engine, data: DataService, user: User, filename: str,
          content: bytes) -> Staged:
    filename = Path(filename).name[:200] or "upload.xlsx"
    ds, errors, warnings, truncated = _validate(engine, filename, content, _scope(user))
    counts = {tid: ds.get(tid).height for tid in ds} if ds is not None else {}
    summary = {"problems": [p.to_dict() for p in errors],
               "warnings": [p.to_dict() for p in warnings], "counts": counts,
               "truncated": truncated}
    upload_id = secrets.token_hex(16)
    with engine.begin() as conn:
        conn.execute(models.uploads.insert().values(
            id=upload_id, user_id=user.id, filename=filename, content=content, created_at=now(),
            status="invalid" if errors else "valid",
            summary=json.dumps(summary, ensure_ascii=False)))
    staged = get(engine, upload_id)
    assert staged is not None
    return staged


def get(engine: Engine, upload_id: str) -> Staged | None:
    u = models.uploads
    with engine.connect() as conn:
        row = conn.execute(select(u.c.id, u.c.user_id, u.c.filename, u.c.status, u.c.created_at,
                                  u.c.summary).where(u.c.id == upload_id)).first()
    if row is None:
        return None
    summary = json.loads(row.summary or "{}")
    return Staged(row.id, row.user_id, row.filename, row.status, row.created_at,
                  summary.get("problems", []), summary.get("warnings", []),
                  summary.get("counts", {}), summary.get("truncated", False))


def visible_to(staged: Staged, user: User) -> bool:
    """A staged upload is seen and confirmed by whoever uploaded it, or a city administrator."""
    return user.role == Role.CITY_ADMIN or staged.user_id == user.id


def recent(engine: Engine, user: User, limit: int = 10) -> list[Staged]:
    u = models.uploads
    q = select(u.c.id).order_by(u.c.created_at.desc()).limit(limit)
    if user.role != Role.CITY_ADMIN:
        q = q.where(u.c.user_id == user.id)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(q)]
    return [s for s in (get(engine, i) for i in ids) if s is not None]


def import_staged(engine: Engine, data: DataService, staged: Staged,
                  user: User) -> ImportOutcome:
    """Validate again (the database may have changed since) and import all-or-nothing."""
    from junheng.io.db import import_dataset

    if staged.status != "valid":
        return ImportOutcome(False, {})
    with engine.connect() as conn:
        content = conn.execute(select(models.uploads.c.content)
                               .where(models.uploads.c.id == staged.id)).scalar_one()
    ds, errors, warnings, truncated = _validate(engine, staged.filename, content, _scope(user))
    if ds is not None:
        try:
            summary = import_dataset(engine, ds, source=staged.filename)
        except ValidationFailed as exc:
            errors, truncated = _renamed(exc.problems, staged.filename), exc.truncated
        else:
            _set(engine, staged.id, "imported", {"problems": [], "counts": summary.rows,
                                                 "warnings": [p.to_dict() for p in warnings]})
            data.version(refresh=True)
            return ImportOutcome(True, summary.rows)
    _set(engine, staged.id, "invalid", {"problems": [p.to_dict() for p in errors], "counts": {},
                                        "truncated": truncated})
    return ImportOutcome(False, {})


def _set(engine: Engine, upload_id: str, status: str, summary: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(update(models.uploads).where(models.uploads.c.id == upload_id).values(
            status=status, summary=json.dumps(summary, ensure_ascii=False)))


def table_counts(data: DataService) -> list[dict[str, Any]]:
    ds = data.dataset()
    reg = registry()
    return [{"id": tid, "label": reg.table(tid).label if reg.has_table(tid) else tid,
             "rows": ds.get(tid).height} for tid in ds]
