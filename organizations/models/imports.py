"""Spreadsheet imports run by a worker."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """A large spreadsheet import run by a worker: every row or none, with progress.

    The file's bytes are kept in the row (at most IMPORT_MAX_BYTES) so that a
    worker on another host reads them without a shared media volume, and they
    are written in the same transaction as the job; they are cleared when the
    job ends.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Register(models.TextChoices):
        ORGANIZATIONS = "organizations", _("Party organizations")
        MEMBERS = "members", _("Party members")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    register = models.CharField(_("register"), max_length=20, choices=Register.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("file format"), max_length=10)
    data = models.BinaryField(_("file content"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveIntegerField(_("progress"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    # Rows added, updated and unchanged, as import_export counts them.
    totals = models.JSONField(_("result"), default=dict, blank=True)
    # [{"row": number, "messages": [text, …]}, …] of a failed import.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    failed_rows = models.PositiveIntegerField(_("failed rows"), default=0)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self):
        return f"{self.file_name} – {self.get_status_display()}"

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)
