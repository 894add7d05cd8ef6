"""Admissions: each stored result keeps its reason in English too.

The English pages said a child's result only in Chinese. The reason is written once, from the
allocation, beside the Chinese one (``reason_en``; the why-not list, a JSON column, carries its
own). Results stored before this revision have none and show the Chinese until the round's
results are stored again.

Revision ID: 0010_admission_reasons_en
Revises: 0009_one_application_per_child
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_admission_reasons_en"
down_revision = "0009_one_application_per_child"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("adm_results") as batch:
        batch.add_column(sa.Column("reason_en", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("adm_results") as batch:
        batch.drop_column("reason_en")
