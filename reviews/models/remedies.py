"""Conclusions, remedy actions and the items carried into the next cycle."""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from organizations.models import Organization

from .reviews import Review


class Conclusion(models.Model):
    """A competent body's conclusion that caps a rating at KHTNV (§6.4 rule 6).

    A member's: degeneration, a prohibited act, a failed example duty. A
    collective's (QĐ 124 Art. 12): fewer than half its targets and tasks met, or
    internal disunity.
    """

    class Kind(models.TextChoices):
        DEGENERATION = (
            "degeneration",
            _("Degenerated in political ideology, ethics or lifestyle"),
        )
        PROHIBITED = "prohibited", _("Did what Party members must not do")
        EXAMPLE = "example", _("Failed the duty to set an example")
        TARGETS = "targets", _("Met fewer than half of its targets and tasks")
        DISUNITY = "disunity", _("Internal disunity")

    MEMBER_KINDS = (Kind.DEGENERATION, Kind.PROHIBITED, Kind.EXAMPLE)
    COLLECTIVE_KINDS = (Kind.TARGETS, Kind.DISUNITY)

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("Party member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="conclusions",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="conclusions",
        help_text=_("For a collective: the organization concluded about."),
    )
    kind = models.CharField(_("conclusion"), max_length=20, choices=Kind.choices)
    concluded_on = models.DateField(_("concluded on"))
    concluded_by = models.CharField(_("concluded by"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("conclusion")
        verbose_name_plural = _("conclusions")
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=True, organization__isnull=False)
                | Q(member__isnull=False, organization__isnull=True),
                name="conclusion_has_one_subject",
                violation_error_message=_(
                    "A conclusion concerns one member or one organization."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.member or self.organization} – {self.get_kind_display()}"

    def clean(self):
        if self.member_id and self.kind in self.COLLECTIVE_KINDS:
            raise ValidationError(
                {"kind": _("This conclusion concerns an organization, not a member.")}
            )
        if self.organization_id and self.kind in self.MEMBER_KINDS:
            raise ValidationError(
                {"kind": _("This conclusion concerns a member, not an organization.")}
            )


class RemedyAction(models.Model):
    """An action of a subject's remedy plan, followed up during the year."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    review = models.ForeignKey(
        Review,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        related_name="remedy_actions",
        help_text=_("The review whose shortcomings the action remedies."),
    )
    number = models.PositiveSmallIntegerField(_("number"))
    shortcoming = models.TextField(_("shortcoming"))
    content = models.TextField(_("action"))
    owner = models.CharField(_("responsible"), max_length=255)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    evidence = models.TextField(_("evidence and progress notes"), blank=True)
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("carried over from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_to",
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["review", "number"]
        verbose_name = _("remedy action")
        verbose_name_plural = _("remedy actions")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "number"], name="remedy_action_number_per_review"
            ),
        ]
        indexes = [
            # Overdue lists: open actions by deadline.
            models.Index(fields=["status", "deadline"], name="remedy_action_overdue"),
        ]

    def __str__(self):
        return f"{self.number}. {self.content[:60]}"

    @property
    def is_done(self):
        return self.status == self.Status.DONE

    def is_overdue(self, today):
        return not self.is_done and self.deadline < today


class RemedyTally(models.Model):
    """How many remedy actions of a cycle's plans an organization has, per status
    and deadline.

    The rollup the dashboard reads instead of the actions, so its remedy
    figures cost O(organizations), not O(members with a plan): the overdue
    count is the actions not done whose deadline has passed, summed from these
    rows for any day. Kept by triggers on the actions table, and on the
    reviews table for a review moved to another organization or cycle
    (migration 0017, reviews/tallies.py), in the transaction of every write.
    Never written by the app. A group emptied keeps its row at 0.
    """

    cycle = models.ForeignKey(
        "ReviewCycle", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    status = models.CharField(max_length=20)
    deadline = models.DateField()
    number = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("remedy tally")
        verbose_name_plural = _("remedy tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "organization", "status", "deadline"],
                name="remedy_tally_group",
            ),
        ]

    def __str__(self):
        return f"{self.cycle_id}/{self.organization_id}/{self.status}: {self.number}"


class CarryOverItem(models.Model):
    """A shortcoming or remedy action from an earlier cycle that section III answers."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Not yet answered")
        REMEDIED = "remedied", _("Remedied")
        CARRIED = "carried", _("Not fully remedied; carried on")

    review = models.ForeignKey(
        Review,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        related_name="carry_over_items",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("shortcoming or action"))
    source = models.CharField(_("raised in"), max_length=255, blank=True)
    remedy_action = models.ForeignKey(
        "RemedyAction",
        verbose_name=_("remedy action"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carry_over_items",
    )
    answer = models.TextField(_("result of the remedy"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.OPEN
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["review", "number"]
        verbose_name = _("carried-over item")
        verbose_name_plural = _("carried-over items")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "number"], name="carry_over_number_per_review"
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.text[:60]}"
