from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from organizations.models import Organization

from .forms import MemberSearchForm
from .models import Member

PAGE_SIZE = 50


def get_visible_member(user, public_id):
    """The member if the user may read the record; outsiders get 404."""
    queryset = Member.objects.visible_to(user).select_related(
        "organization", "organization__parent"
    )
    return get_object_or_404(queryset, public_id=public_id)


@login_required
def member_list(request):
    form = MemberSearchForm(request.GET or None)
    members = form.filter(Member.objects.visible_to(request.user)).select_related(
        "organization__parent"
    )
    page = Paginator(members.in_name_order(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "members/member_list.html", {"form": form, "page": page})


@login_required
def member_detail(request, public_id):
    member = get_visible_member(request.user, public_id)
    cell_visible = (
        Organization.objects.visible_to(request.user)
        .filter(pk=member.organization_id)
        .exists()
    )
    return render(
        request,
        "members/member_detail.html",
        {"member": member, "cell_visible": cell_visible},
    )
