"""Work of a cycle step closed without being done, and why (step exemptions).

Each guarded step lists what is unfinished; staff (and secretaries, for the
forms of their own organizations) record why an item is closed undone, and the
cycle can then go on. Nothing is skipped silently: the exemptions are listed
here and on the cycle overview, counted on the dashboard and kept in history.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from organizations.models import Organization, Role

from .. import services
from ..access import get_cycle, is_cycle_staff
from ..lists import narrowed
from ..models import Review, StepExemption
from .exemption_forms import ExemptionForm

PAGE_SIZE = 50
Kind = StepExemption.Kind
STAFF, SECRETARY, READER = "staff", "secretary", "reader"


def exemption_scope(user, cycle):
    """(the organizations whose exemptions the user sees, the user's part).

    Staff of the cycle exempt anything of its step; a secretary only the forms
    of the organizations they manage; leaders only read. Members may not open
    the page: the reasons are personal.
    """
    tree = Organization.objects.subtree_of(cycle.superior)
    if is_cycle_staff(user, cycle):
        return tree, STAFF
    managed = Organization.objects.editable_by(user).subtree_of(cycle.superior)
    if managed.exists():
        return managed, SECRETARY
    # Leaders read the exemptions of their subtree; members never see reasons.
    led = tree.filter(roles__user=user, roles__kind=Role.Kind.LEADER)
    if not led.exists():
        raise Http404
    return tree.visible_to(user), READER


def may_record(part, cycle):
    """(kind, open work) the user may record at the cycle's step, or None."""
    step = services.exemption_step(cycle)
    if step is None or part == READER:
        return None
    if part == STAFF or step[0] == Kind.NOT_SUBMITTED:
        return step
    return None


@login_required
@require_http_methods(["GET", "POST"])
def exemptions(request, public_id):
    cycle = get_cycle(request.user, public_id)
    organizations, part = exemption_scope(request.user, cycle)
    narrowed_by = narrowed(request, organizations, cycle)
    organizations = narrowed_by.organizations
    step = may_record(part, cycle)
    if request.method == "POST" and step is None:
        raise PermissionDenied
    waiting = None
    form = None
    if step is not None:
        kind, open_work = step
        waiting = (
            open_work(cycle)
            .filter(organization__in=organizations)
            .select_related("organization__parent", "meeting")
            .order_by("organization__path", "meeting_rank", "sort_key", "pk")
        )
        form = ExemptionForm(request.POST or None, waiting=waiting)
        if form.is_valid():
            count = services.record_exemptions(
                cycle, form.chosen(), kind, form.cleaned_data["reason"], request.user
            )
            messages.success(
                request,
                ngettext(
                    "%(count)s item is recorded as “%(kind)s”.",
                    "%(count)s items are recorded as “%(kind)s”.",
                    count,
                )
                % {"count": count, "kind": Kind(kind).label},
            )
            return redirect(request.get_full_path())
    return render(
        request,
        "reviews/exemptions.html",
        exemptions_context(request, cycle, narrowed_by, step, waiting, form),
    )


def exemptions_context(request, cycle, narrowed_by, step, waiting, form):
    organizations = narrowed_by.organizations
    waiting_page = None
    if waiting is not None:
        waiting_page = Paginator(waiting, PAGE_SIZE).get_page(request.GET.get("page"))
    recorded = (
        StepExemption.objects.filter(
            review__cycle=cycle, review__organization__in=organizations
        )
        .select_related("review__organization__parent", "recorded_by")
        .order_by("kind", "review__organization__path", "review__sort_key", "pk")
    )
    return {
        "cycle": cycle,
        **narrowed_by.context(),
        "kind": step and Kind(step[0]),
        "form": form,
        "page": waiting_page,
        "ticked": form.ticked() if form else set(),
        "recorded": list(recorded[: PAGE_SIZE * 4]),
        "recorded_total": recorded.count(),
        "withdrawable": step and step[0],
    }


@login_required
@require_POST
def exemption_withdraw(request, public_id):
    visible = StepExemption.objects.filter(
        review__in=Review.objects.visible_to(request.user)
    )
    exemption = get_object_or_404(
        visible.select_related("review__cycle"), public_id=public_id
    )
    cycle = get_cycle(request.user, exemption.review.cycle.public_id)
    organizations, part = exemption_scope(request.user, cycle)
    if not organizations.filter(pk=exemption.review.organization_id).exists():
        raise Http404
    if part == READER:
        raise PermissionDenied
    step = may_record(part, cycle)
    if step is None or step[0] != exemption.kind:
        messages.error(
            request,
            _("The cycle has left this step: the exemption stays as it was recorded."),
        )
    else:
        services.withdraw_exemption(exemption, request.user)
        messages.success(
            request,
            _("“%(name)s” is back on the list of unfinished work.")
            % {"name": exemption.review.subject_name},
        )
    return redirect("reviews:exemptions", public_id=cycle.public_id)
