"""The current cycle's meetings: one for every collective with someone to
invite, about half of them held and recorded subject by subject (minutes), the
others, the demo secretary's cell among them, still planned."""

import datetime
from collections import defaultdict

from organizations.models import OrganizationKind, OrganizationType
from reviews.models import (
    Attendance,
    Meeting,
    MeetingItem,
    Rating,
    Review,
    StepExemption,
)

from .. import bulk
from .data import DEMO_CELL
from .minutes import Attendee, Invited, MeetingContext, SubjectItem
from .timeline import update_rows

HELD_SHARE = 0.5


def hold_meetings(rng, cycle, organizations, staff, timeline):
    """A meeting for every collective with someone to invite; about half held
    and recorded subject by subject, as the meeting page records them."""
    collectives = list(
        cycle.reviews.collectives()
        .select_related("organization", "cycle")
        .order_by("organization__code", "kind")
    )
    meetings = ensure_meetings(cycle, collectives)
    cycle_meetings = Meeting.objects.filter(review__cycle=cycle)
    items = defaultdict(list)
    for values in (
        MeetingItem.objects.filter(meeting__in=cycle_meetings)
        .order_by("meeting_id", "order")
        .values_list(*SubjectItem.__slots__)
    ):
        item = SubjectItem(*values)
        items[item.meeting_id].append(item)
    rows = defaultdict(list)
    for values in (
        Attendance.objects.filter(meeting__in=cycle_meetings)
        .order_by("meeting_id", "member__sort_key", "member__card_number", "pk")
        .values_list(
            "pk",
            "meeting_id",
            "member_id",
            "present",
            "absence_reason",
            "member__sort_key",
            "member__card_number",
            "member__full_name",
        )
    ):
        row = Attendee(*values[:5], Invited(*values[5:]))
        rows[row.meeting_id].append(row)
    reviews = {
        review.pk: review
        for review in cycle.reviews.values_list(
            "pk", "kind", "member_id", "meeting_rank", "self_rating_id", named=True
        )
    }
    by_member = {r.member_id: r for r in reviews.values() if r.member_id}
    exempted = dict(
        StepExemption.objects.filter(
            review__cycle=cycle, kind=StepExemption.Kind.NOT_SUBMITTED
        ).values_list("review_id", "reason")
    )
    levels = list(cycle.regime.levels.order_by("rank"))
    by_level = {level.pk: level.code for level in levels}
    by_id = {o.pk: o for o in organizations.values()}
    types = dict(OrganizationType.objects.values_list("pk", "code"))
    cell = organizations.get(DEMO_CELL)

    # Which meetings are held, and when: cells first, then the committees.
    plans = []
    cell_days = max((timeline.last - timeline.closed).days - 2, 1)
    for review in collectives:
        held = rng.random() < HELD_SHARE
        if review.organization.kind == OrganizationKind.GRASSROOTS_COMMITTEE:
            day = timeline.last - datetime.timedelta(days=rng.randint(0, 1))
        else:
            day = timeline.closed + datetime.timedelta(days=rng.randint(1, cell_days))
        meeting = meetings.get(review.pk)
        if meeting is not None and not (cell and review.organization_id == cell.pk):
            plans.append([held, day, review.organization.code, meeting])
    # However the draw falls, the demo shows a recorded meeting.
    if plans and not any(plan[0] for plan in plans):
        plans[0][0] = True
    # Only a meeting still as planned is held: running again records nothing.
    chosen = sorted(
        (
            plan
            for plan in plans
            if plan[0]
            and plan[3].status == Meeting.Status.PLANNED
            and not any(item.recorded_at for item in items[plan[3].pk])
        ),
        key=lambda plan: plan[1:3],
    )

    proposals, votes_at = {}, {}
    written_items, written_rows, written_meetings = [], [], []
    for _held, day, _code, meeting in chosen:
        context = MeetingContext(
            meeting,
            items[meeting.pk],
            rows[meeting.pk],
            reviews,
            by_member,
            exempted,
            by_id[meeting.review.organization_id],
            by_id,
            types,
        )
        changed = context.attend(rng, cycle.regime.quorum_percent)
        if changed is None:
            continue  # no quorum without the absent: the meeting waits
        context.describe(rng, day)
        recorded = context.record(
            rng, levels, by_level, cycle.regime.vote_majority_percent, proposals
        )
        for item in recorded:
            votes_at[item.review_id] = item
        written_rows += changed
        written_items += recorded
        written_meetings.append(meeting)
    update_rows(Attendance, written_rows, ["present", "absence_reason"])
    update_rows(
        MeetingItem,
        written_items,
        ["comments", "votes", "proposed_rating", "recorded_at"],
    )
    update_rows(
        Meeting,
        written_meetings,
        [
            "held_on",
            "starts_at",
            "ends_at",
            "place",
            "chair",
            "recorder",
            "superior_attendee",
            "status",
            "version",
        ],
    )
    # A leader reviewed at two meetings keeps the later meeting's proposal;
    # a proposal already recorded stays as it is.
    proposed = set(
        Rating.objects.filter(
            review__cycle=cycle, stage=Rating.Stage.MEETING
        ).values_list("review_id", flat=True)
    )
    bulk.insert(
        Rating,
        ["review_id", "stage", "level_id", "votes", "set_by_id", "set_at"],
        [
            (
                item.review_id,
                Rating.Stage.MEETING,
                item.proposed_rating_id,
                item.votes,
                staff.pk,
                item.recorded_at,
            )
            for item in votes_at.values()
            if item.review_id not in proposed
        ],
    )
    # Bulk writes send no signals: copy the proposals onto the reviews.
    bulk.refresh_outcomes(cycle)


