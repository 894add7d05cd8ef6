"""Staged uploads: a workbook is validated and kept in the database until someone confirms
it, so any worker can show the problems or run the import."""

from __future__ import annotations

import multiprocessing
import secrets
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine

from junheng.domain.dataset import Dataset
from junheng.domain.fields import registry
from junheng.io.problems import Problem, ValidationFailed
from junheng.io.readers import ROW
from junheng.web import models
from junheng.web.access import Role, User
from junheng.web.security import now
from junheng.web.services.data import DataService
from junheng.web.services.scope import Writer, scope_problems, writer_for

ACCEPTED_SUFFIXES = (".xlsx",)


class UploadSummary(BaseModel):
    """What is kept of a checked upload (the ``summary`` column): its problems and warnings
    as the pages list them, rows per table, and whether the problem list was cut short.
    Written and read back through this one model, so the two cannot drift apart."""

    problems: list[dict[str, Any]] = Field(default_factory=list)
    warnings: list[dict[str, Any]] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    truncated: bool = False

    @classmethod
    def of(cls, errors: list[Problem], warnings: list[Problem], counts: dict[str, int],
           truncated: bool = False) -> UploadSummary:
        return cls(problems=[p.to_dict() for p in errors],
                   warnings=[p.to_dict() for p in warnings], counts=counts, truncated=truncated)


@dataclass
class Staged:
    id: str
    user_id: int
    filename: str
    status: str  # invalid | valid | imported | cancelled
    created_at: datetime
    problems: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    truncated: bool = False


@dataclass
class ImportOutcome:
    ok: bool
    counts: dict[str, int]
    busy: bool = False  # another import held the database too long: try again
    message: str = ""


@dataclass
class _Checked:
    """A validated upload: the rows with their spreadsheet row numbers, and sheet names, so
    the scope check can say where a refused row is."""

    ds: Dataset
    sheets: dict[str, str]

    def rows_dropped(self) -> Dataset:
        return Dataset({t: f.drop(ROW) if ROW in f.columns else f
                        for t, f in self.ds.tables.items()})


# Reading and checking a workbook is pure Python (openpyxl) for seconds: in a thread it would
# hold the GIL against every other request of this worker, so it runs in child processes,
# each with its own memory ceiling, recycled after a few checks to give memory back.
CHECK_PROCESSES = 2
CHECK_MEMORY_BYTES = 3 * 1024**3
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _limit_child_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CHECK_MEMORY_BYTES, CHECK_MEMORY_BYTES))


def _check_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=CHECK_PROCESSES, mp_context=multiprocessing.get_context("spawn"),
                initializer=_limit_child_memory, max_tasks_per_child=20)
        return _pool


def _run_check(path: str, known: Any, required: Any
               ) -> tuple[Any, list[Problem], bool, dict[str, str]]:
    from junheng.io.validate import check_workbook

    global _pool
    try:
        return _check_pool().submit(check_workbook, path, known, required).result()
    except BrokenProcessPool:
        # The child died (e.g. its memory ceiling): a fresh pool for the next check.
        with _pool_lock:
            _pool = None
        raise


def _validate(engine: Engine, filename: str, content: bytes, writer: Writer | None = None
              ) -> tuple[_Checked | None, list[Problem], list[Problem], bool]:
    """(checked upload or None, errors, warnings, truncated). With ``writer`` (a county
    administrator or school clerk), every row, new and replaced, must be theirs."""
    from junheng.domain.needs import still_needed
    from junheng.io.db import known_keys, stored_tables

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
            known = known_keys(engine)
            required = still_needed(stored_tables(engine))
            ds, problems, truncated, sheet_names = _run_check(str(path), known, required)
        except ValidationFailed as exc:
            return None, _renamed(exc.problems, filename), [], exc.truncated
        except Exception as exc:
            return None, [Problem(filename, None, None, None,
                                  f"无法读取该文件：{type(exc).__name__}",
                                  f"cannot read this file: {type(exc).__name__}")], [], False
    if ds is None:
        return None, _renamed([p for p in problems if p.severity == "error"], filename), [], \
            truncated
    warnings = [p for p in problems if p.severity != "error"]
    checked = _Checked(ds, sheet_names)
    if writer is not None:
        with engine.connect() as conn:
            outside = scope_problems(conn, ds, writer, filename, checked.sheets)
        if outside:
            return None, outside, [], False
    return checked, [], _renamed(warnings, filename), False


