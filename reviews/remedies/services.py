"""Remedy plans: who may change them, numbering, deadlines and overdue counts."""

import functools

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from kontum_review.dates import add_years

from .. import access
from ..models import Rating, RemedyAction, Review
from ..results import DECIDED_STATES

Status = RemedyAction.Status
# A plan is drawn up once the superior has decided and is followed during the
# year, so it stays open after publication and locking (docs/process.md §1 step 9).
PLAN_STATES = DECIDED_STATES
DEADLINE_YEARS = 2


def plan_open(cycle):
    return cycle.status in PLAN_STATES


def can_edit_plan(user, review):
    """Secretaries and staff over the subject, and a member for their own plan."""
    if not plan_open(review.cycle):
        return False
    return access.is_author(user, review) or access.manages_review(user, review)


def decision_of(review):
    """The superior's decided rating of the review, or None."""
    return (
        review.ratings.filter(stage=Rating.Stage.DECISION)
        .select_related("level")
        .first()
    )


def decided_on(decision):
    return timezone.localdate(decision.set_at) if decision else None


def deadline_bounds(decision_day):
    """(after, last): a deadline falls after the decision, at most two years on.

    Without a recorded decision the plan counts from today.
    """
    start = decision_day or timezone.localdate()
    return start, add_years(start, DEADLINE_YEARS)


@transaction.atomic
def add_action(review, action, user):
    """Save a new action of the review's plan, numbered after the last one.

    The review row is locked so that two people adding at once on PostgreSQL
    cannot take the same number.
    """
    Review.objects.select_for_update().only("pk").get(pk=review.pk)
    last = review.remedy_actions.aggregate(last=Max("number"))["last"] or 0
    action.review = review
    action.number = last + 1
    return save_action(action, user)


def save_action(action, user):
    """Save the action; marking it done records the day, reopening clears it."""
    if action.status == Status.DONE:
        action.closed_on = action.closed_on or timezone.localdate()
    else:
        action.closed_on = None
    action._history_user = user
    action.save()
    return action


def not_done():
    return ~Q(status=Status.DONE)


def overdue_filter(today):
    return not_done() & Q(deadline__lt=today)


def action_counts(today):
    """Actions not done, done and overdue, as aggregates to annotate with."""
    return {
        "not_done": Count("pk", filter=not_done()),
        "done": Count("pk", filter=Q(status=Status.DONE)),
        "overdue": Count("pk", filter=overdue_filter(today)),
    }


def tallied_action_counts(today):
    """action_counts summed from the actions' rollup (RemedyTally) instead."""
    number = functools.partial(Sum, "number", default=0)
    return {
        "not_done": number(filter=not_done()),
        "done": number(filter=Q(status=Status.DONE)),
        "overdue": number(filter=overdue_filter(today)),
    }


def organization_counts(actions, today):
    """Actions not done, done and overdue per organization, in tree order."""
    return list(
        actions.order_by()
        .values(
            "review__organization__public_id",
            "review__organization__name",
            "review__organization__path",
        )
        .annotate(**action_counts(today))
        .order_by("review__organization__path")
    )


def plan_counts(actions, today):
    """Open, in progress, done and overdue among a plan's actions (a list)."""
    counts = dict.fromkeys(Status.values, 0)
    counts["overdue"] = 0
    for action in actions:
        counts[action.status] += 1
        counts["overdue"] += action.is_overdue(today)
    return counts
