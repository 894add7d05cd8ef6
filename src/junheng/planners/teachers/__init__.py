"""Teacher rotation planner (交流轮岗): this year's list meeting the rotation rule, moving teachers
toward the schools whose indicators need them."""

from junheng.planners.teachers.rotation import RotationError, RotationPlan, rotate_teachers

__all__ = ["RotationError", "RotationPlan", "rotate_teachers"]
