"""Who heads and leads what comes from the cycle's posts; every decision
re-checks what it can break (docs/process.md §6.4)."""

import datetime
import threading
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.test import TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Post, PostKind
from organizations.models import OrganizationKind, Role
from reviews import ratings, services
from reviews.cycles.states import record_exemptions
from reviews.models import (
    Conclusion,
    CycleJob,
    CyclePost,
    Discipline,
    FocusIndicator,
    IndicatorValue,
    Rating,
    RatingLevel,
    Regime,
    Review,
    ReviewCycle,
    StepExemption,
)
from reviews.services import open_cycle
from reviews.statistics import quota as quota_module

from ..factories import (
    MemberFactory,
    OrganizationFactory,
    UserFactory,
    grant,
    reseed_reference_data,
)
from ..pages import submit

IN_YEAR = datetime.date(2024, 5, 1)


def level(code, regime="qd124"):
    return RatingLevel.objects.get(regime__code=regime, code=code)


def build_ward():
    """A ward's committee with three cells. Its secretary sits in cell 1 (as an
    ordinary member there); each cell has a secretary, not flagged as a leader.
    """
    committee = OrganizationFactory(code="TU", kind="superior", org_type=None)
    ward = OrganizationFactory(
        code="P01",
        name="Đảng bộ phường 1",
        kind="grassroots_committee",
        parent=committee,
    )
    cells = [
        OrganizationFactory(code=f"P01.{n}", name=f"Chi bộ khu phố {n}", parent=ward)
        for n in (1, 2, 3)
    ]
    people = {}
    for n, cell in enumerate(cells, 1):
        people[f"secretary{n}"] = MemberFactory(
            organization=cell, full_name=f"Bí thư {n}"
        )
        people[f"deputy{n}"] = MemberFactory(organization=cell, full_name=f"Phó {n}")
        for i in range(6):
            people[f"member{n}.{i}"] = MemberFactory(
                organization=cell, full_name=f"Đảng viên {n}.{i}"
            )
        Post.objects.create(
            member=people[f"secretary{n}"], organization=cell, kind=PostKind.SECRETARY
        )
        Post.objects.create(
            member=people[f"deputy{n}"], organization=cell, kind=PostKind.DEPUTY
        )
    people["ward_secretary"] = MemberFactory(
        organization=cells[0], full_name="Bí thư Đảng ủy", is_leader=True
    )
    Post.objects.create(
        member=people["ward_secretary"], organization=ward, kind=PostKind.SECRETARY
    )
    cycle = ReviewCycle.objects.create(
        name="Năm 2024",
        year=2024,
        starts_on="2024-01-01",
        ends_on="2024-12-31",
        regime=Regime.objects.get(code="qd124"),
        superior=committee,
    )
    open_cycle(CycleJob.objects.create(cycle=cycle))
    ReviewCycle.objects.filter(pk=cycle.pk).update(status=ReviewCycle.Status.APPRAISAL)
    cycle.refresh_from_db()
    return cycle, ward, cells, people


class LeadershipWorld:
    @classmethod
    def setUpTestData(cls):
        cls.cycle, cls.ward, cls.cells, cls.people = build_ward()
        cls.staff = UserFactory(username="btc")

    def setUp(self):
        self.cycle.refresh_from_db()
        self.cycle.regime.refresh_from_db()

    def review_of(self, key):
        return Review.objects.get(cycle=self.cycle, member=self.people[key])

    def collective(self, organization):
        return Review.objects.get(
            cycle=self.cycle, organization=organization, kind=Review.Kind.ORGANIZATION
        )

    def review_too(self, organization):
        """A collective review for an organization added after the opening."""
        return Review.objects.create(
            cycle=self.cycle,
            kind=Review.Kind.ORGANIZATION,
            organization=organization,
            template=self.collective(self.ward).template,
            subject_name=organization.name,
        )

    def group_of(self, review):
        groups = ratings.comparison_groups(self.cycle)
        return next(
            g for g in groups.values() if review.pk in {s.pk for s in g.reviews}
        )

    def decide(self, review, code, **details):
        return ratings.decide(
            self.cycle,
            self.group_of(review),
            [
                ratings.Decision(
                    Review.objects.get(pk=review.pk), level(code), **details
                )
            ],
            self.staff,
        )

    def refusal(self, review, code, **details):
        with self.assertRaises(ratings.RatingRefused) as refused:
            self.decide(review, code, **details)
        return str(refused.exception)


