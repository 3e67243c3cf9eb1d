import datetime

from django.urls import reverse

from members.models import Member
from organizations.models import OrganizationKind
from reviews import services
from reviews.models import CycleJob, Meeting, MeetingItem, Review

from ..factories import OrganizationFactory
from .test_meeting import MeetingTestCase

LEVELS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")


def votes_data(order, comments="", **votes):
    data = {f"subject-{order}-comments": comments, f"subject-{order}-stamp": ""}
    for code in LEVELS:
        data[f"subject-{order}-votes_{code}"] = votes.get(code, 0)
    return data


class MeetingItemTests(MeetingTestCase):
    def item_url(self, order):
        return reverse(
            "reviews:meeting_item", args=[self.collective_a.public_id, order]
        )

    def record(self, order, **votes):
        return self.client.post(self.item_url(order), votes_data(order, **votes))

    def item(self, order):
        return MeetingItem.objects.get(meeting__review=self.collective_a, order=order)

    def test_the_collective_is_recorded_with_its_votes_and_proposal(self):
        self.hold_meeting()

        response = self.record(0, comments="Đoàn kết tốt", HTXSNV=1, HTTNV=3)

        self.assertRedirects(response, f"{self.url}#subject-1", target_status_code=200)
        item = self.item(0)
        self.assertEqual(item.comments, "Đoàn kết tốt")
        self.assertEqual(item.votes, {"HTXSNV": 1, "HTTNV": 3, "HTNV": 0, "KHTNV": 0})
        self.assertEqual(item.proposed_rating.code, "HTTNV")
        self.assertIsNotNone(item.recorded_at)

    def test_nothing_is_recorded_before_the_date_and_attendance_are_saved(self):
        self.use_english()
        self.open_meeting()

        response = self.record(0, HTTNV=4)

        self.assertContains(response, "Save the meeting&#x27;s date and attendance")
        self.assertIsNone(self.item(0).recorded_at)

    def test_nothing_is_recorded_without_a_quorum(self):
        self.use_english()
        self.hold_meeting(absent={self.member_a: "Ốm", self.deputy: "Ốm"})

        response = self.record(0, HTTNV=2)

        self.assertContains(response, "Only 2 of the 4 members called are present")
        self.assertContains(response, "without a quorum (66.67%)")
        self.assertIsNone(self.item(0).recorded_at)

    def test_a_subject_cannot_be_recorded_before_the_one_ahead_of_it(self):
        self.use_english()
        self.hold_meeting()

        response = self.record(1, HTTNV=4)

        self.assertContains(response, "Record “Chi bộ Tổ dân phố 1” first")
        self.assertIsNone(self.item(1).recorded_at)

    def test_votes_above_those_present_are_refused_and_the_input_kept(self):
        self.use_english()
        self.hold_meeting(absent={self.member_a: "Ốm"})

        response = self.client.post(
            self.item_url(0), votes_data(0, comments="Góp ý giữ lại", HTTNV=4)
        )

        self.assertContains(response, "4 votes were counted but only 3 members")
        self.assertContains(response, "Góp ý giữ lại")
        self.assertIsNone(self.item(0).recorded_at)

    def test_negative_and_non_numeric_votes_are_refused_next_to_the_field(self):
        self.hold_meeting()
        data = votes_data(0, HTTNV=3)
        data["subject-0-votes_HTXSNV"] = "-1"
        data["subject-0-votes_HTNV"] = "ba"

        response = self.client.post(self.item_url(0), data)

        form = response.context["subjects"][0].form
        self.assertIn("votes_HTXSNV", form.errors)
        self.assertIn("votes_HTNV", form.errors)
        self.assertEqual(form["votes_HTNV"].value(), "ba")
        self.assertIsNone(self.item(0).recorded_at)

    def test_a_vote_without_a_majority_proposes_nothing_and_is_refused(self):
        self.use_english()
        self.hold_meeting()

        response = self.record(0, HTXSNV=1, HTTNV=1)

        self.assertContains(response, "more than 50% of the 4 members present")
        self.assertIsNone(self.item(0).recorded_at)

    def test_htmx_returns_the_block_with_the_next_form_and_the_results(self):
        self.hold_meeting()

        response = self.client.post(
            self.item_url(0), votes_data(0, HTTNV=4), headers={"HX-Request": "true"}
        )

        self.assertTemplateUsed(response, "reviews/_meeting_item_response.html")
        self.assertContains(response, 'id="subject-0"')
        self.assertContains(response, 'id="subject-1" class="card mb-2 border-primary"')
        self.assertContains(response, 'name="subject-1-comments"')
        self.assertContains(response, 'id="meeting-results" class="mb-4"')
        self.assertNotContains(response, "<html")

    def test_htmx_errors_return_the_block_with_the_errors(self):
        self.hold_meeting()

        response = self.client.post(
            self.item_url(0), votes_data(0, HTTNV=9), headers={"HX-Request": "true"}
        )

        self.assertTemplateUsed(response, "reviews/_meeting_subject.html")
        self.assertContains(response, "alert-danger")
        self.assertNotContains(response, "<html")

    def test_a_correction_over_someone_elses_record_is_refused(self):
        self.use_english()
        self.hold_meeting()
        self.record(0, HTTNV=4)

        response = self.record(0, HTXSNV=4)

        self.assertContains(response, "Someone else recorded this subject")
        self.assertEqual(self.item(0).proposed_rating.code, "HTTNV")

    def test_a_recorded_subject_can_be_corrected_with_its_stamp(self):
        self.hold_meeting()
        self.record(0, HTTNV=4)
        page = self.client.get(
            self.item_url(0), {"edit": 0}, headers={"HX-Request": "true"}
        )
        data = votes_data(0, HTXSNV=4)
        data["subject-0-stamp"] = page.context["subject"].form["stamp"].value()

        self.client.post(self.item_url(0), data)

        self.assertEqual(self.item(0).proposed_rating.code, "HTXSNV")

    def test_without_htmx_the_correction_link_opens_the_page(self):
        self.hold_meeting()

        response = self.client.get(self.item_url(2), {"edit": 2})

        self.assertRedirects(
            response, f"{self.url}?edit=2#subject-2", fetch_redirect_response=False
        )

    def test_nothing_is_recorded_once_the_meeting_is_finished(self):
        meeting = self.hold_meeting()
        self.record_all(meeting)
        self.client.post(self.url, {"action": "finish"})

        self.record(0, HTXSNV=4)

        self.assertEqual(self.item(0).proposed_rating.code, "HTTNV")

    def test_fewer_present_than_the_votes_recorded_is_refused(self):
        self.use_english()
        self.hold_meeting()
        self.record(0, HTTNV=4)
        page = self.client.get(self.url)

        response = self.client.post(
            self.url, self.details_data(page, absent={self.member_a: "Ốm"})
        )

        self.assertContains(response, "received 4 votes, more than the 3 members")
        meeting = Meeting.objects.get(review=self.collective_a)
        self.assertTrue(meeting.attendance.get(member=self.member_a).present)

    def test_a_change_of_attendance_follows_the_proposals(self):
        self.hold_meeting()
        self.record(0, HTXSNV=2, HTTNV=1)
        self.assertEqual(self.item(0).proposed_rating.code, "HTTNV")
        page = self.client.get(self.url)

        self.client.post(
            self.url, self.details_data(page, absent={self.member_a: "Ốm"})
        )

        self.assertEqual(self.item(0).proposed_rating.code, "HTXSNV")

    def test_outsider_gets_404(self):
        self.hold_meeting()
        self.client.force_login(self.secretary_b)

        self.assertEqual(self.record(0, HTTNV=4).status_code, 404)

    def test_a_reader_who_posts_is_forbidden(self):
        self.hold_meeting()
        self.client.force_login(self.leader)

        self.assertEqual(self.record(0, HTTNV=4).status_code, 403)
        self.assertIsNone(self.item(0).recorded_at)

    def test_an_unknown_subject_is_404(self):
        self.hold_meeting()

        self.assertEqual(self.record(99, HTTNV=4).status_code, 404)


