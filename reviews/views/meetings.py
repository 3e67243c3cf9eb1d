"""The review meeting of a collective, recorded by the secretary.

The collective is reviewed first, then the head, the deputies and the members
(docs/process.md §1 step 5); each subject gets comments and a vote per rating level,
and the level the majority supports is the meeting's proposal.
"""

import copy
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from simple_history.utils import bulk_update_with_history

from .. import access, ratings, rules, services
from ..forms.meetings import (
    AttendanceFormSet,
    MeetingActionForm,
    MeetingDetailsForm,
    MeetingPageForm,
    SubjectForm,
    stamp_of,
)
from ..forms.review import control_html, field_group
from ..models import (
    Assignment,
    Attendance,
    Meeting,
    MeetingItem,
    Rating,
    Review,
    ReviewCycle,
    StepExemption,
)
from .review_forms import leadership_for

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


@dataclass
class Subject:
    item: MeetingItem
    tallies: list
    form: SubjectForm | None
    waiting: bool
    warnings: list
    # The form's fields, rendered once (subject_fields).
    fields: dict | None = None


# Views ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def meeting(request, public_id):
    review = get_collective_review(request.user, public_id)
    manager = access.manages(request.user, review.organization)
    if request.method == "POST" and not manager:
        raise PermissionDenied
    recording = manager and review.cycle.status in RECORDING_STATES
    found = Meeting.objects.filter(review=review).first()
    if found is None and recording:
        found = services.ensure_meeting(review)
    if found is None:
        if request.method == "POST":
            raise PermissionDenied
        return render(
            request,
            "reviews/meeting.html",
            {"review": review, "nobody_to_invite": recording, "manager": manager},
        )
    found.review = review
    if request.method == "GET":
        edited = MeetingPageForm(request.GET).edited_order()
        return render_page(request, found, manager, edited=edited)
    if not recording:
        raise PermissionDenied
    action = MeetingActionForm(request.POST)
    if not action.is_valid():
        return HttpResponseBadRequest()
    if action.cleaned_data["action"] == "details":
        return save_details(request, found)
    return change_status(request, found, action.cleaned_data["action"])


@login_required
@require_http_methods(["GET", "POST"])
def meeting_item(request, public_id, order):
    review = get_collective_review(request.user, public_id)
    manager = access.manages(request.user, review.organization)
    if request.method == "POST" and not manager:
        raise PermissionDenied
    found = get_object_or_404(Meeting, review=review)
    found.review = review
    items = load_items(found)
    item = next((item for item in items if item.order == order), None)
    if item is None:
        raise Http404
    if request.method == "GET":
        edit = MeetingPageForm(request.GET).edited_order() == order
        if not request.htmx:
            query = f"?edit={order}" if edit else ""
            return redirect(f"{meeting_url(review)}{query}#subject-{order}")
        return render_subject(request, found, manager, items, item, edit=edit)
    if review.cycle.status not in RECORDING_STATES:
        raise PermissionDenied
    levels = load_levels(review.cycle)
    form = SubjectForm(request.POST, item=item, levels=levels)
    if form.is_valid():
        try:
            write_subject(found, item, form, request.user, levels)
        except (Refused, services.StaleVersion) as refusal:
            add_refusal(form, refusal)
        else:
            return subject_recorded(request, found, manager, item)
    if request.htmx:
        return render_subject(request, found, manager, items, item, form=form)
    return render_page(request, found, manager, subject_form=form)


# Saving --------------------------------------------------------------------


def save_details(request, meeting):
    cycle = meeting.review.cycle
    data = request.POST.copy()
    form = MeetingDetailsForm(data, instance=copy.copy(meeting), cycle=cycle)
    attendance = AttendanceFormSet(data, rows=load_attendance(meeting))
    # Both are validated, so that every error shows at once.
    if form.is_valid() & attendance.is_valid():
        try:
            write_details(meeting, form, attendance, request.user)
        except services.StaleVersion as stale:
            form.add_error(None, conflict_message(form, stale.current))
            # Saving again knowingly replaces what the other person saved.
            data["version"] = stale.current.version
        except Refused as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(
                request, _("The meeting's details and attendance are saved.")
            )
            return redirect(meeting_url(meeting.review))
    return render_page(request, meeting, True, details=form, attendance=attendance)


def change_status(request, meeting, action):
    write = write_finish if action == "finish" else write_reopen
    try:
        write(meeting, request.user)
    except Refused as refusal:
        return render_page(request, meeting, True, status_errors=refusal.reasons)
    if action == "finish":
        messages.success(request, _("The meeting is recorded."))
    else:
        messages.info(request, _("The meeting is reopened for corrections."))
    return redirect(meeting_url(meeting.review))