class PostsAtOpeningTests(LeadershipWorld, TestCase):
    def test_opening_copies_the_posts_held_and_orders_the_meeting_by_them(self):
        ward_head = CyclePost.objects.get(
            cycle=self.cycle, organization=self.ward, kind=PostKind.SECRETARY
        )
        self.assertEqual(ward_head.review, self.review_of("ward_secretary"))
        self.assertEqual(self.review_of("secretary2").meeting_rank, Review.Rank.HEAD)
        self.assertEqual(self.review_of("deputy2").meeting_rank, Review.Rank.DEPUTY)
        # Secretary of the ward, but an ordinary member of the cell reviewing him.
        self.assertEqual(
            self.review_of("ward_secretary").meeting_rank, Review.Rank.MEMBER
        )

    def test_a_post_ended_before_opening_is_not_copied(self):
        self.assertEqual(CyclePost.objects.filter(cycle=self.cycle).count(), 7)
        Post.objects.filter(member=self.people["deputy3"]).update(
            ended_on=datetime.date(2020, 1, 1)
        )
        from reviews.services import posts_held

        held = posts_held(self.cycle)
        self.assertNotIn(self.people["deputy3"].pk, held)
        self.assertIn(self.people["deputy2"].pk, held)


class HeadTests(LeadershipWorld, TestCase):
    def test_the_ward_secretary_is_compared_with_the_ward_not_his_cell(self):
        self.decide(self.collective(self.cells[0]), "HTTNV")
        head = self.review_of("ward_secretary")
        message = self.refusal(head, "HTNV")
        self.assertIn(self.ward.name, message)  # decide the ward first
        self.decide(self.collective(self.ward), "HTNV")
        message = self.refusal(head, "HTTNV")
        self.assertIn("HTNV", message)
        self.assertIn(self.ward.name, message)
        self.assertFalse(
            Rating.objects.filter(review=head, stage=Rating.Stage.DECISION).exists()
        )
        self.decide(head, "HTNV")

    def test_a_head_whose_collective_is_not_rated_is_decided_without_waiting(self):
        """docs/process.md §10: a subject recorded as not rated needs no
        decision, so nobody waits for it (the head waited for ever before)."""
        record_exemptions(
            self.cycle,
            [self.collective(self.ward)],
            StepExemption.Kind.NOT_RATED,
            "Đảng bộ đang kiện toàn",
            self.staff,
        )
        head = self.review_of("ward_secretary")
        self.decide(head, "HTTNV")
        self.assertEqual(
            head.ratings.get(stage=Rating.Stage.DECISION).level.code, "HTTNV"
        )

    def test_a_post_in_the_cycles_own_committee_holds_nobody_back(self):
        """The cycle's committee has no collective review here: a deputy
        secretary of it (a city leader, in a cell) is decided like others."""
        member = self.review_of("member1.0")
        CyclePost.objects.create(
            cycle=self.cycle,
            review=member,
            organization=self.cycle.superior,
            kind=PostKind.DEPUTY,
        )
        self.decide(member, "HTTNV")
        self.assertEqual(
            member.ratings.get(stage=Rating.Stage.DECISION).level.code, "HTTNV"
        )

    def test_a_collective_lowered_below_its_decided_head_is_refused_naming_him(self):
        self.decide(self.collective(self.ward), "HTTNV")
        head = self.review_of("ward_secretary")
        self.decide(head, "HTTNV")
        message = self.refusal(self.collective(self.ward), "HTNV", reason="Giảm")
        self.assertIn("Bí thư Đảng ủy", message)
        self.assertEqual(self.collective(self.ward).ratings.get().level.code, "HTTNV")

    def test_an_overridable_head_rule_says_which_decisions_it_puts_out_of_line(self):
        Regime.objects.filter(code="qd124").update(overridable_rules=["head"])
        self.cycle.regime.refresh_from_db()
        self.decide(self.collective(self.ward), "HTTNV")
        self.decide(self.review_of("ward_secretary"), "HTTNV")
        self.refusal(self.collective(self.ward), "HTNV", reason="Giảm")
        [rating] = self.decide(
            self.collective(self.ward),
            "HTNV",
            reason="Giảm",
            override_reason="Quyết định của Ban Thường vụ",
        )
        self.assertEqual(rating.overridden_rules, ["head"])
        self.assertEqual(len(rating.out_of_line), 1)
        self.assertIn("Bí thư Đảng ủy", rating.out_of_line[0])

    def test_a_deputy_is_capped_by_the_unit_they_lead_per_the_regime(self):
        Regime.objects.filter(code="qd124").update(
            leader_unit_minimums={"HTXSNV": "HTTNV"}
        )
        self.cycle.regime.refresh_from_db()
        self.decide(self.collective(self.cells[1]), "HTNV")
        message = self.refusal(self.review_of("deputy2"), "HTXSNV")
        self.assertIn("Chi bộ khu phố 2", message)
        self.decide(self.review_of("deputy2"), "HTTNV")

    def test_a_unit_rated_fail_makes_its_leaders_fail(self):
        self.decide(self.collective(self.cells[2]), "KHTNV")
        self.refusal(self.review_of("deputy3"), "HTNV")
        self.decide(self.review_of("deputy3"), "KHTNV")

    def head_of_a_second_organization(self):
        """The ward's secretary heads the ward's office cell as well."""
        office = OrganizationFactory(
            code="P01.9", name="Chi bộ Văn phòng Đảng ủy", parent=self.ward
        )
        self.review_too(office)
        CyclePost.objects.create(
            cycle=self.cycle,
            review=self.review_of("ward_secretary"),
            organization=office,
            kind=PostKind.SECRETARY,
        )
        return office

    def assert_undecided(self, review):
        self.assertFalse(
            Rating.objects.filter(review=review, stage=Rating.Stage.DECISION).exists()
        )

    def test_a_head_of_two_organizations_is_capped_by_the_lower_one(self):
        office = self.head_of_a_second_organization()
        head = self.review_of("ward_secretary")
        self.decide(self.collective(self.ward), "HTTNV")
        # Both collectives are decided before him.
        message = self.refusal(head, "HTNV")
        self.assertIn("cần quyết định xếp loại Chi bộ Văn phòng Đảng ủy trước", message)
        self.decide(self.collective(office), "HTNV")
        message = self.refusal(head, "HTTNV")
        self.assertIn("Người đứng đầu ≤ tập thể: Chi bộ Văn phòng Đảng ủy", message)
        self.assertNotIn(self.ward.name, message)
        self.assert_undecided(head)
        self.decide(head, "HTNV")
        # Lowering either collective below him is refused, naming him.
        message = self.refusal(self.collective(office), "KHTNV", reason="Giảm")
        self.assertIn("Bí thư Đảng ủy", message)
        self.assertEqual(self.collective(office).ratings.get().level.code, "HTNV")

    def test_a_head_of_two_organizations_is_capped_by_the_other_one_too(self):
        office = self.head_of_a_second_organization()
        head = self.review_of("ward_secretary")
        self.decide(self.collective(office), "HTTNV")
        self.decide(self.collective(self.ward), "HTNV")
        message = self.refusal(head, "HTTNV")
        self.assertIn(f"Người đứng đầu ≤ tập thể: {self.ward.name}", message)
        self.assertNotIn(office.name, message)
        self.assert_undecided(head)
        self.decide(head, "HTNV")


