"""The cycle's state machine: the one step each state moves to, what each step
waits for (the guards' lists of open work), the exemptions that close that work
with a reason, and the move itself."""

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from organizations.models import Organization

from .. import ratings, statistics
from ..models import FormTemplate, Meeting, Review, ReviewCycle, StepExemption
from .scope import select_template

Status = ReviewCycle.Status

# The one step each state may move to; nothing can be skipped.
NEXT_STATUS = {
    Status.DRAFT: Status.SELF_REVIEW,
    Status.SELF_REVIEW: Status.MEETINGS,
    Status.MEETINGS: Status.APPRAISAL,
    Status.APPRAISAL: Status.DECIDED,
    Status.DECIDED: Status.PUBLISHED,
    Status.PUBLISHED: Status.LOCKED,
}
TRANSITION_LABELS = {
    Status.SELF_REVIEW: gettext_lazy("Open the cycle for self-review"),
    Status.MEETINGS: gettext_lazy("Close self-review and start the review meetings"),
    Status.APPRAISAL: gettext_lazy("Close the meetings and start the appraisal"),
    Status.DECIDED: gettext_lazy("Close the appraisal: ratings decided"),
    Status.PUBLISHED: gettext_lazy("Publish the results"),
    Status.LOCKED: gettext_lazy("Lock the cycle"),
}


class TransitionRefused(Exception):
    def __init__(self, blockers):
        super().__init__("; ".join(str(message) for message, _url in blockers))
        self.blockers = blockers


# Transitions --------------------------------------------------------------


def refuse_unless_next(cycle, target):
    if NEXT_STATUS.get(cycle.status) != target:
        raise TransitionRefused(
            [
                (
                    _("The cycle is “%(status)s”; it cannot move to “%(target)s”.")
                    % {
                        "status": cycle.get_status_display(),
                        "target": Status(target).label,
                    },
                    None,
                )
            ]
        )


def blockers(cycle, target, limit=50):
    """What stops the cycle from moving to `target`, each with a link to it."""
    if NEXT_STATUS.get(cycle.status) != target:
        try:
            refuse_unless_next(cycle, target)
        except TransitionRefused as refused:
            return refused.blockers
    found = []
    if target == Status.SELF_REVIEW:
        if not select_template(cycle, FormTemplate.Audience.MEMBER):
            found.append((_("The regime has no individual review form."), None))
    elif target == Status.MEETINGS:
        unfinished = unsubmitted_reviews(cycle).order_by(
            "organization__path", "meeting_rank", "sort_key"
        )
        for review in unfinished.select_related("organization__parent")[:limit]:
            found.append(
                (
                    _("Review not submitted: %(name)s (%(status)s)")
                    % {
                        "name": named_in_context(review),
                        "status": review.get_status_display(),
                    },
                    reverse("reviews:review", args=[review.public_id]),
                )
            )
        found += more_line(unfinished.count() - limit)
    elif target == Status.APPRAISAL:
        collectives = unheld_meetings(cycle)
        listed = collectives.select_related("organization__parent")
        for review in listed.order_by("organization__path")[:limit]:
            found.append(
                (
                    _("Review meeting not recorded: %(name)s")
                    % {"name": named_in_context(review)},
                    reverse("reviews:meeting", args=[review.public_id]),
                )
            )
        found += more_line(collectives.count() - limit)
    elif target == Status.DECIDED:
        undecided = undecided_reviews(cycle).order_by(
            "organization__path", "meeting_rank", "sort_key"
        )
        for review in undecided.select_related("organization__parent")[:limit]:
            found.append(
                (
                    _("Rating not decided: %(name)s")
                    % {"name": named_in_context(review)},
                    reverse("reviews:decide", args=[cycle.public_id])
                    + f"?subject={review.public_id}",
                )
            )
        found += more_line(undecided.count() - limit)
    if target in (Status.DECIDED, Status.PUBLISHED):
        broken = ratings.out_of_line(cycle)
        for review, findings in broken[:limit]:
            found.append(
                (
                    _(
                        "Decision out of line with the rules: %(name)s (%(level)s): "
                        "%(reasons)s"
                    )
                    % {
                        "name": review.subject_name,
                        "level": review.decided_code,
                        "reasons": " ".join(f.reason for f in findings),
                    },
                    reverse("reviews:decide", args=[cycle.public_id])
                    + f"?subject={review.public_id}",
                )
            )
        found += more_line(len(broken) - limit)
    return found


