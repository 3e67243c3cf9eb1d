"""The parts of CycleFigures read from beside the cycle's review rows: the
trend across years, the focus areas, the indicators, the remedies, the
exemptions and the flags. The queries of the trend, the remedies, the
exemptions and the flags are sent ahead, answered while the rows are counted.
"""

import heapq
from collections import Counter

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)

from organizations.models import line_of

from .. import rules
from ..counting import subjects_of
from ..models import (
    ExemptionTally,
    IndicatorValue,
    MemberRun,
    RemedyTally,
    Review,
    ReviewCycle,
    ReviewTally,
    StepExemption,
    SuggestionItem,
)
from ..remedies import tallied_action_counts
from ..results import EXCELLENT_RUN, FAILING_RUN, consecutive
from .queries import fetch, made
from .tables import SUBJECTS, LevelRow, TrendPoint

Kind = Review.Kind
REMEDIES_LISTED = 10  # organizations named in the remedy plans' table
# What focus_areas and indicators give per row: the values() fields, then the
# counts annotated, in the order of their queries.
FOCUS_FIELDS = (
    "focus_area_id",
    "focus_area__position",
    "focus_area__code",
    "focus_area__name",
    "organizations",
    "organizations_answered",
    "members",
    "members_answered",
)
INDICATOR_FIELDS = (
    "indicator__code",
    "indicator__name",
    "indicator__unit",
    "indicator__higher_is_better",
    "indicator__focus_area__name",
    "organizations",
    "target_total",
    "actual_total",
    "met",
)
# The runs the dashboard flags: level → years running.
FLAG_RUNS = {rules.EXCELLENT: EXCELLENT_RUN, rules.FAIL: FAILING_RUN}


