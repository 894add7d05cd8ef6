"""Tables of the admissions portal (Alembic revisions ``0005_admissions_portal``,
``0007_admissions_overrides``).

Personal data of families (child's name, 身份证号, proof files) lives only here; the exchange
table ``applications`` that the lottery hashes carries the pseudonymous application id.
Proof files are kept in the database, never under the web root, and are served only through a
route that checks the family or the reviewing county.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from junheng.io.db import metadata

applications = Table(
    "adm_applications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_id", String(40), nullable=False, unique=True),
    Column("family_user_id", Integer, nullable=False),
    Column("idempotency_key", String(64), nullable=True, unique=True),
    Column("year", Integer, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("entry_stage", String(16), nullable=False),
    Column("child_name", String(64), nullable=False),
    Column("resident_id", String(18), nullable=False),
    Column("hukou", String(128), nullable=True),
    Column("area_id", String(64), nullable=False),
    Column("housing", String(32), nullable=True),
    Column("has_residence_permit", Boolean, nullable=False),
    Column("category_claimed", String(32), nullable=False),
    Column("category_verified", String(32), nullable=True),
    Column("choices", String(64 * 5), nullable=False),  # school ids joined by ","
    Column("status", String(16), nullable=False),  # submitted|returned|approved|rejected
    Column("return_reason", Text, nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_adm_applications_family", "family_user_id"),
    Index("ix_adm_applications_round", "county_code", "year", "entry_stage"),
    # One live application per child, year and entry grade, kept by the database itself: two
    # submissions for the same child at the same moment (two parents, two phones) both pass the
    # "has this child applied?" check, and only the index stops the second lottery ticket.
    # It also answers that check on every submission. A rejected one no longer counts.
    Index("ux_adm_applications_child", "resident_id", "year", "entry_stage", unique=True,
          sqlite_where=text("status <> 'rejected'"),
          postgresql_where=text("status <> 'rejected'")),
)

files = Table(
    "adm_files", metadata,
    Column("id", String(32), primary_key=True),
    Column("application_pk", Integer, nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("filename", String(128), nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

events = Table(
    "adm_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("application_pk", Integer, nullable=True, index=True),
    Column("round_key", String(32), nullable=True, index=True),
    Column("user_id", Integer, nullable=True),
    Column("username", String(64), nullable=True),
    Column("action", String(32), nullable=False),
    Column("reason", Text, nullable=True),
)

rounds = Table(
    "adm_rounds", metadata,
    Column("round_key", String(32), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("year", Integer, nullable=False),
    Column("entry_stage", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # open|frozen|seeded|drawn|published
    Column("list_sha256", String(64), nullable=True),
    Column("applicants", Integer, nullable=True),
    Column("seed", String(128), nullable=True),
    Column("frozen_at", DateTime(timezone=True), nullable=True),
    Column("seed_at", DateTime(timezone=True), nullable=True),
    Column("drawn_at", DateTime(timezone=True), nullable=True),
    Column("published_at", DateTime(timezone=True), nullable=True),
)

results = Table(
    "adm_results", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_key", String(32), nullable=False, index=True),
    Column("application_id", String(40), nullable=False, unique=True),
    Column("lottery_number", Integer, nullable=False),
    Column("round", Integer, nullable=True),
    Column("school_id", String(10), nullable=True),
    Column("choice_rank", String(8), nullable=True),
    Column("in_zone", Boolean, nullable=False),
    Column("reason_zh", Text, nullable=False),
    # The same reason in English (admissions/words.py); none for results stored before 0010.
    Column("reason_en", Text, nullable=True),
    Column("why_not", Text, nullable=False),  # JSON list
    Column("override_school_id", String(10), nullable=True),
    Column("override_reason", Text, nullable=True),
    Column("override_by", String(64), nullable=True),
)

# Staff overrides of a result, the replayable part of the record: the published JSON lists them
# and ``junheng admissions verify`` applies them (after round 1 = before 调剂, or after round 2).
# One per application and round; a second one replaces it (the event log keeps both).
overrides = Table(
    "adm_overrides", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_key", String(32), nullable=False, index=True),
    Column("application_id", String(40), nullable=False),
    Column("after_round", Integer, nullable=False),
    Column("school_id", String(10), nullable=False),
    Column("reason", Text, nullable=False),
    Column("by", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("application_id", "after_round", name="uq_adm_overrides_app_round"),
)

otp_codes = Table(
    "adm_otp_codes", metadata,
    Column("phone", String(16), primary_key=True),
    Column("code_hash", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
)
