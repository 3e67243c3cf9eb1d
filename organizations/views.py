from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from members.forms import MemberSearchForm
from members.models import Member

from . import restructuring
from .forms import LineForm, LineFormSet, OrganizationFilterForm, RestructuringForm
from .models import (
    Organization,
    OrganizationKind,
    Restructuring,
    RestructuringLine,
    Succession,
)

PAGE_SIZE = 50


def get_visible_organization(user, public_id):
    """The organization if the user may read it; outsiders get 404."""
    queryset = Organization.objects.visible_to(user).select_related(
        "org_type", "parent", "superseded_by"
    )
    return get_object_or_404(queryset, public_id=public_id)


@login_required
def organization_list(request):
    form = OrganizationFilterForm(request.GET or None)
    organizations = (
        form.filter(Organization.objects.visible_to(request.user))
        .select_related("org_type", "parent")
        .annotate(member_count=Count("members"))
        .order_by("path")
    )
    page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "organizations/organization_list.html",
        {
            "form": form,
            "page": page,
            "restructures": Organization.objects.kept_by(request.user).exists(),
        },
    )


@login_required
def organization_detail(request, public_id):
    organization = get_visible_organization(request.user, public_id)
    ancestors = Organization.objects.visible_to(request.user).ancestors_of(organization)
    children = (
        organization.children.select_related("org_type")
        .annotate(member_count=Count("members"))
        .order_by("code")
    )
    form = MemberSearchForm(request.GET or None)
    members = form.filter(
        Member.objects.filter(organization__path__startswith=organization.path)
    ).select_related("organization")
    page = Paginator(members.in_name_order(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "organizations/organization_detail.html",
        {
            "organization": organization,
            "ancestors": list(ancestors),
            "children": list(children),
            "predecessors": organization.predecessions.select_related(
                "predecessor", "restructuring"
            ),
            "successors": organization.successions.select_related(
                "successor", "restructuring"
            ),
            "form": form,
            "page": page,
        },
    )


# Restructuring ------------------------------------------------------------------------


def kept_committees(user):
    """Where the user may restructure: the current organizations they keep as
    staff; someone who keeps none gets 403."""
    kept = Organization.objects.kept_by(user).current()
    if not kept.exists():
        raise PermissionDenied
    return kept


def visible_restructurings(user):
    """Decisions a staff member reads: those of the committees they keep, and
    those that changed organizations they keep (a decision of the committee
    above that merged their wards, say)."""
    kept = Organization.objects.kept_by(user).values("pk")
    touched = Succession.objects.filter(
        Q(predecessor__in=kept) | Q(successor__in=kept)
    ).values("restructuring")
    return Restructuring.objects.filter(Q(committee__in=kept) | Q(pk__in=touched))


def get_restructuring(user, public_id, *, acting=False):
    """A decision the user may read, or with `acting` change or apply (the
    staff of its committee only); outsiders get 404."""
    queryset = (
        Restructuring.objects.filter(
            committee__in=Organization.objects.kept_by(user).values("pk")
        )
        if acting
        else visible_restructurings(user)
    )
    return get_object_or_404(
        queryset.select_related("committee", "created_by", "applied_by"),
        public_id=public_id,
    )


@login_required
@require_GET
def restructuring_list(request):
    kept_committees(request.user)
    decisions = (
        visible_restructurings(request.user)
        .select_related("committee")
        .annotate(line_count=Count("lines"))
        .order_by("-effective_on", "-pk")
    )
    page = Paginator(decisions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "organizations/restructuring_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def restructuring_edit(request, public_id=None):
    committees = kept_committees(request.user)
    decision = None
    if public_id is not None:
        decision = get_restructuring(request.user, public_id, acting=True)
        if decision.is_applied:
            raise PermissionDenied
    form = RestructuringForm(
        request.POST or None,
        request.FILES or None,
        instance=decision,
        committees=committees.filter(kind=OrganizationKind.SUPERIOR_COMMITTEE).order_by(
            "path"
        ),
    )
    lines = LineFormSet(request.POST or None, instance=decision, prefix="lines")
    if request.method == "POST" and form.is_valid():
        typed = None if form.annex_lines is not None else lines
        if typed is None or typed.is_valid():
            decision = save_decision(form, request.user)
            if typed is None:
                replace_lines(decision, form.annex_lines)
            else:
                replace_lines(decision, typed_lines(typed))
            return redirect("organizations:restructuring", decision.public_id)
    return render(
        request,
        "organizations/restructuring_form.html",
        {
            "form": form,
            "lines": lines,
            "decision": decision,
            "operation_help": restructuring.OPERATION_HELP,
        },
    )


@transaction.atomic
def save_decision(form, user):
    decision = form.save(commit=False)
    if decision.created_by_id is None:
        decision.created_by = user
    decision.save()
    return decision


def typed_lines(formset):
    """The lines of the formset in the order shown, without blank or deleted rows."""
    fields = LineForm.Meta.fields
    return [
        RestructuringLine(**{name: form.cleaned_data[name] for name in fields})
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def replace_lines(decision, lines):
    """The decision's lines become these, numbered as given or from 1."""
    decision.lines.all().delete()
    for number, line in enumerate(lines, start=1):
        line.restructuring = decision
        line.number = line.number or number
    RestructuringLine.objects.bulk_create(lines)


@login_required
@require_GET
def restructuring_detail(request, public_id):
    decision = get_restructuring(request.user, public_id)
    context = {"decision": decision, "lines": list(decision.lines.all())}
    if decision.is_applied:
        context["successions"] = decision.successions.select_related(
            "predecessor", "successor"
        ).order_by("kind", "predecessor__path")
        context["ended_roles"] = decision.ended_roles.select_related(
            "user", "organization"
        )
    else:
        context.update(preview(decision, request.user))
    return render(request, "organizations/restructuring_detail.html", context)


def preview(decision, user):
    """What applying the decision would do, for the page."""
    result = restructuring.plan(
        decision, scope=Organization.objects.kept_by(user).current()
    )
    touched = result.touched()
    return {
        "plan": result,
        "line_errors": result.line_errors,
        "refusals": [] if result.errors else restructuring.refusals(result),
        "before": result.tree_before(touched),
        "after": result.tree_after(touched),
        "copies": set(result.copies()),
        "ended_keys": {n.row.pk for n in result.nodes.values() if n.ended and n.row},
        "changes": result.member_changes(),
        "following": result.following(),
    }


@login_required
@require_POST
def restructuring_apply(request, public_id):
    decision = get_restructuring(request.user, public_id, acting=True)
    try:
        restructuring.apply(
            decision,
            request.user,
            scope=Organization.objects.kept_by(request.user).current(),
        )
    except restructuring.Refused as refused:
        for message in refused.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The decision %(number)s has been applied to the tree.")
            % {"number": decision.number},
        )
    return redirect("organizations:restructuring", decision.public_id)


@login_required
@require_POST
def restructuring_delete(request, public_id):
    decision = get_restructuring(request.user, public_id, acting=True)
    if decision.is_applied:
        raise PermissionDenied
    decision.delete()
    messages.success(request, _("The draft decision has been deleted."))
    return redirect("organizations:restructurings")
