"""Notices, result mailings and reopenings of a published cycle."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .cycles import CycleJob, ReviewCycle
from .reviews import Review


class Notice(models.Model):
    """A message on a user's home page: the published result of their review, a
    form returned to them, a reminder of what is due, staff's weekly digest."""

    class Kind(models.TextChoices):
        RESULT = "result", _("Rating result")
        RETURNED = "returned", _("Form returned")
        REMINDER = "reminder", _("Reminder")
        DIGEST = "digest", _("Weekly digest")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="review_notices",
    )
    review = models.ForeignKey(
        Review,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.RESULT
    )
    # The day a reminder or a digest is for: one of each kind a day per person.
    day = models.DateField(_("day"), null=True, blank=True)
    link = models.CharField(_("link"), max_length=255, blank=True)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "review", "kind"],
                condition=Q(review__isnull=False),
                name="notice_once_per_user_review",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "day"],
                condition=Q(day__isnull=False),
                name="notice_once_a_day",
            ),
        ]

    def __str__(self):
        return self.text[:60]

    @property
    def url(self):
        """Where the notice leads: its link, else its review's page."""
        if self.link:
            return self.link
        if self.review_id:
            return reverse("reviews:review", args=[self.review.public_id])
        return ""


class ResultMailing(models.Model):
    """The result e-mails of one publication, sent by a worker in batches.

    Written in the publication's transaction, so the e-mails are recorded even
    when the broker is down: the sweep sends a mailing no worker holds (see
    reviews/background.py). `progress` counts the recipients handled, batch by
    batch, so a mailing taken up again after a lost worker goes on from there.
    """

    Status = CycleJob.Status

    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="mailings",
    )
    # [[review id, user id or null], …]: the addresses are read when sending.
    recipients = models.JSONField(_("recipients"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveIntegerField(_("progress"), default=0)
    sent = models.PositiveIntegerField(_("e-mails sent"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("result mailing")
        verbose_name_plural = _("result mailings")

    def __str__(self):
        return f"{self.cycle} – {self.get_status_display()}"


class CycleReopening(models.Model):
    """An audited reopening of a published or locked cycle."""

    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="reopenings",
    )
    from_status = models.CharField(_("from status"), max_length=20)
    reason = models.TextField(_("reason"))
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reopened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reopened_at = models.DateTimeField(_("reopened at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reopening")
        verbose_name_plural = _("reopenings")

    def __str__(self):
        return f"{self.cycle} – {self.reopened_at:%d/%m/%Y}"
