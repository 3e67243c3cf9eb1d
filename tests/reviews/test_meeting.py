import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from organizations.models import OrganizationKind
from reviews import services
from reviews.models import (
    Assignment,
    CycleJob,
    Meeting,
    MeetingItem,
    RatingLevel,
    Review,
    ReviewCycle,
)

from ..factories import MemberFactory, OrganizationFactory
from ..personas import CyclePersonasTestCase


class MeetingTestCase(CyclePersonasTestCase):
    """Cell A with a head, a deputy, two members and an exempt member."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.head = MemberFactory(
            full_name="Phạm Văn Hải", organization=cls.cell_a, party_post="Bí thư"
        )
        cls.deputy = MemberFactory(
            full_name="Võ Thị Dung", organization=cls.cell_a, party_post="Phó Bí thư"
        )
        cls.exempt = MemberFactory(
            full_name="Đỗ Văn Miễn",
            organization=cls.cell_a,
            status=Member.Status.EXEMPT,
        )
        # Opening again adds the new members' reviews and nothing twice.
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))
        # The meeting reviews a subject once its form is submitted.
        cls.cycle.reviews.update(
            status=Review.Status.SUBMITTED, submitted_at=timezone.now()
        )
        cls.url = reverse("reviews:meeting", args=[cls.collective_a.public_id])

    def use_english(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def open_meeting(self, user=None):
        self.client.force_login(user or self.secretary_a)
        return self.client.get(self.url)

    def details_data(self, page, absent=None, **fields):
        """The details form as posted from `page`, everyone present unless absent."""
        absent = absent or {}
        attendance = page.context["attendance"]
        data = {
            "action": "details",
            "version": page.context["meeting"].version,
            "held_on": "2026-12-05",
            "place": "Nhà văn hóa tổ dân phố 1",
            "chair": "Phạm Văn Hải",
            "recorder": "Võ Thị Dung",
            "superior_attendee": "",
            "attendance-TOTAL_FORMS": len(attendance.forms),
            "attendance-INITIAL_FORMS": len(attendance.forms),
        }
        for form in attendance.forms:
            member = form.instance.member
            if member in absent:
                data[form["absence_reason"].html_name] = absent[member]
            else:
                data[form["present"].html_name] = "on"
        data.update(fields)
        return data

    def hold_meeting(self, absent=None):
        """Save the date and attendance as the secretary."""
        page = self.open_meeting()
        response = self.client.post(self.url, self.details_data(page, absent))
        self.assertEqual(response.status_code, 302)
        return Meeting.objects.get(review=self.collective_a)

    def record_all(self, meeting):
        good = RatingLevel.objects.get(regime=self.cycle.regime, code="HTTNV")
        meeting.items.update(
            votes={"HTTNV": 4}, proposed_rating=good, recorded_at=timezone.now()
        )


class MeetingTests(MeetingTestCase):
    def test_first_visit_of_the_secretary_creates_the_meeting_in_order(self):
        response = self.open_meeting()

        self.assertEqual(response.status_code, 200)
        meeting = Meeting.objects.get(review=self.collective_a)
        self.assertEqual(
            list(meeting.items.order_by("order").values_list("review__subject_name")),
            [
                ("Chi bộ Tổ dân phố 1",),
                ("Phạm Văn Hải",),
                ("Võ Thị Dung",),
                ("Nguyễn Văn Ân",),
                ("Trần Thị Bình",),
            ],
        )
        self.assertEqual(
            set(meeting.attendance.values_list("member", flat=True)),
            {self.head.pk, self.deputy.pk, self.member_a.pk, self.other_member_a.pk},
        )

    def test_a_reader_sees_the_meeting_is_not_recorded_without_creating_it(self):
        self.use_english()
        response = self.open_meeting(self.leader)

        self.assertContains(response, "The meeting has not been recorded yet.")
        self.assertFalse(Meeting.objects.exists())

    def test_a_reader_sees_the_recorded_meeting_without_forms(self):
        self.hold_meeting()
        response = self.open_meeting(self.leader)

        self.assertContains(response, "Nhà văn hóa tổ dân phố 1")
        self.assertIsNone(response.context["details"])
        self.assertNotContains(response, 'name="action"')

    def test_outsider_gets_404(self):
        self.hold_meeting()
        self.client.force_login(self.secretary_b)

        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(
            self.client.post(self.url, {"action": "finish"}).status_code, 404
        )

    def test_a_member_without_a_role_gets_404(self):
        self.assertEqual(self.open_meeting(self.member_user).status_code, 404)

    def test_an_individual_review_has_no_meeting_page(self):
        self.client.force_login(self.secretary_a)
        url = reverse("reviews:meeting", args=[self.review_a.public_id])

        self.assertEqual(self.client.get(url).status_code, 404)

    def test_a_subject_of_a_meeting_not_created_yet_is_not_found(self):
        self.client.force_login(self.secretary_a)
        url = reverse("reviews:meeting_item", args=[self.collective_a.public_id, 0])

        self.assertEqual(self.client.get(url, HTTP_HX_REQUEST="true").status_code, 404)
        self.assertEqual(self.client.post(url, {}).status_code, 404)
        self.assertFalse(Meeting.objects.exists())
        self.open_meeting()
        self.assertEqual(self.client.get(url, HTTP_HX_REQUEST="true").status_code, 200)

    def test_a_reader_who_posts_is_forbidden_and_nothing_changes(self):
        page = self.open_meeting()
        data = self.details_data(page)
        self.client.force_login(self.leader)

        response = self.client.post(self.url, data)

        self.assertEqual(response.status_code, 403)
        self.assertIsNone(Meeting.objects.get(review=self.collective_a).held_on)

    def test_details_and_attendance_are_saved_with_the_quorum_shown(self):
        self.use_english()
        page = self.open_meeting()
        data = self.details_data(page, absent={self.other_member_a: "Ốm"})

        response = self.client.post(self.url, data, follow=True)

        meeting = Meeting.objects.get(review=self.collective_a)
        self.assertEqual(meeting.held_on, datetime.date(2026, 12, 5))
        self.assertEqual(meeting.status, Meeting.Status.HELD)
        self.assertEqual(meeting.version, 1)
        absent = meeting.attendance.get(member=self.other_member_a)
        self.assertEqual((absent.present, absent.absence_reason), (False, "Ốm"))
        self.assertContains(response, "3/4 present — quorum reached (≥ 66.67%)")

    def test_without_a_quorum_the_page_says_so_and_offers_no_subject_form(self):
        self.use_english()
        self.hold_meeting(absent={self.member_a: "Đi công tác", self.deputy: "Ốm"})

        response = self.client.get(self.url)

        self.assertContains(response, "2/4 present — no quorum (≥ 66.67% needed)")
        self.assertFalse(response.context["ready"])
        self.assertTrue(all(s.form is None for s in response.context["subjects"]))

    def test_a_date_outside_the_cycle_is_refused_and_the_input_kept(self):
        self.use_english()
        page = self.open_meeting()
        data = self.details_data(page, held_on="2025-12-05", place="Hội trường mới")

        response = self.client.post(self.url, data)

        self.assertContains(response, "The meeting must be held within the cycle")
        self.assertContains(response, "Hội trường mới")
        meeting = Meeting.objects.get(review=self.collective_a)
        self.assertEqual((meeting.held_on, meeting.place), (None, ""))

    def test_an_absence_without_a_reason_is_refused_and_nothing_is_written(self):
        self.use_english()
        page = self.open_meeting()
        data = self.details_data(page, absent={self.member_a: ""})

        response = self.client.post(self.url, data)

        self.assertContains(response, "Give the reason for the absence.")
        meeting = Meeting.objects.get(review=self.collective_a)
        self.assertIsNone(meeting.held_on)
        self.assertTrue(meeting.attendance.get(member=self.member_a).present)

    def test_a_tampered_attendance_count_is_refused(self):
        page = self.open_meeting()
        data = self.details_data(page, **{"attendance-TOTAL_FORMS": 1})

        response = self.client.post(self.url, data)

        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["attendance"].non_form_errors())
        self.assertIsNone(Meeting.objects.get(review=self.collective_a).held_on)

    def test_a_missing_or_garbled_version_is_said_above_the_form(self):
        page = self.open_meeting()
        for version in ("abc", "-1", None):
            with self.subTest(version=version):
                data = self.details_data(page, place="Hội trường C")
                if version is None:
                    del data["version"]
                else:
                    data["version"] = version
                response = self.client.post(self.url, data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(
                    response, "Trang gửi lên thiếu phiên bản lúc mở trang"
                )
                self.assertContains(response, "Hội trường C")
                self.assertFalse(
                    Meeting.objects.filter(
                        review=self.collective_a, place="Hội trường C"
                    ).exists()
                )

    def test_a_stale_version_is_refused_and_the_input_kept(self):
        self.use_english()
        page = self.open_meeting()
        first = self.details_data(page, place="Hội trường A")
        second = self.details_data(page, place="Hội trường B")
        self.client.post(self.url, first)

        response = self.client.post(self.url, second)

        self.assertContains(response, "Someone else saved this meeting")
        self.assertContains(response, "Place: Hội trường A")
        self.assertContains(response, "Hội trường B")
        self.assertEqual(
            Meeting.objects.get(review=self.collective_a).place, "Hội trường A"
        )

    def test_a_stale_save_names_the_times_the_other_person_saved(self):
        """A meeting's start and end are times, shown as the page shows them."""
        self.use_english()
        page = self.open_meeting()
        first = self.details_data(page, starts_at="08:00", ends_at="10:30")
        second = self.details_data(page, starts_at="", ends_at="11:00")
        self.client.post(self.url, first)

        response = self.client.post(self.url, second)

        self.assertContains(response, "Someone else saved this meeting")
        self.assertContains(response, "08:00")
        self.assertContains(response, "10:30")
        meeting = Meeting.objects.get(review=self.collective_a)
        self.assertEqual(
            (meeting.starts_at, meeting.ends_at),
            (datetime.time(8, 0), datetime.time(10, 30)),
        )

    def test_saving_again_after_a_conflict_replaces_the_other_save(self):
        page = self.open_meeting()
        self.client.post(self.url, self.details_data(page, place="Hội trường A"))
        conflict = self.client.post(
            self.url, self.details_data(page, place="Hội trường B")
        )

        self.client.post(
            self.url,
            self.details_data(page, place="Hội trường B", version=1),
        )

        self.assertEqual(conflict.context["details"]["version"].value(), 1)
        self.assertEqual(
            Meeting.objects.get(review=self.collective_a).place, "Hội trường B"
        )

    def test_the_superior_attendee_is_prefilled_from_the_assignment(self):
        self.staff.first_name, self.staff.last_name = "Hùng", "Lê Văn"
        self.staff.save()
        Assignment.objects.create(
            cycle=self.cycle, organization=self.cell_a, assignee=self.staff
        )
        # Someone without a name is named by their username.
        Assignment.objects.create(
            cycle=self.cycle, organization=self.cell_a, assignee=self.leader
        )

        response = self.open_meeting()

        self.assertEqual(
            response.context["details"]["superior_attendee"].value(),
            "Hùng Lê Văn, leader",
        )

    def test_an_unknown_action_is_a_bad_request(self):
        self.open_meeting()

        response = self.client.post(self.url, {"action": "delete"})

        self.assertEqual(response.status_code, 400)

    def test_finishing_is_refused_until_every_subject_is_recorded(self):
        self.use_english()
        meeting = self.hold_meeting()

        response = self.client.post(self.url, {"action": "finish"})

        self.assertContains(response, "Record every subject first.")
        meeting.refresh_from_db()
        self.assertEqual(meeting.status, Meeting.Status.HELD)

    def test_finishing_records_the_meeting_and_makes_it_read_only(self):
        meeting = self.hold_meeting()
        self.record_all(meeting)

        response = self.client.post(self.url, {"action": "finish"})

        self.assertRedirects(response, self.url)
        meeting.refresh_from_db()
        self.assertEqual(meeting.status, Meeting.Status.DONE)
        self.assertIsNone(self.client.get(self.url).context["details"])

    def test_a_recorded_meeting_can_be_reopened_during_the_meetings_step(self):
        meeting = self.hold_meeting()
        self.record_all(meeting)
        self.client.post(self.url, {"action": "finish"})
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.MEETINGS
        )

        self.client.post(self.url, {"action": "reopen"})

        meeting.refresh_from_db()
        self.assertEqual(meeting.status, Meeting.Status.HELD)

    def test_after_the_meetings_step_the_page_is_read_only(self):
        meeting = self.hold_meeting()
        self.record_all(meeting)
        self.client.post(self.url, {"action": "finish"})
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.APPRAISAL
        )

        page = self.client.get(self.url)
        response = self.client.post(self.url, {"action": "reopen"})

        self.assertIsNone(page.context["details"])
        self.assertNotContains(page, 'value="reopen"')
        self.assertEqual(response.status_code, 403)
        meeting.refresh_from_db()
        self.assertEqual(meeting.status, Meeting.Status.DONE)

    def test_the_result_table_shows_the_tallies_and_the_proposed_level(self):
        meeting = self.hold_meeting()
        self.record_all(meeting)

        response = self.client.get(self.url)

        results = response.content.decode().split('id="meeting-results"')[1]
        self.assertIn('<td class="text-end">4</td>', results)
        self.assertIn(">HTTNV</abbr></td>", results)

    def test_a_renamed_rating_level_shows_on_the_next_opening(self):
        # The levels come from the form template's cache, which a level's
        # save moves on.
        self.open_meeting()
        level = RatingLevel.objects.get(regime=self.cycle.regime, code="HTTNV")
        level.name = "Hoàn thành tốt nhiệm vụ (đã sửa)"
        level.save()
        response = self.client.get(self.url)
        self.assertContains(response, 'title="Hoàn thành tốt nhiệm vụ (đã sửa)"')


class LeadershipMeetingTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.chairman = MemberFactory(
            full_name="Hồ Văn Chủ",
            organization=cls.cell_a,
            party_post="Bí thư",
            is_leader=True,
        )
        cls.vice = MemberFactory(
            full_name="Lý Thị Phó",
            organization=cls.cell_b,
            party_post="Phó Bí thư",
            is_leader=True,
        )
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))
        cls.leadership = cls.cycle.reviews.get(kind=Review.Kind.LEADERSHIP)

    def test_the_leadership_meeting_lists_the_collective_then_its_leaders(self):
        self.client.force_login(self.staff)
        url = reverse("reviews:meeting", args=[self.leadership.public_id])

        response = self.client.get(url)

        self.assertEqual(
            [s.item.review.subject_name for s in response.context["subjects"]],
            [self.leadership.subject_name, "Hồ Văn Chủ", "Lý Thị Phó"],
        )
        self.assertEqual(
            [row.member for row in response.context["rows"]],
            [self.chairman, self.vice],
        )

    def test_the_secretary_of_one_cell_cannot_open_the_leadership_meeting(self):
        self.client.force_login(self.secretary_a)
        url = reverse("reviews:meeting", args=[self.leadership.public_id])

        self.assertEqual(self.client.get(url).status_code, 404)


