import datetime
from collections import Counter

from django.conf import settings
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from members.models import Member, Post, PostKind
from organizations.models import OrganizationKind, Role
from reviews import ratings
from reviews.guards import closed_cycle_writes
from reviews.models import CycleJob, Rating, RatingLevel, Regime, Review, ReviewCycle
from reviews.services import open_cycle

from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from ..personas import PersonasTestCase

Stage = Rating.Stage
Status = ReviewCycle.Status


def regime_code(year):
    return "qd132" if year <= 2022 else "qd124" if year <= 2024 else "qd366"


def make_cycle(committee, year, status=Status.LOCKED):
    """An opened yearly cycle of the committee, every subject with a review."""
    cycle = ReviewCycle.objects.create(
        name=f"Kiểm điểm năm {year}",
        year=year,
        starts_on=datetime.date(year, 1, 1),
        ends_on=datetime.date(year, 12, 31),
        regime=Regime.objects.get(code=regime_code(year)),
        superior=committee,
        status=status,
    )
    open_cycle(CycleJob.objects.create(cycle=cycle))
    return cycle


def rate(review, code, stage=Stage.DECISION, **details):
    level = RatingLevel.objects.get(regime=review.cycle.regime_id, code=code)
    with closed_cycle_writes():  # history of a published or locked cycle
        return Rating.objects.create(
            review=review, stage=stage, level=level, set_at=timezone.now(), **details
        )


def bulk_members(cell, count, start=0):
    rows = []
    for number in range(start, start + count):
        member = Member(
            full_name=f"Nguyễn Văn Số{number}",
            gender=Member.Gender.MALE,
            date_of_birth=datetime.date(1980, 1, 1),
            card_number=f"9{number:07d}",
            admitted_on=datetime.date(2005, 1, 1),
            full_member_on=datetime.date(2006, 1, 1),
            standing=Member.Standing.FULL,
            organization=cell,
        )
        member.refresh_keys()
        rows.append(member)
    return Member.objects.bulk_create(rows)


def bulk_rate(reviews, codes, stage=Stage.DECISION):
    regime = reviews[0].cycle.regime_id
    levels = {level.code: level for level in RatingLevel.objects.filter(regime=regime)}
    Rating.objects.bulk_create(
        Rating(review=r, stage=stage, level=levels[c], set_at=timezone.now())
        for r, c in zip(reviews, codes, strict=True)
    )
    # As the app's bulk writers do: each review keeps a copy of its outcome.
    ratings.refresh_outcomes(Review.objects.filter(pk__in=[r.pk for r in reviews]))


