import datetime
import threading

import pytest
from django.db import connection, connections
from django.test import TestCase, TransactionTestCase

from reviews import ratings
from reviews.models import (
    CycleJob,
    Discipline,
    Rating,
    RatingLevel,
    Regime,
    Review,
    ReviewCycle,
)
from reviews.services import open_cycle

from ..factories import (
    MemberFactory,
    OrganizationFactory,
    UserFactory,
    make_head,
    reseed_reference_data,
)


def build_cycle(members=10):
    committee = OrganizationFactory(code="TU", kind="superior", org_type=None)
    ward = OrganizationFactory(
        code="P01", kind="grassroots_committee", parent=committee
    )
    cell = OrganizationFactory(code="P01.1", parent=ward)
    people = [MemberFactory(organization=cell) for _ in range(members)]
    cycle = ReviewCycle.objects.create(
        name="Năm 2024",
        year=2024,
        starts_on="2024-01-01",
        ends_on="2024-12-31",
        regime=Regime.objects.get(code="qd124"),
        superior=committee,
    )
    open_cycle(CycleJob.objects.create(cycle=cycle))
    cycle.status = ReviewCycle.Status.APPRAISAL
    cycle.save()
    return cycle, cell, people


def level(code):
    return RatingLevel.objects.get(regime__code="qd124", code=code)


def member_group(cycle):
    groups = ratings.comparison_groups(cycle)
    return next(g for key, g in groups.items() if key.startswith("members-"))


class DecideTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.cycle, cls.cell, cls.people = build_cycle(members=10)
        cls.staff = UserFactory(username="btc")

    def decide(self, codes, **details):
        group = member_group(self.cycle)
        decisions = [
            ratings.Decision(review, level(code), **details)
            for review, code in zip(group.whole(), codes)
        ]
        return ratings.decide(self.cycle, group, decisions, self.staff)

    def test_decisions_within_the_quota_are_recorded(self):
        self.decide(["HTXSNV"] + ["HTTNV"] * 9)
        self.assertEqual(
            Rating.objects.filter(stage="decision", level__code="HTXSNV").count(), 1
        )

    def test_a_decision_over_the_quota_changes_nothing_and_names_the_rule(self):
        with self.assertRaises(ratings.RatingRefused) as refused:
            self.decide(["HTXSNV"] * 2 + ["HTTNV"] * 8)
        self.assertFalse(Rating.objects.exists())
        message = str(refused.exception)
        self.assertIn("Chỉ tiêu", message)
        self.assertIn("2/10", message)

    def test_the_quota_counts_decisions_made_earlier_in_the_group(self):
        self.decide(["HTXSNV"] + ["HTTNV"] * 9)
        group = member_group(self.cycle)
        decided = Review.objects.filter(ratings__level__code="HTTNV").first()
        with self.assertRaises(ratings.RatingRefused):
            ratings.decide(
                self.cycle,
                group,
                [ratings.Decision(decided, level("HTXSNV"))],
                self.staff,
            )

    def test_a_disciplined_member_cannot_be_decided_above_fail(self):
        Discipline.objects.create(
            member=self.people[0], form="warning", decided_on=datetime.date(2024, 5, 1)
        )
        group = member_group(self.cycle)
        review = next(r for r in group.whole() if r.member_id == self.people[0].pk)
        with self.assertRaises(ratings.RatingRefused) as refused:
            ratings.decide(
                self.cycle, group, [ratings.Decision(review, level("HTNV"))], self.staff
            )
        self.assertIn("Kỷ luật", str(refused.exception))
        ratings.decide(
            self.cycle, group, [ratings.Decision(review, level("KHTNV"))], self.staff
        )

    def test_an_overridable_rule_needs_a_written_reason_and_is_flagged(self):
        Regime.objects.filter(code="qd124").update(overridable_rules=["quota"])
        self.cycle.refresh_from_db()
        with self.assertRaises(ratings.RatingRefused):
            self.decide(["HTXSNV"] * 2 + ["HTTNV"] * 8)
        self.decide(
            ["HTXSNV"] * 2 + ["HTTNV"] * 8,
            override_reason="Thành tích đột xuất được Tỉnh ủy khen thưởng",
        )
        flagged = [r for r in Rating.objects.all() if r.overridden_rules == ["quota"]]
        self.assertEqual(len(flagged), 2)
        self.assertEqual(flagged[0].history.first().overridden_rules, ["quota"])

    def test_a_changed_level_needs_a_reason(self):
        group = member_group(self.cycle)
        review = group.whole()[0]
        ratings.record_rating(review, Rating.Stage.MEETING, level("HTTNV"), self.staff)
        with self.assertRaises(ratings.RatingRefused):
            ratings.decide(
                self.cycle, group, [ratings.Decision(review, level("HTNV"))], self.staff
            )
        ratings.decide(
            self.cycle,
            group,
            [
                ratings.Decision(
                    review, level("HTNV"), reason="Chưa hoàn thành chỉ tiêu"
                )
            ],
            self.staff,
        )

    def test_the_chain_keeps_every_stage(self):
        review = member_group(self.cycle).whole()[0]
        for stage, code in (
            ("self", "HTXSNV"),
            ("meeting", "HTTNV"),
            ("appraisal", "HTTNV"),
        ):
            ratings.record_rating(review, stage, level(code), self.staff, reason="x")
        self.assertEqual(
            dict(review.ratings.values_list("stage", "level__code")),
            {"self": "HTXSNV", "meeting": "HTTNV", "appraisal": "HTTNV"},
        )

    def test_deciding_outside_appraisal_is_refused(self):
        self.cycle.status = ReviewCycle.Status.MEETINGS
        self.cycle.save()
        with self.assertRaises(ratings.RatingRefused):
            self.decide(["HTTNV"] * 10)


