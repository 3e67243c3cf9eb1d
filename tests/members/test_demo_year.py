"""The demo's current cycle: opened, its forms in, some meetings recorded."""

import datetime
from collections import Counter
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.db import transaction
from django.test import TestCase
from django.urls import reverse

from members import demo
from members.models import Member
from reviews import rules, services
from reviews.models import (
    Attendance,
    CarryOverItem,
    CycleJob,
    Meeting,
    MeetingItem,
    Rating,
    RemedyAction,
    Review,
    ReviewCycle,
    StepExemption,
)

SMALL = ["--members", "100", "--grassroots", "2", "--cells", "3"]
SECRETARY_CELL = f"{demo.SUPERIOR_CODE}.P01.01"


def seed(*args):
    call_command("seed_demo", *args, stdout=StringIO())


def current_cycle():
    return ReviewCycle.objects.latest("starts_on")


def counts():
    return {
        "reviews": Review.objects.count(),
        "ratings": Counter(Rating.objects.values_list("stage", flat=True)),
        "exemptions": StepExemption.objects.count(),
        "meetings": Counter(Meeting.objects.values_list("status", flat=True)),
        "items": MeetingItem.objects.filter(recorded_at__isnull=False).count(),
        "absent": Attendance.objects.filter(present=False).count(),
        "jobs": CycleJob.objects.count(),
        "carried": Counter(CarryOverItem.objects.values_list("outcome", flat=True)),
    }


class DemoYearTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        seed(*SMALL)
        cls.cycle = current_cycle()
        cls.exempted = dict(
            StepExemption.objects.filter(
                review__cycle=cls.cycle, kind=StepExemption.Kind.NOT_SUBMITTED
            ).values_list("review_id", "reason")
        )

    def test_the_current_cycle_was_opened_by_its_job_and_is_at_the_meetings(self):
        self.assertEqual(self.cycle.status, ReviewCycle.Status.MEETINGS)
        job = CycleJob.objects.get(cycle=self.cycle)
        self.assertEqual(job.status, CycleJob.Status.DONE)
        self.assertEqual(job.requested_by.username, "staff")
        reviewable = Member.objects.reviewable().count()
        self.assertEqual(
            self.cycle.reviews.filter(kind=Review.Kind.INDIVIDUAL).count(), reviewable
        )
        self.assertEqual(
            self.cycle.exclusions.count(), Member.objects.count() - reviewable
        )

    def test_every_form_is_submitted_or_exempted_with_a_reason(self):
        reviews = self.cycle.reviews.all()
        self.assertFalse(services.unsubmitted_reviews(self.cycle).exists())
        unsubmitted = set(
            reviews.exclude(status=Review.Status.SUBMITTED).values_list("pk", flat=True)
        )
        self.assertEqual(unsubmitted, set(self.exempted))
        self.assertTrue(self.exempted)
        self.assertTrue(
            set(self.exempted.values()) <= {r for r, _ in demo.EXEMPTION_REASONS}
        )
        exemptions = StepExemption.objects.filter(review__cycle=self.cycle)
        self.assertEqual(
            set(exemptions.values_list("recorded_by__username", flat=True)), {"staff"}
        )
        # The demo secretary's cell shows one; the demo accounts' own forms are in.
        self.assertEqual(
            exemptions.filter(review__organization__code=SECRETARY_CELL).count(), 1
        )
        self.assertFalse(exemptions.filter(review__member__user__isnull=False).exists())
        submitted = reviews.filter(status=Review.Status.SUBMITTED)
        self.assertFalse(submitted.filter(submitted_at__isnull=True).exists())
        self.assertFalse(submitted.filter(self_rating__isnull=True).exists())
        for review in submitted:
            for key in ("I-1", "II", "VI"):
                self.assertTrue(review.answers.get(key), (review, key))

    def test_self_ratings_agree_with_the_self_scores(self):
        bands = rules.Bands.of(self.cycle.regime, self.cycle.regime.levels.all())
        submitted = self.cycle.reviews.filter(
            status=Review.Status.SUBMITTED
        ).select_related("self_rating")
        for review in submitted:
            self.assertEqual(
                review.score_total,
                sum(map(Decimal, review.scores.values())),
            )
            finding = rules.points(
                review.score_total,
                bands,
                on_time=review.tasks_on_time_percent,
                exceeding=review.tasks_exceeding_percent,
                remedied=review.shortcomings_remedied_percent,
            )
            code = review.self_rating.code
            self.assertFalse(finding and finding.broken_by(code), (review, code))
            if code == rules.EXCELLENT:
                self.assertGreaterEqual(review.score_total, 90)
        self_ratings = Rating.objects.filter(review__cycle=self.cycle, stage="self")
        self.assertEqual(self_ratings.count(), submitted.count())
        for rating in self_ratings.select_related("review"):
            self.assertEqual(rating.level_id, rating.review.self_rating_id)
            self.assertEqual(rating.score, rating.review.score_total)

    def test_some_meetings_are_recorded_and_the_others_planned(self):
        meetings = Meeting.objects.filter(review__cycle=self.cycle)
        statuses = Counter(meetings.values_list("status", flat=True))
        self.assertEqual(set(statuses), {Meeting.Status.DONE, Meeting.Status.PLANNED})
        regime = self.cycle.regime
        levels = list(regime.levels.order_by("rank"))
        proposals = dict(
            Rating.objects.filter(
                review__cycle=self.cycle, stage="meeting"
            ).values_list("review_id", "level_id")
        )
        first, last = services.cycle_day_bounds(self.cycle)
        for meeting in meetings.filter(status=Meeting.Status.DONE):
            self.assertTrue(first <= meeting.held_on <= last)
            self.assertLess(meeting.starts_at, meeting.ends_at)
            self.assertTrue(meeting.place and meeting.chair and meeting.recorder)
            rows = list(meeting.attendance.all())
            present = sum(row.present for row in rows)
            self.assertTrue(
                rules.quorum_reached(present, len(rows), regime.quorum_percent)
            )
            for row in rows:
                self.assertEqual(row.present, not row.absence_reason)
            for item in meeting.items.all():
                if item.review_id in self.exempted:
                    self.assertIsNone(item.recorded_at)
                    continue
                self.assertIsNotNone(item.recorded_at, item)
                self.assertEqual(sum(item.votes.values()), present)
                proposed = rules.proposed_level(
                    levels, item.votes, present, regime.vote_majority_percent
                )
                self.assertEqual(proposed.pk, item.proposed_rating_id)
                self.assertIn(item.review_id, proposals)
        for meeting in meetings.filter(status=Meeting.Status.PLANNED):
            self.assertIsNone(meeting.held_on)
            self.assertFalse(meeting.items.filter(recorded_at__isnull=False).exists())
        # Each review's proposal is the one its (last) meeting recorded.
        recorded = MeetingItem.objects.filter(
            meeting__review__cycle=self.cycle, recorded_at__isnull=False
        ).order_by("recorded_at")
        latest = {item.review_id: item.proposed_rating_id for item in recorded}
        self.assertEqual(latest, proposals)
        codes = dict(self.cycle.reviews.values_list("pk", "proposed_code"))
        by_pk = {level.pk: level.code for level in levels}
        for review_id, code in codes.items():
            self.assertEqual(code, by_pk.get(proposals.get(review_id), ""))

    def test_every_collective_has_a_meeting_unless_nobody_can_attend(self):
        for review in self.cycle.reviews.collectives().select_related("organization"):
            if not Meeting.objects.filter(review=review).exists():
                subjects = services.subjects_of_meeting(review)
                self.assertEqual(services.invited_members(review, subjects), [], review)

    def test_the_demo_secretary_finds_the_cell_meeting_planned(self):
        meeting = Meeting.objects.get(
            review__cycle=self.cycle,
            review__kind=Review.Kind.ORGANIZATION,
            review__organization__code=SECRETARY_CELL,
        )
        self.assertEqual(meeting.status, Meeting.Status.PLANNED)
        self.client.login(username="secretary", password=demo.DEMO_PASSWORD)
        response = self.client.get(
            reverse("reviews:meeting", args=[meeting.review.public_id])
        )
        self.assertEqual(response.status_code, 200)

    def test_remedied_actions_carried_into_the_year_are_closed(self):
        items = CarryOverItem.objects.filter(review__cycle=self.cycle)
        for item in items.select_related("remedy_action", "review"):
            if item.review_id in self.exempted:
                self.assertEqual(item.outcome, CarryOverItem.Outcome.OPEN)
                continue
            self.assertTrue(item.answer)
            done = item.remedy_action.status == RemedyAction.Status.DONE
            self.assertEqual(done, item.outcome == CarryOverItem.Outcome.REMEDIED)

    def test_running_again_creates_nothing(self):
        before = counts()
        seed(*SMALL)
        self.assertEqual(counts(), before)


