"""Exemptions that close a step for a subject."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from .reviews import Review


class ExemptionQuerySet(models.QuerySet):
    def unrated(self):
        """Exemptions that take a subject out of the decision step."""
        return self.filter(kind__in=StepExemption.UNRATED_KINDS)

    def not_submitted(self):
        return self.filter(kind=StepExemption.Kind.NOT_SUBMITTED)

    def reasons(self):
        """Review id → the reason recorded, in one query."""
        return dict(self.values_list("review_id", "reason"))


class StepExemption(models.Model):
    """Work of a cycle step closed without being done, with the reason.

    Real life leaves some forms unsubmitted and some meetings unheld (illness,
    work away, a transfer in progress). Staff, or a secretary for their own
    organization, record why; the step's guard then lets the cycle go on, and the
    exemption is listed on the cycle overview, counted on the dashboard, printed
    in the minutes and the summary, and kept in history.
    """

    class Kind(models.TextChoices):
        NOT_SUBMITTED = "not_submitted", _("Form not submitted")
        MEETING_NOT_HELD = "meeting_not_held", _("Review meeting not held")
        NOT_RATED = "not_rated", pgettext_lazy("exemption", "Not rated")

    # A subject that did not review, or that staff chose not to rate, needs no
    # decision; a collective whose meeting was not held is still decided.
    UNRATED_KINDS = (Kind.NOT_SUBMITTED, Kind.NOT_RATED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    review = models.ForeignKey(
        Review,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        related_name="exemptions",
    )
    kind = models.CharField(_("exemption"), max_length=20, choices=Kind.choices)
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = ExemptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("step exemption")
        verbose_name_plural = _("step exemptions")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "kind"], name="step_exemption_once_per_kind"
            ),
        ]

    def __str__(self):
        return f"{self.review.subject_name} – {self.get_kind_display()}"


class ExemptionTally(models.Model):
    """How many exemptions of a cycle an organization's reviews have, per kind
    of exemption and kind of review.

    The rollup the dashboard reads instead of the exemptions, so its figures
    cost O(organizations), not O(exemptions): a cycle's exemptions number in
    the thousands at 310,000 members, and each was looked up by its review.
    Kept by triggers on the exemptions table, and on the reviews table for a
    review moved to another organization or cycle (migration 0019,
    reviews/tallies.py), in the transaction of every write. Never written by
    the app. A group emptied keeps its row at 0.
    """

    cycle = models.ForeignKey(
        "ReviewCycle", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    kind = models.CharField(max_length=20)
    review_kind = models.CharField(max_length=20)
    number = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("exemption tally")
        verbose_name_plural = _("exemption tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "organization", "kind", "review_kind"],
                name="exemption_tally_group",
            ),
        ]

    def __str__(self):
        return f"{self.cycle_id}/{self.organization_id}/{self.kind}: {self.number}"
