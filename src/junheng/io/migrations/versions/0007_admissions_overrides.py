"""Admissions: staff overrides as their own records (replayed by ``admissions verify``), and an
index for the one-application-per-child check that every submission makes.

Revision ID: 0007_admissions_overrides
Revises: 0006_supervision
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_admissions_overrides"
down_revision = "0006_supervision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adm_overrides",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("round_key", sa.String(32), nullable=False, index=True),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("after_round", sa.Integer, nullable=False),
        sa.Column("school_id", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("application_id", "after_round", name="uq_adm_overrides_app_round"),
    )
    op.create_index("ix_adm_applications_child", "adm_applications",
                    ["resident_id", "year", "entry_stage"])


def downgrade() -> None:
    op.drop_index("ix_adm_applications_child", table_name="adm_applications")
    op.drop_table("adm_overrides")