class LeaderUnitDependentsTests(LeadershipWorld, TestCase):
    """Lowering a collective re-checks its decided leaders (rule 5), not only
    its head."""

    def test_lowering_a_cell_below_what_its_decided_deputy_needs_is_refused(self):
        Regime.objects.filter(code="qd124").update(
            leader_unit_minimums={"HTXSNV": "HTTNV"}
        )
        self.cycle.regime.refresh_from_db()
        cell = self.collective(self.cells[1])
        self.decide(cell, "HTTNV")
        deputy = self.review_of("deputy2")
        # Room in his group's quota: 1 HTXSNV for 5 HTTNV.
        members = [self.review_of(f"member2.{i}") for i in range(5)]
        ratings.decide(
            self.cycle,
            self.group_of(deputy),
            [ratings.Decision(r, level("HTTNV")) for r in members],
            self.staff,
        )
        self.decide(deputy, "HTXSNV")
        message = self.refusal(cell, "HTNV", reason="Giảm")
        self.assertIn(
            "Chi bộ khu phố 2 không thể xếp loại HTNV: Phó 2 đã được quyết định "
            "xếp loại HTXSNV. Đơn vị phụ trách",
            message,
        )
        self.assertEqual(cell.ratings.get().level.code, "HTTNV")
        self.assertEqual(deputy.ratings.get().level.code, "HTXSNV")
        # Once the deputy is decided lower, the cell may be lowered.
        self.decide(deputy, "HTTNV", reason="Điều chỉnh")
        self.decide(cell, "HTNV", reason="Giảm")

    def test_lowering_a_ward_to_fail_is_refused_naming_its_collectives_leader(self):
        leadership = Review.objects.get(
            cycle=self.cycle, organization=self.ward, kind=Review.Kind.LEADERSHIP
        )
        # A leader without a Party post, reviewed with the ward's leadership
        # collective: the ward is the unit he leads.
        member = self.review_of("member2.0")
        Review.objects.filter(pk=member.pk).update(
            leadership_review=leadership, is_leader=True
        )
        ward = self.collective(self.ward)
        self.decide(ward, "HTTNV")
        self.decide(member, "HTNV")
        message = self.refusal(ward, "KHTNV", reason="Giảm")
        self.assertIn("Đảng viên 2.0 đã được quyết định xếp loại HTNV", message)
        self.assertIn("Đơn vị phụ trách: Đảng bộ phường 1", message)
        self.assertEqual(ward.ratings.get().level.code, "HTTNV")


