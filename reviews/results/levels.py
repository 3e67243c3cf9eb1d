"""One cycle's results as they are read: who sees decisions, each subject's
chain and outcome, counts per level, and the quota used.

A subject's final rating is the superior's decision. Until the results are
published only the cycle's staff and leaders see decisions; everyone else sees
the latest proposal, marked as not final.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from organizations.models import GRASSROOTS_KINDS, Role

from .. import ratings, rules
from ..models import Rating, Review, ReviewCycle

Stage = Rating.Stage
CHAIN = (Stage.SELF, Stage.MEETING, Stage.APPRAISAL, Stage.DECISION)
PUBLISHED_STATES = (ReviewCycle.Status.PUBLISHED, ReviewCycle.Status.LOCKED)
# Ratings are decided from this step on: notifications and remedy plans.
DECIDED_STATES = (ReviewCycle.Status.DECIDED, *PUBLISHED_STATES)
BEFORE_DECISIONS = (
    ReviewCycle.Status.DRAFT,
    ReviewCycle.Status.SELF_REVIEW,
    ReviewCycle.Status.MEETINGS,
)


# Who sees decisions ----------------------------------------------------------


def decisions_shown(user, cycles):
    """Ids of the cycles whose decisions the user may see, from one query.

    Published cycles show them to everyone who sees the subject; before that,
    only the committee's staff (at or above it) and leaders in its tree.
    """
    if user.is_superuser:
        return {cycle.pk for cycle in cycles}
    hidden = [cycle for cycle in cycles if cycle.status not in PUBLISHED_STATES]
    shown = {cycle.pk for cycle in cycles if cycle.status in PUBLISHED_STATES}
    if hidden:
        roles = list(
            Role.objects.filter(
                user=user, kind__in=[Role.Kind.STAFF, Role.Kind.LEADER]
            ).values_list("kind", "organization__path")
        )
        for cycle in hidden:
            top = cycle.superior.path
            if any(
                (kind == Role.Kind.STAFF and top.startswith(path))
                or (kind == Role.Kind.LEADER and path.startswith(top))
                for kind, path in roles
            ):
                shown.add(cycle.pk)
    return shown


# One subject's chain -----------------------------------------------------------


def with_chain(reviews, show_decisions):
    """Prefetch each review's ratings, leaving out decisions the user may not see."""
    ratings = Rating.objects.select_related("level", "set_by")
    if not show_decisions:
        ratings = ratings.exclude(stage=Stage.DECISION)
    return reviews.prefetch_related(Prefetch("ratings", queryset=ratings))


@dataclass
class Outcome:
    """Where a subject's rating stands: the decision, or the latest proposal."""

    rating: Rating | None
    final: bool

    @property
    def code(self):
        return self.rating.level.code if self.rating else None


def attach_chain(review, show_decision=True):
    """Give a prefetched review its chain (one slot per stage) and its outcome."""
    by_stage = {rating.stage: rating for rating in review.ratings.all()}
    review.decision_hidden = not show_decision
    review.chain = [(stage, by_stage.get(stage)) for stage in CHAIN]
    latest = next(
        (by_stage[stage] for stage in reversed(CHAIN) if stage in by_stage), None
    )
    review.outcome = Outcome(latest, latest is not None and Stage.DECISION in by_stage)
    return review


# Counts per level ----------------------------------------------------------------


def level_at(stage):
    found = Rating.objects.filter(review=OuterRef("pk"), stage=stage)
    return Subquery(found.values("level__code")[:1])


def with_outcome_code(reviews, show_decisions):
    """Annotate the level shown for each review and whether it is decided."""
    stages = [s for s in reversed(CHAIN) if show_decisions or s != Stage.DECISION]
    decided = Rating.objects.filter(review=OuterRef("pk"), stage=Stage.DECISION)
    return reviews.annotate(
        outcome_code=Coalesce(*[level_at(stage) for stage in stages]),
        decided=Exists(decided) if show_decisions else Value(False),
    )


@dataclass
class LevelCount:
    level: object
    decided: int = 0
    proposed: int = 0

    @property
    def total(self):
        return self.decided + self.proposed


