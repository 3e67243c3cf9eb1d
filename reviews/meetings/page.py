"""The review meeting's page as it is shown: each subject with its tallies and
the rules its proposal breaks, the form for the next subject to record, the
details and attendance forms, and the HTMX fragments of one subject.
"""

import functools
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kontum_review.compiled import Compiled, key_of

from .. import access, ratings
from ..links import form_links
from ..models import Assignment, Meeting, MeetingItem, Rating, Review, StepExemption
from ..review_forms.content import template_parts
from ..review_forms.forms import control_html, field_group
from .forms import AttendanceFormSet, MeetingDetailsForm, SubjectForm
from .services import (
    RECORDING_STATES,
    Quorum,
    attendance_quorum,
    load_attendance,
    load_items,
    load_levels,
)


@dataclass
class Subject:
    item: MeetingItem
    tallies: list
    form: SubjectForm | None
    waiting: bool
    warnings: list
    # The form's fields, rendered once (subject_fields).
    fields: dict | None = None
    # The label of the subject's meeting rank, translated once per page, and
    # the address of its form.
    rank: str = ""
    url: str = ""


# What the meeting's pages read of the collective, built once (as
# access.REVIEWS): its cycle and regime, organization and form template, its
# meeting if it has one (meeting_of), and the reason staff gave if they
# recorded that its meeting is not held.
COLLECTIVES = Review.objects.select_related(
    "cycle__regime", "organization", "template", "meeting"
).annotate(
    not_held_reason=Subquery(
        StepExemption.objects.filter(
            review=OuterRef("pk"), kind=StepExemption.Kind.MEETING_NOT_HELD
        ).values("reason")[:1]
    )
)


def get_collective_review(user, public_id):
    review = access.get_review(user, public_id, reviews=COLLECTIVES)
    if not review.is_collective:
        raise Http404
    return review


def meeting_of(review):
    """The collective's meeting, read with it (COLLECTIVES), or None."""
    return getattr(review, "meeting", None)


def meeting_url(review):
    return reverse("reviews:meeting", args=[review.public_id])


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
        leadership=ratings.Leadership(cycle, reviews),
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


def is_editable(meeting, manager):
    return (
        manager
        and meeting.review.cycle.status in RECORDING_STATES
        and meeting.status != Meeting.Status.DONE
    )


def superior_attendees(meeting):
    """Who the cycle's assignments send to this organization's meeting."""
    review = meeting.review
    names = assignees_lookup().all(
        cycle_id=review.cycle_id, organization_id=review.organization_id
    )
    # Each as User.get_full_name() writes it, else the username.
    return ", ".join(
        f"{first} {last}".strip() or username for first, last, username in names
    )


@functools.cache
def assignees_lookup():
    """superior_attendees' query, compiled once per process
    (kontum_review/compiled.py)."""
    return Compiled(
        lambda *, cycle_id, organization_id: (
            Assignment.objects.filter(
                cycle_id=cycle_id, organization_id=organization_id
            )
            .order_by("pk")
            .values_list(
                "assignee__first_name", "assignee__last_name", "assignee__username"
            )
        ),
        cycle_id=key_of(Assignment, "cycle"),
        organization_id=key_of(Assignment, "organization"),
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
    ranks = {value: str(label) for value, label in Review.Rank.choices}
    form_url = form_links()
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
                rank=ranks.get(item.review.meeting_rank, item.review.meeting_rank),
                url=form_url(item.review.public_id),
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
    levels = page_levels(meeting.review)
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
    context.update(
        details=details,
        attendance=attendance,
        rows=rows,
        status_errors=status_errors,
        not_held_reason=meeting.review.not_held_reason,
    )
    if details is not None:
        context.update(rendered_details(details, attendance))
    return render(request, "reviews/meeting.html", context)


def page_levels(review):
    """The cycle's rating levels by rank, as load_levels reads them, from the
    cache of the collective's form template when its form is rated: the
    template's key moves on whenever a rating level changes. The writes read
    them from the database (load_levels)."""
    cycle = review.cycle
    _sections, levels, _criteria = template_parts(review.template, cycle.regime)
    return list(levels) or load_levels(cycle)


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
    counts = attendance.management_form
    return {
        "details_fields": {name: field_group(details[name]) for name in details.fields},
        # The formset's hidden counts, as its form's template writes them
        # when none of them is in error (then the template writes why).
        "attendance_counts": counts.render()
        if counts.errors
        else mark_safe("".join(control_html(field, {}) for field in counts)),
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
    levels = page_levels(meeting.review)
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
    levels = page_levels(meeting.review)
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
