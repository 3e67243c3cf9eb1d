"""Reopening a published or locked cycle (staff), and each user's notices."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from .. import guards
from ..access import get_cycle, require_cycle_staff
from ..models import ReviewCycle
from . import services as publishing

PAGE_SIZE = 50


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for reopening"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Recorded with your name and the time, and shown on this page."
        ),
        error_messages={
            "required": gettext_lazy("Give the reason for reopening the cycle.")
        },
    )


class MarkReadForm(forms.Form):
    """Mark read the notices the user had been shown, not any that came since."""

    shown_at = forms.DateTimeField(widget=forms.HiddenInput)


@login_required
@require_http_methods(["GET", "POST"])
def reopen(request, public_id):
    cycle = get_cycle(request.user, public_id)
    require_cycle_staff(request.user, cycle)
    form = ReopenForm(request.POST or None)
    if form.is_valid():
        try:
            publishing.reopen_cycle(cycle, form.cleaned_data["reason"], request.user)
        except publishing.ReopenRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("The cycle is reopened and back to “%(status)s”.")
                % {"status": ReviewCycle.Status.DECIDED.label},
            )
            return redirect("reviews:cycle", public_id=cycle.public_id)
    reopenings = list(
        cycle.reopenings.select_related("reopened_by").order_by("-reopened_at", "-pk")
    )
    labels = dict(ReviewCycle.Status.choices)
    for reopening in reopenings:
        reopening.from_label = labels.get(reopening.from_status, reopening.from_status)
    return render(
        request,
        "reviews/reopen.html",
        {
            "cycle": cycle,
            "closed": guards.is_closed(cycle),
            "form": form,
            "reopenings": reopenings,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_list(request):
    notices = request.user.review_notices.all()
    form = MarkReadForm(
        request.POST or None, initial={"shown_at": timezone.now().isoformat()}
    )
    if form.is_valid():
        marked = notices.filter(
            read_at__isnull=True, created_at__lte=form.cleaned_data["shown_at"]
        ).update(read_at=timezone.now())
        messages.success(
            request,
            ngettext(
                "%(count)s notice marked as read.",
                "%(count)s notices marked as read.",
                marked,
            )
            % {"count": marked},
        )
        return redirect("reviews:notices")
    listed = (
        notices.select_related("review")
        .only(
            "user", "kind", "text", "link", "created_at", "read_at", "review__public_id"
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/notice_list.html",
        {
            "page": page,
            "unread": notices.filter(read_at__isnull=True).count(),
            "form": form,
        },
    )
