"""Ratings along the chain, and disciplines."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from organizations.models import Organization

from .regimes import RatingLevel
from .reviews import Review


class Rating(models.Model):
    """One level of a subject's rating chain; each stage is kept, none overwritten.

    self-proposed → proposed by the meeting → appraised and proposed by the
    grassroots committee or advisory body → decided by the superior committee.
    """

    class Stage(models.TextChoices):
        SELF = "self", _("Self-proposed")
        MEETING = "meeting", _("Proposed by the meeting")
        APPRAISAL = "appraisal", _("Appraised and proposed")
        DECISION = "decision", _("Decided by the superior committee")

    review = models.ForeignKey(
        Review,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        related_name="ratings",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    level = models.ForeignKey(
        RatingLevel,
        verbose_name=_("rating level"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    score = models.DecimalField(
        _("score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    reason = models.TextField(_("reason"), blank=True)
    assessment = models.TextField(
        _("assessment"),
        blank=True,
        help_text=_("The deciding level's assessment (nhận xét, đánh giá)."),
    )
    votes = models.JSONField(_("votes per level"), default=dict, blank=True)
    overridden_rules = models.JSONField(_("rules overridden"), default=list, blank=True)
    override_reason = models.TextField(_("reason for overriding"), blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set at"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "stage"], name="rating_once_per_stage"
            ),
        ]
        indexes = [
            # Quota counts: decided levels of one cycle's comparison group.
            models.Index(fields=["stage", "level"], name="rating_stage_level"),
        ]

    def __str__(self):
        stage = self.get_stage_display()
        return f"{self.review.subject_name} – {stage}: {self.level.code}"

    @property
    def is_override(self):
        return bool(self.overridden_rules)


class Discipline(models.Model):
    """A disciplinary decision against a member or an organization (kỷ luật)."""

    class Form(models.TextChoices):
        REPRIMAND = "reprimand", _("Reprimand")
        WARNING = "warning", _("Warning")
        DISMISSAL = "dismissal", _("Dismissal from post")
        EXPULSION = "expulsion", _("Expulsion")
        DISSOLUTION = "dissolution", _("Dissolution")

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("Party member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="disciplines",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="disciplines",
        help_text=_("For a collective: the organization or its leadership."),
    )
    leadership = models.BooleanField(
        _("the leadership collective"),
        default=False,
        help_text=_("The organization's leadership collective was disciplined."),
    )
    form = models.CharField(
        _("form of discipline"), max_length=20, choices=Form.choices
    )
    decided_on = models.DateField(_("decided on"))
    decided_by = models.CharField(_("decided by"), max_length=255, blank=True)
    violation = models.TextField(_("violation"), blank=True)
    self_detected = models.BooleanField(
        _("detected by the subject"),
        default=False,
        help_text=_("The subject detected the violation themself."),
    )
    remedied = models.BooleanField(_("remedied"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("disciplinary record")
        verbose_name_plural = _("disciplinary records")
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=True, organization__isnull=False)
                | Q(member__isnull=False, organization__isnull=True),
                name="discipline_has_one_subject",
                violation_error_message=_(
                    "A disciplinary record concerns one member or one organization."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.member or self.organization} – {self.get_form_display()}"

    @property
    def exempt_when_self_remedied(self):
        return self.self_detected and self.remedied
