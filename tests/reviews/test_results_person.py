from django.conf import settings
from django.urls import reverse

from organizations.models import Role
from reviews.models import Rating, ReviewCycle

from ..factories import MemberFactory, UserFactory, grant
from ..personas import PersonasTestCase
from .test_results_organization import make_cycle, rate

Stage = Rating.Stage
Status = ReviewCycle.Status


class PersonResultsTests(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.cycles = {
            2023: make_cycle(cls.committee, 2023),
            2024: make_cycle(cls.committee, 2024),
        }
        # Admitted in 2025: reviewed in one cycle only.
        cls.newcomer = MemberFactory(full_name="Phạm Thị Dung", organization=cls.cell_a)
        cls.cycles[2025] = make_cycle(cls.committee, 2025, status=Status.DECIDED)
        for year, code in ((2023, "HTTNV"), (2024, "HTXSNV")):
            review = cls.cycles[year].reviews.get(member=cls.member_a)
            rate(review, "HTTNV", Stage.SELF)
            rate(review, code, Stage.MEETING)
            rate(review, code, assessment=f"Nhận xét của Ban Thường vụ năm {year}.")
        current = cls.cycles[2025].reviews.get(member=cls.member_a)
        rate(current, "HTXSNV", Stage.SELF, score=92)
        rate(current, "HTTNV", Stage.APPRAISAL, reason="Chỉ tiêu của chi bộ đã đủ")
        rate(current, "HTTNV", assessment="Nhận xét chưa công bố.")

    def url(self, member=None):
        member = member or self.member_a
        return reverse("reviews:person_results", args=[member.public_id])

    def test_the_member_sees_each_year_newest_first_with_the_assessment(self):
        self.client.force_login(self.member_user)
        response = self.client.get(self.url())
        reviews = response.context["reviews"]
        self.assertEqual([r.cycle.year for r in reviews], [2025, 2024, 2023])
        self.assertEqual(
            [(r.outcome.code, r.outcome.final) for r in reviews],
            [("HTTNV", False), ("HTXSNV", True), ("HTTNV", True)],
        )
        self.assertContains(response, "Nhận xét của Ban Thường vụ năm 2024.")
        self.assertContains(response, "Nhận xét của Ban Thường vụ năm 2023.")
        self.assertEqual(
            [rating.level.code if rating else None for _s, rating in reviews[1].chain],
            ["HTTNV", "HTXSNV", None, "HTXSNV"],
        )

    def test_a_decision_not_yet_published_stays_hidden_from_the_member(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.client.force_login(self.member_user)
        response = self.client.get(self.url())
        self.assertNotContains(response, "Nhận xét chưa công bố.")
        self.assertContains(response, "Chỉ tiêu của chi bộ đã đủ")
        self.assertContains(response, "Announced when the results are published.")

    def test_staff_see_the_decision_before_publication(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        self.assertTrue(response.context["reviews"][0].outcome.final)
        self.assertContains(response, "Nhận xét chưa công bố.")

    def test_the_secretary_of_the_cell_sees_the_member_and_links_to_the_cell(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response,
            reverse(
                "reviews:organization_results",
                args=[self.cycles[2024].public_id, self.cell_a.public_id],
            ),
        )

    def test_the_member_gets_no_link_to_the_cell_results(self):
        self.client.force_login(self.member_user)
        response = self.client.get(self.url())
        self.assertNotContains(response, "/results/" + str(self.cell_a.public_id))

    def test_outsider_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_another_member_gets_404(self):
        self.client.force_login(self.member_user)
        self.assertEqual(
            self.client.get(self.url(self.other_member_a)).status_code, 404
        )

    def test_read_only_leader_reads_but_cannot_post(self):
        self.client.force_login(self.leader)
        self.assertEqual(self.client.get(self.url()).status_code, 200)
        self.assertEqual(self.client.post(self.url()).status_code, 405)

    def test_query_count_does_not_grow_with_the_years(self):
        one_year = UserFactory(username="btc")
        grant(one_year, self.committee, Role.Kind.STAFF)
        self.client.force_login(one_year)
        with self.assertNumQueries(QUERIES):
            self.client.get(self.url(self.newcomer))  # one cycle
        with self.assertNumQueries(QUERIES):
            self.client.get(self.url())  # three cycles, eight ratings


# Session, user, member, reviews, roles for unpublished cycles, ratings, and
# the savepoint of the atomic request.
QUERIES = 8
