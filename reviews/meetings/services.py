"""The review meeting of a collective as data: who it calls and reviews
(`ensure_meeting`), and the secretary's writes (details and attendance, each
subject's vote, finishing and reopening), each refused with its reasons when the
meeting's state does not allow it.

The collective is reviewed first, then the head, the deputies and the members
(docs/process.md §1 step 5); each subject gets comments and a vote per rating
level, and the level the majority supports is the meeting's proposal.
"""

import datetime
import functools
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from kontum_review.compiled import Compiled
from organizations.models import OrganizationKind

from .. import ratings, rules
from ..cycles.states import withdraw_exemptions
from ..models import (
    Attendance,
    Meeting,
    MeetingItem,
    Rating,
    Review,
    ReviewCycle,
    StepExemption,
)
from ..review_forms.services import StaleVersion

# A meeting may be recorded while members write their forms and during the
# meetings step; afterwards the page is read-only.
RECORDING_STATES = (ReviewCycle.Status.SELF_REVIEW, ReviewCycle.Status.MEETINGS)
LISTED_MISSING = 10


class Refused(Exception):
    """A write the meeting's state does not allow; the reasons say why."""

    def __init__(self, *reasons):
        super().__init__("; ".join(str(reason) for reason in reasons))
        self.reasons = reasons


@dataclass
class Quorum:
    present: int
    called: int
    percent: object

    @property
    def reached(self):
        return rules.quorum_reached(self.present, self.called, self.percent)


# Creating ------------------------------------------------------------------


def subjects_of_meeting(review):
    """The collective, then its members in order: head, deputies, members."""
    if review.kind == Review.Kind.LEADERSHIP:
        members = review.leader_reviews.all()
    elif review.organization.kind in (
        OrganizationKind.CELL,
        OrganizationKind.GRASSROOTS_CELL,
    ):
        members = Review.objects.filter(
            cycle=review.cycle,
            kind=Review.Kind.INDIVIDUAL,
            organization=review.organization,
        )
    else:
        members = Review.objects.none()
    return [review, *members.in_meeting_order()]


def invited_members(review, subjects):
    """Who a collective's meeting calls: its members, or a committee's leaders."""
    called = [s.member_id for s in subjects if s.member_id]
    if review.kind == Review.Kind.ORGANIZATION and not called:
        called = list(
            Review.objects.filter(
                leadership_review__organization=review.organization,
                leadership_review__cycle=review.cycle,
            ).values_list("member_id", flat=True)
        )
    return called


@transaction.atomic
def ensure_meeting(review):
    """The meeting of a collective review, with its subjects and attendance list.

    A collective with nobody in the register to invite gets no meeting (None):
    a meeting nobody attends could never reach its quorum or be finished.
    """
    meeting = Meeting.objects.filter(review=review).first()
    if meeting is not None:
        return meeting
    subjects = subjects_of_meeting(review)
    called = invited_members(review, subjects)
    if not called:
        return None
    meeting = Meeting.objects.create(review=review)
    MeetingItem.objects.bulk_create(
        MeetingItem(meeting=meeting, review=subject, order=order)
        for order, subject in enumerate(subjects)
    )
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, member_id=member_id) for member_id in called
    )
    return meeting


def cycle_day_bounds(cycle):
    """Meetings may be held from the start of the period until the decision is due."""
    last = cycle.decision_due or cycle.ends_on + datetime.timedelta(days=60)
    return cycle.starts_on, max(last, cycle.ends_on)


# Recording -----------------------------------------------------------------


@transaction.atomic
def write_details(meeting, form, attendance, user):
    current = lock_meeting(meeting)
    if current.version != form.cleaned_data["version"]:
        raise StaleVersion(current)
    refuse_if_done(current)
    present = sum(row.cleaned_data["present"] for row in attendance.forms)
    recorded = [item for item in load_items(current) if item.is_recorded]
    too_many = [item for item in recorded if sum(item.votes.values()) > present]
    if too_many:
        raise Refused(
            *(
                _(
                    "%(name)s received %(votes)s votes, more than the %(present)s "
                    "members now marked present; correct that subject first."
                )
                % {
                    "name": item.review.subject_name,
                    "votes": sum(item.votes.values()),
                    "present": present,
                }
                for item in too_many
            )
        )
    for field in form._meta.fields:
        setattr(current, field, form.cleaned_data[field])
    if current.status == Meeting.Status.PLANNED:
        current.status = Meeting.Status.HELD
    save_meeting(current, user)
    changed = attendance.changed_rows()
    if changed:
        bulk_update_with_history(
            changed, Attendance, ["present", "absence_reason"], default_user=user
        )
    repropose(current, recorded, present, user)


