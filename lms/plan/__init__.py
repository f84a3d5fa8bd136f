"""The requirements engine: the training plan and the status of each requirement."""

from .plan import DEFAULT_PLAN, Plan, PlanError, check_refs, parse_plan, plan_path, read_plan
from .status import STATUS_ORDER, Result, Status, add_months, evaluate

__all__ = [
    "DEFAULT_PLAN",
    "STATUS_ORDER",
    "Plan",
    "PlanError",
    "Result",
    "Status",
    "add_months",
    "check_refs",
    "evaluate",
    "parse_plan",
    "plan_path",
    "read_plan",
]
