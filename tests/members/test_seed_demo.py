import datetime
from collections import Counter
from io import StringIO

from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import TestCase

from members import demo
from members.demo import FIRST_HISTORY_YEAR
from members.models import Member
from organizations.models import Organization, OrganizationKind, Role
from reviews import ratings, results
from reviews.models import IndicatorValue, Rating, Review, ReviewCycle


def counts():
    return {
        "organizations": Organization.objects.count(),
        "members": Member.objects.count(),
        "cycles": ReviewCycle.objects.count(),
        "roles": Role.objects.count(),
        "indicator_values": IndicatorValue.objects.count(),
        "reviews": Review.objects.count(),
        "ratings": Rating.objects.count(),
    }


def current_year():
    today = datetime.date.today()
    return today.year if today.month >= 10 else today.year - 1


class SeedDemoTests(TestCase):
    def seed(self, *args):
        out = StringIO()
        call_command("seed_demo", *args, stdout=out)
        return out.getvalue()

    def test_running_twice_gives_the_same_counts(self):
        self.seed("--members", "800")
        first = counts()
        self.seed("--members", "800")
        self.assertEqual(counts(), first)
        self.assertEqual(first["members"], 800)
        self.assertEqual(first["cycles"], current_year() - FIRST_HISTORY_YEAR + 1)

    def test_default_demo_is_the_kon_tum_city_tree(self):
        output = self.seed()
        self.assertEqual(Member.objects.count(), 8000)
        grassroots = Organization.objects.active_on(
            demo.DECISION["effective_on"] - demo.ONE_DAY
        ).filter(
            kind__in=[
                OrganizationKind.GRASSROOTS_COMMITTEE,
                OrganizationKind.GRASSROOTS_CELL,
            ]
        )
        self.assertEqual(grassroots.count(), 100)
        self.assertEqual(grassroots.filter(org_type__code="phuong").count(), 10)
        self.assertEqual(grassroots.filter(org_type__code="xa").count(), 11)
        cells = Organization.objects.filter(kind=OrganizationKind.CELL).count()
        self.assertTrue(350 <= cells <= 450, cells)
        # Every member sits in a cell or a grassroots cell, never in a committee.
        self.assertFalse(
            Member.objects.exclude(
                organization__kind__in=[
                    OrganizationKind.CELL,
                    OrganizationKind.GRASSROOTS_CELL,
                ]
            ).exists()
        )
        self.assertEqual(
            set(ReviewCycle.objects.values_list("regime__code", flat=True)),
            {"qd132", "qd124", "qd366"},
        )
        for username in ("staff", "secretary", "member", "leader"):
            self.assertIn(username, output)
            self.assertIsNotNone(
                authenticate(username=username, password="kontum-demo")
            )

    def test_demo_accounts_have_their_scopes(self):
        self.seed("--members", "400")
        secretary = Role.objects.get(user__username="secretary")
        self.assertEqual(secretary.kind, Role.Kind.SECRETARY)
        self.assertEqual(secretary.organization.kind, OrganizationKind.CELL)
        member = Member.objects.get(user__username="member")
        self.assertEqual(member.organization, secretary.organization)
        staff = Role.objects.get(user__username="staff").organization
        self.assertEqual(staff.code, demo.SUPERIOR_CODE)
        # The province above heads the city committee's documents, runs nothing.
        self.assertEqual(staff.parent.code, demo.PROVINCE_CODE)
        self.assertFalse(staff.parent.review_cycles.exists())
        # Staff issue the API's tokens for the city.
        self.assertTrue(
            get_user_model().objects.get(username="staff").has_perm("api.add_apitoken")
        )

    def test_if_empty_leaves_an_existing_database_alone(self):
        Organization.objects.create(
            code="X", name="Thành ủy khác", kind=OrganizationKind.SUPERIOR_COMMITTEE
        )
        self.seed("--if-empty")
        self.assertEqual(Organization.objects.count(), 1)

    def test_refused_when_settings_forbid_demo_data(self):
        with self.settings(DEMO_DATA_ALLOWED=False), self.assertRaises(CommandError):
            self.seed()
        self.assertEqual(Member.objects.count(), 0)

    def test_staff_can_pick_users_when_assigning_roles(self):
        self.seed("--members", "400")
        self.client.login(username="staff", password="kontum-demo")
        response = self.client.get(
            "/admin/autocomplete/",
            {"app_label": "organizations", "model_name": "role", "field_name": "user"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("secretary", response.content.decode())


class DemoHistoryTests(TestCase):
    """The past cycles of the demo: decided, within the rules, with long runs."""

    @classmethod
    def setUpTestData(cls):
        call_command("seed_demo", "--members", "3000", stdout=StringIO())
        cls.cycles = list(ReviewCycle.objects.order_by("starts_on"))
        cls.past = cls.cycles[:-1]

    def test_past_years_are_locked_under_their_regime_and_this_year_at_meetings(self):
        self.assertEqual(
            [(c.year, c.regime.code, c.status) for c in self.past[:5]],
            [
                (2021, "qd132", "locked"),
                (2022, "qd132", "locked"),
                (2023, "qd124", "locked"),
                (2024, "qd124", "locked"),
                (2025, "qd366", "locked"),
            ],
        )
        current = self.cycles[-1]
        self.assertEqual((current.year, current.status), (current_year(), "meetings"))
        self.assertTrue(current.reviews.exists())

    def test_every_subject_of_a_past_year_has_a_submitted_review_and_a_decision(self):
        for cycle in self.past:
            reviews = cycle.reviews.all()
            self.assertEqual(
                reviews.count(),
                Organization.objects.active_on(cycle.ends_on)
                .exclude(kind="superior")
                .count()
                + reviews.filter(kind="leadership").count()
                + reviews.filter(kind="individual").count(),
            )
            self.assertFalse(reviews.exclude(status="submitted").exists())
            self.assertFalse(reviews.exclude(ratings__stage="decision").exists())
            self.assertEqual(
                Rating.objects.filter(review__cycle=cycle, stage="decision").count(),
                reviews.count(),
            )

    def test_members_are_rated_only_from_the_year_they_were_admitted(self):
        for cycle in self.past:
            self.assertFalse(
                cycle.reviews.filter(member__admitted_on__gt=cycle.ends_on).exists()
            )

    def test_decisions_keep_the_quota_of_every_comparison_group(self):
        for cycle in self.past:
            for group in ratings.comparison_groups(cycle).values():
                counts = ratings.decided_counts(group)
                self.assertIsNone(
                    ratings.quota_finding(group, counts, cycle.regime.quota_percent),
                    (cycle.year, group.name, counts),
                )

    def test_levels_are_spread_as_in_a_real_province(self):
        for cycle in self.past:
            levels = Counter(
                Rating.objects.filter(
                    review__cycle=cycle, review__kind="individual", stage="decision"
                ).values_list("level__code", flat=True)
            )
            total = sum(levels.values())
            good_or_better = levels["HTXSNV"] + levels["HTTNV"]
            self.assertGreaterEqual(good_or_better / total, 0.85)
            self.assertLess(levels["KHTNV"] / total, 0.01)
            self.assertGreaterEqual(levels["HTXSNV"] / good_or_better, 0.14)

    def test_every_past_decision_is_in_line_with_the_rules(self):
        for cycle in self.past:
            self.assertEqual(ratings.out_of_line(cycle), [], cycle.year)

    def test_heads_are_not_rated_above_their_cell(self):
        for cycle in self.past:
            cells = dict(
                Rating.objects.filter(
                    review__cycle=cycle, review__kind="organization", stage="decision"
                ).values_list("review__organization_id", "level__rank")
            )
            heads = Rating.objects.filter(
                review__cycle=cycle,
                review__meeting_rank=Review.Rank.HEAD,
                stage="decision",
            ).values_list("review__organization_id", "level__rank")
            for organization_id, rank in heads:
                self.assertGreaterEqual(rank, cells[organization_id])

    def test_some_are_excellent_five_years_running_and_a_few_fail_twice(self):
        latest = self.past[-1]
        cycles = results.yearly_cycles(latest)
        excellent, failing = results.flags(
            cycles, Organization.objects.values("pk"), {c.pk for c in cycles}
        )
        members = Review.objects.filter(cycle=latest, kind="individual").count()
        self.assertTrue(0 < len(excellent) < members * 0.05, len(excellent))
        self.assertTrue(0 < len(failing) < members * 0.01, len(failing))


class DemoCarryOverTests(TestCase):
    def test_opening_the_current_cycle_carried_last_years_open_actions(self):
        from reviews.models import CarryOverItem, RemedyAction

        call_command("seed_demo", "--members", "400", stdout=StringIO())
        current = ReviewCycle.objects.latest("starts_on")
        carried = CarryOverItem.objects.filter(review__cycle=current)
        # Open when the cycle opened: still open, or remedied in this year's form.
        open_actions = RemedyAction.objects.exclude(status="done") | (
            RemedyAction.objects.filter(
                pk__in=carried.filter(outcome="remedied").values("remedy_action")
            )
        )
        self.assertTrue(open_actions.exclude(status="done").exists())
        self.assertEqual(
            set(carried.values_list("remedy_action_id", flat=True)),
            set(
                open_actions.filter(
                    review__member__in=current.reviews.values("member")
                ).values_list("pk", flat=True)
            )
            | set(
                open_actions.filter(review__member__isnull=True).values_list(
                    "pk", flat=True
                )
            ),
        )
