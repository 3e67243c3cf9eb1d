from django.test import TestCase

from members.models import Member
from organizations.models import OrganizationKind
from reviews import services
from reviews.models import CycleExclusion, CycleJob, Regime, Review, ReviewCycle
from reviews.tasks import open_cycle_task

from ..factories import MemberFactory, OrganizationFactory, UserFactory


class OpenCycleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.committee = OrganizationFactory(
            code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        cls.ward = OrganizationFactory(
            code="P01", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=cls.committee
        )
        cls.cell = OrganizationFactory(code="P01.1", parent=cls.ward)
        cls.group = OrganizationFactory(
            code="P01.1.T", kind=OrganizationKind.PARTY_GROUP, parent=cls.cell
        )
        cls.school = OrganizationFactory(
            code="C01", kind=OrganizationKind.GRASSROOTS_CELL, parent=cls.committee
        )
        cls.secretary = MemberFactory(
            organization=cls.cell, party_post="Bí thư chi bộ", full_name="Lê Văn Bí"
        )
        cls.deputy = MemberFactory(
            organization=cls.cell, party_post="Phó Bí thư chi bộ", full_name="Lê Phó"
        )
        cls.leader = MemberFactory(
            organization=cls.cell, is_leader=True, government_post="Chủ tịch UBND"
        )
        cls.plain = MemberFactory(organization=cls.school)
        cls.exempt = MemberFactory(
            organization=cls.cell, status=Member.Status.EXEMPT, status_note="Tuổi cao"
        )
        cls.moved = MemberFactory(
            organization=cls.school, status=Member.Status.TRANSFERRED
        )
        cls.cycle = ReviewCycle.objects.create(
            name="Năm 2026",
            year=2026,
            starts_on="2026-01-01",
            ends_on="2026-12-31",
            regime=Regime.objects.get(code="qd366"),
            superior=cls.committee,
        )

    def open(self):
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))

    def test_one_review_per_organization_and_per_reviewable_member(self):
        self.open()
        collectives = self.cycle.reviews.filter(kind=Review.Kind.ORGANIZATION)
        self.assertEqual(
            set(collectives.values_list("organization__code", flat=True)),
            {"P01", "P01.1", "C01"},
        )
        individuals = self.cycle.reviews.filter(kind=Review.Kind.INDIVIDUAL)
        self.assertEqual(
            set(individuals.values_list("member_id", flat=True)),
            {self.secretary.pk, self.deputy.pk, self.leader.pk, self.plain.pk},
        )

    def test_exclusions_keep_their_reason(self):
        self.open()
        reasons = dict(
            CycleExclusion.objects.filter(cycle=self.cycle).values_list(
                "member_id", "reason"
            )
        )
        self.assertEqual(
            reasons, {self.exempt.pk: "exempt", self.moved.pk: "transferred"}
        )
        self.assertEqual(
            CycleExclusion.objects.get(member=self.exempt).note, "Tuổi cao"
        )

    def test_running_twice_creates_nothing_twice(self):
        self.open()
        first = (Review.objects.count(), CycleExclusion.objects.count())
        self.open()
        self.assertEqual(
            (Review.objects.count(), CycleExclusion.objects.count()), first
        )

    def test_leader_gets_the_leader_form_and_a_leadership_review(self):
        self.open()
        review = self.cycle.reviews.get(member=self.leader)
        self.assertEqual(review.template.code, "2B")
        self.assertEqual(review.leadership_review.kind, Review.Kind.LEADERSHIP)
        self.assertEqual(review.leadership_review.organization, self.ward)
        self.assertEqual(self.cycle.reviews.get(member=self.plain).template.code, "2A")

    def test_the_cell_and_posts_are_kept_as_they_were(self):
        self.open()
        self.secretary.organization = self.school
        self.secretary.party_post = ""
        self.secretary.save()
        review = self.cycle.reviews.get(member=self.secretary)
        self.assertEqual(review.organization, self.cell)
        self.assertEqual(review.party_post, "Bí thư chi bộ")
        self.assertEqual(review.meeting_rank, Review.Rank.HEAD)
        self.assertEqual(
            self.cycle.reviews.get(member=self.deputy).meeting_rank, Review.Rank.DEPUTY
        )

    def test_the_task_opens_the_cycle_and_records_who(self):
        staff = UserFactory(username="btc")
        job = CycleJob.objects.create(cycle=self.cycle, requested_by=staff)
        open_cycle_task.delay(job.pk)
        job.refresh_from_db()
        self.cycle.refresh_from_db()
        self.assertEqual(job.status, CycleJob.Status.DONE)
        self.assertEqual(job.progress, job.total)
        self.assertEqual(self.cycle.status, ReviewCycle.Status.SELF_REVIEW)
        self.assertEqual(self.cycle.history.first().history_user, staff)

    def test_a_claimed_job_is_not_run_twice(self):
        job = CycleJob.objects.create(cycle=self.cycle, status=CycleJob.Status.DONE)
        open_cycle_task.delay(job.pk)
        self.assertFalse(self.cycle.reviews.exists())

    def test_party_group_members_are_reviewed_in_their_cell(self):
        grouped = MemberFactory(organization=self.group)
        self.open()
        self.assertEqual(self.cycle.reviews.get(member=grouped).organization, self.cell)

    def test_opening_is_refused_when_the_regime_has_no_member_form(self):
        from reviews.models import FormTemplate

        FormTemplate.objects.filter(
            regime=self.cycle.regime, audience="member"
        ).delete()
        with self.assertRaises(services.TransitionRefused):
            services.request_cycle_opening(self.cycle, UserFactory(username="x"))
        self.assertFalse(CycleJob.objects.exists())
