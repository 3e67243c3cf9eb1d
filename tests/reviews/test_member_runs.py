"""The members' runs at the ends of the scale equal counting the decisions, after
any writes, on both databases; the dashboard's flags read from them count what
the decisions give.

The runs (reviews.models.MemberRun) are kept by triggers: statement triggers on
PostgreSQL, row triggers on SQLite. Hypothesis runs random sequences of writes
over five yearly cycles and a quarter's (a decision by queryset update, a save,
a bulk update, a delete, a create already decided, a review given to another
member, a cycle's year changed, any of them rolled back), and after each the
runs must equal reviews.tallies.runs_counted, which counts them in Python.
"""

import datetime
import io
import os

from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from organizations.models import Organization
from reviews import statistics, tallies
from reviews.models import FormTemplate, MemberRun, Review, ReviewCycle
from reviews.results import consecutive

from ..factories import MemberFactory
from .test_tallies import reference_data

ALIASES = ("default", "sqlite")
MEMBERS = 6
YEARS = (2022, 2023, 2024, 2025, 2026)
CODES = ["", "HTXSNV", "HTTNV", "KHTNV"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 40)


class Refused(Exception):
    """Raised inside a write to roll it back."""


def world(alias):
    """A committee, two cells, its yearly cycles and a quarter's, in `alias`;
    every member reviewed in each, HTXSNV all along."""
    committee = Organization(code="TU", name="Thành ủy", kind="superior")
    committee.save(using=alias)
    cells = []
    for number in range(2):
        cell = Organization(
            code=f"C{number}",
            name=f"Chi bộ {number}",
            kind="grassroots_cell",
            parent=committee,
        )
        cell.save(using=alias)
        cells.append(cell)
    regime = reference_data(alias)
    template = FormTemplate.objects.using(alias).filter(regime=regime).first()
    cycles = []
    periods = [(year, ReviewCycle.Period.YEAR) for year in YEARS]
    for year, period in [*periods, (2025, ReviewCycle.Period.QUARTER)]:
        cycle = ReviewCycle(
            name=f"{period} {year}",
            year=year,
            period=period,
            status=ReviewCycle.Status.DECIDED,
            starts_on=datetime.date(year, 1, 1) + datetime.timedelta(days=len(cycles)),
            ends_on=datetime.date(year, 12, 31),
            regime=regime,
            superior=committee,
        )
        cycle.save(using=alias)
        cycles.append(cycle)
    members = []
    for number in range(MEMBERS):
        member = MemberFactory.build(
            full_name=f"Đảng viên {number}",
            card_number=f"8{number:07d}",
            organization=cells[number % 2],
        )
        member.save(using=alias)
        members.append(member)
    for cycle in cycles:
        Review.objects.using(alias).bulk_create(
            review_of(cycle, member, template, "HTXSNV") for member in members
        )
    return cycles, members, template, cells


def review_of(cycle, member, template, code):
    return Review(
        cycle=cycle,
        kind=Review.Kind.INDIVIDUAL,
        organization_id=member.organization_id,
        member=member,
        template=template,
        subject_name=member.full_name,
        decided_code=code,
    )


cycle_index = st.integers(0, len(YEARS))
index = st.integers(0, MEMBERS - 1)
code = st.sampled_from(CODES)
write = st.one_of(
    st.tuples(st.just("decide"), cycle_index, st.lists(index, max_size=4), code),
    st.tuples(st.just("save"), cycle_index, index, code),
    st.tuples(st.just("bulk_update"), st.lists(st.tuples(cycle_index, index)), code),
    st.tuples(st.just("delete"), cycle_index, st.lists(index, max_size=3)),
    st.tuples(st.just("create"), cycle_index, st.lists(index, max_size=3), code),
    st.tuples(st.just("member"), cycle_index, index, index),
    st.tuples(st.just("year"), cycle_index, st.integers(2021, 2027)),
    st.tuples(st.just("cell"), cycle_index, index),
)
writes = st.lists(st.tuples(write, st.booleans()), max_size=10)


def flags_counted(cycles, cycle):
    """The members the dashboard flags in `cycle`, counted from the decisions:
    level → members decided it in each of the consecutive yearly cycles
    ending with this one (`cycles` newest first), as many as the level's run."""
    yearly = consecutive([c for c in cycles if c.period == ReviewCycle.Period.YEAR])
    found = {}
    for level, run in statistics.FLAG_RUNS.items():
        if not yearly or yearly[0].pk != cycle.pk or len(yearly) < run:
            found[level] = 0
            continue
        decided = [
            set(
                Review.objects.filter(cycle=c, decided_code=level).values_list(
                    "member_id", flat=True
                )
            )
            for c in yearly[:run]
        ]
        found[level] = len(set.intersection(*decided))
    return found


