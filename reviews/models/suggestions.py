"""The Standing Committee's suggestions and the assignments of its members."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from organizations.models import Organization

from .cycles import ReviewCycle
from .focus import FocusArea
from .reviews import Review


class Suggestion(models.Model):
    """The Standing Committee's review suggestion to one organization or person."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="suggestions",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("Party member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    issued_on = models.DateField(_("issued on"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review suggestion")
        verbose_name_plural = _("review suggestions")
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=True, member__isnull=False)
                | Q(organization__isnull=False, member__isnull=True),
                name="suggestion_has_one_target",
                violation_error_message=_(
                    "A suggestion goes to one organization or to one person."
                ),
            ),
            models.UniqueConstraint(
                fields=["cycle", "organization"],
                condition=Q(organization__isnull=False),
                name="suggestion_once_per_organization",
            ),
            models.UniqueConstraint(
                fields=["cycle", "member"],
                condition=Q(member__isnull=False),
                name="suggestion_once_per_member",
            ),
        ]

    def __str__(self):
        return str(self.organization or self.member)


class SuggestionItem(models.Model):
    suggestion = models.ForeignKey(
        Suggestion,
        verbose_name=_("review suggestion"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    focus_area = models.ForeignKey(
        FocusArea,
        verbose_name=_("focus area"),
        on_delete=models.PROTECT,
        related_name="suggestion_items",
    )
    text = models.TextField(_("content"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["suggestion", "number"]
        verbose_name = _("suggestion item")
        verbose_name_plural = _("suggestion items")
        constraints = [
            models.UniqueConstraint(
                fields=["suggestion", "number"], name="suggestion_item_number"
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.text[:60]}"


class SuggestionAnswer(models.Model):
    """Section IV: the subject's explanation of one suggestion item."""

    review = models.ForeignKey(
        Review,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        related_name="suggestion_answers",
    )
    item = models.ForeignKey(
        SuggestionItem,
        verbose_name=_("suggestion item"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    text = models.TextField(_("explanation"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("explanation of a suggestion")
        verbose_name_plural = _("explanations of suggestions")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "item"], name="suggestion_answer_once"
            ),
        ]

    def __str__(self):
        return f"{self.review} – {self.item}"


class Assignment(models.Model):
    """A BTV member or staff member assigned to attend, direct and monitor a review."""

    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="review_assignments",
    )
    duty = models.CharField(
        _("duty"),
        max_length=255,
        default=_("Attend, direct and monitor the review"),
    )
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "organization", "assignee"],
                name="assignment_once_per_person",
                violation_error_message=_(
                    "This person is already assigned to this organization."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.assignee} – {self.organization}"