def repropose(meeting, recorded, present, user):
    """Follow a change of attendance: the majority is counted on those present."""
    cycle = meeting.review.cycle
    levels = load_levels(cycle)
    by_id = {level.pk: level for level in levels}
    changed = []
    for item in recorded:
        level = rules.proposed_level(
            levels, item.votes, present, cycle.regime.vote_majority_percent
        )
        if by_id.get(item.proposed_rating_id) != level:
            item.proposed_rating = level
            changed.append(item)
    if changed:
        bulk_update_with_history(
            changed, MeetingItem, ["proposed_rating"], default_user=user
        )
    for item in changed:
        if item.proposed_rating:
            ratings.record_rating(
                item.review,
                Rating.Stage.MEETING,
                item.proposed_rating,
                user,
                votes=item.votes,
            )
        else:
            Rating.objects.filter(
                review=item.review, stage=Rating.Stage.MEETING
            ).delete()


@transaction.atomic
def write_subject(meeting, item, form, user, levels):
    current = lock_meeting(meeting)
    refuse_if_done(current)
    quorum = refuse_unless_ready(current)
    if item.is_skipped:
        raise Refused(
            _("“%(name)s” did not submit a review form (%(reason)s): nothing is voted.")
            % {"name": item.review.subject_name, "reason": item.skipped_reason}
        )
    if not item.review.is_submitted:
        raise Refused(
            _(
                "“%(name)s” has not submitted the review form: the meeting reviews "
                "a subject after the form is submitted."
            )
            % {"name": item.review.subject_name}
        )
    earlier = (
        awaited(current.items.filter(order__lt=item.order))
        .select_related("review")
        .order_by("order")
        .first()
    )
    if earlier:
        raise Refused(
            _("Record “%(name)s” first: the subjects are reviewed in order.")
            % {"name": earlier.review.subject_name}
        )
    saved = MeetingItem.objects.select_for_update().get(pk=item.pk)
    if stamp_of(saved) != form.cleaned_data["stamp"]:
        raise StaleVersion(saved)
    votes = form.votes
    errors = rules.vote_errors(votes, quorum.present)
    if errors:
        raise Refused(*errors)
    cycle = meeting.review.cycle
    level = rules.proposed_level(
        levels, votes, quorum.present, cycle.regime.vote_majority_percent
    )
    if level is None:
        raise Refused(
            _(
                "No level has the votes of more than %(percent)s%% of the "
                "%(present)s members present, so the meeting proposes no rating; "
                "count the vote again."
            )
            % {
                "percent": floatformat(cycle.regime.vote_majority_percent, -2),
                "present": quorum.present,
            }
        )
    saved.comments = form.cleaned_data["comments"]
    saved.votes = votes
    saved.proposed_rating = level
    saved.recorded_at = timezone.now()
    saved._history_user = user
    saved.save()
    ratings.record_rating(item.review, Rating.Stage.MEETING, level, user, votes=votes)
    return saved


@transaction.atomic
def write_finish(meeting, user):
    current = lock_meeting(meeting)
    refuse_if_done(current)
    refuse_unless_ready(current)
    missing = list(
        awaited(current.items.all())
        .select_related("review")
        .order_by("order")[: LISTED_MISSING + 1]
    )
    if missing:
        names = ", ".join(item.review.subject_name for item in missing[:LISTED_MISSING])
        if len(missing) > LISTED_MISSING:
            names += " …"
        raise Refused(
            _("Record every subject first. Not recorded: %(names)s.") % {"names": names}
        )
    current.status = Meeting.Status.DONE
    save_meeting(current, user)
    # Held after all: the meeting is no longer an exception of its step.
    withdraw_exemptions(current.review, StepExemption.Kind.MEETING_NOT_HELD, user)