@pytest.mark.usefixtures("require_postgres")
class ConcurrentDecisionTests(TransactionTestCase):
    """Two staff deciding at once on PostgreSQL cannot together exceed the quota."""

    def setUp(self):
        reseed_reference_data()
        self.cycle, self.cell, self.people = build_cycle(members=10)
        group = member_group(self.cycle)
        good = [ratings.Decision(r, level("HTTNV")) for r in group.whole()[2:]]
        ratings.decide(self.cycle, group, good, UserFactory(username="a"))
        self.users = [UserFactory(username="b"), UserFactory(username="c")]

    def test_two_excellent_decisions_at_once_leave_one(self):
        group = member_group(self.cycle)
        candidates = group.whole()[:2]
        barrier = threading.Barrier(2)
        outcomes = []

        def decide(review, user):
            try:
                barrier.wait(timeout=10)
                ratings.decide(
                    self.cycle, group, [ratings.Decision(review, level("HTXSNV"))], user
                )
                outcomes.append("decided")
            except ratings.RatingRefused:
                outcomes.append("refused")
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=decide, args=(review, user))
            for review, user in zip(candidates, self.users)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        self.assertEqual(sorted(outcomes), ["decided", "refused"])
        self.assertEqual(
            Rating.objects.filter(stage="decision", level__code="HTXSNV").count(), 1
        )
        self.assertEqual(connection.vendor, "postgresql")


class DecisionOrderTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.cycle, cls.cell, cls.people = build_cycle(members=3)
        make_head(Review.objects.get(member=cls.people[0]))
        cls.staff = UserFactory(username="btc")

    def test_the_head_is_decided_after_the_collective_and_not_above_it(self):
        groups = ratings.comparison_groups(self.cycle)
        members = next(g for k, g in groups.items() if k.startswith("members-"))
        head = next(r for r in members.whole() if r.member_id == self.people[0].pk)
        decision = [ratings.Decision(head, level("HTTNV"))]
        with self.assertRaises(ratings.RatingRefused):
            ratings.decide(self.cycle, members, decision, self.staff)
        cells = next(g for k, g in groups.items() if k.startswith("cells-"))
        ratings.decide(
            self.cycle,
            cells,
            [ratings.Decision(cells.whole()[0], level("HTNV"))],
            self.staff,
        )
        with self.assertRaises(ratings.RatingRefused) as refused:
            ratings.decide(self.cycle, members, decision, self.staff)
        self.assertIn("HTNV", str(refused.exception))
        ratings.decide(
            self.cycle, members, [ratings.Decision(head, level("HTNV"))], self.staff
        )
