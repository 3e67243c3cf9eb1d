"""Review suggestions and assignments: the Standing Committee's staff pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from members.models import Member
from organizations.models import Organization, Role

from ..access import get_cycle, is_cycle_staff
from ..models import (
    FocusArea,
    ReviewCycle,
    Suggestion,
    SuggestionAnswer,
    SuggestionItem,
)
from .choices import (
    ISSUING_STATES,
    find_members,
    focus_area_choices,
    grassroots_organizations,
    member_label,
    target_members,
    visible_suggestions,
)
from .forms import (
    BulkSuggestionForm,
    EditSuggestionItemFormSet,
    FocusAreaForm,
    SuggestionFilterForm,
    SuggestionForm,
    SuggestionItemFormSet,
    TickTypeForm,
)
from .services import append_items

PAGE_SIZE = 100


def leads_in_tree(user, cycle):
    """Leaders in the cycle's tree or above it may read the committee's pages."""
    tree = Q(organization__path__startswith=cycle.superior.path) | Q(
        organization__path__in=cycle.superior.path_and_ancestor_paths
    )
    return Role.objects.filter(tree, user=user, kind=Role.Kind.LEADER).exists()


def require_committee(user, cycle, *, write):
    """Staff run these pages and leaders read them; to anyone else they do not exist.

    Returns whether the user may change them.
    """
    if is_cycle_staff(user, cycle):
        return True
    if not leads_in_tree(user, cycle):
        raise Http404
    if write:
        raise PermissionDenied
    return False


def get_committee_cycle(request, public_id, *, write=False):
    """The cycle and whether the user may change its suggestions and assignments."""
    cycle = get_cycle(request.user, public_id)
    write = write or request.method == "POST"
    return cycle, require_committee(request.user, cycle, write=write)


def get_suggestion(request, public_id):
    cycles = ReviewCycle.objects.visible_to(request.user)
    queryset = Suggestion.objects.filter(
        Q(organization__in=Organization.objects.visible_to(request.user).values("pk"))
        | Q(member__in=Member.objects.visible_to(request.user).values("pk")),
        cycle__in=cycles,
    ).select_related("cycle__superior", "organization", "member__organization")
    suggestion = get_object_or_404(queryset, public_id=public_id)
    require_committee(request.user, suggestion.cycle, write=True)
    return suggestion


CONFLICT = gettext_lazy(
    "Someone else changed these suggestions at the same time. Nothing was saved; "
    "please submit again."
)


def listed_suggestions(user, cycle, area=None):
    """Suggestions with their items, each flagged if explained in section IV."""
    answered = SuggestionAnswer.objects.filter(item=OuterRef("pk")).exclude(text="")
    items = SuggestionItem.objects.select_related("focus_area").annotate(
        answered=Exists(answered)
    )
    suggestions = visible_suggestions(user, cycle)
    if area:
        items = items.filter(focus_area=area)
        in_area = SuggestionItem.objects.filter(
            suggestion=OuterRef("pk"), focus_area=area
        )
        suggestions = suggestions.filter(Exists(in_area))
    return (
        suggestions.select_related(
            "organization__parent", "member__organization__parent", "issued_by"
        )
        .prefetch_related(Prefetch("items", queryset=items.order_by("number")))
        .order_by(
            F("organization__path").asc(nulls_last=True), "member__sort_key", "pk"
        )
    )


@login_required
@require_http_methods(["GET", "POST"])
def suggestion_list(request, public_id):
    cycle, can_edit = get_committee_cycle(request, public_id)
    focus_form = FocusAreaForm(request.POST or None, prefix="focus")
    if focus_form.is_valid():
        area = focus_form.save()
        messages.success(request, _("Focus area “%(name)s” added.") % {"name": area})
        return redirect("reviews:suggestion_list", public_id=cycle.public_id)
    filters = SuggestionFilterForm(request.GET or None)
    suggestions = listed_suggestions(request.user, cycle, filters.chosen_area())
    page = Paginator(suggestions, PAGE_SIZE).get_page(request.GET.get("page"))
    for suggestion in page:
        shown = suggestion.items.all()
        suggestion.answered_count = sum(item.answered for item in shown)
    return render(
        request,
        "reviews/suggestion_list.html",
        {
            "cycle": cycle,
            "page": page,
            "filters": filters,
            "focus_form": focus_form,
            "can_edit": can_edit,
            # Suggestions are issued and changed only in these steps; offered
            # no form that could not be saved.
            "issuing": cycle.status in ISSUING_STATES,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def suggestion_create(request, public_id):
    cycle, _can_edit = get_committee_cycle(request, public_id, write=True)
    if request.htmx and "member_search" in request.GET:
        return member_options(request, cycle)
    initial = {
        key: request.GET[key]
        for key in ("organization", "member_search", "member", "issued_on")
        if request.GET.get(key)
    }
    form = SuggestionForm(
        request.POST or None,
        cycle=cycle,
        user=request.user,
        initial=initial,
        search_url=request.path,
    )
    items = SuggestionItemFormSet(
        request.POST or None,
        prefix="items",
        form_kwargs={"focus_choices": focus_area_choices(active_focus_areas())},
    )
    if form.is_valid() & items.is_valid():
        field, target = form.target
        try:
            with transaction.atomic():
                append_items(
                    cycle,
                    field,
                    [target],
                    items.items,
                    request.user,
                    form.cleaned_data["issued_on"],
                )
        except IntegrityError:
            form.add_error(None, CONFLICT)
        else:
            message = ngettext(
                "%(count)d item issued to %(target)s.",
                "%(count)d items issued to %(target)s.",
                len(items.items),
            ) % {"count": len(items.items), "target": target_name(target)}
            messages.success(request, message)
            return redirect("reviews:suggestion_list", public_id=cycle.public_id)
    return render(
        request,
        "reviews/suggestion_form.html",
        {"cycle": cycle, "form": form, "items": items},
    )


def member_options(request, cycle):
    """The options of the member select for what the user typed (HTMX)."""
    members = find_members(
        target_members(request.user, cycle), request.GET["member_search"][:100]
    )
    return render(
        request,
        "reviews/_suggestion_member_options.html",
        {"options": [(m.public_id, member_label(m)) for m in members]},
    )


def target_name(target):
    return target.full_name if isinstance(target, Member) else target.name


def active_focus_areas():
    return FocusArea.objects.filter(active=True)


@login_required
@require_http_methods(["GET", "POST"])
def suggestion_edit(request, public_id):
    suggestion = get_suggestion(request, public_id)
    answered = SuggestionAnswer.objects.filter(item__suggestion=suggestion).exclude(
        text=""
    )
    areas = FocusArea.objects.filter(
        Q(active=True) | Q(suggestion_items__suggestion=suggestion)
    ).distinct()
    items = EditSuggestionItemFormSet(
        request.POST or None,
        instance=suggestion,
        prefix="items",
        queryset=suggestion.items.select_related("focus_area").order_by("number"),
        answered=answered.values_list("item_id", flat=True),
        form_kwargs={"focus_areas": areas, "focus_choices": focus_area_choices(areas)},
    )
    if items.is_valid():
        with transaction.atomic():
            # Appends to this suggestion wait until it is numbered again.
            Suggestion.objects.select_for_update().filter(pk=suggestion.pk).first()
            remaining = items.save_numbered()
            if not remaining:
                suggestion.delete()
        if remaining:
            messages.success(request, _("The suggestion was saved."))
        else:
            messages.success(request, _("The suggestion had no item left; removed."))
        return redirect("reviews:suggestion_list", public_id=suggestion.cycle.public_id)
    return render(
        request,
        "reviews/suggestion_edit.html",
        {"cycle": suggestion.cycle, "suggestion": suggestion, "items": items},
    )


@login_required
@require_http_methods(["GET", "POST"])
def suggestion_bulk(request, public_id):
    cycle, _can_edit = get_committee_cycle(request, public_id, write=True)
    tick = TickTypeForm(request.GET or None)
    organizations = list(
        grassroots_organizations(request.user, cycle)
        .select_related("org_type")
        .order_by("org_type__position", "org_type__name", "name")
    )
    ticked_type = tick.ticked_type()
    of_type = [o.public_id for o in organizations if o.org_type == ticked_type]
    initial = {"organizations": of_type if ticked_type else []}
    form = BulkSuggestionForm(
        request.POST or None, cycle=cycle, user=request.user, initial=initial
    )
    form.fields["focus_area"].choices = focus_area_choices(active_focus_areas())
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                issued = append_items(
                    cycle,
                    "organization",
                    list(data["organizations"]),
                    [(data["focus_area"], data["text"])],
                    request.user,
                    data["issued_on"],
                )
        except IntegrityError:
            form.add_error(None, CONFLICT)
        else:
            message = ngettext(
                "The item was issued to %(count)d organization.",
                "The item was issued to %(count)d organizations.",
                len(issued),
            ) % {"count": len(issued)}
            messages.success(request, message)
            return redirect("reviews:suggestion_list", public_id=cycle.public_id)
    ticked = {str(value) for value in form["organizations"].value() or []}
    return render(
        request,
        "reviews/suggestion_bulk.html",
        {
            "cycle": cycle,
            "form": form,
            "tick": tick,
            "organizations": organizations,
            "ticked": ticked,
        },
    )