class CollectiveDisciplineTests(LeadershipWorld, TestCase):
    def test_a_cell_whose_unflagged_secretary_was_disciplined_cannot_be_excellent(self):
        secretary = self.people["secretary2"]
        self.assertFalse(secretary.is_leader)
        Discipline.objects.create(
            member=secretary, form="reprimand", decided_on=IN_YEAR
        )
        self.assertEqual(self.caps(self.cells[1]), [("collective_discipline", "HTTNV")])
        message = self.refusal(self.collective(self.cells[1]), "HTXSNV")
        self.assertIn("Kỷ luật tập thể", message)
        self.decide(self.collective(self.cells[1]), "HTTNV")

    def caps(self, organization):
        review = self.collective(organization)
        found = ratings.RuleBook(self.cycle, [review]).findings(review)
        return [(finding.rule, finding.highest) for finding in found]

    def test_a_member_of_the_leadership_collective_counts_as_its_leadership(self):
        leadership = Review.objects.get(
            cycle=self.cycle, organization=self.ward, kind=Review.Kind.LEADERSHIP
        )
        Discipline.objects.create(
            member=self.people["member2.0"], form="reprimand", decided_on=IN_YEAR
        )
        self.assertEqual(self.fresh_caps(self.collective(self.ward)), [])
        # Reviewed with the ward's leadership collective, without a Party post.
        Review.objects.filter(pk=self.review_of("member2.0").pk).update(
            leadership_review=leadership, is_leader=True
        )
        capped = [("collective_discipline", "HTTNV")]
        self.assertEqual(self.fresh_caps(self.collective(self.ward)), capped)
        self.assertEqual(self.fresh_caps(leadership), capped)
        # Only his ward: his cell is not led by him.
        self.assertEqual(self.fresh_caps(self.collective(self.cells[1])), [])
        for collective in (self.collective(self.ward), leadership):
            message = self.refusal(collective, "HTXSNV")
            self.assertIn("Kỷ luật tập thể: 1 thành viên lãnh đạo", message)
            self.assertFalse(collective.ratings.exists())
        self.decide(self.collective(self.ward), "HTTNV")

    def fresh_caps(self, review):
        """The rules that cap a collective, the leadership read afresh."""
        cycle = ReviewCycle.objects.get(pk=self.cycle.pk)
        found = ratings.RuleBook(cycle, [review]).findings(review)
        return [(finding.rule, finding.highest) for finding in found]

    def test_the_snapshot_decides_not_the_members_current_cell(self):
        secretary = self.people["secretary2"]
        # Moved to another cell and out of the post after the cycle opened.
        secretary.organization = self.cells[2]
        secretary.save()
        Post.objects.filter(member=secretary).delete()
        Discipline.objects.create(member=secretary, form="warning", decided_on=IN_YEAR)
        self.assertEqual(self.caps(self.cells[1]), [("collective_discipline", "HTTNV")])
        self.assertEqual(self.caps(self.cells[2]), [])

    def test_subordinate_discipline_counts_and_divides_over_direct_children(self):
        partial = OrganizationFactory(
            code="P01.9", kind="partial_committee", parent=self.ward, name="ĐBBP 9"
        )
        grandchildren = [
            OrganizationFactory(code=f"P01.9.{n}", parent=partial) for n in range(4)
        ]
        for organization in (partial, *grandchildren):
            self.review_too(organization)
        for cell in grandchildren[:2]:
            Discipline.objects.create(
                organization=cell, form="warning", decided_on=IN_YEAR
            )
        book = ratings.RuleBook(self.cycle, [self.collective(self.ward)])
        self.assertEqual(book.findings(self.collective(self.ward)), [])
        partial_review = self.collective(partial)
        book = ratings.RuleBook(self.cycle, [partial_review])
        [finding] = book.findings(partial_review)
        self.assertEqual(finding.highest, "KHTNV")
        self.assertIn("2", finding.reason)
        self.assertIn("4", finding.reason)

    def test_a_collective_read_with_its_organization_is_judged_the_same(self):
        """A review read with its organization lends the rule book its name,
        and a cell's kind says nothing is reviewed under it: fewer queries,
        the same findings."""
        partial = OrganizationFactory(
            code="P01.9", kind="partial_committee", parent=self.ward, name="ĐBBP 9"
        )
        cell = OrganizationFactory(code="P01.9.1", parent=partial)
        for organization in (partial, cell):
            self.review_too(organization)
        Discipline.objects.create(organization=cell, form="warning", decided_on=IN_YEAR)
        with_organization = Review.objects.select_related("organization")
        leadership = ratings.Leadership(self.cycle)

        def judged(review):
            with CaptureQueriesContext(connection) as queries:
                book = ratings.RuleBook(self.cycle, [review], leadership=leadership)
            found = [(f.rule, f.highest, f.reason) for f in book.findings(review)]
            return found, len(queries)

        for organization, saved in ((partial, 1), (cell, 2)):
            review = self.collective(organization)
            plain, plain_queries = judged(review)
            loaded, loaded_queries = judged(with_organization.get(pk=review.pk))
            self.assertEqual(loaded, plain)
            # The partial committee's one cell, disciplined; the cell itself.
            self.assertEqual(len(plain), 1)
            # Its name; for the cell, what is under it too.
            self.assertEqual(loaded_queries, plain_queries - saved)

    def test_one_direct_child_in_five_is_not_more_than_twenty_percent(self):
        for n in (4, 5):
            cell = OrganizationFactory(code=f"P01.{n}", parent=self.ward)
            self.review_too(cell)
        Discipline.objects.create(
            organization=self.cells[0], form="warning", decided_on=IN_YEAR
        )
        book = ratings.RuleBook(self.cycle, [self.collective(self.ward)])
        [finding] = book.findings(self.collective(self.ward))
        self.assertEqual(finding.highest, "HTTNV")
        Discipline.objects.create(
            organization=self.cells[1], form="warning", decided_on=IN_YEAR
        )
        book = ratings.RuleBook(self.cycle, [self.collective(self.ward)])
        [finding] = book.findings(self.collective(self.ward))
        self.assertEqual(finding.highest, "KHTNV")


