from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, render

from members.forms import MemberSearchForm
from members.models import Member

from .forms import OrganizationFilterForm
from .models import Organization

PAGE_SIZE = 50


def get_visible_organization(user, public_id):
    """The organization if the user may read it; outsiders get 404."""
    queryset = Organization.objects.visible_to(user).select_related(
        "org_type", "parent"
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
        request, "organizations/organization_list.html", {"form": form, "page": page}
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
            "form": form,
            "page": page,
        },
    )
