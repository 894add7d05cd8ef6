"""Admissions portal: applications with personal data, proof files, the event log, rounds
(frozen list hash, seed, status), results, and one-time codes for parents' phones.

Revision ID: 0005_admissions_portal
Revises: 0004_finance_aid
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_admissions_portal"
down_revision = "0004_finance_aid"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adm_applications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.String(40), nullable=False, unique=True),
        sa.Column("family_user_id", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=True, unique=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("entry_stage", sa.String(16), nullable=False),
        sa.Column("child_name", sa.String(64), nullable=False),
        sa.Column("resident_id", sa.String(18), nullable=False),
        sa.Column("hukou", sa.String(128), nullable=True),
        sa.Column("area_id", sa.String(64), nullable=False),
        sa.Column("housing", sa.String(32), nullable=True),
        sa.Column("has_residence_permit", sa.Boolean, nullable=False),
        sa.Column("category_claimed", sa.String(32), nullable=False),
        sa.Column("category_verified", sa.String(32), nullable=True),
        sa.Column("choices", sa.String(64 * 5), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("return_reason", sa.Text, nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_adm_applications_family", "adm_applications", ["family_user_id"])
    op.create_index("ix_adm_applications_round", "adm_applications",
                    ["county_code", "year", "entry_stage"])
    op.create_table(
        "adm_files",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("application_pk", sa.Integer, nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(128), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "adm_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("application_pk", sa.Integer, nullable=True, index=True),
        sa.Column("round_key", sa.String(32), nullable=True, index=True),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_table(
        "adm_rounds",
        sa.Column("round_key", sa.String(32), primary_key=True),  # county:year:stage
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("entry_stage", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("list_sha256", sa.String(64), nullable=True),
        sa.Column("applicants", sa.Integer, nullable=True),
        sa.Column("seed", sa.String(128), nullable=True),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "adm_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("round_key", sa.String(32), nullable=False, index=True),
        sa.Column("application_id", sa.String(40), nullable=False, unique=True),
        sa.Column("lottery_number", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=True),
        sa.Column("school_id", sa.String(10), nullable=True),
        sa.Column("choice_rank", sa.String(8), nullable=True),
        sa.Column("in_zone", sa.Boolean, nullable=False),
        sa.Column("reason_zh", sa.Text, nullable=False),
        sa.Column("why_not", sa.Text, nullable=False),
        sa.Column("override_school_id", sa.String(10), nullable=True),
        sa.Column("override_reason", sa.Text, nullable=True),
        sa.Column("override_by", sa.String(64), nullable=True),
    )
    op.create_table(
        "adm_otp_codes",
        sa.Column("phone", sa.String(16), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for name in ("adm_otp_codes", "adm_results", "adm_rounds", "adm_events", "adm_files",
                 "adm_applications"):
        op.drop_table(name)