class CollectiveConclusionTests(LeadershipWorld, TestCase):
    def test_internal_disunity_makes_the_collective_fail(self):
        Conclusion.objects.create(
            organization=self.cells[2], kind="disunity", concluded_on=IN_YEAR
        )
        message = self.refusal(self.collective(self.cells[2]), "HTNV")
        self.assertIn("Kết luận", message)
        self.decide(self.collective(self.cells[2]), "KHTNV")

    def test_a_conclusion_of_under_half_the_targets_makes_the_collective_fail(self):
        Conclusion.objects.create(
            organization=self.cells[2], kind="targets", concluded_on=IN_YEAR
        )
        review = self.collective(self.cells[2])
        found = ratings.RuleBook(self.cycle, [review]).findings(review)
        self.assertEqual(
            [(f.rule, f.highest) for f in found], [("conclusion", "KHTNV")]
        )
        # Concluded before the cycle's year: not this year's conclusion.
        Conclusion.objects.update(concluded_on=datetime.date(2023, 12, 31))
        self.assertEqual(ratings.RuleBook(self.cycle, [review]).findings(review), [])

    def test_the_unit_led_under_half_its_indicator_targets_fails_its_leaders(self):
        indicators = list(FocusIndicator.objects.all()[:3])
        self.assertEqual(len(indicators), 3)
        for indicator, met in zip(indicators, (True, False, False)):
            IndicatorValue.objects.create(
                indicator=indicator,
                cycle=self.cycle,
                organization=self.cells[2],
                target=10,
                # Exactly on target meets it either way; else miss it.
                actual=10 if met else (0 if indicator.higher_is_better else 20),
            )
        deputy = self.review_of("deputy3")
        [finding] = ratings.RuleBook(self.cycle, [deputy]).findings(deputy)
        self.assertEqual((finding.rule, finding.highest), ("leader_unit", "KHTNV"))
        self.assertIn("1/3", finding.reason)
        # The indicators are the leaders' measure, not a conclusion on the cell.
        review = self.collective(self.cells[2])
        self.assertEqual(ratings.RuleBook(self.cycle, [review]).findings(review), [])


