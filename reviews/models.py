import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from organizations.models import Organization, Role


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


class ReviewCycleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Cycles run by a committee at or above an organization of the user's."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        from members.models import Member

        superior_path = OuterRef("superior__path")
        roles = Role.objects.filter(
            user=user, organization__path__startswith=superior_path
        )
        own_record = Member.objects.filter(
            user=user, organization__path__startswith=superior_path
        )
        return self.filter(Exists(roles) | Exists(own_record))


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


class FocusArea(models.Model):
    """A focus area (lĩnh vực trọng tâm) that review suggestions are grouped by."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=500)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Offered in every new cycle.")
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")

    def __str__(self):
        return self.name


class FocusIndicator(models.Model):
    """A measurable indicator of a focus area, e.g. new members admitted."""

    focus_area = models.ForeignKey(
        FocusArea,
        verbose_name=_("focus area"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    unit = models.CharField(_("unit"), max_length=50)
    higher_is_better = models.BooleanField(
        _("higher is better"),
        default=True,
        help_text=_("Untick for counts to keep low, such as overdue dossiers."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["focus_area", "code"]
        verbose_name = _("focus indicator")
        verbose_name_plural = _("focus indicators")

    def __str__(self):
        return self.name


class IndicatorValue(models.Model):
    """Target and actual value of an indicator for one organization in a cycle."""

    indicator = models.ForeignKey(
        FocusIndicator,
        verbose_name=_("indicator"),
        on_delete=models.CASCADE,
        related_name="values",
    )
    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="indicator_values",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="indicator_values",
    )
    target = models.DecimalField(
        _("target"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    actual = models.DecimalField(
        _("actual"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "cycle", "organization"],
                name="indicator_value_once_per_organization",
                violation_error_message=_(
                    "This organization already has a value for this indicator in "
                    "this cycle."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.indicator} – {self.organization}"

    @property
    def met_target(self):
        if self.target is None or self.actual is None:
            return None
        if self.indicator.higher_is_better:
            return self.actual >= self.target
        return self.actual <= self.target
