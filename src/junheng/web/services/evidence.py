"""Evidence for the measures no figure can show (措施督导佐证材料): a county administrator uploads
a file with a note against (indicator, county, year); the city administrator accepts it or
rejects it with a written reason; after a rejection the county uploads again. The newest upload
of an indicator decides its status (``supervision.status``: accepted → 已完成, awaiting review →
推进中, rejected or none → 未报送).

Who may do what is checked here on the stored row, not only on the form: a county reaches only
its own evidence, city-wide roles (市级管理员, 督学) read every county's, and only the city
administrator reviews. Every upload, review and download is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from junheng.io import evidence as store
from junheng.supervision.register import Indicator, Measure, load_register
from junheng.supervision.status import EvidenceState
from junheng.web import models
from junheng.web.access import Permission, Role, User, can_see_county
from junheng.web.security import now
from junheng.web.services import audit
from junheng.web.services.files import FileRefused, check_file
from junheng.web.services.views import NotFound

FILE_MAX_BYTES = 10 * 1024 * 1024
NOTE_MAX_CHARS = 2000
REASON_MAX_CHARS = 1000
STATE_ZH = {store.PENDING: "待审核", store.ACCEPTED: "审核通过", store.REJECTED: "已退回",
            store.SUPERSEDED: "已被新上传的材料替代"}
STATE_EN = {store.PENDING: "awaiting review", store.ACCEPTED: "accepted",
            store.REJECTED: "rejected", store.SUPERSEDED: "replaced by a newer upload"}
UPLOAD_ACTION, REVIEW_ACTION, VIEW_ACTION = "evidence_uploaded", "evidence_reviewed", \
    "evidence_viewed"


class Denied(Exception):
    """The user's role or county does not allow this (answered 403)."""


