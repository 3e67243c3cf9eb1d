"""The read side of the results: final ratings, counts per level, quota use, flags.

A subject's final rating is the superior's decision. Until the results are
published only the cycle's staff and leaders see decisions; everyone else sees
the latest proposal, marked as not final.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from organizations.models import (
    GRASSROOTS_KINDS,
    Organization,
    Role,
    Succession,
    line_of,
)

from . import rules
from .models import Rating, RatingLevel, Review, ReviewCycle

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
# HTXSNV five years running qualifies for commendation; KHTNV two years running
# is a personnel matter (docs/process.md §6).
EXCELLENT_RUN, FAILING_RUN = 5, 2
FLAG_YEARS = max(EXCELLENT_RUN, FAILING_RUN)


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


def member_quota(cycle, grassroots, levels, show_decisions):
    """The quota of the members of a grassroots organization (leaders apart)."""
    if grassroots is None:
        return None
    reviews = cycle.reviews.individuals().filter(
        is_leader=False, organization__path__startswith=grassroots.path
    )
    counted = under(counts_by_organization(reviews, show_decisions))
    table = level_table(levels, counted)
    return QuotaUse(
        group=_("Members of %(name)s") % {"name": grassroots.name},
        excellent=table.count(rules.EXCELLENT),
        good=table.count(rules.GOOD),
        total=table.total,
        percent=cycle.regime.quota_percent,
        provisional=table.provisional,
    )


# Flags: runs over the yearly cycles ------------------------------------------------


@dataclass
class Flag:
    """A subject with its run of years at the same level, newest first."""

    row: dict
    years: list

    @property
    def subject_name(self):
        return self.row["subject_name"]

    @property
    def is_member(self):
        return self.row["review__member_id"] is not None

    @property
    def kind(self):
        return Review.Kind(self.row["review__kind"])

    @property
    def run(self):
        return len(self.years)

    @property
    def first_year(self):
        return self.years[-1]

    @property
    def last_year(self):
        return self.years[0]

    def order(self):
        """Collectives first in tree order, then members by cell and name."""
        return (self.is_member, self.row["organization_path"], self.row["sort_key"])


def yearly_cycles(cycle):
    """The committee's yearly cycles up to this one, newest first, at most 5."""
    return list(
        ReviewCycle.objects.filter(
            # The committee's earlier rows too, should it have been moved or
            # renamed by a restructuring.
            superior__in=Organization.objects.same_line_as(cycle.superior),
            period=ReviewCycle.Period.YEAR,
            starts_on__lte=cycle.starts_on,
        )
        .select_related("superior")
        .order_by("-starts_on")[:FLAG_YEARS]
    )


def consecutive(cycles):
    """The leading cycles whose years follow each other without a gap."""
    run = []
    for cycle in cycles:
        if run and cycle.year != run[-1].year - 1:
            break
        run.append(cycle)
    return run


def flags(cycles, organizations, shown):
    """Subjects rated HTXSNV or KHTNV in each of the latest consecutive years.

    `cycles` are the yearly cycles newest first; `organizations` the visible
    subtree (a queryset); `shown` the ids of cycles whose decisions count.
    Members are matched across cycles by member, organizations by organization
    and kind of review, so a transfer or a renamed cell keeps its run.
    """
    if not cycles or cycles[0].pk not in shown:
        return [], []
    cycles = consecutive([cycle for cycle in cycles if cycle.pk in shown])
    in_scope = Review.objects.filter(
        cycle=cycles[0], organization__in=organizations, member__isnull=False
    ).values("member_id")
    # An organization's run follows it through restructurings: its earlier rows
    # (moved, renamed, or merged into it where the decision says so) share
    # its lineage.
    lines = Organization.objects.in_lineage_of(
        Organization.objects.filter(pk__in=organizations)
    ).values("pk")
    decided = Rating.objects.filter(
        Q(review__member__in=in_scope)
        | Q(review__member__isnull=True, review__organization__in=lines),
        stage=Stage.DECISION,
        review__cycle__in=[cycle.pk for cycle in cycles],
        level__code__in=[rules.EXCELLENT, rules.FAIL],
    ).values(
        "review__member_id",
        "review__organization_id",
        "review__kind",
        year=F("review__cycle__year"),
        code=F("level__code"),
        subject_name=F("review__subject_name"),
        sort_key=F("review__sort_key"),
        member_public_id=F("review__member__public_id"),
        organization_public_id=F("review__organization__public_id"),
        organization_name=F("review__organization__name"),
        organization_path=F("review__organization__path"),
        line=line_of("review__organization__"),
    )
    by_subject = defaultdict(dict)
    newest = {}
    for row in decided:
        key = row["review__member_id"] or (row["line"], row["review__kind"])
        by_subject[key][row["year"]] = row["code"]
        if row["year"] == cycles[0].year:
            newest[key] = row
    excellent, failing = [], []
    for key, row in newest.items():
        years = []
        for cycle in cycles:
            if by_subject[key].get(cycle.year) != row["code"]:
                break
            years.append(cycle.year)
        if row["code"] == rules.EXCELLENT and len(years) >= EXCELLENT_RUN:
            excellent.append(Flag(row, years))
        elif row["code"] == rules.FAIL and len(years) >= FAILING_RUN:
            failing.append(Flag(row, years))
    return sorted(excellent, key=Flag.order), sorted(failing, key=Flag.order)


# Predecessors ------------------------------------------------------------------------


@dataclass
class PredecessorResult:
    """A decided rating of an organization this one continues or succeeds."""

    organization: object
    cycle: ReviewCycle
    level: object
    succession: str
    visible: bool


def predecessors(organization, depth=10):
    """The rows this organization continues or succeeds, nearest first, with how.

    Followed back through every restructuring; a handful of rows, read one
    generation per query.
    """
    found, wave = [], [organization.pk]
    seen = {organization.pk}
    for _generation in range(depth):
        rows = list(
            Succession.objects.filter(successor__in=wave)
            .exclude(predecessor__in=seen)
            .select_related("predecessor")
        )
        if not rows:
            break
        found.extend(rows)
        wave = [row.predecessor_id for row in rows]
        seen.update(wave)
    return found


def predecessor_results(user, organization):
    """The collective results of the organization's predecessors, newest first.

    Shown on its results page, marked as theirs: an organization formed by a
    merger carries its predecessors' years on the page, though each year's
    figures stay with the organization that was rated.
    """
    links = {row.predecessor_id: row for row in predecessors(organization)}
    if not links:
        return []
    reviews = list(
        Review.objects.filter(
            organization__in=list(links), kind=Review.Kind.ORGANIZATION
        )
        .select_related("organization", "cycle__superior")
        .annotate(
            visible=Exists(
                Organization.objects.visible_to(user).filter(
                    pk=OuterRef("organization_id")
                )
            )
        )
        .order_by("-cycle__starts_on", "organization__path")
    )
    shown = decisions_shown(user, {review.cycle for review in reviews})
    levels = {
        (level.regime_id, level.code): level
        for level in RatingLevel.objects.filter(
            regime__in={review.cycle.regime_id for review in reviews}
        )
    }
    return [
        PredecessorResult(
            review.organization,
            review.cycle,
            levels.get((review.cycle.regime_id, review.decided_code))
            if review.cycle_id in shown
            else None,
            links[review.organization_id].get_kind_display(),
            review.visible,
        )
        for review in reviews
    ]
