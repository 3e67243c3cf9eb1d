"""Report requests, the job page that polls while a worker renders, the download."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ..access import get_cycle, get_cycle_organization, get_review
from ..models import ReportJob
from ..reports import pipeline


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("document"), choices=ReportJob.Kind.choices)
    cycle = forms.UUIDField()
    review = forms.UUIDField(required=False)
    organization = forms.UUIDField(required=False)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in pipeline.REVIEW_KINDS and not data.get("review"):
            raise forms.ValidationError(_("Choose the review form."))
        if kind in pipeline.COLLECTIVE_KINDS and data.get("review"):
            # A collective's own form or meeting: the review names the subject.
            return data
        if kind in pipeline.ORGANIZATION_KINDS and not data.get("organization"):
            raise forms.ValidationError(_("Choose the organization."))
        return data


def get_job(user, public_id):
    jobs = pipeline.jobs_visible_to(user).select_related(
        "cycle__superior", "review__organization", "organization"
    )
    return get_object_or_404(jobs, public_id=public_id)


@login_required
@require_POST
def request_report(request):
    form = ReportRequestForm(request.POST)
    if not form.is_valid():
        raise Http404
    kind, data = form.cleaned_data["kind"], form.cleaned_data
    cycle = get_cycle(request.user, data["cycle"])
    review = organization = None
    if kind in pipeline.REVIEW_KINDS or (
        kind in pipeline.COLLECTIVE_KINDS and data.get("review")
    ):
        review = get_review(request.user, data["review"])
    elif kind in pipeline.ORGANIZATION_KINDS:
        organization = get_cycle_organization(request.user, cycle, data["organization"])
    try:
        job = pipeline.request_report(request.user, kind, cycle, review, organization)
    except pipeline.ReportRefused as refused:
        messages.error(request, str(refused))
        return redirect(refused_page(kind, cycle, review, organization))
    return redirect("reviews:report_job", public_id=job.public_id)


def refused_page(kind, cycle, review, organization):
    """Where a refused request goes back to: the page that offers the document."""
    if organization is not None:
        return reverse(
            "reviews:organization_results",
            args=[cycle.public_id, organization.public_id],
        )
    if review is not None:
        return reverse("reviews:review", args=[review.public_id])
    return reverse("reviews:cycle", args=[cycle.public_id])


@login_required
@require_GET
def report_job(request, public_id):
    job = get_job(request.user, public_id)
    template = "_report_job.html" if request.htmx else "report_job.html"
    return render(request, f"reviews/{template}", {"job": job})


@login_required
@require_GET
def report_download(request, public_id):
    job = get_job(request.user, public_id)
    if job.status != ReportJob.Status.DONE or not job.file:
        raise Http404
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=pipeline.job_file_name(job)
    )