class MajorityTests(MeetingTestCase):
    """Twenty members present: the majority rule of the regime decides."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.cell = OrganizationFactory(
            code="P01.C", kind=OrganizationKind.CELL, parent=cls.ward
        )
        for number in range(20):
            Member.objects.create(
                full_name=f"Đảng viên Số {number}",
                gender=Member.Gender.FEMALE,
                date_of_birth=datetime.date(1985, 1, 1),
                card_number=f"MAJ{number:05d}",
                admitted_on=datetime.date(2010, 1, 1),
                organization=cls.cell,
            )
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))
        cls.cycle.reviews.update(status=Review.Status.SUBMITTED)
        cls.collective = cls.cycle.reviews.get(
            organization=cls.cell, kind="organization"
        )

    def setUp(self):
        self.client.force_login(self.staff)
        url = reverse("reviews:meeting", args=[self.collective.public_id])
        page = self.client.get(url)
        self.client.post(url, self.details_data(page))
        self.item_url = reverse(
            "reviews:meeting_item", args=[self.collective.public_id, 0]
        )

    def proposed(self, **votes):
        self.client.post(self.item_url, votes_data(0, **votes))
        item = MeetingItem.objects.get(meeting__review=self.collective, order=0)
        return item.proposed_rating.code

    def test_votes_for_a_higher_level_count_towards_the_lower_one(self):
        self.assertEqual(self.proposed(HTXSNV=5, HTTNV=10), "HTTNV")

    def test_a_majority_for_the_highest_level_proposes_it(self):
        self.assertEqual(self.proposed(HTXSNV=11, HTTNV=9), "HTXSNV")

    def test_exactly_half_is_not_a_majority(self):
        self.assertEqual(self.proposed(HTXSNV=10, HTTNV=10), "HTTNV")


class MeetingRatingChainTests(MeetingTestCase):
    def test_recording_a_subject_records_the_meeting_stage_with_the_tallies(self):
        self.hold_meeting()
        url = reverse("reviews:meeting_item", args=[self.collective_a.public_id, 0])
        self.client.post(url, votes_data(0, HTXSNV=1, HTTNV=3))
        rating = self.collective_a.ratings.get(stage="meeting")
        self.assertEqual(rating.level.code, "HTTNV")
        self.assertEqual(rating.votes["HTTNV"], 3)

    def test_a_head_proposed_above_the_collective_is_warned(self):
        self.hold_meeting()
        self.client.post(
            reverse("reviews:meeting_item", args=[self.collective_a.public_id, 0]),
            votes_data(0, HTTNV=4),
        )
        self.client.post(
            reverse("reviews:meeting_item", args=[self.collective_a.public_id, 1]),
            votes_data(1, HTXSNV=4),
        )
        response = self.client.get(self.url)
        head = response.context["subjects"][1]
        self.assertEqual(head.item.review.meeting_rank, 1)
        head_rule = [w for w in head.warnings if self.collective_a.subject_name in w]
        self.assertEqual(len(head_rule), 1)
        self.assertIn("HTTNV", head_rule[0])
        collective = response.context["subjects"][0]
        self.assertFalse(
            [w for w in collective.warnings if self.collective_a.subject_name in w]
        )
