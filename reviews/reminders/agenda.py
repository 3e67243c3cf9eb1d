"""What each person is reminded of, and what is late for staff and leaders:
the deadlines' states (`due_state`, shown by the `{% deadline %}` tag), each
day's agenda of forms, meetings and remedy actions due (`reminders_for`) and
the weekly digest's late counts (`digest_for`). Sending them is sending.py.
"""

from collections import Counter, defaultdict
from datetime import timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.models import Organization, Role

from .. import remedies
from ..cycles.states import unheld_meetings, unsubmitted_reviews
from ..models import MAX_REMINDER_DAYS, RemedyAction, ReviewCycle

# Deadlines --------------------------------------------------------------------


def due_state(day, today, soon, done=False):
    """(state, days) of a deadline: "done", "late", "today", "soon" or "open",
    and how many days late or left."""
    if day is None:
        return None, 0
    left = (day - today).days
    if done:
        return "done", 0
    if left < 0:
        return "late", -left
    if left == 0:
        return "today", 0
    return ("soon" if left <= soon else "open"), left


def when(day, today):
    """ "due 15/12/2026, 3 days left" and the like, for a reminder's line."""
    state, days = due_state(day, today, soon=0)
    date = formats.date_format(day, "d/m/Y")
    if state == "late":
        return ngettext(
            "due %(date)s, %(days)s day late",
            "due %(date)s, %(days)s days late",
            days,
        ) % {"date": date, "days": days}
    if state == "today":
        return _("due today, %(date)s") % {"date": date}
    return ngettext(
        "due %(date)s, %(days)s day left",
        "due %(date)s, %(days)s days left",
        days,
    ) % {"date": date, "days": days}


def in_window(day, today, days):
    return day is not None and today >= day - timedelta(days=days)


# What is due ------------------------------------------------------------------


class Agenda:
    """Each user's lines for one day: (text, link), in the order added."""

    def __init__(self):
        self.lines = defaultdict(list)

    def add(self, user_ids, text, link):
        for user_id in user_ids:
            if (text, link) not in self.lines[user_id]:
                self.lines[user_id].append((text, link))

    def __bool__(self):
        return bool(self.lines)


def secretaries(organization_ids):
    """{organization id: [user ids]} of the active secretaries of each."""
    holders = defaultdict(list)
    for user_id, organization_id in Role.objects.filter(
        kind=Role.Kind.SECRETARY,
        organization_id__in=organization_ids,
        user__is_active=True,
    ).values_list("user_id", "organization_id"):
        holders[organization_id].append(user_id)
    return holders


def per_organization(queryset, field="organization_id"):
    """{organization id: how many rows of `queryset`}."""
    return dict(
        queryset.order_by()
        .values_list(field)
        .annotate(count=Count("pk"))
        .values_list(field, "count")
    )


def followed_actions():
    """Remedy actions still followed: not done, of an opened cycle, and not
    carried over to a later plan (they are followed there)."""
    return RemedyAction.objects.filter(
        remedies.not_done(), carried_to__isnull=True
    ).exclude(review__cycle__status=ReviewCycle.Status.DRAFT)


def forms_due(agenda, cycle, today):
    due = cycle.self_review_due
    pending = unsubmitted_reviews(cycle)
    for user_id, public_id in (
        pending.individuals()
        .filter(member__user__is_active=True)
        .values_list("member__user_id", "public_id")
    ):
        agenda.add(
            [user_id],
            _("Your self-review form of %(cycle)s: %(when)s.")
            % {"cycle": cycle.name, "when": when(due, today)},
            reverse("reviews:review", args=[public_id]),
        )
    counts = per_organization(pending)
    holders = secretaries(counts)
    for organization in Organization.objects.filter(pk__in=holders).only(
        "name", "public_id"
    ):
        count = counts[organization.pk]
        agenda.add(
            holders[organization.pk],
            ngettext(
                "%(organization)s: %(count)s form not submitted, %(when)s.",
                "%(organization)s: %(count)s forms not submitted, %(when)s.",
                count,
            )
            % {
                "organization": organization.name,
                "count": count,
                "when": when(due, today),
            },
            reverse(
                "reviews:checklist", args=[cycle.public_id, organization.public_id]
            ),
        )


def meetings_due(agenda, cycle, today):
    due = cycle.meetings_due
    pending = list(
        unheld_meetings(cycle).values_list(
            "organization_id", "public_id", "subject_name"
        )
    )
    holders = secretaries({organization_id for organization_id, *_rest in pending})
    for organization_id, public_id, subject in pending:
        agenda.add(
            holders.get(organization_id, ()),
            _("The review meeting of %(subject)s is not recorded, %(when)s.")
            % {"subject": subject, "when": when(due, today)},
            reverse("reviews:meeting", args=[public_id]),
        )