@transaction.atomic
def write_details(meeting, form, attendance, user):
    current = lock_meeting(meeting)
    if current.version != form.cleaned_data["version"]:
        raise services.StaleVersion(current)
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
    for field in MeetingDetailsForm.Meta.fields:
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
        raise services.StaleVersion(saved)
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
    services.withdraw_exemptions(
        current.review, StepExemption.Kind.MEETING_NOT_HELD, user
    )


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


def add_refusal(form, refusal):
    if isinstance(refusal, services.StaleVersion):
        form.add_error(
            None,
            _(
                "Someone else recorded this subject since you opened it. Your input "
                "is kept below; reload the page to see their record."
            ),
        )
        return
    for reason in refusal.reasons:
        form.add_error(None, reason)


def conflict_message(form, current):
    changes = [
        f"{form.fields[field].label}: {shown(getattr(current, field))}"
        for field in MeetingDetailsForm.Meta.fields
        if getattr(current, field) != form.cleaned_data.get(field)
    ]
    message = _(
        "Someone else saved this meeting since you opened it. Your input is kept "
        "below; save again to replace what they saved."
    )
    if changes:
        message += " " + _("They saved: %(changes)s.") % {"changes": "; ".join(changes)}
    return message


def shown(value):
    if value is None or value == "":
        return "—"
    if hasattr(value, "isoformat"):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


# Reading -------------------------------------------------------------------


def get_collective_review(user, public_id):
    review = access.get_review(user, public_id)
    if not review.is_collective:
        raise Http404
    return review


def meeting_url(review):
    return reverse("reviews:meeting", args=[review.public_id])


def load_items(meeting):
    """The subjects in order, each marked if its member was excused from the form."""
    items = list(
        meeting.items.select_related(
            "review__self_rating",
            "review__organization",
            "review__leadership_review__organization",
            "proposed_rating",
        ).order_by("order")
    )
    reasons = (
        StepExemption.objects.not_submitted()
        .filter(review__in=meeting.items.values("review"))
        .reasons()
    )
    for item in items:
        item.skipped_reason = reasons.get(item.review_id, "")
        item.is_skipped = item.review_id in reasons
    return items


def proposal_warnings(cycle, items):
    """Rules the meeting's proposals break, shown next to them (docs/process.md §6)."""
    recorded = [item for item in items if item.proposed_rating_id]
    if not recorded:
        return {}
    reviews = [item.review for item in recorded]
    book = ratings.RuleBook(
        cycle,
        reviews,
        stage=Rating.Stage.MEETING,
        leadership=leadership_for(cycle, reviews),
    )
    incomplete = [book.incomplete] if book.incomplete else []
    return {
        item.pk: incomplete
        + [
            finding.reason
            for finding in book.findings(item.review)
            if finding.broken_by(item.proposed_rating.code)
        ]
        for item in recorded
    }


def load_attendance(meeting):
    return list(
        meeting.attendance.select_related("member").order_by(
            "member__sort_key", "member__card_number", "pk"
        )
    )


def load_levels(cycle):
    return list(cycle.regime.levels.order_by("rank"))


def is_editable(meeting, manager):
    return (
        manager
        and meeting.review.cycle.status in RECORDING_STATES
        and meeting.status != Meeting.Status.DONE
    )


def attendance_quorum(meeting):
    counts = Attendance.objects.filter(meeting=meeting).aggregate(
        called=Count("pk"), present=Count("pk", filter=Q(present=True))
    )
    return Quorum(
        counts["present"], counts["called"], meeting.review.cycle.regime.quorum_percent
    )


def superior_attendees(meeting):
    """Who the cycle's assignments send to this organization's meeting."""
    assignments = Assignment.objects.filter(
        cycle=meeting.review.cycle, organization=meeting.review.organization
    ).select_related("assignee")
    return ", ".join(
        a.assignee.get_full_name() or a.assignee.username
        for a in assignments.order_by("pk")
    )


def details_initial(meeting, items):
    initial = {"version": meeting.version}
    if not meeting.superior_attendee:
        initial["superior_attendee"] = superior_attendees(meeting)
    if not meeting.chair:
        head = next(
            (i for i in items if i.review.meeting_rank == Review.Rank.HEAD), None
        )
        if head:
            initial["chair"] = head.review.subject_name
    return initial


