"""Evidence for the measures the platform cannot compute (措施督导佐证材料): a county uploads a
file with a note against (measure indicator, county, year); city staff accept it or reject it
with a written reason; the county may then upload again.

Every upload is a row of ``sv_evidence`` (Alembic revision ``0006_supervision``); the newest row
of a (year, county, indicator) decides. Files are kept in the database, never under the web root,
and are served only through routes that check the county. This module only stores and reads;
what a state means for a measure's status is ``junheng.supervision.status``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from junheng.io.db import metadata

PENDING, ACCEPTED, REJECTED, SUPERSEDED = "pending", "accepted", "rejected", "superseded"

evidence = sa.Table(
    "sv_evidence", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("measure_no", sa.Integer, nullable=False),
    sa.Column("indicator_id", sa.String(64), nullable=False),
    # pending | accepted | rejected | superseded (a newer upload replaced it before review)
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("filename", sa.String(128), nullable=False),
    sa.Column("content_type", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("submitted_by", sa.String(64), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reviewed_by", sa.String(64), nullable=True),
    sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("review_reason", sa.Text, nullable=True),
    sa.Index("ix_sv_evidence_key", "year", "county_code", "indicator_id"),
)

# Every column but the file itself: lists never load the bytes.
LISTED = [c for c in evidence.c if c.name != "content"]


@dataclass(frozen=True)
class EvidenceRow:
    """The newest upload of a (year, county, indicator), without its file."""

    id: int
    county_code: str
    indicator_id: str
    status: str
    note: str
    filename: str
    submitted_by: str
    submitted_at: dt.datetime
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_reason: str | None


def latest(conn: Engine | Connection, year: int,
           county_code: str | None = None) -> dict[tuple[str, str], EvidenceRow]:
    """(indicator id, county code) → the newest upload for ``year`` (one county or all)."""
    e = evidence
    q = sa.select(*LISTED).where(e.c.year == year, e.c.status != SUPERSEDED)
    if county_code is not None:
        q = q.where(e.c.county_code == county_code)
    out: dict[tuple[str, str], EvidenceRow] = {}

    def run(c: Connection) -> None:
        # Ordered by id, so the newest row of a key is the one left in the dict.
        for r in c.execute(q.order_by(e.c.id)).mappings():
            out[(r["indicator_id"], r["county_code"])] = EvidenceRow(
                r["id"], r["county_code"], r["indicator_id"], r["status"], r["note"],
                r["filename"], r["submitted_by"], r["submitted_at"], r["reviewed_by"],
                r["reviewed_at"], r["review_reason"])

    if isinstance(conn, Engine):
        with conn.connect() as c:
            run(c)
    else:
        run(conn)
    return out
