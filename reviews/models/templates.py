"""The forms' templates: sections and score criteria."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .cycles import ReviewCycle
from .regimes import Regime


class FormTemplate(models.Model):
    """A review form of a regime (Mẫu 01, 02A, 2B ...), its wording kept as data.

    A template tied to a cycle overrides the regime's template of the same code
    for that cycle only, so staff can adjust the wording of one year.
    """

    class Audience(models.TextChoices):
        COLLECTIVE = "collective", _("Collective")
        MEMBER = "member", _("Party member without a leadership post")
        LEADER = "leader", _("Leader or manager")
        OTHER = "other", _("Other members (chosen by staff)")

    regime = models.ForeignKey(
        Regime,
        verbose_name=_("regime"),
        on_delete=models.CASCADE,
        related_name="form_templates",
    )
    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("only for cycle"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="form_templates",
    )
    code = models.CharField(_("form code"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    guidance = models.CharField(
        _("guidance document"),
        max_length=120,
        blank=True,
        help_text=_("For example: Hướng dẫn 25-HD/BTCTW."),
    )
    criteria_provisional = models.BooleanField(
        _("score criteria are a default"),
        default=False,
        help_text=_(
            "The split of the 100 points is the app's default, not yet checked "
            "against the official guidance; the form says so."
        ),
    )
    # Moved on by reviews/signals.py whenever its sections, its criteria or a
    # rating level change: the key of the form's parts cached per template
    # (reviews/review_forms/content.py, template_parts).
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["regime", "code"]
        verbose_name = _("form template")
        verbose_name_plural = _("form templates")
        constraints = [
            models.UniqueConstraint(
                fields=["regime", "code"],
                condition=Q(cycle__isnull=True),
                name="form_template_code_per_regime",
            ),
            models.UniqueConstraint(
                fields=["regime", "code", "cycle"],
                name="form_template_code_per_cycle",
            ),
        ]

    def __str__(self):
        return f"{self.code} – {self.title}"


class FormSection(models.Model):
    """One numbered part of a form: its heading, guidance and how it is answered."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Free text")
        CARRY_OVER = "carry_over", _("Remedy of earlier shortcomings (one answer each)")
        SUGGESTIONS = "suggestions", _("Explanation of review suggestions (one each)")
        RATING = "rating", _("Self-proposed rating")

    template = models.ForeignKey(
        FormTemplate,
        verbose_name=_("form template"),
        on_delete=models.CASCADE,
        related_name="sections",
    )
    key = models.SlugField(
        _("key"), max_length=20, help_text=_("Stable name of the answer, e.g. I-1.")
    )
    number = models.CharField(_("number"), max_length=10)
    heading = models.CharField(_("heading"), max_length=500)
    guidance = models.TextField(_("guidance"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.TEXT
    )
    required = models.BooleanField(_("required to submit"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["template", "position"]
        verbose_name = _("form section")
        verbose_name_plural = _("form sections")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "key"], name="form_section_key_per_template"
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.heading}"


class ScoreCriterion(models.Model):
    """A line of the 100-point self-score table (QĐ 366): group A /30, B /70."""

    class Group(models.TextChoices):
        GENERAL = "A", _("A. General criteria")
        TASKS = "B", _("B. Results of assigned tasks")

    template = models.ForeignKey(
        FormTemplate,
        verbose_name=_("form template"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    group = models.CharField(_("group"), max_length=1, choices=Group.choices)
    code = models.SlugField(_("code"), max_length=10)
    text = models.CharField(_("criterion"), max_length=500)
    max_points = models.PositiveSmallIntegerField(_("maximum points"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["template", "group", "position"]
        verbose_name = _("score criterion")
        verbose_name_plural = _("score criteria")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "code"], name="score_criterion_code_per_template"
            ),
        ]

    def __str__(self):
        return f"{self.code}. {self.text} (≤ {self.max_points})"