def actions_due(agenda, today):
    """Followed remedy actions due within their cycle's reminder_days, or
    overdue."""
    rows = (
        followed_actions()
        .filter(deadline__lte=today + timedelta(days=MAX_REMINDER_DAYS))
        .values_list(
            "review_id",
            "review__public_id",
            "review__subject_name",
            "review__organization_id",
            "review__member__user_id",
            "review__member__user__is_active",
            "review__cycle__reminder_days",
            "deadline",
        )
    )
    plans = {}
    counts = Counter()
    for (
        review_id,
        public_id,
        subject,
        organization_id,
        user_id,
        active,
        days,
        deadline,
    ) in rows:
        if not in_window(deadline, today, days):
            continue
        plans[review_id] = (public_id, subject, organization_id, user_id, active)
        counts[review_id, deadline < today] += 1
    holders = secretaries({plan[2] for plan in plans.values()})
    for review_id, (
        public_id,
        subject,
        organization_id,
        user_id,
        active,
    ) in plans.items():
        late, soon = counts[review_id, True], counts[review_id, False]
        parts = []
        if late:
            parts.append(
                ngettext("%(count)s action overdue", "%(count)s actions overdue", late)
                % {"count": late}
            )
        if soon:
            parts.append(
                ngettext(
                    "%(count)s action due soon", "%(count)s actions due soon", soon
                )
                % {"count": soon}
            )
        text = _("Remedy plan of %(subject)s: %(actions)s.") % {
            "subject": subject,
            "actions": ", ".join(parts),
        }
        recipients = list(holders.get(organization_id, ()))
        if user_id and active:
            recipients.append(user_id)
        agenda.add(recipients, text, reverse("reviews:remedy_plan", args=[public_id]))


def reminders_for(today):
    agenda = Agenda()
    cycles = ReviewCycle.objects.filter(
        status__in=[ReviewCycle.Status.SELF_REVIEW, ReviewCycle.Status.MEETINGS]
    )
    for cycle in cycles:
        if cycle.status == ReviewCycle.Status.SELF_REVIEW and in_window(
            cycle.self_review_due, today, cycle.reminder_days
        ):
            forms_due(agenda, cycle, today)
        if cycle.status == ReviewCycle.Status.MEETINGS and in_window(
            cycle.meetings_due, today, cycle.reminder_days
        ):
            meetings_due(agenda, cycle, today)
    actions_due(agenda, today)
    return agenda


# What is late, for staff and leaders ------------------------------------------


def late_counts(today):
    """{organization id: Counter(forms=, meetings=, actions=)} of what is late."""
    late = defaultdict(Counter)

    def add(kind, counts):
        for organization_id, count in counts.items():
            late[organization_id][kind] += count

    for cycle in ReviewCycle.objects.filter(
        status=ReviewCycle.Status.SELF_REVIEW, self_review_due__lt=today
    ):
        add("forms", per_organization(unsubmitted_reviews(cycle)))
    for cycle in ReviewCycle.objects.filter(
        status=ReviewCycle.Status.MEETINGS, meetings_due__lt=today
    ):
        add("meetings", per_organization(unheld_meetings(cycle)))
    overdue = followed_actions().filter(deadline__lt=today)
    add("actions", per_organization(overdue, "review__organization_id"))
    return late


# How each late count reads in a digest.
LATE_WORDINGS = {
    "forms": lambda count: ngettext(
        "%(count)s form late", "%(count)s forms late", count
    ),
    "meetings": lambda count: ngettext(
        "%(count)s review meeting late", "%(count)s review meetings late", count
    ),
    "actions": lambda count: ngettext(
        "%(count)s remedy action overdue", "%(count)s remedy actions overdue", count
    ),
}


def late_parts(total):
    """ "3 forms late, 1 remedy action overdue": the counts that are not 0."""
    return [
        wording(total[key]) % {"count": total[key]}
        for key, wording in LATE_WORDINGS.items()
        if total[key]
    ]


def digest_for(today):
    agenda = Agenda()
    late = late_counts(today)
    if not late:
        return agenda
    paths = dict(Organization.objects.filter(pk__in=late).values_list("pk", "path"))
    roles = Role.objects.filter(
        kind__in=[Role.Kind.STAFF, Role.Kind.LEADER], user__is_active=True
    ).values_list("user_id", "organization__name", "organization__path")
    for user_id, name, path in roles.order_by("organization__path", "user_id"):
        total = Counter()
        for organization_id, counts in late.items():
            if paths[organization_id].startswith(path):
                total.update(counts)
        if not total:
            continue
        agenda.add(
            [user_id],
            _("%(organization)s: %(late)s.")
            % {"organization": name, "late": ", ".join(late_parts(total))},
            reverse("dashboard"),
        )
    return agenda
