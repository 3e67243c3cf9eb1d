from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from organizations.models import OrganizationKind, Role
from reviews import results
from reviews.models import Rating, ReviewCycle

from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from ..personas import PersonasTestCase
from .test_results_organization import bulk_members, bulk_rate, make_cycle, rate

Stage = Rating.Stage
Status = ReviewCycle.Status
YEARS = (2021, 2022, 2023, 2024, 2025)


class FlagsTests(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.excellent = MemberFactory(full_name="Võ Thị Xuân", organization=cls.cell_a)
        cls.broken = MemberFactory(full_name="Đỗ Văn Gián", organization=cls.cell_a)
        cls.failing = MemberFactory(full_name="Hồ Văn Kém", organization=cls.cell_a)
        cls.failing_once = MemberFactory(
            full_name="Lý Văn Lần", organization=cls.cell_b
        )
        cls.excellent_b = MemberFactory(
            full_name="Ngô Thị Bảy", organization=cls.cell_b
        )
        cls.cycles = [make_cycle(cls.committee, year) for year in YEARS]
        history = {
            cls.excellent: ["HTXSNV"] * 5,
            cls.broken: ["HTXSNV", "HTTNV", "HTXSNV", "HTXSNV", "HTXSNV"],
            cls.failing: ["HTNV", "HTNV", "HTNV", "KHTNV", "KHTNV"],
            cls.failing_once: ["KHTNV", "KHTNV", "KHTNV", "HTNV", "KHTNV"],
            cls.excellent_b: ["HTXSNV"] * 5,
            cls.member_a: ["HTXSNV"] * 4 + ["HTTNV"],
        }
        for year_index, cycle in enumerate(cls.cycles):
            for member, codes in history.items():
                rate(cycle.reviews.get(member=member), codes[year_index])
            rate(
                cycle.reviews.get(organization=cls.cell_a, kind="organization"),
                "HTXSNV",
            )

    def url(self, cycle=None):
        return reverse("reviews:flags", args=[(cycle or self.cycles[-1]).public_id])

    def flagged(self, response):
        return (
            {flag.subject_name for flag in response.context["excellent"]},
            {flag.subject_name for flag in response.context["failing"]},
        )

    def test_staff_see_five_years_of_excellence_and_two_of_failure(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        excellent, failing = self.flagged(response)
        self.assertEqual(excellent, {"Võ Thị Xuân", "Ngô Thị Bảy", self.cell_a.name})
        self.assertEqual(failing, {"Hồ Văn Kém"})
        flag = next(
            f for f in response.context["excellent"] if f.subject_name == "Võ Thị Xuân"
        )
        self.assertEqual(flag.years, [2025, 2024, 2023, 2022, 2021])
        self.assertContains(
            response,
            reverse("reviews:person_results", args=[self.excellent.public_id]),
        )

    def test_a_cell_is_named_with_its_ward(self):
        # The flags span every grassroots organization: about ten wards each
        # have their "Chi bộ Tổ dân phố 1".
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        in_context = "Chi bộ Tổ dân phố 1 – Đảng bộ phường Quyết Thắng"
        member, cell = (
            next(f for f in response.context["excellent"] if f.subject_name == name)
            for name in ("Võ Thị Xuân", self.cell_a.name)
        )
        self.assertEqual(member.organization_name, in_context)
        self.assertEqual(cell.subject_in_context, in_context)
        self.assertEqual(member.subject_in_context, "Võ Thị Xuân")
        # The cell's collective, and the cell of Võ Thị Xuân and Hồ Văn Kém.
        self.assertContains(response, f">{in_context}</a>", count=3)
        # Years are not numbers to group: 2021, never 2.021.
        self.assertContains(response, "5 năm: 2021–2025")
        self.assertNotContains(response, "2.021")

    def test_org_narrows_the_flags_to_one_organization(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url(), {"org": self.cell_b.public_id})
        excellent, failing = self.flagged(response)
        self.assertEqual(excellent, {"Ngô Thị Bảy"})
        self.assertEqual(failing, set())
        self.assertEqual(response.context["chosen"], self.cell_b)
        elsewhere = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        for value in ("khong-phai-ma", elsewhere.public_id):
            with self.subTest(value=value):
                response = self.client.get(self.url(), {"org": value})
                self.assertEqual(response.status_code, 404)

    def test_type_narrows_the_flags_as_the_dashboard_counts_them(self):
        from organizations.models import OrganizationType

        # The cells keep a type of their own; they count under their ward's.
        ward_type = OrganizationType.objects.exclude(pk=self.cell_a.org_type_id)[0]
        self.ward.org_type = ward_type
        self.ward.save()
        self.client.force_login(self.staff)
        everyone = {"Võ Thị Xuân", "Ngô Thị Bảy", self.cell_a.name}, {"Hồ Văn Kém"}
        response = self.client.get(self.url(), {"type": ward_type.code})
        self.assertEqual(self.flagged(response), everyone)
        self.assertEqual(response.context["org_type"], ward_type)
        response = self.client.get(self.url(), {"type": self.cell_a.org_type.code})
        self.assertEqual(self.flagged(response), (set(), set()))
        response = self.client.get(
            self.url(), {"type": ward_type.code, "org": self.cell_b.public_id}
        )
        self.assertEqual(self.flagged(response), ({"Ngô Thị Bảy"}, set()))

    def test_a_broken_run_is_not_flagged(self):
        self.client.force_login(self.staff)
        excellent, failing = self.flagged(self.client.get(self.url()))
        self.assertNotIn("Đỗ Văn Gián", excellent)  # HTTNV in 2022
        self.assertNotIn("Lý Văn Lần", failing)  # HTNV in 2024
        self.assertNotIn(self.member_a.full_name, excellent)  # HTTNV this year

    def test_runs_end_at_the_cycle_shown(self):
        self.client.force_login(self.staff)
        excellent, failing = self.flagged(self.client.get(self.url(self.cycles[3])))
        self.assertEqual(excellent, set())  # only four years up to 2024
        self.assertEqual(failing, set())
        response = self.client.get(self.url(self.cycles[2]))
        (flag,) = response.context["failing"]
        self.assertEqual((flag.subject_name, flag.run), ("Lý Văn Lần", 3))

    def test_a_cycle_not_yet_decided_says_so_and_flags_no_one(self):
        current = make_cycle(self.committee, 2026, status=Status.MEETINGS)
        self.client.force_login(self.staff)
        response = self.client.get(self.url(current))
        self.assertEqual(self.flagged(response), (set(), set()))
        self.assertTrue(response.context["before_decisions"])

    def test_the_secretary_sees_only_the_subtree(self):
        self.client.force_login(self.secretary_b)
        excellent, failing = self.flagged(self.client.get(self.url()))
        self.assertEqual(excellent, {"Ngô Thị Bảy"})
        self.assertEqual(failing, set())

    def test_leader_sees_the_tree_of_the_role_and_cannot_post(self):
        self.client.force_login(self.leader)
        response = self.client.get(self.url())
        self.assertEqual(len(response.context["excellent"]), 3)
        self.assertEqual(self.client.post(self.url()).status_code, 405)

    def test_decisions_count_only_once_published_for_a_secretary(self):
        ReviewCycle.objects.filter(pk=self.cycles[-1].pk).update(status=Status.DECIDED)
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.flagged(self.client.get(self.url())), (set(), set()))
        self.client.force_login(self.staff)
        excellent, _failing = self.flagged(self.client.get(self.url()))
        self.assertIn("Ngô Thị Bảy", excellent)

    def test_a_member_without_a_role_gets_403(self):
        self.client.force_login(self.member_user)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_outsider_of_the_committee_gets_404(self):
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        outsider = UserFactory(username="other_staff")
        grant(outsider, other, Role.Kind.STAFF)
        self.client.force_login(outsider)
        self.assertEqual(self.client.get(self.url()).status_code, 404)


class FlagsQueryTests(TestCase):
    def build(self, members):
        committee = OrganizationFactory(
            code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        ward = OrganizationFactory(
            code="P01", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
        )
        bulk_members(OrganizationFactory(code="P01.1", parent=ward), members)
        for year in YEARS:
            cycle = make_cycle(committee, year)
            # The members first (by key), then the cell and the ward.
            reviews = list(cycle.reviews.order_by("-kind", "pk"))
            bulk_rate(reviews, ["HTXSNV"] * members + ["HTTNV"] * 2)
        user = UserFactory(username="btc")
        grant(user, committee, Role.Kind.STAFF)
        self.client.force_login(user)
        return reverse("reviews:flags", args=[cycle.public_id])

    def assert_queries(self, members):
        url = self.build(members)
        with self.assertNumQueries(QUERIES):
            response = self.client.get(url)
        self.assertEqual(len(response.context["excellent"]), members)

    def test_query_count_with_10_flagged_members(self):
        self.assert_queries(10)

    def test_query_count_with_500_flagged_members(self):
        self.assert_queries(500)


class ConsecutiveTests(SimpleTestCase):
    def test_the_run_stops_at_the_first_gap(self):
        cycles = [ReviewCycle(year=year) for year in (2025, 2024, 2022, 2021)]
        self.assertEqual([c.year for c in results.consecutive(cycles)], [2025, 2024])


# Session, user, cycle, the subtree check, the yearly cycles (all locked), the
# organizations in view, the members whose kept run is long enough, the
# decisions, the overview link, and the savepoint of the atomic request.
QUERIES = 11
