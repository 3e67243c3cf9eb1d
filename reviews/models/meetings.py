"""Review meetings: attendance and each subject's item."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .regimes import RatingLevel
from .reviews import Review


class Meeting(models.Model):
    """The review meeting of a collective: the collective, then its members."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held, being recorded")
        DONE = "done", _("Recorded")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    review = models.OneToOneField(
        Review,
        verbose_name=_("collective reviewed"),
        on_delete=models.CASCADE,
        related_name="meeting",
        limit_choices_to=~Q(kind="individual"),
    )
    held_on = models.DateField(_("date"), null=True, blank=True)
    starts_at = models.TimeField(_("starting time"), null=True, blank=True)
    ends_at = models.TimeField(_("ending time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=255, blank=True)
    chair = models.CharField(_("chaired by"), max_length=150, blank=True)
    recorder = models.CharField(
        _("secretary of the meeting"), max_length=150, blank=True
    )
    superior_attendee = models.CharField(
        _("attending for the superior committee"), max_length=255, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    version = models.PositiveIntegerField(_("version"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review meeting")
        verbose_name_plural = _("review meetings")

    def __str__(self):
        return f"{self.review.subject_name} – {self.held_on or ''}"


class Attendance(models.Model):
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("review meeting"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("Party member"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    present = models.BooleanField(_("present"), default=True)
    absence_reason = models.CharField(
        _("reason for absence"), max_length=255, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"], name="attendance_once_per_member"
            ),
        ]

    def __str__(self):
        return f"{self.member} – {self.present}"


class MeetingItem(models.Model):
    """One subject reviewed at a meeting: comments, votes and the proposed rating."""

    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("review meeting"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    review = models.ForeignKey(
        Review,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        related_name="meeting_items",
    )
    order = models.PositiveSmallIntegerField(_("order"))
    comments = models.TextField(_("comments"), blank=True)
    votes = models.JSONField(
        _("votes per level"),
        default=dict,
        blank=True,
        help_text=_("Level code → votes."),
    )
    proposed_rating = models.ForeignKey(
        RatingLevel,
        verbose_name=_("rating proposed by the meeting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "order"]
        verbose_name = _("subject reviewed")
        verbose_name_plural = _("subjects reviewed")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "review"], name="meeting_item_once_per_review"
            ),
        ]

    def __str__(self):
        return f"{self.order}. {self.review.subject_name}"

    @property
    def is_recorded(self):
        return self.recorded_at is not None
