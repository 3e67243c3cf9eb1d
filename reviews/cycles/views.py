"""The cycle as committee staff run it, and each organization's checklist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from members.models import Member
from organizations.models import GRASSROOTS_KINDS, Role

from .. import services
from ..access import (
    cycle_ancestors,
    get_cycle,
    get_cycle_organization,
    require_cycle_staff,
    require_staff_committees,
)
from ..models import CycleJob, Meeting, ReviewCycle, StepExemption
from .forms import (
    CommitteeChoiceForm,
    CycleCreateForm,
    CycleMoveForm,
    next_cycle_initial,
)
from .progress import (
    Status,
    checklist_children,
    checklist_counts,
    checklist_reviews,
    cycle_roles,
    cycle_steps,
    latest_job,
    mark_links,
    recent_transitions,
    require_cycle_reader,
    status_table,
    user_roles,
    with_progress,
)

PAGE_SIZE = 50
EXEMPTIONS_SHOWN = 10

# Views ----------------------------------------------------------------------


@login_required
@require_GET
def cycle_list(request):
    cycles = list(
        ReviewCycle.objects.visible_to(request.user)
        .select_related("superior", "regime")
        .order_by("-starts_on", "-pk")
    )
    roles = user_roles(request.user)
    mark_links(request.user, cycles, roles)
    creates = request.user.is_superuser or any(
        kind == Role.Kind.STAFF for kind, *_rest in roles
    )
    return render(
        request, "reviews/cycle_list.html", {"cycles": cycles, "creates": creates}
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_create(request):
    committees = require_staff_committees(request.user)
    choice = CommitteeChoiceForm(request.GET, committees=committees)
    if not choice.is_valid():
        raise Http404
    committee = choice.chosen(committees)
    initial, latest = next_cycle_initial(committee)
    form = CycleCreateForm(request.POST or None, committees=committees, initial=initial)
    if form.is_valid():
        try:
            with transaction.atomic():
                cycle = form.save()
        except IntegrityError:
            form.add_error(
                None, _("This committee already has a cycle for this period.")
            )
        else:
            messages.success(
                request,
                _("“%(name)s” is created as a draft; open it when ready.")
                % {"name": cycle.name},
            )
            return redirect("reviews:cycle", public_id=cycle.public_id)
    return render(
        request,
        "reviews/cycle_create.html",
        {"form": form, "choice": choice, "committee": committee, "latest": latest},
    )


@login_required
@require_GET
def cycle_overview(request, public_id):
    cycle = get_cycle(request.user, public_id)
    runs = require_cycle_reader(request.user, cycle)
    scope = services.scope_organizations(cycle).visible_to(request.user)
    status_rows, totals = status_table(
        cycle.reviews.filter(organization__in=scope.values("pk"))
    )
    grassroots = with_progress(scope.filter(kind__in=GRASSROOTS_KINDS), cycle)
    page = Paginator(grassroots.order_by("path"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # The opening job matters until it has opened the cycle.
    job = latest_job(cycle) if cycle.status == Status.DRAFT else None
    target = services.NEXT_STATUS.get(cycle.status)
    return render(
        request,
        "reviews/cycle_overview.html",
        {
            "cycle": cycle,
            "runs": runs,
            "steps": cycle_steps(cycle),
            "target": target,
            "target_label": services.TRANSITION_LABELS.get(target),
            "status_rows": status_rows,
            "totals": totals,
            "exclusion_count": cycle.exclusions.filter(organization__in=scope).count(),
            "exemptions": exemption_summary(cycle, scope),
            "page": page,
            "transitions": recent_transitions(cycle),
            "job": job,
            "opening": job is not None and not job.is_finished,
        },
    )


def exemption_summary(cycle, scope):
    """Work closed undone in the reader's part of the cycle: counts and the latest."""
    recorded = StepExemption.objects.filter(
        review__cycle=cycle, review__organization__in=scope.values("pk")
    )
    counts = dict(recorded.order_by().values_list("kind").annotate(count=Count("pk")))
    return {
        "counts": [(kind, counts.get(kind, 0)) for kind in StepExemption.Kind],
        "total": sum(counts.values()),
        "latest": list(
            recorded.select_related("review__organization__parent").order_by(
                "-recorded_at", "-pk"
            )[:EXEMPTIONS_SHOWN]
        ),
    }


