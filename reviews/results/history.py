"""Results across the years: subjects at the same level several yearly
cycles running (the flags), and the results of the organizations one
continues or succeeds through restructurings."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import ngettext

from kontum_review.arrays import Among
from organizations.models import Organization, Succession, line_of

from .. import rules
from ..models import MemberRun, Rating, RatingLevel, Review, ReviewCycle
from .levels import decisions_shown

Stage = Rating.Stage
# HTXSNV five years running qualifies for commendation; KHTNV two years running
# is a personnel matter (docs/process.md §6).
EXCELLENT_RUN, FAILING_RUN = 5, 2
FLAG_YEARS = max(EXCELLENT_RUN, FAILING_RUN)
# What a flag shows of each decision in its run.
FLAG_COLUMNS = (
    "member_id",
    "organization_id",
    "kind",
    "subject_name",
    "sort_key",
)
FLAG_FIELDS = {
    "year": F("cycle__year"),
    "code": F("decided_code"),
    "member_public_id": F("member__public_id"),
    "organization_public_id": F("organization__public_id"),
    "organization_name": F("organization__name"),
    "organization_kind": F("organization__kind"),
    "organization_parent_name": F("organization__parent__name"),
    "organization_path": F("organization__path"),
    "line": line_of("organization__"),
}


# Flags: runs over the yearly cycles ------------------------------------------------


@dataclass
class Flag:
    """A subject with its run of years at the same level, newest first."""

    row: dict
    years: list
    # The addresses of the person's and the organization's results, which
    # the page sets (links: one reverse() for thousands of rows).
    person_url: str = ""
    organization_url: str = ""

    @property
    def subject_name(self):
        return self.row["subject_name"]

    @property
    def subject_in_context(self):
        """The subject as the list shows it: a cell's collective with its ward."""
        if self.is_member or self.kind != Review.Kind.ORGANIZATION:
            return self.subject_name
        return Organization.named_in_context(
            self.subject_name,
            self.row["organization_kind"],
            self.row["organization_parent_name"],
        )

    @property
    def organization_name(self):
        """The subject's organization, a cell with its ward: the flags span
        every grassroots organization of the committee."""
        return Organization.named_in_context(
            self.row["organization_name"],
            self.row["organization_kind"],
            self.row["organization_parent_name"],
        )

    @property
    def is_member(self):
        return self.row["member_id"] is not None

    @property
    def kind(self):
        return Review.Kind(self.row["kind"])

    @property
    def run(self):
        return len(self.years)

    @property
    def run_label(self):
        """The run as the list writes it: "5 years: 2021–2025"."""
        return ngettext(
            "%(run)s year: %(first)s–%(last)s",
            "%(run)s years: %(first)s–%(last)s",
            self.run,
        ) % {"run": self.run, "first": self.first_year, "last": self.last_year}

    @property
    def first_year(self):
        return self.years[-1]

    @property
    def last_year(self):
        return self.years[0]

    def order(self):
        """Collectives first in tree order, then members by cell and name;
        namesakes in one cell in the order they joined the register."""
        row = self.row
        return (
            self.is_member,
            row["organization_path"],
            row["sort_key"],
            row["kind"],
            row["member_id"] or 0,
        )


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
    subtree (a queryset of organizations); `shown` the ids of cycles whose
    decisions count. Members are matched across cycles by member,
    organizations by organization and kind of review, so a transfer or a
    renamed cell keeps its run.
    """
    if not cycles or cycles[0].pk not in shown:
        return [], []
    cycles = consecutive([cycle for cycle in cycles if cycle.pk in shown])
    if len(cycles) < FAILING_RUN:
        return [], []
    # Only the members whose run the database keeps long enough to be flagged
    # are read (MemberRun, from its index), not every member decided HTXSNV
    # or KHTNV in the years of the run: at 310,000 members the members two
    # years HTXSNV running alone made 0.8-3.6 s of ratings to read. A kept
    # run is never shorter than the one found below in these cycles.
    long_enough = Q(decided_code=rules.FAIL, years__gte=FAILING_RUN)
    if len(cycles) >= EXCELLENT_RUN:
        long_enough |= Q(decided_code=rules.EXCELLENT, years__gte=EXCELLENT_RUN)
    # The organizations and the members are read first, each in one query:
    # given as subqueries, the planner took the organizations the reader
    # sees for a dozen and matched every run against each (0.3 s at 310,000
    # members), then read every review of the cycles for the few members.
    visible = list(organizations.values_list("pk", flat=True))
    in_scope = list(
        MemberRun.objects.filter(
            long_enough, Among(F("organization_id"), visible), cycle=cycles[0]
        ).values_list("member_id", flat=True)
    )
    # An organization's run follows it through restructurings: its earlier rows
    # (moved, renamed, or merged into it where the decision says so) share
    # its lineage.
    lines = Organization.objects.in_lineage_of(
        Organization.objects.filter(Among(F("pk"), visible))
    ).values("pk")
    # The decisions as the reviews keep them (Review.decided_code, copied
    # from the decision on every rating write), as the dashboard counts
    # them. The members and the collectives in two branches of one query:
    # joined by OR, PostgreSQL read every rating and review of every cycle
    # (1.1 s at 310,000 members) where each branch reads its few from an
    # index.
    decided = Review.objects.filter(
        cycle__in=[cycle.pk for cycle in cycles],
        decided_code__in=[rules.EXCELLENT, rules.FAIL],
    )
    members = decided.filter(Among(F("member_id"), in_scope))
    collectives = decided.filter(member__isnull=True, organization__in=lines)
    rows = members.values(*FLAG_COLUMNS, **FLAG_FIELDS).union(
        collectives.values(*FLAG_COLUMNS, **FLAG_FIELDS), all=True
    )
    by_subject = defaultdict(dict)
    newest = {}
    for row in rows:
        key = row["member_id"] or (row["line"], row["kind"])
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
