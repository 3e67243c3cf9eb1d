import datetime
import random
from collections import Counter
from io import StringIO

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, TestCase

from members import demo
from members.models import Member
from organizations.models import GRASSROOTS_KINDS, Organization, OrganizationKind
from reviews import rules, statistics
from reviews.models import (
    IndicatorValue,
    Meeting,
    Rating,
    Review,
    ReviewCycle,
    SuggestionItem,
)

Kind = OrganizationKind


def seed(*args):
    call_command("seed_demo", *args, stdout=StringIO())


def print_nothing(line):
    pass


def counts():
    return {
        "organizations": Organization.objects.count(),
        "members": Member.objects.count(),
        "reviews": Review.objects.count(),
        "ratings": Counter(Rating.objects.values_list("stage", flat=True)),
        "meetings": Meeting.objects.count(),
    }


# The tree as the sizes built it: the day before the demo's restructuring, which
# then merges two wards (organizations/restructuring/).
AS_BUILT = demo.DECISION["effective_on"] - demo.ONE_DAY


def last_decided_cycle():
    return ReviewCycle.objects.filter(status=ReviewCycle.Status.LOCKED).latest("year")


class DemoSizesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        seed("--grassroots", "30", "--cells", "60", "--members", "600")

    def test_explicit_sizes_are_exact(self):
        built = Organization.objects.active_on(AS_BUILT)
        self.assertEqual(built.filter(kind__in=GRASSROOTS_KINDS).count(), 30)
        self.assertEqual(built.filter(kind=Kind.CELL).count(), 60)
        self.assertEqual(Member.objects.count(), 600)
        # Every grassroots committee has cells of its own.
        self.assertFalse(
            Organization.objects.filter(
                kind=Kind.GRASSROOTS_COMMITTEE, children__isnull=True
            ).exists()
        )

    def test_the_last_decided_year_has_focus_areas_answered_and_indicators(self):
        cycle = last_decided_cycle()
        items = SuggestionItem.objects.filter(suggestion__cycle=cycle)
        self.assertTrue(items.exists())
        answered = items.filter(answers__text__gt="").distinct().count()
        self.assertGreater(answered, 0)
        figures = statistics.CycleFigures(cycle, cycle.superior)
        areas = figures.focus_areas()
        self.assertEqual(
            sum(row["organizations_answered"] for row in areas),
            items.filter(answers__text__gt="")
            .values("suggestion__organization", "focus_area")
            .distinct()
            .count(),
        )
        grassroots = (
            Organization.objects.active_on(cycle.ends_on)
            .filter(kind__in=GRASSROOTS_KINDS)
            .count()
        )
        recruitment = IndicatorValue.objects.filter(
            cycle=cycle, indicator__code="new-members"
        )
        self.assertEqual(recruitment.count(), grassroots)
        found = {row["indicator__code"]: row for row in figures.indicators()}
        self.assertEqual(found["new-members"]["organizations"], grassroots)

    def test_every_review_of_the_last_decided_year_has_the_meetings_proposal(self):
        cycle = last_decided_cycle()
        reviews = cycle.reviews.all()
        proposals = Rating.objects.filter(review__cycle=cycle, stage="meeting")
        self.assertEqual(proposals.count(), reviews.count())
        self.assertFalse(reviews.exclude(ratings__stage="meeting").exists())

    def test_a_few_proposals_were_one_level_higher_than_the_decision(self):
        cycle = last_decided_cycle()
        decided = dict(
            Rating.objects.filter(review__cycle=cycle, stage="decision").values_list(
                "review_id", "level__code"
            )
        )
        proposed = Rating.objects.filter(review__cycle=cycle, stage="meeting")
        changed = Counter()
        for review_id, code in proposed.values_list("review_id", "level__code"):
            step = rules.ORDER.index(decided[review_id]) - rules.ORDER.index(code)
            changed[step] += 1
        self.assertEqual(set(changed), {0, 1})
        share = changed[1] / len(decided)
        self.assertTrue(0.03 <= share <= 0.05, share)

    def test_reviews_carry_their_latest_proposal_and_decision(self):
        cycle = last_decided_cycle()
        outcomes = cycle.reviews.values_list("pk", "proposed_code", "decided_code")
        stages = {
            (stage, review_id): code
            for stage, review_id, code in Rating.objects.filter(
                review__cycle=cycle
            ).values_list("stage", "review_id", "level__code")
        }
        for pk, proposed, decided in outcomes:
            self.assertEqual(proposed, stages["meeting", pk])
            self.assertEqual(decided, stages["decision", pk])
        earlier = Review.objects.filter(cycle__year__lt=cycle.year)
        self.assertFalse(earlier.filter(decided_code="").exists())
        self.assertFalse(earlier.exclude(proposed_code="").exists())

    def test_every_organization_of_the_last_decided_year_held_its_meeting(self):
        cycle = last_decided_cycle()
        organizations = cycle.reviews.filter(kind=Review.Kind.ORGANIZATION)
        meetings = Meeting.objects.filter(review__cycle=cycle)
        self.assertEqual(meetings.count(), organizations.count())
        self.assertEqual(
            set(meetings.values_list("review__kind", "status")),
            {(Review.Kind.ORGANIZATION, Meeting.Status.DONE)},
        )
        self.assertEqual(
            {
                (day.year, day.month)
                for day in meetings.values_list("held_on", flat=True)
            },
            {(cycle.year, 12)},
        )

    def test_earlier_years_hold_decisions_only(self):
        last = last_decided_cycle()
        earlier = Review.objects.filter(cycle__year__lt=last.year)
        self.assertTrue(earlier.exists())
        self.assertEqual(
            set(
                Rating.objects.filter(review__in=earlier).values_list(
                    "stage", flat=True
                )
            ),
            {"decision"},
        )
        self.assertFalse(Meeting.objects.filter(review__in=earlier).exists())

    def test_running_again_adds_nothing(self):
        first = counts()
        seed("--grassroots", "30", "--cells", "60", "--members", "600")
        self.assertEqual(counts(), first)

    def test_cached_figures_of_every_cycle_go_stale(self):
        past = list(
            ReviewCycle.objects.filter(status=ReviewCycle.Status.LOCKED).values_list(
                "pk", flat=True
            )
        )
        before = statistics.versions(past)
        with self.captureOnCommitCallbacks(execute=True):
            demo.seed(members=600, grassroots=30, cells=60, log=print_nothing)
        after = statistics.versions(past)
        self.assertTrue(all(a != b for a, b in zip(before[:-1], after[:-1])))

    def test_sizes_below_one_are_refused_in_vietnamese(self):
        for option in ("--grassroots", "--cells"):
            with self.subTest(option), self.assertRaisesMessage(CommandError, "Cần"):
                seed(option, "0", "--members", "600")


