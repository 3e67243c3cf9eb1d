"""Remedy plans: who may change them, numbering, deadlines and overdue counts
(`services`), the forms of a plan (`forms`) and its pages (`views`). The
service names are re-exported here, so `remedies.save_action` keeps working;
the forms and views are imported from their own modules.
"""

from .services import (
    DEADLINE_YEARS,
    PLAN_STATES,
    Status,
    action_counts,
    add_action,
    add_years,
    can_edit_plan,
    deadline_bounds,
    decided_on,
    decision_of,
    not_done,
    organization_counts,
    overdue_filter,
    plan_counts,
    plan_open,
    save_action,
    tallied_action_counts,
)

__all__ = [
    "DEADLINE_YEARS",
    "PLAN_STATES",
    "Status",
    "action_counts",
    "add_action",
    "add_years",
    "can_edit_plan",
    "deadline_bounds",
    "decided_on",
    "decision_of",
    "not_done",
    "organization_counts",
    "overdue_filter",
    "plan_counts",
    "plan_open",
    "save_action",
    "tallied_action_counts",
]
