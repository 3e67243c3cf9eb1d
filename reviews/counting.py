"""The headings and steps the statistics count, each defined once.

A figure on the dashboard is counted in Python over the cycle's tally rows
(statistics/); the list behind it is a query over the reviews
(dashboard/views.py). Each rule below gives both from one definition: `holds`
for the count, `q` for the list, so the two can never disagree.
"""

import functools
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from organizations.models import GRASSROOTS_KINDS

from .models import Meeting, Review

Kind = Review.Kind


@dataclass(frozen=True)
class Heading:
    """Subjects counted under one heading: a kind of review, narrowed."""

    key: str
    kind: str
    grassroots: bool | None = None  # collectives: grassroots or not; None: both
    leaders: bool = False  # members: only leaders and managers

    def holds(self, kind, org_kind, is_leader):
        if kind != self.kind or (self.leaders and not is_leader):
            return False
        return self.grassroots is None or self.grassroots == (
            org_kind in GRASSROOTS_KINDS
        )

    def q(self):
        condition = Q(kind=self.kind)
        if self.leaders:
            condition &= Q(is_leader=True)
        if self.grassroots is True:
            condition &= Q(organization__kind__in=GRASSROOTS_KINDS)
        elif self.grassroots is False:
            condition &= ~Q(organization__kind__in=GRASSROOTS_KINDS)
        return condition


# Most general first: a subject's headings come in this order.
HEADINGS = (
    Heading("organizations", Kind.ORGANIZATION),
    Heading("grassroots", Kind.ORGANIZATION, grassroots=True),
    Heading("cells", Kind.ORGANIZATION, grassroots=False),
    Heading("leadership", Kind.LEADERSHIP),
    Heading("members", Kind.INDIVIDUAL),
    Heading("leaders", Kind.INDIVIDUAL, leaders=True),
)
HEADING = {heading.key: heading for heading in HEADINGS}


@functools.cache
def subjects_of(kind, org_kind, is_leader):
    """The headings a subject counts under, most general first."""
    return tuple(h.key for h in HEADINGS if h.holds(kind, org_kind, is_leader))


def subject_filter(key):
    """The reviews counted under a heading; every review for no heading."""
    heading = HEADING.get(key)
    return heading.q() if heading else Q()


@dataclass(frozen=True)
class StatusStep:
    """Done when the form is in this state."""

    status: str

    def holds(self, row, meeting_orgs):
        return row.status == self.status

    def q(self, cycle):
        return Q(status=self.status)


@dataclass(frozen=True)
class RatedStep:
    """Done when the review has a rating of this stage (its copied code)."""

    outcome: str  # "proposed" or "decided"

    def holds(self, row, meeting_orgs):
        return getattr(row, self.outcome) is not None

    def q(self, cycle):
        return ~Q(**{f"{self.outcome}_code": ""})


class MeetingStep:
    """Done when the collective's meeting is; a member's, when their cell's is."""

    def holds(self, row, meeting_orgs):
        if row.kind == Kind.INDIVIDUAL:
            return row.organization_id in meeting_orgs
        return row.meeting_done

    def q(self, cycle):
        held = Meeting.objects.filter(
            review__cycle=cycle,
            review__kind=Kind.ORGANIZATION,
            review__organization=OuterRef("organization"),
            status=Meeting.Status.DONE,
        )
        return Q(~Q(kind=Kind.INDIVIDUAL), meeting__status=Meeting.Status.DONE) | Q(
            Exists(held), kind=Kind.INDIVIDUAL
        )


STEPS = {
    "submitted": StatusStep(Review.Status.SUBMITTED),
    "returned": StatusStep(Review.Status.RETURNED),
    "meeting": MeetingStep(),
    "proposed": RatedStep("proposed"),
    "decided": RatedStep("decided"),
}


def step_done(step, row, meeting_orgs):
    """Whether a statistics row has done the step."""
    return STEPS[step].holds(row, meeting_orgs)


def step_filter(cycle, step):
    """The reviews that have done the step."""
    return STEPS[step].q(cycle)
