from django.conf import settings
from django.urls import reverse

from members.models import Member
from organizations.models import OrganizationKind, Role
from reviews import services
from reviews.models import CycleJob, Meeting, Review, ReviewCycle

from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from ..personas import CyclePersonasTestCase


class CycleOverviewTests(CyclePersonasTestCase):
    def url(self):
        return reverse("reviews:cycle", args=[self.cycle.public_id])

    def test_staff_see_the_status_and_the_next_step(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        self.assertContains(response, 'aria-current="step"', count=1)
        self.assertContains(response, "15/12/2026")
        self.assertContains(
            response,
            reverse("reviews:cycle_move", args=[self.cycle.public_id, "meetings"]),
        )
        self.assertContains(response, "Close self-review and start the review meetings")

    def test_counts_collectives_and_individuals_apart(self):
        self.client.force_login(self.staff)
        Review.objects.filter(pk=self.review_a.pk).update(status="submitted")
        response = self.client.get(self.url())
        rows = {row["status"]: row for row in response.context["status_rows"]}
        self.assertEqual(
            response.context["totals"], {"collectives": 3, "individuals": 3}
        )
        self.assertEqual(rows["submitted"]["individuals"], {"count": 1, "share": 33})
        self.assertEqual(rows["new"]["collectives"], {"count": 3, "share": 100})

    def test_lists_grassroots_organizations_with_their_progress(self):
        self.client.force_login(self.staff)
        Review.objects.filter(pk=self.review_a.pk).update(status="submitted")
        ward_review = self.cycle.reviews.get(
            organization=self.ward, kind="organization"
        )
        Meeting.objects.create(review=ward_review, status=Meeting.Status.DONE)
        response = self.client.get(self.url())
        [ward] = response.context["page"]
        self.assertEqual(ward, self.ward)
        self.assertEqual((ward.forms_submitted, ward.forms_total), (1, 6))
        self.assertTrue(ward.meeting_recorded)
        self.assertContains(
            response,
            reverse(
                "reviews:checklist", args=[self.cycle.public_id, self.ward.public_id]
            ),
        )

    def test_shows_who_moved_the_cycle(self):
        self.client.force_login(self.staff)
        self.cycle.status = ReviewCycle.Status.MEETINGS
        self.cycle._history_user = self.staff
        self.cycle.save()
        response = self.client.get(self.url())
        newest = response.context["transitions"][0]
        self.assertEqual((newest.status, newest.history_user), ("meetings", self.staff))

    def test_links_the_exclusions_for_staff(self):
        MemberFactory(organization=self.cell_a, status=Member.Status.EXEMPT)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        self.assertEqual(response.context["exclusion_count"], 1)
        self.assertContains(
            response, reverse("reviews:cycle_exclusions", args=[self.cycle.public_id])
        )

    def test_leader_reads_the_overview_without_the_buttons(self):
        self.client.force_login(self.leader)
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(
            response,
            reverse("reviews:cycle_move", args=[self.cycle.public_id, "meetings"]),
        )

    def test_leader_post_is_refused(self):
        self.client.force_login(self.leader)
        self.assertEqual(self.client.post(self.url()).status_code, 405)

    def test_a_secretary_who_sees_the_cycle_gets_403(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_outsider_gets_404(self):
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        stranger = UserFactory(username="stranger")
        grant(stranger, other, Role.Kind.STAFF)
        self.client.force_login(stranger)
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def draft(self):
        return ReviewCycle.objects.create(
            name="Năm 2027",
            year=2027,
            starts_on="2027-01-01",
            ends_on="2027-12-31",
            regime=self.cycle.regime,
            superior=self.committee,
        )

    def test_shows_the_running_opening_job_instead_of_the_button(self):
        draft = self.draft()
        CycleJob.objects.create(
            cycle=draft, status=CycleJob.Status.RUNNING, total=10, progress=4
        )
        self.client.force_login(self.staff)
        response = self.client.get(reverse("reviews:cycle", args=[draft.public_id]))
        self.assertContains(response, 'value="4" max="10"')
        self.assertContains(response, 'hx-trigger="every 1s"')
        self.assertNotContains(
            response,
            reverse("reviews:cycle_move", args=[draft.public_id, "self_review"]),
        )

    def test_a_failed_opening_can_be_started_again(self):
        draft = self.draft()
        CycleJob.objects.create(
            cycle=draft, status=CycleJob.Status.FAILED, message="disk full"
        )
        self.client.force_login(self.staff)
        response = self.client.get(reverse("reviews:cycle", args=[draft.public_id]))
        self.assertContains(response, "disk full")
        self.assertContains(
            response,
            reverse("reviews:cycle_move", args=[draft.public_id, "self_review"]),
        )

    def test_an_opened_cycle_no_longer_shows_its_job(self):
        CycleJob.objects.create(cycle=self.cycle, status=CycleJob.Status.DONE)
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        self.assertIsNone(response.context["job"])


class CycleOverviewQueryTests(CyclePersonasTestCase):
    """The overview costs the same whatever the number of organizations."""

    # Session, user, cycle, staff check, counts, exclusions, exemptions per kind
    # and the latest ones, organizations and their number, history, and the
    # request's savepoint pair.
    queries = 13

    def assert_constant_queries(self, count):
        for _ in range(count):
            cell = OrganizationFactory(
                kind=OrganizationKind.GRASSROOTS_CELL, parent=self.committee
            )
            MemberFactory(organization=cell)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        self.client.force_login(self.staff)
        with self.assertNumQueries(self.queries):
            response = self.client.get(
                reverse("reviews:cycle", args=[self.cycle.public_id])
            )
        self.assertEqual(response.context["page"].paginator.count, count + 1)
        self.assertEqual(response.context["totals"]["individuals"], count + 3)

    def test_ten_organizations(self):
        self.assert_constant_queries(10)

    def test_five_hundred_organizations(self):
        self.assert_constant_queries(500)
