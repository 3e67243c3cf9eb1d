"""The review meeting's views: the secretary records a collective's meeting
(the writes themselves are in reviews/meetings/services.py) and its members read it.
"""

import copy
import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import access
from ..review_forms.services import StaleVersion
from .forms import (
    AttendanceFormSet,
    MeetingActionForm,
    MeetingDetailsForm,
    MeetingPageForm,
    SubjectForm,
)
from .page import (
    get_collective_review,
    meeting_of,
    meeting_url,
    render_page,
    render_subject,
    subject_recorded,
)
from .services import (
    RECORDING_STATES,
    Refused,
    ensure_meeting,
    load_attendance,
    load_items,
    load_levels,
    write_details,
    write_finish,
    write_reopen,
    write_subject,
)

# Views ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def meeting(request, public_id):
    review = get_collective_review(request.user, public_id)
    manager = access.manages_review(request.user, review)
    if request.method == "POST" and not manager:
        raise PermissionDenied
    recording = manager and review.cycle.status in RECORDING_STATES
    found = meeting_of(review)
    if found is None and recording:
        found = ensure_meeting(review)
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
    manager = access.manages_review(request.user, review)
    if request.method == "POST" and not manager:
        raise PermissionDenied
    found = meeting_of(review)
    if found is None:
        raise Http404
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
        except (Refused, StaleVersion) as refusal:
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
        except StaleVersion as stale:
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


def add_refusal(form, refusal):
    if isinstance(refusal, StaleVersion):
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
    """A saved detail as the meeting page shows it: a date, a time (H:i) or text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.time):
        return time_format(value, "H:i")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)