class MemberRunTests(TestCase):
    databases = set(ALIASES)

    @classmethod
    def setUpTestData(cls):
        cls.worlds = {alias: world(alias) for alias in ALIASES}

    def apply(self, alias, operation):
        cycles, members, template, cells = self.worlds[alias]
        name, *args = operation
        reviews = Review.objects.using(alias)
        if name == "decide":
            cycle, chosen, level = args
            reviews.filter(
                cycle=cycles[cycle], member__in=[members[i] for i in chosen]
            ).update(decided_code=level)
        elif name == "save":
            found = reviews.filter(cycle=cycles[args[0]], member=members[args[1]])
            for review in found:
                review.decided_code = args[2]
                review.save(using=alias)
        elif name == "bulk_update":
            chosen = [
                review
                for cycle, member in args[0]
                for review in reviews.filter(
                    cycle=cycles[cycle], member=members[member]
                )
            ]
            for review in chosen:
                review.decided_code = args[1]
            reviews.bulk_update(chosen, ["decided_code"])
        elif name == "delete":
            reviews.filter(
                cycle=cycles[args[0]], member__in=[members[i] for i in args[1]]
            ).delete()
        elif name == "create":
            cycle = cycles[args[0]]
            have = set(reviews.filter(cycle=cycle).values_list("member_id", flat=True))
            wanted = {members[i].pk: members[i] for i in args[1]}
            reviews.bulk_create(
                review_of(cycle, member, template, args[2])
                for pk, member in wanted.items()
                if pk not in have
            )
        elif name == "member":
            # A review given to another member without one in that cycle.
            cycle, source, target = cycles[args[0]], members[args[1]], members[args[2]]
            if not reviews.filter(cycle=cycle, member=target).exists():
                reviews.filter(cycle=cycle, member=source).update(member=target)
        elif name == "cell":
            # The member's review moved to the other cell, as a transfer would.
            found = reviews.filter(cycle=cycles[args[0]], member=members[args[1]])
            for review in found:
                other = 1 if review.organization_id == cells[0].pk else 0
                review.organization = cells[other]
                review.save(using=alias)
        elif name == "year":
            ReviewCycle.objects.using(alias).filter(pk=cycles[args[0]].pk).update(
                year=args[1]
            )

    def run_writes(self, alias, sequence):
        for operation, rolled_back in sequence:
            if rolled_back:
                try:
                    with transaction.atomic(using=alias):
                        self.apply(alias, operation)
                        raise Refused
                except Refused:
                    pass
            else:
                self.apply(alias, operation)
            self.assertEqual(
                tallies.run_differences(using=alias), {}, f"{alias} after {operation}"
            )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not os.environ.get("FUZZ_EXAMPLES"),
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(writes)
    def test_the_runs_equal_the_decisions_after_any_writes(self, sequence):
        for alias in ALIASES:
            self.run_writes(alias, sequence)
        # The dashboard's flags, read from the runs, count what the decisions give.
        cycles = ReviewCycle.objects.filter(
            pk__in=[c.pk for c in self.worlds["default"][0]]
        )
        cycles = list(cycles.order_by("-starts_on"))
        for cycle in cycles:
            if cycle.period != ReviewCycle.Period.YEAR:
                continue
            trend = [c for c in cycles if c.starts_on <= cycle.starts_on]
            figures = statistics.CycleFigures(cycle, cycle.superior)
            counts = figures.flag_counts(trend)
            expected = flags_counted(trend, cycle)
            found = {
                level: counts[level]["members"] if counts else 0
                for level in statistics.FLAG_RUNS
            }
            self.assertEqual(found, expected, f"{cycle.name} after {sequence}")

    def test_the_initial_runs_follow_the_years(self):
        cycles, members, _template, _cells = self.worlds["default"]
        runs = tallies.runs_kept()
        newest = Review.objects.get(cycle=cycles[len(YEARS) - 1], member=members[0])
        # 2026's review: five years running; 2025's counts its quarter too.
        self.assertEqual(runs[newest.pk][-1], 5)
        self.assertEqual(tallies.run_differences(), {})
        self.assertEqual(tallies.run_differences(using="sqlite"), {})

    def test_the_command_finds_and_rebuilds_runs_left_behind(self):
        # A load that bypassed the triggers.
        MemberRun.objects.filter(years=5).delete()
        MemberRun.objects.update(years=3)
        with self.assertRaises(CommandError):
            call_command("recount_tallies", "--check", stdout=io.StringIO())
        out = io.StringIO()
        call_command("recount_tallies", stdout=out)
        self.assertIn("Members' runs: rebuilt", out.getvalue())
        self.assertEqual(tallies.run_differences(), {})
