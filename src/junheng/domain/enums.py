"""Enumerations of the domain. Codes match the field registry's enums (checked by a test)."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    PRESCHOOL = "preschool"
    PRIMARY = "primary"
    JUNIOR = "junior"
    SENIOR = "senior"


class SchoolType(StrEnum):
    PRIMARY = "primary"
    TEACHING_POINT = "teaching_point"
    JUNIOR = "junior"
    NINE_YEAR = "nine_year"
    COMPLETE_SECONDARY = "complete_secondary"
    TWELVE_YEAR = "twelve_year"
    SENIOR = "senior"
    SPECIAL = "special"
    KINDERGARTEN = "kindergarten"


class Locale(StrEnum):
    URBAN = "urban"
    TOWN = "town"
    RURAL = "rural"


class Ownership(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


COMPULSORY_STAGES: tuple[Stage, ...] = (Stage.PRIMARY, Stage.JUNIOR)