class MeetingQueryCountTests(CyclePersonasTestCase):
    """The meeting page runs the same queries for a small and a large cell."""

    # Session, user, review (with its meeting, whether the user manages its
    # organization and whether staff recorded its meeting as not held),
    # subjects (with whether each was excused from the form), attendance,
    # assignment, and the savepoint pair of the request's transaction (the
    # levels come from the cache of the collective's form template, filled by
    # a first opening): 8 for the page, and 8 for the rules behind the
    # warnings next to proposals (who heads and leads what: the cycle's posts
    # and leaders, read once).
    QUERIES = 16

    def assert_constant_queries(self, size):
        cell = OrganizationFactory(
            code=f"P01.C{size}", kind=OrganizationKind.CELL, parent=self.ward
        )
        members = []
        for number in range(size):
            member = Member(
                full_name=f"Nguyễn Văn Số {number}",
                gender=Member.Gender.MALE,
                date_of_birth=datetime.date(1980, 1, 1),
                card_number=f"C{size:03d}{number:06d}",
                admitted_on=datetime.date(2000, 1, 1),
                standing=Member.Standing.PROBATIONARY,
                organization=cell,
            )
            member.refresh_keys()
            members.append(member)
        Member.objects.bulk_create(members)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        collective = self.cycle.reviews.get(organization=cell, kind="organization")
        meeting = services.ensure_meeting(collective)
        Meeting.objects.filter(pk=meeting.pk).update(
            held_on="2026-12-05", status=Meeting.Status.HELD
        )
        good = RatingLevel.objects.get(regime=self.cycle.regime, code="HTTNV")
        MeetingItem.objects.filter(meeting=meeting, order__lt=2).update(
            votes={"HTTNV": size}, proposed_rating=good, recorded_at=timezone.now()
        )
        self.client.force_login(self.staff)
        url = reverse("reviews:meeting", args=[collective.public_id])
        self.client.get(url)

        with self.assertNumQueries(self.QUERIES):
            response = self.client.get(url)

        self.assertEqual(len(response.context["subjects"]), size + 1)
        self.assertEqual(response.context["quorum"].present, size)

    def test_ten_members(self):
        self.assert_constant_queries(10)

    def test_five_hundred_members(self):
        self.assert_constant_queries(500)
