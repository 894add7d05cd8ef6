"""Data tables of the exchange format v1 and the data version counter.

Revision ID: 0001_data_tables
Revises:
Create Date: 2026-11-29

Written from the field registry (domain/data/format-v1.yaml) and reviewed; later registry
changes need a new revision (tests/io/test_migrations.py fails until there is one).
"""
from alembic import op
import sqlalchemy as sa

revision = "0001_data_tables"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aid_lists",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="年度"),
        sa.Column("source", sa.String(32), nullable=False, comment="来源部门"),
        sa.Column("category", sa.String(32), nullable=False, comment="类别"),
        sa.Column("resident_id", sa.Text(), nullable=False, comment="身份证号"),
        sa.Column("name", sa.Text(), nullable=True, comment="姓名"),
        sa.Column("birth_date", sa.Date(), nullable=True, comment="出生日期"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="部门名单",
    )
    op.create_index("ix_aid_lists_replace", "aid_lists", ["year", "source", "category", "resident_id"])
    op.create_table(
        "area_assignments",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("area_id", sa.Text(), nullable=False, comment="片区编码"),
        sa.Column("stage", sa.String(32), nullable=False, comment="学段"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="现行招生片区",
    )
    op.create_index("ix_area_assignments_replace", "area_assignments", ["year", "area_id", "stage"])
    op.create_table(
        "area_children",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("area_id", sa.Text(), nullable=False, comment="片区编码"),
        sa.Column("age", sa.BigInteger(), nullable=False, comment="年龄"),
        sa.Column("children", sa.BigInteger(), nullable=False, comment="儿童数"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="适龄儿童",
    )
    op.create_index("ix_area_children_replace", "area_children", ["year", "area_id", "age"])
    op.create_table(
        "areas",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("area_id", sa.Text(), nullable=False, comment="片区编码"),
        sa.Column("area_name", sa.Text(), nullable=False, comment="名称"),
        sa.Column("county_code", sa.Text(), nullable=False, comment="区县代码"),
        sa.Column("township", sa.Text(), nullable=True, comment="乡镇/街道"),
        sa.Column("latitude", sa.Float(), nullable=False, comment="纬度"),
        sa.Column("longitude", sa.Float(), nullable=False, comment="经度"),
        sa.Column("locale", sa.String(32), nullable=True, comment="城乡分类"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="居民区/村",
    )
    op.create_index("ix_areas_replace", "areas", ["area_id"])
    op.create_table(
        "births",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="出生年份"),
        sa.Column("county_code", sa.Text(), nullable=False, comment="区县代码"),
        sa.Column("births", sa.BigInteger(), nullable=False, comment="出生人数"),
        sa.Column("area_id", sa.Text(), nullable=True, comment="片区编码"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="出生人口",
    )
    op.create_index("ix_births_replace", "births", ["year", "county_code"])
    op.create_table(
        "classes",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("stage", sa.String(32), nullable=False, comment="学段"),
        sa.Column("grade", sa.BigInteger(), nullable=False, comment="年级"),
        sa.Column("class_name", sa.Text(), nullable=False, comment="班级名称"),
        sa.Column("students", sa.BigInteger(), nullable=False, comment="学生数"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="班级",
    )
    op.create_index("ix_classes_replace", "classes", ["year", "school_id"])
    op.create_table(
        "counties",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("county_code", sa.Text(), nullable=False, comment="区县代码"),
        sa.Column("county_name", sa.Text(), nullable=False, comment="区县名称"),
        sa.Column("prefecture_name", sa.Text(), nullable=True, comment="市州名称"),
        sa.Column("basic_balance_year", sa.BigInteger(), nullable=True, comment="基本均衡认定年份"),
        sa.Column("quality_target_year", sa.BigInteger(), nullable=True, comment="优质均衡目标年份"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="区县",
    )
    op.create_index("ix_counties_replace", "counties", ["county_code"])
    op.create_table(
        "county_facts",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("county_code", sa.Text(), nullable=False, comment="区县代码"),
        sa.Column("g01_layout_planned", sa.Boolean(), nullable=True, comment="学校规划布局合理"),
        sa.Column("g02_unified_standards", sa.Boolean(), nullable=True, comment="城乡学校建设和配置标准统一"),
        sa.Column("g06_small_school_funding", sa.Boolean(), nullable=True, comment="不足100人的村小和教学点按100人拨付公用经费"),
        sa.Column("special_school_funding_per_student_yuan", sa.Float(), nullable=True, comment="特殊教育学校生均公用经费"),
        sa.Column("teacher_avg_pay_yuan", sa.Float(), nullable=True, comment="教师平均工资收入"),
        sa.Column("civil_servant_avg_pay_yuan", sa.Float(), nullable=True, comment="当地公务员平均工资收入"),
        sa.Column("training_completion_rate", sa.Float(), nullable=True, comment="教师5年360学时培训完成率"),
        sa.Column("g10_staffing_allocation", sa.Boolean(), nullable=True, comment="县级统筹分配教职工编制和岗位"),
        sa.Column("rotation_eligible_teachers", sa.BigInteger(), nullable=True, comment="符合交流轮岗条件教师数"),
        sa.Column("rotated_teachers", sa.BigInteger(), nullable=True, comment="交流轮岗教师数"),
        sa.Column("rotated_backbone_teachers", sa.BigInteger(), nullable=True, comment="交流轮岗骨干教师数"),
        sa.Column("certified_rate", sa.Float(), nullable=True, comment="专任教师持证上岗率"),
        sa.Column("nearby_enrollment_rate_primary", sa.Float(), nullable=True, comment="小学就近划片入学比例"),
        sa.Column("nearby_enrollment_rate_junior", sa.Float(), nullable=True, comment="初中就近划片入学比例"),
        sa.Column("quality_hs_quota_share", sa.Float(), nullable=True, comment="优质高中招生名额分配到初中比例"),
        sa.Column("quota_rural_tilt", sa.Boolean(), nullable=True, comment="名额分配向农村初中倾斜"),
        sa.Column("migrant_public_share", sa.Float(), nullable=True, comment="随迁子女在公办学校和政府购买服务民办学校就读比例"),
        sa.Column("junior_retention_rate", sa.Float(), nullable=True, comment="初中三年巩固率"),
        sa.Column("disabled_enrollment_rate", sa.Float(), nullable=True, comment="残疾儿童少年入学率"),
        sa.Column("q03_charter_and_it", sa.Boolean(), nullable=True, comment="所有学校制定章程并实现管理与教学信息化"),
        sa.Column("training_budget_share_min", sa.Float(), nullable=True, comment="各校教师培训经费占公用经费比例最低值"),
        sa.Column("q05_it_use", sa.Boolean(), nullable=True, comment="教师熟练运用信息化手段"),
        sa.Column("q06_moral_culture", sa.Boolean(), nullable=True, comment="德育和校园文化建设良好以上"),
        sa.Column("q07_curriculum", sa.Boolean(), nullable=True, comment="课程开齐开足教学秩序规范"),
        sa.Column("q08_no_overload", sa.Boolean(), nullable=True, comment="无过重课业负担"),
        sa.Column("monitoring_level", sa.BigInteger(), nullable=True, comment="国家义务教育质量监测学业水平等级"),
        sa.Column("monitoring_school_diff_rate", sa.Float(), nullable=True, comment="国家义务教育质量监测校际差异率"),
        sa.Column("recognition_rate", sa.Float(), nullable=True, comment="社会认可度"),
        sa.Column("veto_exam_admission", sa.Boolean(), nullable=True, comment="以考试方式招生"),
        sa.Column("veto_school_choice", sa.Boolean(), nullable=True, comment="违规择校"),
        sa.Column("veto_key_schools", sa.Boolean(), nullable=True, comment="设重点校或重点班"),
        sa.Column("veto_fraud", sa.Boolean(), nullable=True, comment="弄虚作假"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="区县指标",
    )
    op.create_index("ix_county_facts_replace", "county_facts", ["year", "county_code"])
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "facilities",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("teaching_area_m2", sa.Float(), nullable=True, comment="教学及辅助用房面积"),
        sa.Column("sports_area_m2", sa.Float(), nullable=True, comment="体育运动场馆面积"),
        sa.Column("equipment_value_yuan", sa.Float(), nullable=True, comment="教学仪器设备值"),
        sa.Column("multimedia_rooms", sa.BigInteger(), nullable=True, comment="网络多媒体教室数"),
        sa.Column("computers", sa.BigInteger(), nullable=True, comment="计算机台数"),
        sa.Column("books", sa.BigInteger(), nullable=True, comment="图书册数"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="办学条件",
    )
    op.create_index("ix_facilities_replace", "facilities", ["year", "school_id"])
    op.create_table(
        "finance",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="年度"),
        sa.Column("county_code", sa.Text(), nullable=False, comment="区县代码"),
        sa.Column("edu_budget_yuan", sa.Float(), nullable=True, comment="一般公共预算教育支出"),
        sa.Column("students", sa.BigInteger(), nullable=True, comment="在校生数"),
        sa.Column("teacher_avg_pay_yuan", sa.Float(), nullable=True, comment="教师平均工资收入"),
        sa.Column("civil_servant_avg_pay_yuan", sa.Float(), nullable=True, comment="当地公务员平均工资收入"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="教育经费",
    )
    op.create_index("ix_finance_replace", "finance", ["year", "county_code"])
    op.create_table(
        "grade_enrollment",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("grade", sa.BigInteger(), nullable=False, comment="年级"),
        sa.Column("students", sa.BigInteger(), nullable=False, comment="学生数"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="分年级在校生",
    )
    op.create_index("ix_grade_enrollment_replace", "grade_enrollment", ["year", "school_id", "grade"])
    op.create_table(
        "rooms",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("room_type", sa.String(32), nullable=False, comment="教室类型"),
        sa.Column("area_m2", sa.Float(), nullable=True, comment="面积"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="专用教室",
    )
    op.create_index("ix_rooms_replace", "rooms", ["year", "school_id"])
    op.create_table(
        "schools",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("school_name", sa.Text(), nullable=False, comment="学校名称"),
        sa.Column("county_code", sa.Text(), nullable=False, comment="区县代码"),
        sa.Column("school_type", sa.String(32), nullable=False, comment="办学类型"),
        sa.Column("ownership", sa.String(32), nullable=False, comment="举办者类型"),
        sa.Column("locale", sa.String(32), nullable=False, comment="城乡分类"),
        sa.Column("is_boarding", sa.Boolean(), nullable=True, comment="是否寄宿制"),
        sa.Column("latitude", sa.Float(), nullable=True, comment="纬度"),
        sa.Column("longitude", sa.Float(), nullable=True, comment="经度"),
        sa.Column("parent_school_id", sa.Text(), nullable=True, comment="所属学校标识码"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="学校",
    )
    op.create_index("ix_schools_replace", "schools", ["school_id"])
    op.create_table(
        "sections",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("stage", sa.String(32), nullable=False, comment="学段"),
        sa.Column("students", sa.BigInteger(), nullable=False, comment="在校生数"),
        sa.Column("classes", sa.BigInteger(), nullable=True, comment="班级数"),
        sa.Column("teachers", sa.BigInteger(), nullable=True, comment="专任教师数"),
        sa.Column("degree_teachers", sa.BigInteger(), nullable=True, comment="高于规定学历教师数"),
        sa.Column("backbone_teachers", sa.BigInteger(), nullable=True, comment="县级以上骨干教师数"),
        sa.Column("pe_art_teachers", sa.BigInteger(), nullable=True, comment="体育、音乐、美术专任教师数"),
        sa.Column("senior_title_teachers", sa.BigInteger(), nullable=True, comment="中级及以上职称教师数"),
        sa.Column("certified_teachers", sa.BigInteger(), nullable=True, comment="持教师资格证专任教师数"),
        sa.Column("capacity", sa.BigInteger(), nullable=True, comment="核定学位数"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="学段情况",
    )
    op.create_index("ix_sections_replace", "sections", ["year", "school_id", "stage"])
    op.create_table(
        "students",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("student_id", sa.Text(), nullable=False, comment="学籍号"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("grade", sa.BigInteger(), nullable=True, comment="年级"),
        sa.Column("resident_id", sa.Text(), nullable=True, comment="身份证号"),
        sa.Column("hukou_county_code", sa.Text(), nullable=True, comment="户籍区县代码"),
        sa.Column("is_migrant", sa.Boolean(), nullable=True, comment="是否随迁子女"),
        sa.Column("is_left_behind", sa.Boolean(), nullable=True, comment="是否留守儿童"),
        sa.Column("is_disabled", sa.Boolean(), nullable=True, comment="是否残疾"),
        sa.Column("disability_placement", sa.String(32), nullable=True, comment="残疾学生安置方式"),
        sa.Column("family_hardship_level", sa.BigInteger(), nullable=True, comment="家庭经济困难等级"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="学生",
    )
    op.create_index("ix_students_replace", "students", ["year", "student_id"])
    op.create_table(
        "teachers",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("teacher_id", sa.Text(), nullable=False, comment="教师编号"),
        sa.Column("school_id", sa.Text(), nullable=False, comment="学校标识码"),
        sa.Column("stage", sa.String(32), nullable=False, comment="任教学段"),
        sa.Column("subject", sa.Text(), nullable=True, comment="任教学科"),
        sa.Column("degree", sa.String(32), nullable=True, comment="学历"),
        sa.Column("title", sa.String(32), nullable=True, comment="职称"),
        sa.Column("backbone_level", sa.String(32), nullable=True, comment="骨干教师级别"),
        sa.Column("years_at_school", sa.BigInteger(), nullable=True, comment="在本校任教年限"),
        sa.Column("birth_year", sa.BigInteger(), nullable=True, comment="出生年份"),
        sa.Column("is_certified", sa.Boolean(), nullable=True, comment="是否持教师资格证"),
        sa.Column("is_rotation_eligible", sa.Boolean(), nullable=True, comment="是否符合交流轮岗条件"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="教师",
    )
    op.create_index("ix_teachers_replace", "teachers", ["year", "teacher_id"])
    op.create_table(
        "transfers",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("year", sa.BigInteger(), nullable=False, comment="学年"),
        sa.Column("student_id", sa.Text(), nullable=False, comment="学籍号"),
        sa.Column("from_school_id", sa.Text(), nullable=True, comment="转出学校标识码"),
        sa.Column("to_school_id", sa.Text(), nullable=True, comment="转入学校标识码"),
        sa.Column("date", sa.Date(), nullable=True, comment="变动日期"),
        sa.Column("reason", sa.Text(), nullable=True, comment="变动原因"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="学籍变动",
    )
    op.create_index("ix_transfers_replace", "transfers", ["year", "student_id"])
    op.create_table(
        "travel",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("from_area_id", sa.Text(), nullable=False, comment="出发片区编码"),
        sa.Column("to_school_id", sa.Text(), nullable=False, comment="到达学校标识码"),
        sa.Column("metres", sa.Float(), nullable=True, comment="距离"),
        sa.Column("minutes", sa.Float(), nullable=True, comment="通行时间"),
        sa.Column("extra_json", sa.Text(), nullable=True),
        comment="通行距离",
    )
    op.create_index("ix_travel_replace", "travel", ["from_area_id", "to_school_id"])


def downgrade() -> None:
    op.drop_table("travel")
    op.drop_table("transfers")
    op.drop_table("teachers")
    op.drop_table("students")
    op.drop_table("sections")
    op.drop_table("schools")
    op.drop_table("rooms")
    op.drop_table("grade_enrollment")
    op.drop_table("finance")
    op.drop_table("facilities")
    op.drop_table("data_version")
    op.drop_table("county_facts")
    op.drop_table("counties")
    op.drop_table("classes")
    op.drop_table("births")
    op.drop_table("areas")
    op.drop_table("area_children")
    op.drop_table("area_assignments")
    op.drop_table("aid_lists")