def _renamed(problems: list[Problem], filename: str) -> list[Problem]:
    return [Problem(filename, p.sheet, p.row, p.column, p.message_zh, p.message_en, p.severity)
            for p in problems]


def purge_expired(engine: Engine, hours: float) -> int:
    """Delete staged uploads older than ``hours`` (file and problems: both may hold personal
    data). Returns how many were deleted."""
    cutoff = now() - timedelta(hours=hours)
    with engine.begin() as conn:
        result = conn.execute(delete(models.uploads).where(models.uploads.c.created_at < cutoff))
    return int(result.rowcount or 0)


def cancel(engine: Engine, staged: Staged) -> None:
    """The uploader gives up on a staged file: its content and problems are dropped now."""
    if staged.status == "imported":
        return
    _set(engine, staged.id, "cancelled", UploadSummary(), purge_content=True)


def stage(engine: Engine, data: DataService, user: User, filename: str,
          content: bytes, retention_hours: float | None = None) -> Staged:
    """Check a workbook and keep it until confirmed. Blocking (reads and validates): callers
    on an event loop run it in a worker thread."""
    if retention_hours is not None:
        purge_expired(engine, retention_hours)
    filename = Path(filename).name[:200] or "upload.xlsx"
    checked, errors, warnings, truncated = _validate(engine, filename, content,
                                                     writer_for(user))
    counts = {tid: checked.ds.table(tid).height for tid in checked.ds} if checked else {}
    summary = UploadSummary.of(errors, warnings, counts, truncated)
    upload_id = secrets.token_hex(16)
    with engine.begin() as conn:
        conn.execute(models.uploads.insert().values(
            # An invalid file can never be imported, so it is not kept.
            id=upload_id, user_id=user.id, filename=filename,
            content=b"" if errors else content, created_at=now(),
            status="invalid" if errors else "valid",
            summary=summary.model_dump_json()))
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
    summary = UploadSummary.model_validate_json(row.summary or "{}")
    return Staged(row.id, row.user_id, row.filename, row.status, row.created_at,
                  summary.problems, summary.warnings, summary.counts, summary.truncated)


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
    """Validate again (the database may have changed since) and import all-or-nothing.

    Whose rows these are is judged once more inside the import's transaction, on the stored
    rows as they are when the import holds the lock. If another import holds it too long the
    upload stays ready to confirm, and the outcome says to try again."""
    from junheng.io.db import ImportBusy, import_dataset

    if staged.status != "valid":
        return ImportOutcome(False, {})
    with engine.connect() as conn:
        content = conn.execute(select(models.uploads.c.content)
                               .where(models.uploads.c.id == staged.id)).scalar_one()
    writer = writer_for(user)
    checked, errors, warnings, truncated = _validate(engine, staged.filename, content, writer)
    if checked is not None:
        def in_transaction(conn: Connection) -> list[Problem]:
            assert checked is not None and writer is not None
            return scope_problems(conn, checked.ds, writer, staged.filename, checked.sheets)

        try:
            summary = import_dataset(engine, checked.rows_dropped(), source=staged.filename,
                                     check=in_transaction if writer is not None else None)
        except ImportBusy as exc:
            return ImportOutcome(False, {}, busy=True, message=exc.problems[0].message_zh
                                 + " / " + exc.problems[0].message_en)
        except ValidationFailed as exc:
            errors, truncated = _renamed(exc.problems, staged.filename), exc.truncated
        else:
            _set(engine, staged.id, "imported", UploadSummary.of([], warnings, summary.rows),
                 purge_content=True)
            data.version(refresh=True)
            return ImportOutcome(True, summary.rows)
    _set(engine, staged.id, "invalid", UploadSummary.of(errors, [], {}, truncated),
         purge_content=True)
    return ImportOutcome(False, {})


def _set(engine: Engine, upload_id: str, status: str, summary: UploadSummary,
         purge_content: bool = False) -> None:
    values: dict[str, Any] = {"status": status, "summary": summary.model_dump_json()}
    if purge_content:
        values["content"] = b""  # the file (with unmasked 身份证号) is not needed any more
    with engine.begin() as conn:
        conn.execute(update(models.uploads).where(models.uploads.c.id == upload_id)
                     .values(**values))


def table_counts(data: DataService) -> list[dict[str, Any]]:
    ds = data.dataset()
    reg = registry()
    return [{"id": tid, "label": reg.table(tid).label if reg.has_table(tid) else tid,
             "rows": ds.table(tid).height} for tid in ds]