class QuotaRecheckTests(LeadershipWorld, TestCase):
    def members_group(self):
        groups = ratings.comparison_groups(self.cycle)
        return next(g for key, g in groups.items() if key.startswith("members-"))

    def test_lowering_one_good_rating_that_breaks_the_quota_is_refused(self):
        group = self.members_group()
        subjects = [
            r for r in group.whole() if r.member.full_name.startswith("Đảng viên 1")
        ]
        codes = ["HTXSNV"] + ["HTTNV"] * 5
        ratings.decide(
            self.cycle,
            group,
            [ratings.Decision(r, level(c)) for r, c in zip(subjects, codes)],
            self.staff,
        )
        # 1 HTXSNV of 5 HTTNV is within 20%; of 4 it is not.
        message = self.refusal(subjects[1], "HTNV", reason="Chưa đạt")
        self.assertIn("Chỉ tiêu", message)
        self.assertEqual(
            Rating.objects.get(review=subjects[1], stage="decision").level.code,
            "HTTNV",
        )
        # Lowering the HTXSNV itself is always allowed.
        self.decide(subjects[0], "HTTNV", reason="Điều chỉnh")


class GroupingTests(LeadershipWorld, TestCase):
    def keys(self):
        groups = ratings.comparison_groups(self.cycle)
        return {
            subject.pk: key
            for key, group in groups.items()
            for subject in group.reviews
        }

    def test_leaders_are_grouped_by_post_and_level(self):
        head = self.review_of("ward_secretary")
        self.assertEqual(self.keys()[head.pk], "leaders-grassroots-secretary")
        Review.objects.filter(pk=self.review_of("member2.0").pk).update(is_leader=True)
        self.assertEqual(self.keys()[self.review_of("member2.0").pk], "leaders")

    def test_of_two_posts_of_one_kind_the_higher_level_groups_the_leader(self):
        """The ward's secretary who heads a cell too is compared with the
        wards' secretaries, whichever post was read first: on the decision
        page (comparison_groups) and on the dashboard (leader_outcomes)."""
        from reviews.statistics import CycleFigures

        head = self.review_of("ward_secretary")
        office = OrganizationFactory(
            code="P01.9", name="Chi bộ Văn phòng Đảng ủy", parent=self.ward
        )
        ward_post = (PostKind.SECRETARY, OrganizationKind.GRASSROOTS_COMMITTEE)
        for first, then in ((office, self.ward), (self.ward, office)):
            with self.subTest(first=first.name):
                CyclePost.objects.filter(review=head).delete()
                for organization in (first, then):
                    CyclePost.objects.create(
                        cycle=self.cycle,
                        review=head,
                        organization=organization,
                        kind=PostKind.SECRETARY,
                    )
                self.assertEqual(self.keys()[head.pk], "leaders-grassroots-secretary")
                figures = CycleFigures(self.cycle, self.cycle.superior)
                posts = [post for post, *_codes in figures.leader_outcomes() if post]
                self.assertEqual(posts, [ward_post])
                with mock.patch.object(
                    quota_module, "sums_in_database", return_value=False
                ):
                    figures = CycleFigures(self.cycle, self.cycle.superior)
                    posts = [post for post, *_ in figures.leader_outcomes() if post]
                self.assertEqual(posts, [ward_post])

    def test_the_regimes_grouping_is_read(self):
        head = self.review_of("ward_secretary")
        regime = self.cycle.regime
        regime.quota_grouping = Regime.QuotaGrouping.GRASSROOTS_ORGANIZATION
        regime.save()
        keys = self.keys()
        self.assertEqual(keys[head.pk], keys[self.review_of("member1.0").pk])
        self.assertTrue(keys[head.pk].startswith("members-"))
        regime.quota_grouping = Regime.QuotaGrouping.POST_LEVEL
        regime.save()
        keys = self.keys()
        self.assertEqual(keys[self.review_of("member1.0").pk], "members")
        self.assertEqual(keys[self.collective(self.cells[0]).pk], "cells")


