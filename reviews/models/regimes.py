"""The regimes of rules and their four levels."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def percent_field(verbose_name, default):
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )


class Regime(models.Model):
    """A set of rules (bộ quy định) a cycle follows: levels, scoring and quota."""

    class ScoringModel(models.TextChoices):
        GRADES = "grades", _("Graded criteria (Excellent / Good / Average / Poor)")
        POINTS = "points", _("100-point score")

    class QuotaGrouping(models.TextChoices):
        ORGANIZATION_TYPE = "organization_type", _("Same type of organization")
        GRASSROOTS_ORGANIZATION = (
            "grassroots_organization",
            _("Same grassroots organization"),
        )
        POST_LEVEL = "post_level", _("Equivalent posts at the same level")

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=255)
    regulation = models.CharField(_("regulation"), max_length=120)
    guidance = models.CharField(_("guidance"), max_length=120)
    first_year = models.PositiveSmallIntegerField(_("first year applied"))
    last_year = models.PositiveSmallIntegerField(
        _("last year applied"), null=True, blank=True
    )
    history_only = models.BooleanField(
        _("for history import only"),
        default=False,
        help_text=_("No new cycle may be opened under this regime."),
    )
    scoring_model = models.CharField(
        _("scoring model"), max_length=20, choices=ScoringModel.choices
    )
    general_criteria_max = models.PositiveSmallIntegerField(
        _("maximum points for general criteria"), default=30
    )
    task_results_max = models.PositiveSmallIntegerField(
        _("maximum points for task results"), default=70
    )
    quota_percent = models.DecimalField(
        _("quota of excellent ratings (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "At most this share of the number rated 'Good' may be rated "
            "'Excellent' in one comparison group, rounded down."
        ),
    )
    quota_grouping = models.CharField(
        _("quota comparison group"),
        max_length=30,
        choices=QuotaGrouping.choices,
        default=QuotaGrouping.ORGANIZATION_TYPE,
    )
    self_remedied_discipline_exempt = models.BooleanField(
        _("self-detected and remedied violations are exempt"),
        default=False,
        help_text=_(
            "A violation the member detected and remedied themself does not cap "
            "the rating."
        ),
    )

    overridable_rules = models.JSONField(
        _("rules the deciding level may override"),
        default=list,
        blank=True,
        help_text=_(
            "Codes of rules (quota, discipline, head, collective_discipline, "
            "leader_unit, conclusion, points) a decision may break with a "
            "written reason."
        ),
    )
    # The conditions of each points band and of the collective rules (§6.3, §6.4).
    excellent_on_time_percent = percent_field(
        _("HTXSNV: tasks on time at least (%)"), 100
    )
    excellent_exceeding_percent = percent_field(
        _("HTXSNV: tasks exceeding the requirement at least (%)"), 30
    )
    excellent_remedied_percent = percent_field(
        _("HTXSNV: earlier shortcomings remedied at least (%)"), 100
    )
    good_on_time_percent = percent_field(_("HTTNV: tasks on time at least (%)"), 100)
    pass_late_percent = percent_field(_("HTNV: tasks late at most (%)"), 20)
    subordinate_discipline_percent = percent_field(
        _(
            "KHTNV when more than this share of subordinate organizations was "
            "disciplined (%)"
        ),
        20,
    )
    unit_targets_percent = percent_field(
        _("KHTNV for a leader whose unit met fewer than this share of its targets (%)"),
        50,
    )
    leader_unit_minimums = models.JSONField(
        _("lowest level of the unit led, per level of its leader"),
        default=dict,
        blank=True,
        help_text=_(
            'For example {"HTXSNV": "HTTNV", "HTTNV": "HTNV"}: a leader is rated '
            "HTXSNV only if the unit they lead is rated HTTNV or better."
        ),
    )
    quorum_percent = models.DecimalField(
        _("quorum of a review meeting (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("66.67"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Share of the members called who must be present."),
    )
    vote_majority_percent = models.DecimalField(
        _("majority for a proposed rating (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("50"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "A level is proposed when more than this share of those present voted "
            "for it or a higher level."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-first_year"]
        verbose_name = _("regime")
        verbose_name_plural = _("regimes")

    def __str__(self):
        return self.name

    @property
    def uses_points(self):
        return self.scoring_model == self.ScoringModel.POINTS

    def clean(self):
        minimums = self.leader_unit_minimums
        codes = LEVEL_CODES
        if not isinstance(minimums, dict) or any(
            key not in codes or value not in codes for key, value in minimums.items()
        ):
            raise ValidationError(
                {
                    "leader_unit_minimums": _(
                        "Give pairs of level codes (%(codes)s), for example "
                        '{"HTXSNV": "HTTNV"}.'
                    )
                    % {"codes": ", ".join(codes)}
                }
            )

    def missing_thresholds(self):
        """Codes of the levels a points regime gives no minimum score, best first."""
        if not self.uses_points:
            return []
        return [
            level.code
            for level in self.levels.all()
            if level.min_points is None and level.code != LEVEL_CODES[-1]
        ]


# The four level codes of every regime, best first (docs/process.md §6.1).
LEVEL_CODES = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")


class RatingLevel(models.Model):
    """One of the four quality levels of a regime, best first."""

    regime = models.ForeignKey(
        Regime,
        verbose_name=_("regime"),
        on_delete=models.CASCADE,
        related_name="levels",
    )
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=100)
    rank = models.PositiveSmallIntegerField(
        _("rank"), help_text=_("1 is the highest level.")
    )
    min_points = models.PositiveSmallIntegerField(
        _("minimum points"),
        null=True,
        blank=True,
        help_text=_("Under a 100-point regime: the lowest score for this level."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["regime", "rank"]
        verbose_name = _("rating level")
        verbose_name_plural = _("rating levels")
        constraints = [
            models.UniqueConstraint(
                fields=["regime", "code"], name="rating_level_code_per_regime"
            ),
            models.UniqueConstraint(
                fields=["regime", "rank"], name="rating_level_rank_per_regime"
            ),
        ]

    def __str__(self):
        return f"{self.code} – {self.name}"
