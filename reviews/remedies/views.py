"""Remedy plans (kế hoạch khắc phục): drawn up after the decision, followed all year.

Each subject with shortcomings lists actions with an owner and a deadline; the
secretary, committee staff or the member themself record the progress, and
overdue actions are gathered per cycle for the secretaries and staff.
"""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from organizations.models import Organization

from ..access import get_cycle, get_review
from ..lists import narrowed
from ..models import RemedyAction, Review
from . import services as remedies
from .forms import TEXT_MAX, RemedyActionForm, RemedyProgressForm

PAGE_SIZE = 100


def plan_url(review, action=None):
    url = reverse("reviews:remedy_plan", args=[review.public_id])
    return f"{url}#action-{action.number}" if action else url


def get_action(user, public_id):
    """An action of a review the user may read; to anyone else it does not exist."""
    reviews = Review.objects.visible_to(user).values("pk")
    queryset = RemedyAction.objects.filter(review__in=reviews).select_related(
        "review__cycle__regime", "review__organization", "review__member"
    )
    return get_object_or_404(queryset, public_id=public_id)


def section_two(review):
    """Section II (shortcomings) as the subject wrote it: the hint for an action."""
    return (review.answers or {}).get("II", "")


@login_required
@require_http_methods(["GET", "POST"])
def remedy_plan(request, public_id):
    review = get_review(request.user, public_id)
    editable = remedies.can_edit_plan(request.user, review)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    decision = remedies.decision_of(review)
    hint = section_two(review)
    form = RemedyActionForm(
        request.POST or None,
        decision_day=remedies.decided_on(decision),
        initial={"shortcoming": hint[: TEXT_MAX["shortcoming"]]},
    )
    if form.is_valid():
        action = remedies.add_action(review, form.save(commit=False), request.user)
        messages.success(
            request, _("Action %(number)s added.") % {"number": action.number}
        )
        return redirect(plan_url(review, action))
    today = timezone.localdate()
    actions = list(review.remedy_actions.order_by("number"))
    for action in actions:
        action.overdue = action.is_overdue(today)
    carried = list(
        review.carry_over_items.select_related("remedy_action__review__cycle").order_by(
            "number"
        )
    )
    return render(
        request,
        "reviews/remedy_plan.html",
        {
            "review": review,
            "cycle": review.cycle,
            "decision": decision,
            "plan_open": remedies.plan_open(review.cycle),
            "editable": editable,
            "hint": hint,
            "actions": actions,
            "counts": remedies.plan_counts(actions, today),
            "carried": carried,
            "form": form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def remedy_action(request, public_id):
    action = get_action(request.user, public_id)
    review = action.review
    editable = remedies.can_edit_plan(request.user, review)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    # The form works on a copy, so a refused update leaves the card as saved.
    form = RemedyProgressForm(
        request.POST or None,
        instance=copy.copy(action),
        decision_day=remedies.decided_on(remedies.decision_of(review)),
    )
    if form.is_valid():
        action = remedies.save_action(form.save(commit=False), request.user)
        if request.htmx:
            return render_saved_card(request, action, review)
        messages.success(
            request, _("Action %(number)s updated.") % {"number": action.number}
        )
        return redirect(plan_url(review, action))
    template = "_remedy_action_form.html" if request.htmx else "remedy_action.html"
    action.overdue = action.is_overdue(timezone.localdate())
    return render(
        request,
        f"reviews/{template}",
        {"action": action, "review": review, "editable": editable, "form": form},
    )


def render_saved_card(request, action, review):
    """The updated card, and the plan's counts swapped out of band."""
    today = timezone.localdate()
    action.overdue = action.is_overdue(today)
    actions = list(review.remedy_actions.only("status", "deadline"))
    return render(
        request,
        "reviews/_remedy_saved.html",
        {
            "action": action,
            "review": review,
            "editable": True,
            "saved": True,
            "counts": remedies.plan_counts(actions, today),
            "oob": True,
        },
    )


@login_required
@require_GET
def overdue(request, public_id):
    cycle = get_cycle(request.user, public_id)
    # Staff see the whole tree, secretaries and leaders their own subtree.
    scope = Organization.objects.visible_to(request.user).subtree_of(cycle.superior)
    if not scope.exists():
        raise Http404
    narrowed_by = narrowed(request, scope, cycle)
    scope = narrowed_by.organizations
    today = timezone.localdate()
    actions = RemedyAction.objects.filter(
        review__cycle=cycle, review__organization__in=scope.values("pk")
    )
    counts = remedies.organization_counts(actions, today)
    late = (
        actions.filter(remedies.overdue_filter(today))
        .select_related("review__organization")
        .order_by(
            "review__organization__path",
            "review__meeting_rank",
            "review__sort_key",
            "review_id",
            "number",
        )
    )
    page = Paginator(late, PAGE_SIZE).get_page(request.GET.get("page"))
    for action in page:
        action.days_late = (today - action.deadline).days
    return render(
        request,
        "reviews/remedy_overdue.html",
        {
            "cycle": cycle,
            "counts": counts,
            "totals": {
                key: sum(row[key] for row in counts)
                for key in ("not_done", "done", "overdue")
            },
            "page": page,
            "today": today,
            # The pages keep the chosen organization and type.
            **narrowed_by.context(),
        },
    )
