"""Investment planner: the least-cost actions (teachers, buildings, equipment, rooms, classes)
that bring a county's schools to the 优质均衡 resource rules, checked by the standards engine."""

from junheng.planners.investment.plan import PlanError, plan_county
from junheng.planners.investment.results import InvestmentPlan

__all__ = ["InvestmentPlan", "PlanError", "plan_county"]