class AheadFigures:
    """CycleFigures' trend, focus areas, indicators, remedies, exemptions and
    flags, and the queries it sends ahead (prepare_ahead, read)."""

    # Across years ------------------------------------------------------------------

    def trend_query(self, root, cycles):
        tallies = ReviewTally.objects.filter(cycle__in=cycles).exclude(number=0)
        if self.org_type is not None:
            tallies = tallies.filter(organization_id__in=sorted(self.in_scope))
        elif root.pk == self.root.pk and root.pk != self.cycle.superior_id:
            tallies = tallies.filter(organization_id__in=sorted(self.tree))
        elif root.pk != self.cycle.superior_id:
            tallies = tallies.filter(organization__path__startswith=root.path)
        # Leadership collectives are left out below, not in SQL.
        return (
            tallies.order_by()
            .values_list("cycle_id", "kind", "is_leader", "decided_code")
            .annotate(number=Sum("number"))
        )

    def asked_cycles(self, root, cycles):
        """The trend's cycles whose figures under `root` are asked of the
        database: this cycle's under its own root are counted already
        (levels_count)."""
        if root.pk != self.root.pk:
            return cycles
        return [cycle for cycle in cycles if cycle.pk != self.cycle.pk]

    def trend(self, root, cycles):
        """Decided levels per heading over the given cycles, oldest first."""
        asked = self.asked_cycles(root, cycles)
        grouped = self.read(("trend", root.pk), self.trend_query, root, asked)
        points = {
            cycle.pk: TrendPoint(
                cycle.name,
                cycle.year,
                cycle.public_id,
                {
                    subject: LevelRow(str(SUBJECTS[subject]), key=subject)
                    for subject in ("organizations", "members", "leaders")
                },
            )
            for cycle in cycles
        }
        hidden = set() if self.show_decisions else {self.cycle.pk}
        for cycle_id, kind, leader, code, number in grouped:
            for subject in subjects_of(kind, None, leader)[:2]:
                if subject in points[cycle_id].rows:
                    decided = None if cycle_id in hidden else code
                    points[cycle_id].rows[subject].add(decided or None, number)
        if len(asked) < len(cycles):
            # This cycle's decided levels, as counted from its rows (decisions
            # not shown count as none there too).
            rows = points[self.cycle.pk].rows
            for (subject, stage, code), number in self.levels_count.items():
                if stage == "decided" and subject in rows:
                    rows[subject].add(code, number)
        return [points[cycle.pk] for cycle in reversed(cycles)]

    # Queries sent ahead --------------------------------------------------------------

    def prepare_ahead(self, cycles):
        """The queries of the trend (the subtree's, and the whole tree's beside
        a chosen organization), the remedies, the exemptions, the flags, the
        focus areas, the indicators and the leaders' posts, made into SQL.

        Those that read the whole tree are made once per process for the
        cycles and day they read (made()): building and compiling them cost
        Django more than PostgreSQL takes to answer them.
        """
        whole = self.org_type is None and self.root.pk == self.cycle.superior_id
        ahead = {}
        # The leaders' posts, for their comparison groups (quota.py): the
        # whole tree's only.
        if self.leaders_apart():
            ahead["leaders"] = made(("leaders", self.cycle.pk), self.leaders_query)
        # The focus areas and indicators of the whole tree read nothing of it.
        ahead["focus"] = made(
            ("focus", self.cycle.pk) if whole else None, self.focus_areas_query
        )
        ahead["indicators"] = made(
            ("indicators", self.cycle.pk) if whole else None, self.indicators_query
        )
        ahead["remedies"] = made(
            ("remedies", self.cycle.pk, self.today) if whole else None,
            self.remedies_query,
        )
        ahead["exemptions"] = made(
            ("exemptions", self.cycle.pk) if whole else None, self.exemptions_query
        )
        # The flags read the whole tree whatever the scope (flag_counts keeps
        # the organizations in scope): made once for the years of the run.
        run = tuple((c.pk, c.year) for c in self.flag_years(cycles) or ())
        flags = made(("flags", run), lambda: self.flags_query(cycles))
        if flags is not None:
            ahead["flags"] = flags
        for root in (self.root, self.top):
            if ("trend", root.pk) in ahead or (
                root.pk != self.root.pk and self.org_type is not None
            ):
                continue
            tree_wide = self.org_type is None and root.pk == self.cycle.superior_id
            asked = self.asked_cycles(root, cycles)
            ahead["trend", root.pk] = made(
                ("trend", tuple(c.pk for c in asked)) if tree_wide else None,
                lambda root=root, asked=asked: self.trend_query(root, asked),
            )
        return ahead

    def read(self, key, query, *args):
        """The rows of a query sent ahead, or of the query made and run now.

        `query(*args)` makes the query; None where there is nothing to ask.
        """
        sent = self.sent.pop(key, None)
        if sent is not None:
            return sent.rows()
        made = query(*args)
        return fetch(made) if made is not None else []

    # Focus areas, indicators, remedies, flags ----------------------------------------

    def scoped(self, prefix):
        """Rows of another table whose organization lies in the scope.

        Every row of the cycle lies in its committee's tree, so the whole tree
        needs no condition; a subtree is the organizations already read.
        """
        if self.org_type is None and self.root.pk == self.cycle.superior_id:
            return Q()
        return Q(**{f"{prefix}id__in": sorted(self.in_scope)})

    def focus_areas(self):
        """Per suggested focus area: the organizations and members suggested it,
        and how many of them answered in section IV."""
        if self.focus is None:
            self.focus = self.as_dicts(
                FOCUS_FIELDS, self.read("focus", self.focus_areas_query)
            )
        return self.focus

    def focus_areas_query(self):
        answered = Q(answers__text__gt="")
        items = SuggestionItem.objects.filter(suggestion__cycle=self.cycle).filter(
            self.scoped("suggestion__organization__")
            | self.scoped("suggestion__member__organization__")
        )
        return (
            items.order_by()
            .values(*FOCUS_FIELDS[:4])
            .annotate(
                organizations=Count("suggestion__organization", distinct=True),
                organizations_answered=Count(
                    "suggestion__organization", filter=answered, distinct=True
                ),
                members=Count("suggestion__member", distinct=True),
                members_answered=Count(
                    "suggestion__member", filter=answered, distinct=True
                ),
            )
            .order_by("focus_area__position", "focus_area__code")
        )

    def indicators(self):
        """Per indicator: the organizations reporting it, the targets and actual
        values summed, and how many met their target."""
        if self.indicator_rows is None:
            self.indicator_rows = self.as_dicts(
                INDICATOR_FIELDS, self.read("indicators", self.indicators_query)
            )
        return self.indicator_rows

    def indicators_query(self):
        values = IndicatorValue.objects.filter(cycle=self.cycle).filter(
            self.scoped("organization__")
        )
        better = Q(indicator__higher_is_better=True)
        met = (better & Q(actual__gte=F("target"))) | (
            ~better & Q(actual__lte=F("target"))
        )
        return (
            values.order_by()
            .values(*INDICATOR_FIELDS[:5])
            .annotate(
                organizations=Count("pk"),
                target_total=Sum("target"),
                actual_total=Sum("actual"),
                met=Count("pk", filter=met),
            )
            .order_by("indicator__focus_area__position", "indicator__code")
        )

    @staticmethod
    def as_dicts(names, rows):
        """The rows of a values() query read as the driver gives them (fetch),
        as the dicts values() gives: the counts are whole numbers and the sums
        Decimals either way."""
        return [dict(zip(names, row, strict=True)) for row in rows]

    def remedies_query(self):
        """Actions not done, done and overdue per organization with a plan, from
        their rollup (RemedyTally): as many rows as organizations × status ×
        deadline, whatever the number of members with a plan."""
        tallies = (
            RemedyTally.objects.filter(cycle=self.cycle)
            .filter(self.scoped("organization__"))
            .exclude(number=0)
        )
        return (
            tallies.order_by()
            .values_list("organization_id")
            .annotate(**tallied_action_counts(self.today))
        )

    def remedies(self):
        """Remedy actions of this cycle's plans: the totals, and the organizations
        with the most overdue actions (then the most still open), of all those
        with a plan."""
        still_open = done = overdue = 0
        ranked = []
        tree = self.tree
        for organization_id, org_open, org_done, org_overdue in self.read(
            "remedies", self.remedies_query
        ):
            still_open += org_open
            done += org_done
            overdue += org_overdue
            path = tree[organization_id].path
            ranked.append((-org_overdue, -org_open, path, organization_id, org_done))
        return {
            "totals": {
                "open": still_open,
                "done": done,
                "overdue": overdue,
                "total": still_open + done,
            },
            "organizations": [
                {
                    "organization": tree[organization_id],
                    "open": -minus_open,
                    "done": org_done,
                    "overdue": -minus_overdue,
                }
                for minus_overdue, minus_open, _path, organization_id, org_done in (
                    heapq.nsmallest(REMEDIES_LISTED, ranked)
                )
            ],
            "with_plan": len(ranked),
        }

    def exemptions_query(self):
        """Exemptions per kind and kind of review, from their rollup
        (ExemptionTally): as many rows as organizations with exemptions ×
        kinds, whatever the number of exemptions. Before, each exemption
        looked up its review (15 ms at 310,000 members)."""
        tallies = (
            ExemptionTally.objects.filter(cycle=self.cycle)
            .filter(self.scoped("organization__"))
            .exclude(number=0)
        )
        return (
            tallies.order_by()
            .values_list("kind", "review_kind")
            .annotate(Sum("number"))
        )

    def exemptions(self):
        """Work closed undone with a reason, per kind, for organizations and members."""
        counts = {kind: Counter() for kind in StepExemption.Kind}
        for kind, review_kind, number in self.read("exemptions", self.exemptions_query):
            subject = "members" if review_kind == Kind.INDIVIDUAL else "organizations"
            counts[kind][subject] += number
        return [
            {
                "kind": kind.value,
                "label": str(kind.label),
                "organizations": counts[kind]["organizations"],
                "members": counts[kind]["members"],
            }
            for kind in StepExemption.Kind
        ]

    def flag_years(self, cycles):
        """The consecutive yearly cycles ending with this one; None: no flags shown."""
        if not self.show_decisions:
            return None
        yearly = consecutive([c for c in cycles if c.period == ReviewCycle.Period.YEAR])
        if not yearly or yearly[0].pk != self.cycle.pk:
            return None
        return yearly

    def flags_query(self, cycles):
        """The subjects with a full run, per organization they are in now:
        rows of level, heading, organization and how many.

        One branch per level and kind of subject: the members' from the runs
        the database keeps, the collectives' from their ranges of the
        review_runs index on PostgreSQL; only the subjects with a full run
        count. None where no run can be complete.
        """
        yearly = self.flag_years(cycles) or []
        branches = []
        for code, run in FLAG_RUNS.items():
            if len(yearly) < run:
                continue
            branches.append(self.members_run(code, yearly[:run]))
            branches.append(self.organizations_run(code, yearly[:run]))
        if not branches:
            return None
        return branches[0].union(*branches[1:], all=True)

    def members_run(self, code, run):
        """The members decided `code` in each cycle of `run` (this one first),
        counted per organization.

        Read from the members' runs the database keeps (MemberRun): this
        cycle's runs of `code` at least as long, from an index, whatever the
        number of members; before, every member decided `code` in each cycle
        of the run was read (48 ms at 310,000 members). A kept run counts the
        years of any cycle: where another cycle (a quarter's, another
        committee's) falls in the years of `run`, each run found is checked
        in each earlier cycle of `run` as well.
        """
        found = MemberRun.objects.filter(
            cycle_id=run[0].pk, decided_code=code, years__gte=len(run)
        )
        if len(run) > 1:
            others = ReviewCycle.objects.filter(
                year__gte=run[-1].year, year__lte=run[0].year
            ).exclude(pk__in=[cycle.pk for cycle in run])
            decided = Review.objects.filter(decided_code=code).order_by()
            in_each = [
                Exists(decided.filter(cycle_id=c.pk, member=OuterRef("member_id")))
                for c in run[1:]
            ]
            found = found.filter(~Exists(others) | Q(*in_each))
        return (
            found.order_by()
            .values("organization_id")
            .annotate(number=Count("*"), code=Value(code), heading=Value("members"))
            .values_list("code", "heading", "organization_id", "number")
        )

    def organizations_run(self, code, run):
        """The collectives decided `code` in each cycle of `run`, by lineage,
        which follows an organization through restructurings
        (organizations/restructuring/)."""
        where_now = Max(Case(When(cycle_id=self.cycle.pk, then=F("organization_id"))))
        return (
            Review.objects.filter(
                decided_code=code, cycle__in=[c.pk for c in run], member__isnull=True
            )
            .order_by()
            .annotate(line=line_of("organization__"))
            .values("line", "kind")
            .annotate(years=Count("*"), now=where_now)
            .filter(years=len(run))
            .annotate(code=Value(code), heading=Value("organizations"), number=Value(1))
            .values_list("code", "heading", "now", "number")
        )

    def flag_counts(self, cycles):
        """Subjects HTXSNV five years running and KHTNV two years running.

        Counted as results.flags counts them: the run ends with this cycle, in
        consecutive yearly cycles; a member by person, a collective by
        organization and kind; the subject counts where it is in this cycle.
        """
        if self.flag_years(cycles) is None:
            return None
        result = {code: {"members": 0, "organizations": 0} for code in FLAG_RUNS}
        for code, heading, now, number in self.read("flags", self.flags_query, cycles):
            if now in self.in_scope:
                result[code][heading] += number
        return result
