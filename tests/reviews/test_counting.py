"""Each heading and step the statistics count has one definition: the count
over tally rows (`holds`) and the list behind a figure (`q`) pick the same
reviews, whatever their kind, organization, status, meeting and ratings."""

import itertools

from reviews import counting, services
from reviews.models import CycleJob, Meeting, Review
from reviews.statistics import Row

from ..factories import MemberFactory
from ..personas import CyclePersonasTestCase


class CountingTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # A leader, reviewed in a leadership collective too: every kind of subject.
        MemberFactory(organization=cls.cell_b, is_leader=True)
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))
        reviews = list(cls.cycle.reviews.order_by("pk"))
        states = itertools.cycle(
            itertools.product(
                ["", "HTTNV"],
                ["", "HTXSNV"],
                [Review.Status.SUBMITTED, Review.Status.DRAFT, Review.Status.RETURNED],
            )
        )
        for review, (proposed, decided, status) in zip(reviews, states, strict=False):
            Review.objects.filter(pk=review.pk).update(
                status=status, proposed_code=proposed, decided_code=decided
            )
        meeting = services.ensure_meeting(cls.collective_a)
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.DONE)

    def reviews(self):
        return list(
            self.cycle.reviews.select_related("organization", "meeting").order_by("pk")
        )

    def as_row(self, review):
        meeting = getattr(review, "meeting", None)
        return Row(
            review.organization_id,
            review.kind,
            review.is_leader,
            review.status,
            meeting is not None and meeting.status == Meeting.Status.DONE,
            review.proposed_code or None,
            review.decided_code or None,
            1,
        )

    def test_every_kind_of_subject_is_under_some_heading(self):
        kinds = {review.kind for review in self.reviews()}
        self.assertEqual(kinds, set(Review.Kind.values))

    def test_headings_count_what_they_list(self):
        for heading in counting.HEADINGS:
            with self.subTest(heading.key):
                counted = {
                    review.pk
                    for review in self.reviews()
                    if heading.key
                    in counting.subjects_of(
                        review.kind, review.organization.kind, review.is_leader
                    )
                }
                listed = set(
                    self.cycle.reviews.filter(
                        counting.subject_filter(heading.key)
                    ).values_list("pk", flat=True)
                )
                self.assertEqual(counted, listed)
                self.assertTrue(listed or heading.key == "grassroots")

    def test_steps_count_what_they_list(self):
        held = set(
            Meeting.objects.filter(
                review__cycle=self.cycle, status=Meeting.Status.DONE
            ).values_list("review__organization_id", flat=True)
        )
        for step in counting.STEPS:
            with self.subTest(step):
                counted = {
                    review.pk
                    for review in self.reviews()
                    if counting.step_done(step, self.as_row(review), held)
                }
                listed = set(
                    self.cycle.reviews.filter(
                        counting.step_filter(self.cycle, step)
                    ).values_list("pk", flat=True)
                )
                self.assertEqual(counted, listed)
                self.assertTrue(listed)
