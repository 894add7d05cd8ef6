"""Roles, what each may do, and which county or school each may see.

The rules are data (``PERMISSIONS``); routes ask for a permission and, for county- or
school-scoped pages, check the scope with ``can_see_county`` / ``can_see_school``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CITY_ADMIN = "city_admin"  # 市级管理员: everything
    COUNTY_ADMIN = "county_admin"  # 区县管理员: own county only
    SCHOOL_CLERK = "school_clerk"  # 学校填报员: enter and view own school only
    INSPECTOR = "inspector"  # 督学: read-only, everything
    PARENT = "parent"  # 家长: public pages only


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.CITY_ADMIN: ("市级管理员", "City administrator"),
    Role.COUNTY_ADMIN: ("区县管理员", "County administrator"),
    Role.SCHOOL_CLERK: ("学校填报员", "School clerk"),
    Role.INSPECTOR: ("督学", "Inspector"),
    Role.PARENT: ("家长", "Parent"),
}


class Permission(StrEnum):
    VIEW_CITY = "view_city"  # the whole-city overview and city-wide API
    VIEW_COUNTY = "view_county"  # a county page (scoped)
    VIEW_SCHOOL = "view_school"  # a school page (scoped)
    VIEW_PERSONAL = "view_personal"  # teacher / student lists (scoped, audited)
    EDIT_SCHOOL = "edit_school"  # a school's figures (scoped)
    IMPORT_DATA = "import_data"  # upload and import a whole workbook
    DOWNLOAD_TEMPLATE = "download_template"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    VIEW_PLANNING = "view_planning"  # forecasts, zones, plans
    # Names and 身份证号 in full on aid pages and exports (those who hand out the aid); every
    # such view is logged. Inspectors and everyone else see them masked.
    UNMASK_PERSONAL = "unmask_personal"
    REVIEW_AID = "review_aid"  # confirm or reject a doubtful aid match (scoped, logged)
    # Supervision evidence (措施督导佐证): the county uploads, the city reviews (both logged).
    SUBMIT_EVIDENCE = "submit_evidence"
    REVIEW_EVIDENCE = "review_evidence"


_ALL_VIEW = {Permission.VIEW_COUNTY, Permission.VIEW_SCHOOL, Permission.VIEW_PERSONAL,
             Permission.DOWNLOAD_TEMPLATE}

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CITY_ADMIN: frozenset(Permission),
    Role.INSPECTOR: frozenset(_ALL_VIEW | {Permission.VIEW_CITY, Permission.VIEW_PLANNING}),
    # A county administrator imports workbooks too, but only rows of the own county
    # (checked row by row in services/scope.py).
    Role.COUNTY_ADMIN: frozenset(_ALL_VIEW | {Permission.EDIT_SCHOOL, Permission.VIEW_PLANNING,
                                              Permission.IMPORT_DATA,
                                              Permission.UNMASK_PERSONAL,
                                              Permission.REVIEW_AID,
                                              Permission.SUBMIT_EVIDENCE}),
    Role.SCHOOL_CLERK: frozenset({Permission.VIEW_SCHOOL, Permission.VIEW_PERSONAL,
                                  Permission.EDIT_SCHOOL, Permission.DOWNLOAD_TEMPLATE,
                                  Permission.UNMASK_PERSONAL}),
    Role.PARENT: frozenset(),
}


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    county_code: str | None
    school_id: str | None
    must_change_password: bool

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    @property
    def is_city_wide(self) -> bool:
        return self.role in (Role.CITY_ADMIN, Role.INSPECTOR)


def can_see_county(user: User, county_code: str) -> bool:
    if user.is_city_wide:
        return True
    return user.role == Role.COUNTY_ADMIN and user.county_code == county_code


def can_see_school(user: User, school_id: str, school_county: str | None) -> bool:
    if user.is_city_wide:
        return True
    if user.role == Role.COUNTY_ADMIN:
        return school_county is not None and user.county_code == school_county
    if user.role == Role.SCHOOL_CLERK:
        return user.school_id == school_id
    return False


def home_path(user: User) -> str:
    if user.is_city_wide:
        return "/city"
    if user.role == Role.COUNTY_ADMIN and user.county_code:
        return f"/county/{user.county_code}"
    if user.role == Role.SCHOOL_CLERK and user.school_id:
        return f"/school/{user.school_id}"
    if user.role == Role.PARENT:
        return "/family"
    return "/welcome"
