"""Attendance zones (招生片区): assign residential areas to schools, minimising student-km.

Four steps as in PyPSA: ``problem`` builds the inputs from the exchange-format tables,
``model`` + ``solve`` build and solve a HiGHS MIP with named constraints, ``plan`` reads the
result back, and ``check`` recomputes every constraint from the plan alone.
"""

from junheng.planners.zones.check import CheckResult, check_plan
from junheng.planners.zones.plan import ZonePlan, which_school
from junheng.planners.zones.problem import NewSite, ZoneOptions, ZoneProblem, build_problem
from junheng.planners.zones.service import current_plan, plan_zones

__all__ = [
    "CheckResult",
    "NewSite",
    "ZoneOptions",
    "ZonePlan",
    "ZoneProblem",
    "build_problem",
    "check_plan",
    "current_plan",
    "plan_zones",
    "which_school",
]