def meeting_context(meeting, manager, items, levels, quorum, forms):
    """What every part of the page shows: each subject with its tallies, and a
    form for the next subject to record (or the one being corrected)."""
    cycle = meeting.review.cycle
    editable = is_editable(meeting, manager)
    ready = (
        editable
        and meeting.held_on is not None
        and meeting.status != Meeting.Status.PLANNED
        and quorum.reached
    )
    awaited = [item for item in items if not item.is_skipped]
    upcoming = next((item for item in awaited if not item.is_recorded), None)
    warnings = proposal_warnings(cycle, items)
    subjects = []
    for item in items:
        form = forms.get(item.order)
        if form is None and ready and item is upcoming and item.review.is_submitted:
            form = SubjectForm(item=item, levels=levels)
        subjects.append(
            Subject(
                item=item,
                tallies=[(level, item.votes.get(level.code, 0)) for level in levels],
                form=form,
                waiting=upcoming is not None and item.order > upcoming.order,
                warnings=warnings.get(item.pk, []),
                fields=subject_fields(form),
            )
        )
    recorded = sum(item.is_recorded for item in awaited)
    return {
        "review": meeting.review,
        "cycle": cycle,
        "meeting": meeting,
        "manager": manager,
        "recording_open": cycle.status in RECORDING_STATES,
        "editable": editable,
        "ready": ready,
        "quorum": quorum,
        "levels": levels,
        "subjects": subjects,
        "recorded": recorded,
        "awaited": len(awaited),
        "all_recorded": recorded == len(awaited),
    }


def render_page(
    request,
    meeting,
    manager,
    *,
    details=None,
    attendance=None,
    subject_form=None,
    edited=None,
    status_errors=(),
):
    cycle = meeting.review.cycle
    items = load_items(meeting)
    rows = load_attendance(meeting)
    levels = load_levels(cycle)
    quorum = Quorum(
        sum(row.present for row in rows), len(rows), cycle.regime.quorum_percent
    )
    forms = {}
    if edited is not None and is_editable(meeting, manager):
        item = next((i for i in items if i.order == edited and i.is_recorded), None)
        if item:
            forms[item.order] = SubjectForm(item=item, levels=levels)
    if subject_form is not None:
        forms[subject_form.item.order] = subject_form
    context = meeting_context(meeting, manager, items, levels, quorum, forms)
    if context["editable"] and details is None:
        details = MeetingDetailsForm(
            instance=meeting, cycle=cycle, initial=details_initial(meeting, items)
        )
        attendance = AttendanceFormSet(rows=rows)
    not_held = meeting.review.exemptions.filter(
        kind=StepExemption.Kind.MEETING_NOT_HELD
    ).first()
    context.update(
        details=details,
        attendance=attendance,
        rows=rows,
        status_errors=status_errors,
        not_held=not_held,
    )
    if details is not None:
        context.update(rendered_details(details, attendance))
    return render(request, "reviews/meeting.html", context)


def subject_fields(form):
    """The subject form's fields rendered: the comments, then a vote per level."""
    if form is None:
        return None
    return {
        "stamp": control_html(form["stamp"], {}),
        "comments": field_group(form["comments"]),
        "votes": [field_group(field) for field in form.vote_fields],
    }


def rendered_details(details, attendance):
    """The details form and the attendance rows with their fields rendered once."""
    return {
        "details_fields": {name: field_group(details[name]) for name in details.fields},
        "attendance_rows": [
            (
                form,
                control_html(form["present"], {}),
                control_html(form["absence_reason"], {}),
            )
            for form in attendance.forms
        ],
    }


def render_subject(request, meeting, manager, items, item, *, edit=False, form=None):
    """One subject block for HTMX: the form when correcting it or on errors."""
    levels = load_levels(meeting.review.cycle)
    forms = {}
    if form is not None:
        forms[item.order] = form
    elif edit and item.is_recorded and is_editable(meeting, manager):
        forms[item.order] = SubjectForm(item=item, levels=levels)
    context = meeting_context(
        meeting, manager, items, levels, attendance_quorum(meeting), forms
    )
    context["subject"] = context["subjects"][items.index(item)]
    return render(request, "reviews/_meeting_subject.html", context)


def subject_recorded(request, meeting, manager, item):
    """After a record: the subject, the next one's form, the results, the progress."""
    if not request.htmx:
        messages.success(
            request, _("“%(name)s” is recorded.") % {"name": item.review.subject_name}
        )
        return redirect(f"{meeting_url(meeting.review)}#subject-{item.order + 1}")
    items = load_items(meeting)
    levels = load_levels(meeting.review.cycle)
    context = meeting_context(
        meeting, manager, items, levels, attendance_quorum(meeting), {}
    )
    subjects = context["subjects"]
    position = next(i for i, s in enumerate(subjects) if s.item.pk == item.pk)
    context["subject"] = subjects[position]
    # A correction leaves the next subject's form alone, with what is typed in it.
    if not item.is_recorded:
        context["upcoming"] = next(
            (s for s in subjects if not s.item.is_recorded and not s.item.is_skipped),
            None,
        )
    return render(request, "reviews/_meeting_item_response.html", context)
