"""Admissions exchange tables: admission_plans and applications (format v1).

Revision ID: 0003_admissions_tables
Revises: 0002_accounts

Written from the field registry (domain/data/format-v1.yaml) and reviewed.
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_admissions_tables"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admission_plans",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("entry_stage", sa.String(32), nullable=False, comment="入学学段"),
        sa.Column("seats", sa.BigInteger(), nullable=False, comment="招生计划数"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="招生计划",
    )
    op.create_index("ix_admission_plans_replace", "admission_plans",
                    ["year", "school_id", "entry_stage"])
    op.create_table(
        "applications",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("application_id", sa.Text(), nullable=False, comment="申请编号"),
        sa.Column("county_code", sa.Text(), nullable=False, comment="区县代码"),
        sa.Column("entry_stage", sa.String(32), nullable=False, comment="入学学段"),
        sa.Column("area_id", sa.Text(), nullable=False, comment="居住片区"),
        sa.Column("category", sa.String(32), nullable=False, comment="入学类别"),
        sa.Column("choice_1", sa.Text(), nullable=True, comment="志愿1"),
        sa.Column("choice_2", sa.Text(), nullable=True, comment="志愿2"),
        sa.Column("choice_3", sa.Text(), nullable=True, comment="志愿3"),
        sa.Column("choice_4", sa.Text(), nullable=True, comment="志愿4"),
        sa.Column("choice_5", sa.Text(), nullable=True, comment="志愿5"),
        sa.Column("submitted_at", sa.DateTime(), nullable=True, comment="提交时间"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="入学申请",
    )
    op.create_index("ix_applications_replace", "applications",
                    ["year", "county_code", "entry_stage"])


def downgrade() -> None:
    op.drop_index("ix_applications_replace", table_name="applications")
    op.drop_table("applications")
    op.drop_index("ix_admission_plans_replace", table_name="admission_plans")
    op.drop_table("admission_plans")
