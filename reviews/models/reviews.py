"""A subject's review in a cycle, its tally and the cycle's posts."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import OuterRef, Q, Value
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from members.models import PostKind
from organizations.models import (
    EDIT_ROLE_KINDS,
    TREE_ROLE_KINDS,
    Organization,
    roles_over,
)

from .cycles import ReviewCycle
from .regimes import RatingLevel
from .templates import FormTemplate


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Reviews in the user's subtrees, plus the user's own individual review."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        organizations = Organization.objects.visible_to(user).values("pk")
        return self.filter(Q(organization__in=organizations) | Q(member__user=user))

    def visible_row_to(self, user):
        """The rows of visible_to, each checked on its own: for one review
        looked up by its key. visible_to lists every organization the user
        may see (a scan of the tree, some 2 ms at a province's size) before
        the review is found."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        path = OuterRef("organization__path")
        return self.filter(
            roles_over(user, TREE_ROLE_KINDS, path) | Q(member__user=user)
        )

    def with_manager_flag(self, user):
        """Each review with `user_manages`: whether the user fills and returns
        its organization's forms (access.manages), read in the same query."""
        if not user.is_authenticated or user.is_superuser:
            return self.annotate(user_manages=Value(user.is_superuser))
        path = OuterRef("organization__path")
        return self.annotate(user_manages=roles_over(user, EDIT_ROLE_KINDS, path))

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
    # statistics group the reviews without joining the chain (reviews/statistics/).
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


class MemberRun(models.Model):
    """A member's review decided at an end of the scale (HTXSNV or KHTNV) that
    continues a run: how many consecutive years, its own included, the member
    was decided the same level.

    The multi-year flags count these rows per organization from an index
    instead of reading every member decided at an end of the scale in each
    year of a run (O(members)). Only runs of two years or more are kept, the
    shortest the flags look for (results.FAILING_RUN). The years are the
    cycles' years, whatever the committee or period, so a run the flags would
    see is never shorter here; where another cycle falls in the years of a
    run, the flags check each run found in their own cycles. Kept by triggers
    on the reviews and the cycles (migration 0018, reviews/tallies.py), in the
    transaction of every write. Never written by the app.
    """

    review = models.OneToOneField(
        Review,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        related_name="+",
        db_constraint=False,
    )
    cycle = models.ForeignKey(
        ReviewCycle,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,  # member_run_flags leads with it
    )
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    # The review's organization, so the flags count per organization from
    # the index alone.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    decided_code = models.CharField(max_length=10)
    years = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("member run")
        verbose_name_plural = _("member runs")
        indexes = [
            # The flags of one cycle: its runs of a level at least so long,
            # per organization.
            models.Index(
                fields=["cycle", "decided_code", "years", "organization"],
                name="member_run_flags",
            ),
        ]

    def __str__(self):
        return f"{self.member_id}/{self.cycle_id}: {self.decided_code} × {self.years}"


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