# What each guard waits for: one definition for the guard, the list of
# unfinished work beside it and the exemption form that closes an item.


def unsubmitted_reviews(cycle):
    """Forms neither submitted nor recorded as not submitted, with a reason."""
    return cycle.reviews.exclude(status=Review.Status.SUBMITTED).exclude(
        exemptions__kind=StepExemption.Kind.NOT_SUBMITTED
    )


def unheld_meetings(cycle):
    """Collectives whose meeting is neither recorded nor recorded as not held."""
    return (
        cycle.reviews.collectives()
        .filter(Q(meeting__isnull=True) | ~Q(meeting__status=Meeting.Status.DONE))
        .exclude(exemptions__kind=StepExemption.Kind.MEETING_NOT_HELD)
    )


def undecided_reviews(cycle):
    """Subjects with no decided rating that nobody recorded as not rated."""
    return cycle.reviews.exclude(ratings__stage="decision").exclude(
        exemptions__kind__in=StepExemption.UNRATED_KINDS
    )


# The exemption each guarded step accepts, and what it waits for.
STEP_EXEMPTIONS = {
    Status.MEETINGS: (StepExemption.Kind.NOT_SUBMITTED, unsubmitted_reviews),
    Status.APPRAISAL: (StepExemption.Kind.MEETING_NOT_HELD, unheld_meetings),
    Status.DECIDED: (StepExemption.Kind.NOT_RATED, undecided_reviews),
}


def exemption_step(cycle):
    """The exemption kind and the open work of the cycle's current step, if any."""
    return STEP_EXEMPTIONS.get(NEXT_STATUS.get(cycle.status))


@transaction.atomic
def record_exemptions(cycle, reviews, kind, reason, user):
    """Close each review's open work at this step without doing it, with the reason.

    Only reviews still waiting at the cycle's current step are exempted, so a
    stale selection cannot exempt work done meanwhile; returns how many were.
    """
    step = exemption_step(cycle)
    if step is None or step[0] != kind:
        message = _("This exemption cannot be recorded at the cycle's current step.")
        raise TransitionRefused([(message, None)])
    waiting = step[1](cycle).filter(pk__in=[r.pk for r in reviews])
    created = bulk_create_with_history(
        [
            StepExemption(review=review, kind=kind, reason=reason, recorded_by=user)
            for review in waiting.distinct()
        ],
        StepExemption,
        default_user=user,
    )
    statistics.invalidate(cycle.pk)
    return len(created)


@transaction.atomic
def withdraw_exemption(exemption, user):
    """Put the work back on the step's list; history keeps the withdrawn row."""
    exemption._history_user = user
    exemption.delete()


def withdraw_exemptions(review, kind, user):
    """The work was done after all: withdraw the review's exemption of `kind`."""
    for exemption in review.exemptions.filter(kind=kind):
        withdraw_exemption(exemption, user)


def named_in_context(review):
    """A subject's name and where it is, for the lists of a whole cycle: about
    ten wards each have their "Chi bộ Tổ dân phố 1" and its members. A cell's
    collective is named as the results history names it (subject_in_context)."""
    organization = review.organization
    if review.kind == Review.Kind.INDIVIDUAL:
        return f"{review.subject_name} – {organization.name_in_context}"
    if review.kind != Review.Kind.ORGANIZATION:
        return review.subject_name
    parent = organization.parent
    return Organization.named_in_context(
        review.subject_name, organization.kind, parent and parent.name
    )


def more_line(hidden):
    if hidden <= 0:
        return []
    return [(_("… and %(count)s more.") % {"count": hidden}, None)]


@transaction.atomic
def move_cycle(cycle, target, user):
    """Move the cycle one step on; refuse with the reasons if anything is open."""
    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if target == Status.SELF_REVIEW:
        raise TransitionRefused(
            [(_("Opening the cycle creates the reviews: use the opening job."), None)]
        )
    found = blockers(cycle, target)
    if found:
        raise TransitionRefused(found)
    cycle.status = target
    cycle._history_user = user
    cycle.save(update_fields=["status"])
    if target == Status.PUBLISHED:
        from ..publishing import publish_results

        publish_results(cycle, user)
    return cycle
