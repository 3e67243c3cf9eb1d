"""Assignments: who the Standing Committee sends to each organization's
meeting, and each assignee's own list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods
from simple_history.utils import bulk_create_with_history

from ..models import (
    Assignment,
    Meeting,
    Review,
    ReviewCycle,
)
from .assignment_forms import AssignmentDeleteForm, AssignmentForm
from .choices import visible_assignments
from .views import CONFLICT, PAGE_SIZE, get_committee_cycle


@login_required
@require_http_methods(["GET", "POST"])
def assignment_list(request, public_id):
    cycle, can_edit = get_committee_cycle(request, public_id)
    if request.POST.get("action") == "delete":
        return remove_assignment(request, cycle)
    form = AssignmentForm(request.POST or None, cycle=cycle, user=request.user)
    if form.is_valid():
        try:
            with transaction.atomic():
                created = bulk_create_with_history(
                    form.assignments(), Assignment, default_user=request.user
                )
        except IntegrityError:
            form.add_error(None, CONFLICT)
        else:
            message = ngettext(
                "%(person)s was assigned to %(count)d organization.",
                "%(person)s was assigned to %(count)d organizations.",
                len(created),
            )
            person = form.fields["assignee"].label_from_instance(created[0].assignee)
            messages.success(
                request, message % {"person": person, "count": len(created)}
            )
            return redirect("reviews:assignment_list", public_id=cycle.public_id)
    assignments = (
        visible_assignments(request.user, cycle)
        .select_related("organization__parent", "assignee")
        .order_by("organization__path", "assignee__username")
    )
    page = Paginator(assignments, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"cycle": cycle, "page": page, "form": form, "can_edit": can_edit}
    return render(request, "reviews/assignment_list.html", context)


def remove_assignment(request, cycle):
    form = AssignmentDeleteForm(request.POST, cycle=cycle, user=request.user)
    if form.is_valid():
        assignment = form.cleaned_data["assignment"]
        assignment.delete()
        message = _("Assignment removed: %(assignment)s.")
        messages.success(request, message % {"assignment": assignment})
    else:
        messages.error(request, _("That assignment no longer exists."))
    return redirect("reviews:assignment_list", public_id=cycle.public_id)


@login_required
@require_GET
def my_assignments(request):
    # The meeting of the organization's own collective review.
    meetings = Meeting.objects.filter(
        review__cycle=OuterRef("cycle"),
        review__organization=OuterRef("organization"),
        review__kind=Review.Kind.ORGANIZATION,
    )
    subtree = (
        Review.objects.filter(
            cycle=OuterRef("cycle"),
            organization__path__startswith=OuterRef("organization__path"),
        )
        .order_by()
        .values("cycle")
    )
    assignments = list(
        Assignment.objects.filter(
            assignee=request.user,
            cycle__in=ReviewCycle.objects.visible_to(request.user),
        )
        .select_related("cycle", "organization__parent")
        .annotate(
            meeting_on=Subquery(meetings.values("held_on")[:1]),
            meeting_status=Subquery(meetings.values("status")[:1]),
            total=Coalesce(Subquery(subtree.annotate(n=Count("pk")).values("n")), 0),
            submitted=Coalesce(
                Subquery(
                    subtree.filter(status=Review.Status.SUBMITTED)
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
        )
        .order_by("-cycle__starts_on", "organization__path")
    )
    for assignment in assignments:
        status = assignment.meeting_status
        assignment.meeting_label = Meeting.Status(status).label if status else ""
    return render(request, "reviews/assignment_mine.html", {"assignments": assignments})