@pytest.mark.usefixtures("require_postgres")
class ConcurrentCollectiveAndHeadTests(TransactionTestCase):
    """Deciding a collective waits for a decision of its head in flight."""

    def setUp(self):
        reseed_reference_data()
        self.cycle, self.ward, self.cells, self.people = build_ward()
        self.staff = UserFactory(username="btc")
        ward = Review.objects.get(
            cycle=self.cycle, organization=self.ward, kind=Review.Kind.ORGANIZATION
        )
        self.ward_review = ward
        self.groups = ratings.comparison_groups(self.cycle)
        ratings.decide(
            self.cycle,
            self.group_of(ward),
            [ratings.Decision(ward, level("HTTNV"))],
            self.staff,
        )

    def group_of(self, review):
        return next(
            g for g in self.groups.values() if review.pk in {s.pk for s in g.reviews}
        )

    def test_the_collective_is_lowered_only_after_seeing_its_heads_decision(self):
        head = Review.objects.get(
            cycle=self.cycle, member=self.people["ward_secretary"]
        )
        decided, release = threading.Event(), threading.Event()
        outcome = []

        def decide_head():
            try:
                with transaction.atomic():
                    ratings.decide(
                        self.cycle,
                        self.group_of(head),
                        [ratings.Decision(head, level("HTTNV"))],
                        self.staff,
                    )
                    decided.set()
                    release.wait(timeout=10)
            finally:
                connections.close_all()

        def lower_ward():
            try:
                decided.wait(timeout=10)
                ratings.decide(
                    self.cycle,
                    self.group_of(self.ward_review),
                    [ratings.Decision(self.ward_review, level("HTNV"), reason="Giảm")],
                    self.staff,
                )
                outcome.append("lowered")
            except ratings.RatingRefused as refused:
                outcome.append(str(refused))
            finally:
                connections.close_all()

        first = threading.Thread(target=decide_head)
        second = threading.Thread(target=lower_ward)
        first.start()
        second.start()
        decided.wait(timeout=10)
        second.join(timeout=1)
        self.assertTrue(second.is_alive(), "the collective's decision did not wait")
        release.set()
        first.join(timeout=10)
        second.join(timeout=10)
        self.assertEqual(len(outcome), 1)
        self.assertIn("Bí thư Đảng ủy", outcome[0])
        self.assertEqual(
            dict(
                Rating.objects.filter(stage="decision").values_list(
                    "review_id", "level__code"
                )
            ),
            {self.ward_review.pk: "HTTNV", head.pk: "HTTNV"},
        )