class EvidenceError(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Slot:
    """An indicator that takes evidence, with its measure."""

    measure: Measure
    indicator: Indicator


def slots() -> list[Slot]:
    return [Slot(m, i) for m in load_register().measures for i in m.indicators
            if i.kind == "evidence"]


def _slot(indicator_id: str) -> Slot:
    for s in slots():
        if s.indicator.id == indicator_id:
            return s
    raise EvidenceError("请选择需要佐证的指标", "choose an indicator that takes evidence")


def states(engine: Engine, year: int) -> dict[tuple[str, str], EvidenceState]:
    """(indicator id, county code) → the reviewed state of the newest upload, for the status."""
    return {k: EvidenceState(r.status, r.review_reason)
            for k, r in store.latest(engine, year).items()}


def _target(slot: Slot, county_name: str, year: int) -> str:
    """The audit row's target: kept as ids, worded in the reader's language by the audit page
    (``templating.audit_target``)."""
    return f"evidence:{county_name}|{slot.measure.no}|{slot.indicator.id}|{year}"


def upload(engine: Engine, user: User, year: int, county_code: str, county_name: str,
           indicator_id: str, note: str, filename: str, content: bytes,
           ip: str | None = None) -> int:
    """Store a new upload, awaiting review. The county reports and the city reviews, so only
    the county's own administrator uploads (not the city administrator on its behalf)."""
    if user.role != Role.COUNTY_ADMIN or user.county_code != county_code:
        raise Denied()
    slot = _slot(indicator_id)
    note = note.strip()
    if not note:
        raise EvidenceError("请填写说明", "write a note describing the evidence")
    if len(note) > NOTE_MAX_CHARS:
        raise EvidenceError(f"说明不能超过{NOTE_MAX_CHARS}字",
                            f"the note may be at most {NOTE_MAX_CHARS} characters")
    try:
        f = check_file(content, filename, FILE_MAX_BYTES)
    except FileRefused as exc:
        raise EvidenceError(exc.zh, exc.en) from None
    e = store.evidence
    with engine.begin() as conn:
        newest = store.latest(conn, year, county_code).get((indicator_id, county_code))
        if newest is not None and newest.status == store.ACCEPTED:
            raise EvidenceError("该指标的佐证材料已审核通过，无需再上传",
                                "the evidence of this indicator was accepted already")
        # An upload before the review replaces the one waiting: the city reviews the newest.
        conn.execute(update(e).where(
            e.c.year == year, e.c.county_code == county_code,
            e.c.indicator_id == indicator_id, e.c.status == store.PENDING,
        ).values(status=store.SUPERSEDED))
        inserted = conn.execute(insert(e).values(
            year=year, county_code=county_code, measure_no=slot.measure.no,
            indicator_id=indicator_id, status=store.PENDING, note=note, filename=f.filename,
            content_type=f.content_type, size=f.size, sha256=f.sha256, content=f.content,
            submitted_by=user.username, submitted_at=now())).inserted_primary_key
        assert inserted is not None
        new_id = inserted[0]
    audit.record(engine, user, UPLOAD_ACTION, target=_target(slot, county_name, year),
                 detail={"file": f.filename, "year": year}, ip=ip)
    return int(new_id)


def row_of(engine: Engine, evidence_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(*store.LISTED).where(
            store.evidence.c.id == evidence_id)).mappings().first()
    if row is None:
        raise NotFound()
    return dict(row)


def review(engine: Engine, user: User, evidence_id: int, action: str, reason: str,
           county_names: dict[str, str], ip: str | None = None) -> dict[str, Any]:
    """Accept or reject (with a reason) the upload ``evidence_id`` if it is still waiting."""
    if not user.can(Permission.REVIEW_EVIDENCE):
        raise Denied()
    row = row_of(engine, evidence_id)
    reason = reason.strip()
    if action not in ("accept", "reject"):
        raise EvidenceError("未知操作", "unknown action")
    if action == "reject" and not reason:
        raise EvidenceError("退回须写明理由", "a rejection needs a written reason")
    if len(reason) > REASON_MAX_CHARS:
        raise EvidenceError(f"理由不能超过{REASON_MAX_CHARS}字",
                            f"the reason may be at most {REASON_MAX_CHARS} characters")
    status = store.ACCEPTED if action == "accept" else store.REJECTED
    e = store.evidence
    with engine.begin() as conn:
        # Only a row still waiting may be decided (judged on the stored row: a second review
        # or a review of a replaced upload changes nothing).
        done = conn.execute(update(e).where(e.c.id == evidence_id,
                                            e.c.status == store.PENDING).values(
            status=status, reviewed_by=user.username, reviewed_at=now(),
            review_reason=reason or None)).rowcount
    if done != 1:
        raise EvidenceError("只能审核待审核的材料", "only evidence awaiting review can be reviewed")
    slot = _slot(row["indicator_id"])
    audit.record(engine, user, REVIEW_ACTION,
                 target=_target(slot, county_names.get(row["county_code"], ""), row["year"]),
                 detail={"decision": STATE_ZH[status], **({"reason": reason} if reason else {})},
                 ip=ip)
    return row


def history(engine: Engine, year: int, county_code: str) -> dict[str, list[dict[str, Any]]]:
    """indicator id → every upload of the county for ``year``, newest first (without files).
    ``submitted_by`` and ``reviewed_by`` name the people: the account's display name, the
    account name (as stored) only when it has none or is gone; joined in the same query."""
    e = store.evidence
    sub, rev = models.users.alias("submitter"), models.users.alias("reviewer")

    def name(who: Any, stored: Any) -> Any:
        return func.coalesce(func.nullif(who.c.display_name, ""), stored).label(stored.name)

    listed = [c for c in store.LISTED if c.name not in ("submitted_by", "reviewed_by")]
    with engine.connect() as conn:
        rows = conn.execute(
            select(*listed, name(sub, e.c.submitted_by), name(rev, e.c.reviewed_by))
            .outerjoin(sub, sub.c.username == e.c.submitted_by)
            .outerjoin(rev, rev.c.username == e.c.reviewed_by)
            .where(e.c.year == year, e.c.county_code == county_code)
            .order_by(e.c.id.desc())).mappings().all()
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["indicator_id"], []).append(dict(r))
    return out


def pending(engine: Engine, year: int) -> list[dict[str, Any]]:
    """Every upload awaiting review in ``year``, oldest first (the city's queue)."""
    e = store.evidence
    with engine.connect() as conn:
        rows = conn.execute(select(*store.LISTED).where(
            e.c.year == year, e.c.status == store.PENDING).order_by(e.c.id)).mappings().all()
    return [dict(r) for r in rows]


def get_file(engine: Engine, user: User, evidence_id: int, county_names: dict[str, str],
             ip: str | None = None) -> dict[str, Any]:
    """The file, for the owning county and city-wide roles only; every view is logged."""
    e = store.evidence
    with engine.connect() as conn:
        row = conn.execute(select(e).where(e.c.id == evidence_id)).mappings().first()
    if row is None:
        raise NotFound()
    if not can_see_county(user, row["county_code"]):
        raise Denied()
    slot = _slot(row["indicator_id"])
    audit.record(engine, user, VIEW_ACTION,
                 target=_target(slot, county_names.get(row["county_code"], ""), row["year"]),
                 detail={"file": row["filename"]}, ip=ip)
    return dict(row)
