"""Finance guarantees and student aid: aid awards, the roll's names and birth dates, funds
moved with transfers, public funds allocated; department lists may lack a resident id.

Revision ID: 0004_finance_aid
Revises: 0003_admissions_tables
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_finance_aid"
down_revision = "0003_admissions_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aid_awards",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("student_id", sa.Text(), nullable=False, comment="学籍号"),
        sa.Column("program", sa.String(32), nullable=False, comment="资助项目"),
        sa.Column("amount_yuan", sa.Float(), nullable=True, comment="资助金额"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="资助发放",
    )
    op.create_index("ix_aid_awards_replace", "aid_awards", ["year", "student_id", "program"])
    with op.batch_alter_table("students") as batch:
        batch.add_column(sa.Column("name", sa.Text(), nullable=True, comment="姓名"))
        batch.add_column(sa.Column("birth_date", sa.Date(), nullable=True, comment="出生日期"))
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("funds_moved_yuan", sa.Float(), nullable=True,
                                   comment="随学籍划转经费"))
    with op.batch_alter_table("finance") as batch:
        batch.add_column(sa.Column("public_funds_yuan", sa.Float(), nullable=True,
                                   comment="义务教育公用经费拨付额"))
    op.drop_index("ix_aid_lists_replace", table_name="aid_lists")
    with op.batch_alter_table("aid_lists") as batch:
        batch.alter_column("resident_id", existing_type=sa.Text(), nullable=True,
                           existing_comment="身份证号")
    op.create_index("ix_aid_lists_replace", "aid_lists", ["year", "source", "category"])


def downgrade() -> None:
    op.drop_index("ix_aid_lists_replace", table_name="aid_lists")
    with op.batch_alter_table("aid_lists") as batch:
        batch.alter_column("resident_id", existing_type=sa.Text(), nullable=False,
                           existing_comment="身份证号")
    op.create_index("ix_aid_lists_replace", "aid_lists",
                    ["year", "source", "category", "resident_id"])
    with op.batch_alter_table("finance") as batch:
        batch.drop_column("public_funds_yuan")
    with op.batch_alter_table("transfers") as batch:
        batch.drop_column("funds_moved_yuan")
    with op.batch_alter_table("students") as batch:
        batch.drop_column("birth_date")
        batch.drop_column("name")
    op.drop_index("ix_aid_awards_replace", table_name="aid_awards")
    op.drop_table("aid_awards")