def move(cycle, target, user):
    """Open the cycle through its job, or move it one step on; refuse if blocked."""
    if target == Status.SELF_REVIEW:
        found = services.blockers(cycle, target)
        if found:
            raise services.TransitionRefused(found)
        return services.request_cycle_opening(cycle, user)
    return services.move_cycle(cycle, target, user)


@login_required
@require_http_methods(["GET", "POST"])
def cycle_move(request, public_id, target):
    cycle = get_cycle(request.user, public_id)
    require_cycle_staff(request.user, cycle)
    if target not in Status.values:
        raise Http404
    form = CycleMoveForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            move(cycle, target, request.user)
        except services.TransitionRefused as refused:
            found = refused.blockers
        else:
            if target == Status.SELF_REVIEW:
                messages.success(request, _("The cycle is being opened."))
            else:
                messages.success(
                    request,
                    _("The cycle is now “%(status)s”.")
                    % {"status": Status(target).label},
                )
            return redirect("reviews:cycle", public_id=cycle.public_id)
    else:
        found = services.blockers(cycle, target)
    return render(
        request,
        "reviews/cycle_move.html",
        {
            "cycle": cycle,
            "target": Status(target),
            "label": services.TRANSITION_LABELS.get(target),
            "is_next": services.NEXT_STATUS.get(cycle.status) == target,
            "blockers": found,
            "form": form,
        },
    )


@login_required
@require_GET
def cycle_opening(request, public_id):
    cycle = get_cycle(request.user, public_id)
    require_cycle_reader(request.user, cycle)
    job = latest_job(cycle)
    if job is None:
        raise Http404
    if request.htmx and job.status == CycleJob.Status.DONE:
        # The overview that polls reloads to show the opened cycle.
        return HttpResponseClientRefresh()
    template = "_cycle_opening.html" if request.htmx else "cycle_opening.html"
    return render(request, f"reviews/{template}", {"cycle": cycle, "job": job})


@login_required
@require_GET
def cycle_exclusions(request, public_id):
    cycle = get_cycle(request.user, public_id)
    require_cycle_staff(request.user, cycle)
    exclusions = cycle.exclusions.select_related("member", "organization").order_by(
        "organization__path", "member__sort_key", "pk"
    )
    page = Paginator(exclusions, PAGE_SIZE).get_page(request.GET.get("page"))
    reasons = dict(Member.Status.choices)
    for exclusion in page:
        exclusion.reason_label = reasons.get(exclusion.reason, exclusion.reason)
    return render(
        request, "reviews/cycle_exclusions.html", {"cycle": cycle, "page": page}
    )


@login_required
@require_GET
def organization_checklist(request, public_id, organization_id):
    cycle = get_cycle(request.user, public_id)
    organization = get_cycle_organization(request.user, cycle, organization_id)
    _runs, reads = cycle_roles(request.user, cycle)
    collectives, individuals = checklist_reviews(cycle, organization)
    ancestors = cycle_ancestors(request.user, cycle, organization)
    today = timezone.localdate()
    meetings_pending = any(
        not hasattr(review, "meeting") or review.meeting.status != Meeting.Status.DONE
        for review in collectives
    )
    return render(
        request,
        "reviews/checklist.html",
        {
            "cycle": cycle,
            "forms_late": cycle.status == Status.SELF_REVIEW
            and cycle.self_review_due is not None
            and cycle.self_review_due < today,
            "meetings_pending": meetings_pending,
            "meetings_late": cycle.status in (Status.SELF_REVIEW, Status.MEETINGS)
            and cycle.meetings_due is not None
            and cycle.meetings_due < today,
            "organization": organization,
            "reads_overview": reads,
            "ancestors": ancestors,
            "collectives": collectives,
            "individuals": individuals,
            "counts": checklist_counts(collectives + individuals),
            "children": checklist_children(cycle, organization),
        },
    )
