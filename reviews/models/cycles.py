"""A review cycle, the job that opens it and the members it leaves out."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from organizations.models import TREE_ROLE_KINDS, Organization, Role

from .regimes import Regime


class ReviewCycleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Cycles run by a committee at or above an organization of the user's."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        from members.models import Member

        superior_path = OuterRef("superior__path")
        # A role inside the committee's tree, or a tree role above the committee.
        roles = Role.objects.annotate(
            cycle_path=ExpressionWrapper(superior_path, output_field=models.CharField())
        ).filter(
            Q(organization__path__startswith=superior_path)
            | Q(
                cycle_path__startswith=F("organization__path"), kind__in=TREE_ROLE_KINDS
            ),
            user=user,
        )
        own_record = Member.objects.filter(
            user=user, organization__path__startswith=superior_path
        )
        return self.filter(Exists(roles) | Exists(own_record))


# A cycle reminds people at most this many days before a deadline.
MAX_REMINDER_DAYS = 60


class ReviewCycle(models.Model):
    class Period(models.TextChoices):
        YEAR = "year", _("Year")
        TERM = "term", _("Term")
        QUARTER = "quarter", _("Quarter")
        AD_HOC = "ad_hoc", _("Ad hoc")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SELF_REVIEW = "self_review", _("Open for self-review")
        MEETINGS = "meetings", _("Review meetings")
        APPRAISAL = "appraisal", _("Appraisal and proposal")
        DECIDED = "decided", _("Decided")
        PUBLISHED = "published", _("Published")
        LOCKED = "locked", _("Locked")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=255)
    period = models.CharField(
        _("period"), max_length=20, choices=Period.choices, default=Period.YEAR
    )
    year = models.PositiveSmallIntegerField(_("year"))
    starts_on = models.DateField(_("period start"))
    ends_on = models.DateField(_("period end"))
    regime = models.ForeignKey(
        Regime,
        verbose_name=_("regime"),
        on_delete=models.PROTECT,
        related_name="cycles",
    )
    superior = models.ForeignKey(
        Organization,
        verbose_name=_("superior committee"),
        on_delete=models.PROTECT,
        related_name="review_cycles",
        help_text=_("The committee that runs the cycle."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    guidance_issued_on = models.DateField(
        _("guidance issued on"), null=True, blank=True
    )
    self_review_due = models.DateField(_("self-review due"), null=True, blank=True)
    meetings_due = models.DateField(_("review meetings due"), null=True, blank=True)
    appraisal_due = models.DateField(_("appraisal due"), null=True, blank=True)
    decision_due = models.DateField(_("decision due"), null=True, blank=True)
    publication_due = models.DateField(_("publication due"), null=True, blank=True)
    reminder_days = models.PositiveSmallIntegerField(
        _("remind days before a deadline"),
        default=3,
        validators=[MaxValueValidator(MAX_REMINDER_DAYS)],
        help_text=_(
            "Those whose form, meeting or remedy action is due within this many "
            "days, or overdue, are reminded once a day."
        ),
    )

    history = HistoricalRecords()
    objects = ReviewCycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="review_cycle_period_ordered",
                violation_error_message=_("The period must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["superior", "period", "starts_on"],
                name="review_cycle_one_per_period",
                violation_error_message=_(
                    "This committee already has a cycle for this period."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.regime_id:
            if self.regime.history_only and self.status != self.Status.LOCKED:
                errors["regime"] = _(
                    "This regime is kept for history only; new cycles must use a "
                    "current regime."
                )
            if self.year and not (
                self.regime.first_year
                <= self.year
                <= (self.regime.last_year or self.year)
            ):
                errors["year"] = _(
                    "The regime %(regime)s applies from %(first)s; it does not "
                    "cover %(year)s."
                ) % {
                    "regime": self.regime.code,
                    "first": self.regime.first_year,
                    "year": self.year,
                }
        deadlines = [
            self.self_review_due,
            self.meetings_due,
            self.appraisal_due,
            self.decision_due,
            self.publication_due,
        ]
        known = [day for day in deadlines if day]
        if known != sorted(known):
            errors["publication_due"] = _(
                "The deadlines must follow the order of the steps."
            )
        if errors:
            raise ValidationError(errors)


# Reviews whose form may still change, by cycle state.
EDITABLE_STATES = (ReviewCycle.Status.SELF_REVIEW,)


class CycleJob(models.Model):
    """A long step of a cycle (opening it) run by a worker, with its progress."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="jobs",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveIntegerField(_("progress"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    message = models.TextField(_("message"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The heartbeat: written when a worker claims the job and at each step.
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cycle job")
        verbose_name_plural = _("cycle jobs")

    def __str__(self):
        return f"{self.cycle} – {self.get_status_display()}"

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)


class CycleExclusion(models.Model):
    """A member left out of a cycle at its start, with the reason staff see."""

    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="exclusions",
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("Party member"),
        on_delete=models.CASCADE,
        related_name="cycle_exclusions",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("Party cell"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=20)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("member not reviewed")
        verbose_name_plural = _("members not reviewed")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "member"], name="cycle_exclusion_once_per_member"
            ),
        ]

    def __str__(self):
        return f"{self.member} – {self.reason}"
