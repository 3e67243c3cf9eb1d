import datetime

from django.test import TestCase
from django.urls import reverse

from members.models import Member
from reviews import ratings, services
from reviews.models import CycleJob, Rating, Regime, ReviewCycle
from reviews.ratings.views import group_rank

from ..factories import MemberFactory, OrganizationFactory
from .test_decisions_decide import DecisionsTestCase


class DecideGroupListTests(DecisionsTestCase):
    url_name = "reviews:decide"

    def decide(self, reviews, code):
        for review in reviews:
            ratings.record_rating(
                review, Rating.Stage.DECISION, self.level(code), self.staff, reason="x"
            )

    def summaries(self, user=None):
        self.client.force_login(user or self.staff)
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        return response, {s["group"].key: s for s in response.context["summaries"]}

    def test_lists_the_groups_organizations_first_and_members_after(self):
        response, _ = self.summaries()
        keys = [s["group"].key for s in response.context["summaries"]]
        self.assertEqual(keys, ["type-phuong", self.cells_key, self.members_key])
        self.assertContains(response, f"?group={self.members_key}")

    def test_shows_subjects_decided_and_the_quota_meter(self):
        self.decide(self.members[:5], "HTTNV")
        self.decide(self.members[5:6], "HTXSNV")

        _response, summaries = self.summaries()

        members = summaries[self.members_key]
        self.assertEqual((members["subjects"], members["done"]), (10, 6))
        meter = members["meter"]
        self.assertEqual((meter.allowed, meter.excellent, meter.over), (1, 1, False))

    def test_highlights_a_group_over_the_quota(self):
        self.decide(self.members[:4], "HTTNV")
        self.decide(self.members[4:6], "HTXSNV")

        response, summaries = self.summaries()

        meter = summaries[self.members_key]["meter"]
        self.assertEqual((meter.allowed, meter.excellent, meter.over), (0, 2, True))
        self.assertContains(response, "decision-group is-over", count=1)
        self.assertEqual(response.context["over"], 1)

    def test_leaders_come_after_the_collectives_they_lead(self):
        keys = ["leaders", "members-x", "leadership", "cells-x", "type-x"]
        ordered = sorted((ratings.Group(key, "") for key in keys), key=group_rank)
        self.assertEqual(
            [group.key for group in ordered],
            ["type-x", "cells-x", "leadership", "members-x", "leaders"],
        )

    def test_leader_reads_the_list(self):
        _response, summaries = self.summaries(self.leader)
        self.assertEqual(summaries[self.members_key]["subjects"], 10)

    def test_a_secretary_gets_403(self):
        self.client.force_login(self.secretary_a)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_outsider_gets_404(self):
        self.client.force_login(self.stranger())
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_a_post_without_a_group_is_not_found(self):
        self.client.force_login(self.staff)
        self.assertEqual(self.client.post(self.url(), {}).status_code, 404)

    def test_ten_subjects_cost_the_same_queries(self):
        self.assert_list_queries(10)

    def test_five_hundred_subjects_cost_the_same_queries(self):
        self.assert_list_queries(500)

    def assert_list_queries(self, size):
        ward = OrganizationFactory(
            code=f"P{size}",
            kind="grassroots_committee",
            parent=self.committee,
        )
        cell = OrganizationFactory(code=f"P{size}.A", parent=ward)
        people = []
        for number in range(size):
            member = Member(
                full_name=f"Lê Văn Số {number}",
                gender=Member.Gender.MALE,
                date_of_birth=datetime.date(1980, 1, 1),
                card_number=f"L{size:03d}{number:06d}",
                admitted_on=datetime.date(2000, 1, 1),
                full_member_on=datetime.date(2001, 1, 1),
                standing=Member.Standing.FULL,
                organization=cell,
            )
            member.refresh_keys()
            people.append(member)
        Member.objects.bulk_create(people)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        good = self.level("HTTNV")
        Rating.objects.bulk_create(
            Rating(
                review=review,
                stage="decision",
                level=good,
                set_at="2026-12-20T08:00:00Z",
            )
            for review in self.cycle.reviews.filter(organization=cell)
        )
        self.client.force_login(self.staff)
        # One query more since the exemptions from rating (never counted), two
        # for the cycle's posts and leaders that group leaders by post level.
        with self.assertNumQueries(12):
            response = self.client.get(self.url())
        summary = next(
            s
            for s in response.context["summaries"]
            if s["group"].key == f"members-{ward.public_id}"
        )
        self.assertEqual(summary["done"], size)


class AppraiseGroupListTests(DecisionsTestCase):
    url_name = "reviews:appraise"

    def test_a_secretary_sees_the_groups_of_their_cell(self):
        self.client.force_login(self.secretary_a)

        response = self.client.get(self.url())

        summaries = {s["group"].key: s for s in response.context["summaries"]}
        self.assertEqual(set(summaries), {self.cells_key, self.members_key})
        self.assertEqual(summaries[self.members_key]["subjects"], 9)
        self.assertContains(
            response,
            reverse("reviews:appraise", args=[self.cycle.public_id])
            + f"?group={self.members_key}",
        )

    def test_the_meter_counts_the_latest_proposals(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        members = next(
            s
            for s in response.context["summaries"]
            if s["group"].key == self.members_key
        )
        self.assertEqual((members["meter"].good, members["meter"].allowed), (8, 1))
        self.assertEqual(members["done"], 0)

    def test_a_member_without_a_role_gets_403(self):
        self.client.force_login(self.member_user)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_outsider_gets_404(self):
        self.client.force_login(self.stranger())
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_outside_meetings_and_appraisal_the_list_says_so(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status="decided")
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        self.assertIsNotNone(response.context["closed_note"])


class NestedCommitteeGroupTests(TestCase):
    """Thành ủy → Đảng ủy Khối → a grassroots committee → a cell: the Khối is
    reviewed and decided (docs/process.md §6.4), so it needs a group; it was in
    none, and the cycle could not reach "decided" without exempting it."""

    @classmethod
    def setUpTestData(cls):
        city = OrganizationFactory(code="TU", kind="superior", org_type=None)
        cls.bloc = OrganizationFactory(
            code="TU.K", name="Đảng ủy Khối cơ quan", kind="superior", parent=city
        )
        grassroots = OrganizationFactory(
            code="TU.K.1", kind="grassroots_committee", parent=cls.bloc
        )
        cell = OrganizationFactory(code="TU.K.1.1", parent=grassroots)
        MemberFactory(organization=cell)
        cls.cycle = ReviewCycle.objects.create(
            name="Năm 2024",
            year=2024,
            starts_on="2024-01-01",
            ends_on="2024-12-31",
            regime=Regime.objects.get(code="qd124"),
            superior=city,
        )
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))

    def test_every_subject_of_the_cycle_is_in_a_group(self):
        groups = ratings.comparison_groups(self.cycle)
        grouped = {subject.pk for group in groups.values() for subject in group.reviews}
        self.assertEqual(grouped, set(self.cycle.reviews.values_list("pk", flat=True)))
        (bloc,) = groups["superior"].reviews
        self.assertEqual(bloc.organization_id, self.bloc.pk)
        self.assertEqual(str(groups["superior"].name), "Đảng bộ cấp trên cơ sở")
        self.assertEqual(min(groups.values(), key=group_rank).key, "superior")
