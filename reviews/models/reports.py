"""Report jobs: documents rendered by the worker."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization

from .cycles import ReviewCycle
from .reviews import Review


class ReportJob(models.Model):
    """One request for a document (or a ZIP of documents), rendered by a worker."""

    class Kind(models.TextChoices):
        INDIVIDUAL_FORM = "individual_form", _("Individual review form")
        COLLECTIVE_REPORT = "collective_report", _("Collective review report")
        MINUTES = "minutes", _("Minutes of the review meeting")
        NOTIFICATION = "notification", _("Rating-result notification")
        SUMMARY = "summary", _("Cycle summary report")
        ORGANIZATION_FORMS = (
            "organization_forms",
            _("All individual forms of an organization"),
        )
        CYCLE_DOCUMENTS = "cycle_documents", _("All documents of a cycle")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Rendering")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("document"), max_length=30, choices=Kind.choices)
    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="report_jobs",
    )
    review = models.ForeignKey(
        Review,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="report_jobs",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="report_jobs",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="report_jobs",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveIntegerField(_("progress"), default=0)
    total = models.PositiveIntegerField(_("total"), default=1)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    input_hash = models.CharField(_("hash of the inputs"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        indexes = [
            # A repeated request looks for a finished job with the same inputs.
            models.Index(fields=["kind", "input_hash"], name="report_job_inputs"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.get_status_display()}"

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)
