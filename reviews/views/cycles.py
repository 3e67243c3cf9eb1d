"""The cycle as committee staff run it, and each organization's checklist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from members.models import Member
from organizations.models import GRASSROOTS_KINDS, Organization, Role

from .. import services, statistics
from ..access import (
    get_cycle,
    get_cycle_organization,
    is_cycle_staff,
    require_cycle_staff,
    require_staff_committees,
)
from ..forms.cycles import (
    CommitteeChoiceForm,
    CycleCreateForm,
    CycleMoveForm,
    next_cycle_initial,
)
from ..models import CycleJob, Meeting, Review, ReviewCycle, StepExemption

PAGE_SIZE = 50
EXEMPTIONS_SHOWN = 10
Status = ReviewCycle.Status

# The deadline that closes each step, shown on the step timeline.
STEP_DEADLINES = {
    Status.DRAFT: "guidance_issued_on",
    Status.SELF_REVIEW: "self_review_due",
    Status.MEETINGS: "meetings_due",
    Status.APPRAISAL: "appraisal_due",
    Status.DECIDED: "decision_due",
    Status.PUBLISHED: "publication_due",
}


# Who may do what ------------------------------------------------------------


def cycle_roles(user, cycle):
    """(runs, reads): staff run the cycle; leaders in its tree read the overview."""
    if is_cycle_staff(user, cycle):
        return True, True
    leads = Role.objects.filter(
        user=user,
        kind=Role.Kind.LEADER,
        organization__path__startswith=cycle.superior.path,
    ).exists()
    return False, leads


def require_cycle_reader(user, cycle):
    """Whether the user runs the cycle; anyone else who is not a leader gets 403."""
    runs, reads = cycle_roles(user, cycle)
    if not reads:
        raise PermissionDenied
    return runs


def user_roles(user):
    """The user's roles as (kind, path, public id, name), in one query."""
    return list(
        Role.objects.filter(user=user).values_list(
            "kind",
            "organization__path",
            "organization__public_id",
            "organization__name",
        )
    )


def mark_links(user, cycles, roles):
    """Give each cycle the user's way in, from the user's roles."""
    own_forms = dict(
        Review.objects.individuals()
        .filter(member__user=user, cycle__in=cycles)
        .values_list("cycle_id", "public_id")
    )
    for cycle in cycles:
        top = cycle.superior.path
        cycle.user_runs = user.is_superuser or any(
            kind == Role.Kind.STAFF and top.startswith(path)
            for kind, path, *_rest in roles
        )
        cycle.user_reads = cycle.user_runs or any(
            kind == Role.Kind.LEADER and path.startswith(top)
            for kind, path, *_rest in roles
        )
        cycle.checklists = [
            (public_id, name)
            for kind, path, public_id, name in roles
            if kind == Role.Kind.SECRETARY and path.startswith(top)
        ]
        cycle.own_form = own_forms.get(cycle.pk)


# Reads ----------------------------------------------------------------------


def subtree_count(reviews):
    """The number of `reviews`, as a subquery correlated to an organization."""
    counted = reviews.order_by().values("cycle").annotate(count=Count("pk"))
    return Coalesce(Subquery(counted.values("count")), 0)


def with_progress(organizations, cycle):
    """Annotate each organization with its subtree's forms and its own meeting."""
    forms = Review.objects.filter(
        cycle=cycle, organization__path__startswith=OuterRef("path")
    )
    recorded = Meeting.objects.filter(
        review__cycle=cycle,
        review__kind=Review.Kind.ORGANIZATION,
        review__organization=OuterRef("pk"),
        status=Meeting.Status.DONE,
    )
    return organizations.annotate(
        forms_total=subtree_count(forms),
        forms_submitted=subtree_count(forms.filter(status=Review.Status.SUBMITTED)),
        forms_returned=subtree_count(forms.filter(status=Review.Status.RETURNED)),
        meeting_recorded=Exists(recorded),
    )


def status_table(reviews):
    """Reviews per status, collectives and individuals apart, with their shares."""
    individual = Q(kind=Review.Kind.INDIVIDUAL)
    groups = {"collectives": ~individual, "individuals": individual}
    counts = reviews.aggregate(
        **{
            f"{group}_{status}": Count("pk", filter=Q(status=status) & condition)
            for group, condition in groups.items()
            for status in Review.Status.values
        }
    )
    totals = {
        group: sum(counts[f"{group}_{status}"] for status in Review.Status.values)
        for group in groups
    }
    rows = []
    for status in Review.Status:
        row = {"status": status}
        for group in groups:
            count = counts[f"{group}_{status.value}"]
            row[group] = {
                "count": count,
                "share": statistics.share(count, totals[group]),
            }
        rows.append(row)
    return rows, totals


def cycle_steps(cycle):
    """Every state of the cycle in order, with its deadline and where the cycle is."""
    current = Status.values.index(cycle.status)
    return [
        {
            "status": status,
            "deadline": getattr(cycle, STEP_DEADLINES[status], None)
            if status in STEP_DEADLINES
            else None,
            "done": position < current,
            "current": position == current,
        }
        for position, status in enumerate(Status)
    ]


def recent_transitions(cycle, limit=10):
    """The latest changes of status, newest first, with who made them."""
    records = list(
        cycle.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )[: limit * 3]
    )
    records.reverse()
    changes = [
        record
        for previous, record in zip([None, *records], records, strict=False)
        if (previous is None and record.history_type == "+")
        or (previous is not None and previous.status != record.status)
    ]
    return changes[::-1][:limit]


def latest_job(cycle):
    return cycle.jobs.order_by("-created_at", "-pk").first()


def mark_not_submitted(reviews, cycle, organization):
    """Give each review the reason it was recorded as not submitted, or None."""
    reasons = (
        StepExemption.objects.not_submitted()
        .filter(review__cycle=cycle, review__organization=organization)
        .reasons()
    )
    for review in reviews:
        review.not_submitted_reason = reasons.get(review.pk)


def checklist_counts(reviews):
    """Forms missing (not started or draft), returned, submitted, and excused."""
    counts = {"missing": 0, "returned": 0, "submitted": 0, "excused": 0}
    for review in reviews:
        if review.status == Review.Status.SUBMITTED:
            counts["submitted"] += 1
        elif review.not_submitted_reason is not None:
            counts["excused"] += 1
        elif review.status == Review.Status.RETURNED:
            counts["returned"] += 1
        else:
            counts["missing"] += 1
    return counts


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
            recorded.select_related("review__organization").order_by(
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
    reviews = cycle.reviews.filter(organization=organization)
    # The organization is reviewed before its leadership collective.
    collectives = sorted(
        reviews.collectives().select_related("meeting"),
        key=lambda review: review.kind != Review.Kind.ORGANIZATION,
    )
    individuals = list(reviews.individuals().in_meeting_order())
    mark_not_submitted(collectives + individuals, cycle, organization)
    children = services.scope_organizations(cycle).filter(parent=organization)
    ancestors = (
        Organization.objects.visible_to(request.user)
        .ancestors_of(organization)
        .filter(path__startswith=cycle.superior.path)
        .exclude(pk=cycle.superior_id)
    )
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
            "ancestors": list(ancestors),
            "collectives": collectives,
            "individuals": individuals,
            "counts": checklist_counts(collectives + individuals),
            "children": list(with_progress(children, cycle).order_by("path")),
        },
    )