class TreeSizeTests(SimpleTestCase):
    def test_fewer_cells_than_committees_turns_the_rest_into_grassroots_cells(self):
        specs = demo.build_tree(random.Random(2023), 1.0, 25, 3)
        kinds = Counter(spec.kind for spec in specs)
        self.assertEqual(kinds[Kind.CELL], 3)
        self.assertEqual(
            kinds[Kind.GRASSROOTS_COMMITTEE] + kinds[Kind.GRASSROOTS_CELL], 25
        )
        wards = [spec for spec in specs if spec.type_code == "phuong"]
        self.assertEqual(wards[0].name, "Đảng bộ phường Quyết Thắng")
        self.assertEqual(wards[-1].name, "Chi bộ phường Trường Chinh")
        self.assertEqual(wards[-1].kind, Kind.GRASSROOTS_CELL)


class DefaultSizesTests(TestCase):
    """Without explicit sizes the demo is what it was before they existed.

    The figures were measured on the generator before explicit sizes were added.
    """

    def test_the_city_tree_keeps_its_shape(self):
        for members, expected in [
            (
                8000,
                {
                    Kind.GRASSROOTS_COMMITTEE: 41,
                    Kind.GRASSROOTS_CELL: 59,
                    Kind.CELL: 393,
                },
            ),
            (
                3000,
                {
                    Kind.GRASSROOTS_COMMITTEE: 26,
                    Kind.GRASSROOTS_CELL: 12,
                    Kind.CELL: 146,
                },
            ),
        ]:
            specs = demo.build_tree(random.Random(2023), members / demo.DEFAULT_MEMBERS)
            kinds = Counter(spec.kind for spec in specs)
            del kinds[Kind.SUPERIOR_COMMITTEE]
            self.assertEqual(kinds, expected, members)

    def test_a_small_default_run_keeps_its_counts(self):
        demo.seed(members=400, today=datetime.date(2026, 11, 28), log=print_nothing)
        # The province, the city and the city's tree as built, then as the
        # demo's restructuring left it (a ward fewer: two merged into one).
        self.assertEqual(Organization.objects.active_on(AS_BUILT).count(), 65)
        self.assertEqual(Organization.objects.current().count(), 64)
        self.assertEqual(Member.objects.count(), 400)
        past = Review.objects.filter(cycle__status=ReviewCycle.Status.LOCKED)
        self.assertEqual(Rating.objects.filter(stage="decision").count(), past.count())
        # 2025 reviews the merged ward once where 2024 reviewed two.
        self.assertEqual(past.count(), 2065)