class OrganizationResultsTests(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.extra = bulk_members(cls.cell_a, 10)
        cls.cycle = make_cycle(cls.committee, 2025, status=Status.PUBLISHED)
        reviews = cls.cycle.reviews
        cls.cell_review = reviews.get(organization=cls.cell_a, kind="organization")
        rate(cls.cell_review, "HTXSNV", Stage.MEETING)
        rate(cls.cell_review, "HTTNV", Stage.APPRAISAL, reason="Chưa đủ tiêu chí")
        rate(
            cls.cell_review,
            "HTTNV",
            assessment="Chi bộ hoàn thành tốt nhiệm vụ năm 2025.",
        )
        cls.cell_b_review = reviews.get(organization=cls.cell_b, kind="organization")
        rate(cls.cell_b_review, "HTNV", Stage.MEETING)
        members_a = list(
            reviews.filter(organization=cls.cell_a, kind="individual").order_by("pk")
        )
        # 12 members of cell A: 2 HTXSNV, 8 HTTNV, 1 HTNV decided; one proposed.
        decided = ["HTXSNV", "HTXSNV"] + ["HTTNV"] * 8 + ["HTNV"]
        bulk_rate(members_a[:11], decided)
        rate(members_a[11], "KHTNV", Stage.MEETING)
        cls.proposed_only = members_a[11]
        rate(reviews.get(member=cls.member_b), "HTTNV")

    def url(self, organization=None, cycle=None):
        organization = organization or self.cell_a
        cycle = cycle or self.cycle
        return reverse(
            "reviews:organization_results",
            args=[cycle.public_id, organization.public_id],
        )

    def shown_counts(self, response):
        return {
            row.level.code: (row.decided, row.proposed)
            for row in response.context["counts"].rows
        }

    def test_counts_per_level_equal_the_ratings_of_the_members(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url())
        reviews = Review.objects.filter(cycle=self.cycle, organization=self.cell_a)
        decided = Counter(
            Rating.objects.filter(
                review__in=reviews.individuals(), stage=Stage.DECISION
            ).values_list("level__code", flat=True)
        )
        proposed = Counter(
            Rating.objects.filter(review=self.proposed_only).values_list(
                "level__code", flat=True
            )
        )
        self.assertEqual(
            self.shown_counts(response),
            {
                code: (decided[code], proposed[code])
                for code in ("HTXSNV", "HTTNV", "HTNV", "KHTNV")
            },
        )
        self.assertEqual(
            response.context["counts"].total, reviews.individuals().count()
        )
        self.assertContains(
            response,
            '<td class="text-end fw-semibold">8</td>',
        )

    def test_the_organization_shows_its_decision_with_the_whole_chain(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url())
        (collective,) = response.context["collectives"]
        self.assertTrue(collective.outcome.final)
        self.assertEqual(collective.outcome.code, "HTTNV")
        self.assertEqual(
            [rating.level.code if rating else None for _s, rating in collective.chain],
            [None, "HTXSNV", "HTTNV", "HTTNV"],
        )
        self.assertContains(response, "Chưa đủ tiêu chí")
        self.assertContains(response, "Chi bộ hoàn thành tốt nhiệm vụ năm 2025.")

    def test_without_a_decision_the_latest_proposal_is_marked_not_final(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.client.force_login(self.secretary_b)
        response = self.client.get(self.url(self.cell_b))
        (collective,) = response.context["collectives"]
        self.assertFalse(collective.outcome.final)
        self.assertEqual(collective.outcome.code, "HTNV")
        self.assertContains(response, "proposed, not final")

    def test_quota_use_counts_the_members_group_of_the_grassroots_organization(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        quota = response.context["quota"]
        # The group the members of the ward (both cells) are decided in,
        # leaders apart under the regime's default grouping.
        group = next(
            group
            for group in ratings.comparison_groups(self.cycle).values()
            if self.cell_review.pk not in {s.pk for s in group.reviews}
            and any(s.organization_id == self.cell_b.pk for s in group.reviews)
        )
        self.assertEqual(group.key, f"members-{self.ward.public_id}")
        self.assertEqual(quota.group, group.name)
        reviews = [subject.pk for subject in group.reviews]
        self.assertEqual(
            set(reviews),
            set(
                Review.objects.filter(
                    cycle=self.cycle,
                    kind="individual",
                    is_leader=False,
                    organization__parent=self.ward,
                ).values_list("pk", flat=True)
            ),
        )
        ratings_ = {
            r.review_id: r.level.code
            for r in Rating.objects.filter(review__in=reviews).select_related("level")
        }
        good = list(ratings_.values()).count("HTTNV")
        self.assertEqual(quota.good, good)
        self.assertEqual(quota.excellent, 2)
        self.assertEqual(quota.allowed, good * 20 // 100)
        self.assertEqual(quota.total, len(reviews))
        self.assertTrue(quota.provisional)  # one subject only proposed

    def test_the_ward_lists_its_cells_with_their_members_per_level(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url(self.ward))
        children = {c.organization: c for c in response.context["children"]}
        self.assertEqual(set(children), {self.cell_a, self.cell_b})
        self.assertEqual(children[self.cell_a].outcome.code, "HTTNV")
        self.assertEqual(children[self.cell_a].member_counts.count("HTXSNV"), 2)
        self.assertEqual(children[self.cell_b].member_counts.count("HTTNV"), 1)
        self.assertEqual(
            response.context["counts"].total,
            Review.objects.filter(cycle=self.cycle, kind="individual").count(),
        )
        self.assertContains(response, self.url(self.cell_a))

    def test_members_link_to_their_results_across_years(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url())
        self.assertContains(
            response,
            reverse("reviews:person_results", args=[self.member_a.public_id]),
        )

    def test_decisions_stay_hidden_from_the_secretary_until_published(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status=Status.DECIDED)
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url())
        (collective,) = response.context["collectives"]
        self.assertFalse(collective.outcome.final)
        self.assertEqual(collective.outcome.code, "HTTNV")  # the appraisal
        self.assertNotContains(response, "Chi bộ hoàn thành tốt nhiệm vụ năm 2025.")
        self.assertEqual(self.shown_counts(response)["HTXSNV"], (0, 0))
        self.client.force_login(self.staff)
        response = self.client.get(self.url())
        self.assertTrue(response.context["collectives"][0].outcome.final)

    def test_outsider_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_member_without_a_role_gets_404(self):
        self.client.force_login(self.member_user)
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_organization_of_another_committee_gets_404(self):
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        cell = OrganizationFactory(code="TU2.A", parent=other)
        self.client.force_login(self.staff)
        self.assertEqual(self.client.get(self.url(cell)).status_code, 404)

    def test_read_only_leader_reads_but_cannot_post(self):
        self.client.force_login(self.leader)
        self.assertEqual(self.client.get(self.url()).status_code, 200)
        self.assertEqual(self.client.post(self.url()).status_code, 405)

    def test_anonymous_is_sent_to_log_in(self):
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 302)


Grouping = Regime.QuotaGrouping


class QuotaGroupingTests(PersonasTestCase):
    """Under every grouping the results page's meter counts the group the
    decisions of the organization's members are checked against, as the
    decide page counts it."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        bulk_members(cls.cell_a, 10)
        # The ward's secretary, a leader reviewed in cell A.
        cls.head = MemberFactory(
            full_name="Bí thư Đảng ủy", organization=cls.cell_a, is_leader=True
        )
        Post.objects.create(
            member=cls.head, organization=cls.ward, kind=PostKind.SECRETARY
        )
        # Another ward, whose members only "post level" compares with these.
        ward2 = OrganizationFactory(
            code="P02",
            name="Đảng bộ phường Thắng Lợi",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=cls.committee,
        )
        cell_c = OrganizationFactory(code="P02.A", parent=ward2)
        bulk_members(cell_c, 5, start=100)
        cls.cycle = make_cycle(cls.committee, 2025, status=Status.PUBLISHED)
        reviews = cls.cycle.reviews.individuals()
        ward1 = list(
            reviews.filter(organization__parent=cls.ward, is_leader=False).order_by(
                "pk"
            )
        )
        # 13 members: 2 HTXSNV, 10 HTTNV, 1 HTNV; the head HTXSNV; the other
        # ward's 5 members HTTNV.
        bulk_rate(ward1, ["HTXSNV", "HTXSNV"] + ["HTTNV"] * 10 + ["HTNV"])
        bulk_rate([reviews.get(member=cls.head)], ["HTXSNV"])
        bulk_rate(list(reviews.filter(organization=cell_c)), ["HTTNV"] * 5)
        cls.member_review = reviews.get(member=cls.member_a)

    def meters(self, grouping):
        """(results page's quota, decide page's meter, the decide page's group)."""
        Regime.objects.filter(pk=self.cycle.regime_id).update(quota_grouping=grouping)
        self.cycle.refresh_from_db()
        groups = ratings.comparison_groups(self.cycle)
        group = next(
            g
            for g in groups.values()
            if self.member_review.pk in {s.pk for s in g.reviews}
        )
        self.client.force_login(self.staff)
        results = self.client.get(
            reverse(
                "reviews:organization_results",
                args=[self.cycle.public_id, self.cell_a.public_id],
            )
        )
        decide = self.client.get(
            reverse("reviews:decide", args=[self.cycle.public_id]),
            {"group": group.key},
        )
        quota, meter = results.context["quota"], decide.context["meter"]
        self.assertEqual(quota.group, str(decide.context["group"].name))
        self.assertEqual(
            (quota.excellent, quota.good, quota.allowed),
            (meter.excellent, meter.good, meter.allowed),
        )
        self.assertFalse(quota.provisional)
        return quota, results

    def test_by_type_of_organization_the_wards_members_without_its_leaders(self):
        quota, results = self.meters(Grouping.ORGANIZATION_TYPE)
        self.assertEqual(quota.key, f"members-{self.ward.public_id}")
        self.assertEqual((quota.excellent, quota.good, quota.total), (2, 10, 13))
        self.assertFalse(quota.over)  # 20% of 10 is 2: 2 are allowed
        self.assertContains(results, "được so sánh trong nhóm cán bộ lãnh đạo")

    def test_by_grassroots_organization_the_wards_members_with_its_leaders(self):
        quota, results = self.meters(Grouping.GRASSROOTS_ORGANIZATION)
        self.assertEqual(quota.key, f"members-{self.ward.public_id}")
        self.assertEqual((quota.excellent, quota.good, quota.total), (3, 10, 14))
        self.assertTrue(quota.over)
        self.assertContains(results, "so sánh cùng với đảng viên của tổ chức đó")

    def test_by_post_level_the_members_of_the_whole_cycle(self):
        quota, results = self.meters(Grouping.POST_LEVEL)
        self.assertEqual(quota.key, "members")
        self.assertEqual((quota.excellent, quota.good, quota.total), (2, 15, 18))
        self.assertEqual(quota.allowed, 3)
        self.assertFalse(quota.over)
        # The same group on the committee's own page, which spans both wards.
        response = self.client.get(
            reverse(
                "reviews:organization_results",
                args=[self.cycle.public_id, self.committee.public_id],
            )
        )
        self.assertEqual(response.context["quota"].key, "members")


# The same number of queries whatever the number of members (one page shown),
# counting the savepoint of the atomic request and the look-up of the
# organizations it continues (none here). The quota's comparison group takes
# six: the cycle's groups (its tree, posts, leadership collectives and
# subjects), the organizations under the page's and the exemptions.
QUERIES = 26


class OrganizationResultsQueryTests(TestCase):
    def build(self, members):
        committee = OrganizationFactory(
            code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        ward = OrganizationFactory(
            code="P01", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
        )
        cells = [OrganizationFactory(code=f"P01.{n}", parent=ward) for n in range(2)]
        bulk_members(cells[0], members - members // 2)
        bulk_members(cells[1], members // 2, start=members)
        cycle = make_cycle(committee, 2025, status=Status.PUBLISHED)
        reviews = list(cycle.reviews.order_by("pk"))
        codes = ["HTXSNV", "HTTNV", "HTTNV", "HTNV", "KHTNV"]
        bulk_rate(reviews, [codes[i % 5] for i in range(len(reviews))])
        user = UserFactory(username="btc")
        grant(user, committee, Role.Kind.STAFF)
        self.client.force_login(user)
        return reverse(
            "reviews:organization_results", args=[cycle.public_id, ward.public_id]
        )

    def assert_queries(self, members):
        url = self.build(members)
        with self.assertNumQueries(QUERIES):
            response = self.client.get(url)
        self.assertEqual(response.context["counts"].total, members)
        self.assertEqual(len(response.context["members"]), min(members, 100))

    def test_query_count_with_10_members(self):
        self.assert_queries(10)

    def test_query_count_with_500_members(self):
        self.assert_queries(500)