def ensure_meetings(cycle, collectives):
    """services.ensure_meeting for each collective, in a few statements: review
    pk → its meeting, with its subjects and attendance list, for every
    collective with someone to invite."""
    meetings = {
        meeting.review_id: meeting
        for meeting in Meeting.objects.filter(review__in=[r.pk for r in collectives])
    }
    individuals = cycle.reviews.individuals().in_meeting_order()
    in_cell, in_leadership = defaultdict(list), defaultdict(list)
    for subject in individuals.values_list(
        "pk", "member_id", "organization_id", "leadership_review_id", named=True
    ):
        in_cell[subject.organization_id].append(subject)
        if subject.leadership_review_id:
            in_leadership[subject.leadership_review_id].append(subject)
    # A committee calls the leaders reviewed with its leadership collective.
    leadership_of = {
        r.pk: r.organization_id for r in collectives if r.kind == Review.Kind.LEADERSHIP
    }
    leaders = defaultdict(list)
    for subjects in in_leadership.values():
        for subject in sorted(subjects, key=lambda s: s.pk):
            organization_id = leadership_of.get(subject.leadership_review_id)
            leaders[organization_id].append(subject.member_id)
    cells = (OrganizationKind.CELL, OrganizationKind.GRASSROOTS_CELL)
    created = []
    for review in collectives:
        if review.pk in meetings:
            continue
        # services.subjects_of_meeting and services.invited_members
        if review.kind == Review.Kind.LEADERSHIP:
            subjects = in_leadership.get(review.pk, [])
        elif review.organization.kind in cells:
            subjects = in_cell.get(review.organization_id, [])
        else:
            subjects = []
        called = [subject.member_id for subject in subjects]
        if review.kind == Review.Kind.ORGANIZATION and not called:
            called = leaders.get(review.organization_id, [])
        if called:
            created.append((Meeting(review=review), subjects, called))
    new = Meeting.objects.bulk_create([meeting for meeting, _s, _c in created])
    if new and new[0].pk is None:  # a backend that does not return keys
        found = dict(
            Meeting.objects.filter(review__in=[m.review_id for m in new]).values_list(
                "review_id", "pk"
            )
        )
        for meeting in new:
            meeting.pk = found[meeting.review_id]
    # What saving each meeting records: its history row.
    Meeting.history.bulk_history_create(new, default_change_reason=None)
    bulk.insert(
        MeetingItem,
        ["meeting_id", "review_id", "order"],
        [
            (meeting.pk, review_pk, order)
            for meeting, subjects, _called in created
            for order, review_pk in enumerate(
                [meeting.review_id, *(subject.pk for subject in subjects)]
            )
        ],
    )
    bulk.insert(
        Attendance,
        ["meeting_id", "member_id"],
        [
            (meeting.pk, member_id)
            for meeting, _subjects, called in created
            for member_id in called
        ],
    )
    for meeting, _subjects, _called in created:
        meetings[meeting.review_id] = meeting
    for review in collectives:
        if review.pk in meetings:
            meetings[review.pk].review = review
    bulk.analyze(MeetingItem, Attendance)
    return meetings