def snapshot(today):
    """The current cycle's data by natural keys, from a seed rolled back after."""
    with transaction.atomic():
        demo.seed(
            members=100, grassroots=2, cells=3, today=today, log=lambda line: None
        )
        cycle = current_cycle()
        who = ("organization__code", "kind", "member__card_number")
        data = {
            "reviews": sorted(
                cycle.reviews.values_list(
                    *who,
                    "status",
                    "answers",
                    "scores",
                    "self_rating__code",
                    "submitted_at",
                    "proposed_code",
                )
            ),
            "exemptions": sorted(
                StepExemption.objects.values_list(
                    *(f"review__{key}" for key in who), "reason", "recorded_at"
                )
            ),
            "meetings": sorted(
                Meeting.objects.filter(review__cycle=cycle).values_list(
                    "review__organization__code",
                    "review__kind",
                    "status",
                    "held_on",
                    "starts_at",
                    "place",
                    "chair",
                )
            ),
            "items": sorted(
                MeetingItem.objects.filter(meeting__review__cycle=cycle).values_list(
                    "meeting__review__organization__code",
                    "meeting__review__kind",
                    "order",
                    "comments",
                    "votes",
                    "proposed_rating__code",
                    "recorded_at",
                ),
                key=repr,
            ),
            "absent": sorted(
                Attendance.objects.filter(present=False).values_list(
                    "meeting__review__organization__code",
                    "member__card_number",
                    "absence_reason",
                )
            ),
        }
        transaction.set_rollback(True)
    return data


class DemoYearDeterminismTests(TestCase):
    def test_the_same_seed_gives_the_same_year(self):
        today = datetime.date(2026, 12, 5)
        first = snapshot(today)
        self.assertTrue(first["items"] and first["exemptions"])
        self.assertEqual(snapshot(today), first)
