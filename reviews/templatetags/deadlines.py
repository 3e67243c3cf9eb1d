"""A deadline where the work is done: `{% deadline day %}`."""

from django import template
from django.utils import timezone

from ..reminders.agenda import due_state

register = template.Library()


@register.inclusion_tag("reviews/_deadline.html")
def deadline(day, label="", done=False, soon=3):
    """The date, with the days left (highlighted within `soon` days) or late.

    `{% deadline cycle.self_review_due _("Forms due") done=review.is_submitted
    soon=cycle.reminder_days %}`; nothing when there is no deadline, and only the
    date once the work is done.
    """
    state, days = due_state(day, timezone.localdate(), soon, done=done)
    return {"day": day, "label": label, "state": state, "days": days}
