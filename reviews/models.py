import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from members.models import PostKind
from organizations.models import TREE_ROLE_KINDS, Organization, Role


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
    # (reviews/forms/review.py, template_parts).
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


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Reviews in the user's subtrees, plus the user's own individual review."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        organizations = Organization.objects.visible_to(user).values("pk")
        return self.filter(Q(organization__in=organizations) | Q(member__user=user))

    def collectives(self):
        return self.exclude(kind=Review.Kind.INDIVIDUAL)

    def individuals(self):
        return self.filter(kind=Review.Kind.INDIVIDUAL)

    def in_meeting_order(self):
        return self.order_by("meeting_rank", "sort_key", "pk")


class Review(models.Model):
    """A review form of one subject in one cycle: a collective or a member.

    The member's cell and posts are copied at the start of the cycle, so a later
    transfer or promotion never rewrites the cycle.
    """

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", _("Party organization")
        LEADERSHIP = "leadership", _("Leadership collective")
        INDIVIDUAL = "individual", _("Individual")

    class Status(models.TextChoices):
        NEW = "new", _("Not started")
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for rework")

    class Rank(models.IntegerChoices):
        COLLECTIVE = 0, _("Collective")
        HEAD = 1, _("Head")
        DEPUTY = 2, _("Deputy")
        COMMITTEE = 3, _("Committee member")
        MEMBER = 4, _("Member")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="reviews",
        # The indexes below all start with the cycle; an index of the cycle
        # alone would only tempt PostgreSQL away from their index-only scans.
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="reviews",
        help_text=_("The collective reviewed, or the member's cell at the start."),
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("Party member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews",
    )
    leadership_review = models.ForeignKey(
        "self",
        verbose_name=_("leadership collective"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leader_reviews",
        help_text=_("Where a leader is reviewed a second time."),
    )
    template = models.ForeignKey(
        FormTemplate,
        verbose_name=_("form"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    # The subject as it was when the cycle started.
    subject_name = models.CharField(_("name"), max_length=255)
    party_post = models.CharField(_("Party post"), max_length=200, blank=True)
    government_post = models.CharField(_("government post"), max_length=200, blank=True)
    mass_post = models.CharField(
        _("mass-organization post"), max_length=200, blank=True
    )
    workplace = models.CharField(_("workplace"), max_length=255, blank=True)
    is_leader = models.BooleanField(_("leader or manager"), default=False)
    meeting_rank = models.PositiveSmallIntegerField(
        _("order in the meeting"), choices=Rank.choices, default=Rank.MEMBER
    )
    sort_key = models.CharField(max_length=255, editable=False, default="")

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    self_rating = models.ForeignKey(
        RatingLevel,
        verbose_name=_("self-proposed rating"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    civil_servant_rating = models.CharField(
        _("self-proposed rating as a civil servant"), max_length=100, blank=True
    )
    scores = models.JSONField(_("self-score"), default=dict, blank=True)
    score_general = models.DecimalField(
        _("general criteria score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )
    score_tasks = models.DecimalField(
        _("task results score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # Conditions of the points thresholds under QĐ 366 (docs/process.md §6).
    tasks_on_time_percent = models.DecimalField(
        _("tasks done on time (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    tasks_exceeding_percent = models.DecimalField(
        _("tasks exceeding the requirement (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    shortcomings_remedied_percent = models.DecimalField(
        _("earlier shortcomings remedied (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    saved_at = models.DateTimeField(_("last saved"), null=True, blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last saved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    return_comment = models.TextField(_("reason for return"), blank=True)
    # Copies of the chain's latest proposal (appraisal, else meeting) and of the
    # decision, kept by ratings.refresh_outcomes on every rating write, so the
    # statistics group the reviews without joining the chain (reviews/statistics.py).
    proposed_code = models.CharField(max_length=10, blank=True, editable=False)
    decided_code = models.CharField(max_length=10, blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=["sort_key", "proposed_code", "decided_code"]
    )
    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        indexes = [
            # The checklist of one organization lists its reviews in meeting order.
            models.Index(
                fields=["cycle", "organization", "meeting_rank"],
                name="review_checklist_order",
            ),
            # Covers the statistics' grouped reads of a cycle (the id for the
            # joins to meetings and remedy actions), so PostgreSQL answers them
            # from the index alone.
            models.Index(
                fields=[
                    "cycle",
                    "organization",
                    "kind",
                    "is_leader",
                    "status",
                    "proposed_code",
                    "decided_code",
                    "id",
                ],
                name="review_figures",
            ),
            # The five-year trend: decided levels per cycle and kind.
            models.Index(
                fields=["cycle", "kind", "is_leader", "decided_code"],
                name="review_trend",
            ),
            # Runs of HTXSNV or KHTNV over the yearly cycles (statistics flags).
            models.Index(
                fields=["decided_code", "cycle", "member", "organization", "kind"],
                name="review_runs",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "member"],
                condition=Q(member__isnull=False),
                name="review_once_per_member",
            ),
            models.UniqueConstraint(
                fields=["cycle", "organization", "kind"],
                condition=Q(member__isnull=True),
                name="review_once_per_collective",
            ),
            models.CheckConstraint(
                condition=Q(kind="individual", member__isnull=False)
                | (~Q(kind="individual") & Q(member__isnull=True)),
                name="review_member_only_for_individuals",
            ),
        ]

    def __str__(self):
        return f"{self.subject_name} – {self.cycle}"

    @property
    def is_collective(self):
        return self.kind != self.Kind.INDIVIDUAL

    @property
    def is_submitted(self):
        return self.status == self.Status.SUBMITTED

    @property
    def score_total(self):
        if self.score_general is None or self.score_tasks is None:
            return None
        return self.score_general + self.score_tasks


class ReviewTally(models.Model):
    """How many reviews of a cycle share organization, kind, status and ratings.

    The rollup the statistics read instead of the reviews, so the dashboard
    costs as much for 300,000 members as for 30,000 in the same tree. Kept by
    triggers on the reviews table (migration 0013, reviews/tallies.py), in the
    transaction of every write, whatever wrote it: a save, a bulk create, a
    queryset update, a delete. Never written by the app. A group emptied keeps
    its row at 0.
    """

    cycle = models.ForeignKey(
        ReviewCycle, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    kind = models.CharField(max_length=20)
    is_leader = models.BooleanField()
    status = models.CharField(max_length=20)
    proposed_code = models.CharField(max_length=10)
    decided_code = models.CharField(max_length=10)
    number = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("review tally")
        verbose_name_plural = _("review tallies")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "cycle",
                    "organization",
                    "kind",
                    "is_leader",
                    "status",
                    "proposed_code",
                    "decided_code",
                ],
                name="review_tally_group",
            ),
        ]

    def __str__(self):
        return f"{self.cycle_id}/{self.organization_id}/{self.kind}: {self.number}"


class CyclePost(models.Model):
    """A post held in an organization's leadership for one cycle.

    Copied from the register's posts when the cycle opens, so the rules of a past
    year read the leadership of that year; staff correct them in the admin while
    the cycle is open. The holder is named by their individual review.
    """

    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="posts",
    )
    review = models.ForeignKey(
        Review,
        verbose_name=_("holder"),
        on_delete=models.CASCADE,
        related_name="posts",
        limit_choices_to={"kind": "individual"},
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="cycle_posts",
    )
    kind = models.CharField(_("post"), max_length=20, choices=PostKind.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["organization__path", "kind"]
        verbose_name = _("post in the cycle")
        verbose_name_plural = _("posts in the cycle")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "organization", "kind"],
                name="cycle_post_once",
            ),
            models.UniqueConstraint(
                fields=["cycle", "organization"],
                condition=Q(kind="secretary"),
                name="cycle_post_one_head",
                violation_error_message=_(
                    "This organization already has a secretary in this cycle."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.organization}: {self.review}"

    def clean(self):
        if self.review_id and self.cycle_id and self.review.cycle_id != self.cycle_id:
            raise ValidationError(
                {"review": _("The holder's review belongs to another cycle.")}
            )


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


class ReportJob(models.Model):
    """One request for a document (or a ZIP of documents), rendered by a worker."""

    class Kind(models.TextChoices):
        INDIVIDUAL_FORM = "individual_form", _("Individual review form")
        COLLECTIVE_REPORT = "collective_report", _("Collective review report")
        MINUTES = "minutes", _("Minutes of the review meeting")
        NOTIFICATION = "notification", _("Rating-result notification")
        SUMMARY = "summary", _("Cycle summary report")
        ORGANIZATION_FORMS = (
            "organization_forms",
            _("All individual forms of an organization"),
        )
        CYCLE_DOCUMENTS = "cycle_documents", _("All documents of a cycle")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Rendering")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("document"), max_length=30, choices=Kind.choices)
    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="report_jobs",
    )
    review = models.ForeignKey(
        Review,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="report_jobs",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="report_jobs",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="report_jobs",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveIntegerField(_("progress"), default=0)
    total = models.PositiveIntegerField(_("total"), default=1)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    input_hash = models.CharField(_("hash of the inputs"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        indexes = [
            # A repeated request looks for a finished job with the same inputs.
            models.Index(fields=["kind", "input_hash"], name="report_job_inputs"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.get_status_display()}"

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)