@dataclass
class LevelTable:
    """Subjects per level, decided and only proposed, and those not rated yet."""

    rows: list
    unrated: int = 0

    @property
    def total(self):
        return sum(row.total for row in self.rows) + self.unrated

    @property
    def provisional(self):
        return self.unrated > 0 or any(row.proposed for row in self.rows)

    def count(self, code):
        return next((row.total for row in self.rows if row.level.code == code), 0)

    def shares(self):
        for row in self.rows:
            row.share = round(100 * row.total / self.total) if self.total else 0
        return self.rows


def level_table(levels, counted):
    """A table from {(code, decided): number}, in the regime's order of levels."""
    table = LevelTable([LevelCount(level) for level in levels])
    by_code = {row.level.code: row for row in table.rows}
    for (code, decided), number in counted.items():
        row = by_code.get(code)
        if row is None:
            table.unrated += number
        elif decided:
            row.decided += number
        else:
            row.proposed += number
    return table


def counts_by_organization(reviews, show_decisions):
    """{(organization path, level code, decided): number} in one grouped query."""
    rows = (
        with_outcome_code(reviews, show_decisions)
        .order_by()
        .values_list("organization__path", "outcome_code", "decided")
        .annotate(number=Count("pk"))
    )
    return {(path, code, decided): number for path, code, decided, number in rows}


def under(counted, path=""):
    """Sum the counts of the organizations under `path` by (code, decided)."""
    total = Counter()
    for (org_path, code, decided), number in counted.items():
        if org_path.startswith(path):
            total[(code, bool(decided))] += number
    return total


def subordinates(cycle, organization, levels, counted, show_decisions):
    """The organizations right below, each with its rating and members per level."""
    children = with_chain(
        cycle.reviews.filter(
            kind=Review.Kind.ORGANIZATION, organization__parent=organization
        )
        .select_related("organization")
        .order_by("organization__path"),
        show_decisions,
    )
    children = [attach_chain(child, show_decisions) for child in children]
    for child in children:
        child.member_counts = level_table(
            levels, under(counted, child.organization.path)
        )
    return children


# Quota use ------------------------------------------------------------------------


@dataclass
class QuotaUse:
    """HTXSNV allowed and used in one comparison group."""

    group: str
    excellent: int
    good: int
    total: int
    percent: object
    provisional: bool
    allowed: int = field(init=False)

    def __post_init__(self):
        self.allowed = rules.quota_allowed(self.good, self.percent)

    @property
    def over(self):
        return self.excellent > self.allowed

    @property
    def scale(self):
        return max(self.allowed, self.excellent, 1)


def grassroots_of(organization, ancestors):
    if organization.kind in GRASSROOTS_KINDS:
        return organization
    return next((a for a in ancestors if a.kind in GRASSROOTS_KINDS), None)


def member_quota(cycle, place, levels, show_decisions):
    """The quota use of the comparison group the members of `place` are decided
    in: the group `ratings.comparison_groups` gives them under the regime's
    grouping, counted as the decide page counts it (subjects exempted from
    rating apart), with the latest proposal where no decision is shown.

    `place` is the organization's grassroots organization, or the organization
    itself above them; None when its members fall in several groups.
    """
    if place is None:
        return None
    group = ratings.members_group(cycle, place)
    if group is None:
        return None
    exempt = ratings.unrated_exemptions(cycle)
    reviews = Review.objects.filter(
        pk__in=[subject.pk for subject in group.reviews if subject.pk not in exempt]
    )
    rows = (
        with_outcome_code(reviews, show_decisions)
        .order_by()
        .values_list("outcome_code", "decided")
        .annotate(number=Count("pk"))
    )
    table = level_table(
        levels, {(code, decided): number for code, decided, number in rows}
    )
    use = QuotaUse(
        group=group.name,
        excellent=table.count(rules.EXCELLENT),
        good=table.count(rules.GOOD),
        total=table.total,
        percent=cycle.regime.quota_percent,
        provisional=table.provisional,
    )
    use.key = group.key
    # Whether the group's leaders are compared apart, by post and level.
    use.leaders_apart = ratings.leaders_by_post(cycle.regime)
    return use