@transaction.atomic
def write_reopen(meeting, user):
    # Lock the cycle as moving it on does, so that a meeting cannot be reopened
    # while the cycle leaves the meetings step on the strength of it being done.
    cycle = ReviewCycle.objects.select_for_update().get(pk=meeting.review.cycle_id)
    current = lock_meeting(meeting)
    if cycle.status not in RECORDING_STATES:
        raise Refused(_("The cycle has left the meetings step."))
    if current.status != Meeting.Status.DONE:
        raise Refused(_("The meeting is still being recorded."))
    current.status = Meeting.Status.HELD
    save_meeting(current, user)


def awaited(items):
    """Subjects still to record: not recorded, and not excused from submitting."""
    return items.filter(recorded_at__isnull=True).exclude(
        review__exemptions__kind=StepExemption.Kind.NOT_SUBMITTED
    )


def lock_meeting(meeting):
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    current.review = meeting.review
    return current


def save_meeting(meeting, user):
    meeting.version += 1
    meeting._history_user = user
    meeting.save()


def refuse_if_done(meeting):
    if meeting.status == Meeting.Status.DONE:
        raise Refused(_("The meeting is recorded as finished; reopen it to change it."))


def refuse_unless_ready(meeting):
    """Subjects are recorded only at a meeting with a date and a quorum."""
    if meeting.held_on is None or meeting.status == Meeting.Status.PLANNED:
        raise Refused(
            _("Save the meeting's date and attendance before recording the subjects.")
        )
    quorum = attendance_quorum(meeting)
    if not quorum.reached:
        raise Refused(
            _(
                "Only %(present)s of the %(called)s members called are present; "
                "without a quorum (%(percent)s%%) the meeting cannot review anyone."
            )
            % {
                "present": quorum.present,
                "called": quorum.called,
                "percent": floatformat(quorum.percent, -2),
            }
        )
    return quorum


def load_items(meeting):
    """The subjects in order, each marked if its member was excused from the
    form, in one query (a review has at most one exemption of a kind)."""
    items = items_lookup().all(meeting_id=meeting.pk)
    for item in items:
        item.meeting = meeting
        item.is_skipped = item.excused_because is not None
        item.skipped_reason = item.excused_because or ""
    return items


@functools.cache
def items_lookup():
    """load_items' query, compiled once per process (kontum_review/compiled.py)."""
    excused = StepExemption.objects.not_submitted().filter(review=OuterRef("review"))
    return Compiled(
        lambda *, meeting_id: (
            MeetingItem.objects.filter(meeting_id=meeting_id)
            .select_related("review__self_rating", "proposed_rating")
            # The page and the rules read a few columns; the answers are the
            # bulk of a row.
            .defer("review__answers", "review__scores")
            .annotate(excused_because=Subquery(excused.values("reason")[:1]))
            .order_by("order")
        ),
        meeting_id=Meeting._meta.pk,
    )


def load_attendance(meeting):
    """The rows with their members' names: the page and the form read no
    more of a member, and the member's other columns were most of the row."""
    rows = attendance_lookup().all(meeting_id=meeting.pk)
    for row in rows:
        row.meeting = meeting
    return rows


@functools.cache
def attendance_lookup():
    """load_attendance's query, compiled once per process."""
    return Compiled(
        lambda *, meeting_id: (
            Attendance.objects.filter(meeting_id=meeting_id)
            .select_related("member")
            .only("meeting", "member__full_name", "present", "absence_reason")
            .order_by("member__sort_key", "member__card_number", "pk")
        ),
        meeting_id=Meeting._meta.pk,
    )


def load_levels(cycle):
    return list(cycle.regime.levels.order_by("rank"))


def attendance_quorum(meeting):
    counts = Attendance.objects.filter(meeting=meeting).aggregate(
        called=Count("pk"), present=Count("pk", filter=Q(present=True))
    )
    return Quorum(
        counts["present"], counts["called"], meeting.review.cycle.regime.quorum_percent
    )


def stamp_of(item):
    """What a subject's form carries to tell whether someone recorded it since."""
    return item.recorded_at.isoformat() if item.recorded_at else ""