class OutOfLineTests(LeadershipWorld, TestCase):
    def test_a_discipline_recorded_after_the_decision_holds_the_cycle(self):
        member = self.review_of("member1.0")
        self.decide(member, "HTTNV")
        self.assertEqual(ratings.out_of_line(self.cycle), [])
        Discipline.objects.create(
            member=self.people["member1.0"], form="warning", decided_on=IN_YEAR
        )
        [(review, findings)] = ratings.out_of_line(self.cycle)
        self.assertEqual(review.pk, member.pk)
        self.assertEqual([f.rule for f in findings], ["discipline"])
        found = services.blockers(self.cycle, ReviewCycle.Status.DECIDED)
        lines = [text for text, _link in found if "Bí thư" not in text]
        self.assertTrue(any("Đảng viên 1.0" in text for text in lines), lines)
        self.decide(member, "KHTNV", reason="Bị kỷ luật")
        self.assertEqual(ratings.out_of_line(self.cycle), [])


class DecidePageTests(LeadershipWorld, TestCase):
    """Staff re-deciding the ward on the decide page, after its secretary."""

    def test_the_page_refuses_to_lower_the_ward_below_its_decided_secretary(self):
        staff = UserFactory(username="btc_page")
        grant(staff, self.cycle.superior, Role.Kind.STAFF)
        self.decide(self.collective(self.ward), "HTTNV")
        self.decide(self.review_of("ward_secretary"), "HTTNV")
        ward = self.collective(self.ward)
        group = self.group_of(ward)
        self.client.force_login(staff)
        url = reverse("reviews:decide", args=[self.cycle.public_id])
        page = self.client.get(url, {"group": group.key})
        self.assertContains(page, "Lưu quyết định")
        prefix = f"r{ward.public_id.hex}"
        response = submit(
            self.client,
            page,
            button="Lưu quyết định",
            data={f"{prefix}-level": "HTNV", f"{prefix}-reason": "Phúc tra"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Bí thư Đảng ủy")
        self.assertContains(response, "Người đứng đầu")
        # Nothing saved, and what the user typed is still there.
        self.assertContains(response, "Phúc tra")
        self.assertEqual(
            Rating.objects.get(review=ward, stage="decision").level.code, "HTTNV"
        )


class DashboardQuotaTests(LeadershipWorld, TestCase):
    def test_the_dashboard_counts_leaders_in_the_groups_the_decisions_use(self):
        from reviews.statistics import CycleFigures

        self.decide(self.collective(self.ward), "HTTNV")
        self.decide(self.review_of("ward_secretary"), "HTTNV")
        figures = CycleFigures(self.cycle, self.cycle.superior)
        uses = {use.group: use for use in figures.quota_groups()}
        groups = ratings.comparison_groups(self.cycle)
        leaders = groups["leaders-grassroots-secretary"]
        use = uses[leaders.name]
        self.assertEqual((use.good, use.total), (1, 1))
        self.assertTrue(use.partial)
        # No group of every leader at once: each post and level apart.
        leader_uses = [u for u in uses.values() if u.subjects == "leaders"]
        self.assertTrue(leader_uses)
        self.assertTrue(all(u.partial for u in leader_uses))
