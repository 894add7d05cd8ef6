"""Supervision of the measures (#12): kindergartens and preschool county facts (学前教育普及普惠),
priority care, home-delivered schooling, school health, film screenings and the 肃南 activities,
and the evidence a county uploads for a measure the platform cannot compute.

Revision ID: 0006_supervision
Revises: 0005_admissions_portal
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_supervision"
down_revision = "0005_admissions_portal"
branch_labels = None
depends_on = None

_TABLES = ("kindergartens", "preschool_county", "care_children", "home_delivery",
           "school_health", "film_screenings", "sunan_activities")


def upgrade() -> None:
    op.create_table(
        "kindergartens",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("is_inclusive", sa.Boolean(), nullable=True, comment="是否普惠性幼儿园"),
        sa.Column("classes_within_size", sa.BigInteger(), nullable=True, comment="班额达标班级数"),
        sa.Column("caregivers", sa.BigInteger(), nullable=True, comment="保育员数"),
        sa.Column("building_area_m2", sa.Float(), nullable=True, comment="园舍建筑面积"),
        sa.Column("outdoor_play_area_m2", sa.Float(), nullable=True, comment="户外游戏场地面积"),
        sa.Column("head_certified", sa.Boolean(), nullable=True, comment="园长是否持证上岗"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="幼儿园情况",
    )
    op.create_index("ix_kindergartens_replace", "kindergartens", ["year", "school_id"])
    op.create_table(
        "preschool_county",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("county_code", sa.Text(), nullable=False, comment="区县代码"),
        sa.Column("children_3_5", sa.BigInteger(), nullable=True, comment="3—5岁常住适龄儿童数"),
        sa.Column("townships", sa.BigInteger(), nullable=True, comment="乡镇数"),
        sa.Column("townships_with_public_centre", sa.BigInteger(), nullable=True, comment="有公办中心幼儿园的乡镇数"),
        sa.Column("compound_kindergartens", sa.BigInteger(), nullable=True, comment="城镇小区配套幼儿园数"),
        sa.Column("compound_public_or_inclusive", sa.BigInteger(), nullable=True, comment="其中办成公办园或普惠性民办园数"),
        sa.Column("public_funding_per_child_yuan", sa.Float(), nullable=True, comment="公办园生均公用经费财政拨款标准"),
        sa.Column("inclusive_subsidy_per_child_yuan", sa.Float(), nullable=True, comment="普惠性民办园生均财政补助标准"),
        sa.Column("development_plan", sa.Boolean(), nullable=True, comment="制定并实施学前教育发展规划"),
        sa.Column("fee_aid_policy", sa.Boolean(), nullable=True, comment="建立学前教育资助制度"),
        sa.Column("no_schoolification", sa.Boolean(), nullable=True, comment="幼儿园无小学化倾向"),
        sa.Column("recognition_rate", sa.Float(), nullable=True, comment="学前教育社会认可度"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="学前教育区县指标",
    )
    op.create_index("ix_preschool_county_replace", "preschool_county", ["year", "county_code"])
    op.create_table(
        "care_children",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("category", sa.String(32), nullable=False, comment="儿童类别"),
        sa.Column("children", sa.BigInteger(), nullable=False, comment="儿童数"),
        sa.Column("boarding_needed", sa.BigInteger(), nullable=True, comment="需寄宿人数"),
        sa.Column("boarding_provided", sa.BigInteger(), nullable=True, comment="已安排寄宿人数"),
        sa.Column("transport_needed", sa.BigInteger(), nullable=True, comment="需交通保障人数"),
        sa.Column("transport_provided", sa.BigInteger(), nullable=True, comment="已提供交通保障人数"),
        sa.Column("nutrition_needed", sa.BigInteger(), nullable=True, comment="需营养保障人数"),
        sa.Column("nutrition_provided", sa.BigInteger(), nullable=True, comment="已提供营养保障人数"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="关爱儿童保障",
    )
    op.create_index("ix_care_children_replace", "care_children", ["year", "school_id", "category"])
    op.create_table(
        "home_delivery",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("county_code", sa.Text(), nullable=False, comment="区县代码"),
        sa.Column("children_needing", sa.BigInteger(), nullable=False, comment="不能到校就读需送教上门的儿童数"),
        sa.Column("children_served", sa.BigInteger(), nullable=True, comment="已送教上门儿童数"),
        sa.Column("visits", sa.BigInteger(), nullable=True, comment="送教上门次数"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="送教上门",
    )
    op.create_index("ix_home_delivery_replace", "home_delivery", ["year", "county_code"])
    op.create_table(
        "school_health",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("has_clinic", sa.Boolean(), nullable=True, comment="是否设卫生室或保健室"),
        sa.Column("health_staff", sa.BigInteger(), nullable=True, comment="卫生保健专业技术人员数"),
        sa.Column("has_counselling_room", sa.Boolean(), nullable=True, comment="是否设心理辅导室"),
        sa.Column("mental_health_staff", sa.BigInteger(), nullable=True, comment="专兼职心理健康教育教师数"),
        sa.Column("students_screened", sa.BigInteger(), nullable=True, comment="心理健康筛查学生数"),
        sa.Column("students_flagged", sa.BigInteger(), nullable=True, comment="筛查发现需关注学生数"),
        sa.Column("students_followed", sa.BigInteger(), nullable=True, comment="已跟踪干预学生数"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="学校卫生与心理健康",
    )
    op.create_index("ix_school_health_replace", "school_health", ["year", "school_id"])
    op.create_table(
        "film_screenings",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("semester", sa.String(32), nullable=False, comment="学期"),
        sa.Column("viewings_per_student", sa.BigInteger(), nullable=False, comment="每名学生观看次数"),
        sa.Column("films_shown", sa.BigInteger(), nullable=True, comment="放映影片部数"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="优秀影片进校园",
    )
    op.create_index("ix_film_screenings_replace", "film_screenings", ["year", "school_id", "semester"])
    op.create_table(
        "sunan_activities",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("semester", sa.String(32), nullable=False, comment="学期"),
        sa.Column("county_code", sa.Text(), nullable=False, comment="组织区县代码"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="肃南县学校标识码"),
        sa.Column("activity", sa.String(32), nullable=False, comment="活动类型"),
        sa.Column("held_on", sa.Date(), nullable=True, comment="活动日期"),
        sa.Column("topic", sa.Text(), nullable=True, comment="活动主题"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="肃南对口支援活动",
    )
    op.create_index("ix_sunan_activities_replace", "sunan_activities", ["year", "county_code"])
    op.create_table(
        "sv_evidence",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("measure_no", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(128), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("submitted_by", sa.String(64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_sv_evidence_key", "sv_evidence", ["year", "county_code", "indicator_id"])


def downgrade() -> None:
    op.drop_index("ix_sv_evidence_key", table_name="sv_evidence")
    op.drop_table("sv_evidence")
    for name in reversed(_TABLES):
        op.drop_index(f"ix_{name}_replace", table_name=name)
        op.drop_table(name)
