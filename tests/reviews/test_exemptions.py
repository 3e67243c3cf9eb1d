from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from organizations.models import Role
from reviews import services
from reviews.models import Meeting, MeetingItem, Review, ReviewCycle, StepExemption

from ..factories import UserFactory, grant
from ..personas import CyclePersonasTestCase
from .test_meeting import MeetingTestCase
from .test_meeting_item import votes_data

Kind = StepExemption.Kind
Status = ReviewCycle.Status


class ExemptionTestCase(CyclePersonasTestCase):
    def setUp(self):
        self.url = reverse("reviews:exemptions", args=[self.cycle.public_id])

    def use_english(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def exempt(self, *reviews, reason="Ốm dài ngày, điều trị tại bệnh viện", **extra):
        data = {"reviews": [str(r.public_id) for r in reviews], "reason": reason}
        return self.client.post(self.url, data | extra)

    def submit_all_but(self, *kept):
        self.cycle.reviews.exclude(pk__in=[r.pk for r in kept]).update(
            status=Review.Status.SUBMITTED, submitted_at=timezone.now()
        )

    def move(self, target):
        return self.client.post(
            reverse("reviews:cycle_move", args=[self.cycle.public_id, target]),
            {"confirm": "on"},
        )


class NotSubmittedTests(ExemptionTestCase):
    def test_staff_close_a_missing_form_with_a_reason_and_the_cycle_moves_on(self):
        self.submit_all_but(self.review_a)
        self.client.force_login(self.staff)
        self.assertContains(self.move(Status.MEETINGS), self.review_a.subject_name)
        self.cycle.refresh_from_db()
        self.assertEqual(self.cycle.status, Status.SELF_REVIEW)

        response = self.exempt(self.review_a)

        self.assertRedirects(response, self.url)
        exemption = StepExemption.objects.get(review=self.review_a)
        self.assertEqual(exemption.kind, Kind.NOT_SUBMITTED)
        self.assertEqual(exemption.reason, "Ốm dài ngày, điều trị tại bệnh viện")
        self.assertEqual(exemption.recorded_by, self.staff)
        self.assertEqual(exemption.history.get().history_user, self.staff)
        self.move(Status.MEETINGS)
        self.cycle.refresh_from_db()
        self.assertEqual(self.cycle.status, Status.MEETINGS)

    def test_the_overview_lists_the_exemption_with_its_reason(self):
        self.client.force_login(self.staff)
        self.exempt(self.review_a, reason="Đi công tác dài ngày ở nước ngoài")

        response = self.client.get(
            reverse("reviews:cycle", args=[self.cycle.public_id])
        )

        self.assertContains(response, "Đi công tác dài ngày ở nước ngoài")
        self.assertEqual(
            dict(response.context["exemptions"]["counts"])[Kind.NOT_SUBMITTED], 1
        )

    def test_one_reason_closes_every_form_still_waiting(self):
        self.client.force_login(self.staff)

        self.exempt(reason="Đang làm thủ tục chuyển sinh hoạt đảng", all_waiting="on")

        self.assertEqual(StepExemption.objects.count(), self.cycle.reviews.count())
        self.assertEqual(services.blockers(self.cycle, Status.MEETINGS), [])

    def test_the_step_page_names_each_subject_left_with_its_cell_and_ward(self):
        self.submit_all_but(self.review_a)
        self.client.force_login(self.staff)

        response = self.client.get(
            reverse("reviews:cycle_move", args=[self.cycle.public_id, "meetings"])
        )

        # About ten wards each have their "Chi bộ Tổ dân phố 1".
        self.assertContains(
            response,
            "Chưa nộp bản kiểm điểm: Nguyễn Văn Ân – Chi bộ Tổ dân phố 1 – "
            "Đảng bộ phường Quyết Thắng",
        )

    def test_the_step_page_names_each_cell_left_with_its_ward(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status=Status.MEETINGS)
        self.client.force_login(self.staff)

        response = self.client.get(
            reverse("reviews:cycle_move", args=[self.cycle.public_id, "appraisal"])
        )

        self.assertContains(
            response,
            "Chưa hoàn thành biên bản hội nghị kiểm điểm: Chi bộ Tổ dân phố 1 – "
            "Đảng bộ phường Quyết Thắng",
        )

    def test_a_blank_reason_is_refused_and_the_ticks_are_kept(self):
        self.use_english()
        self.client.force_login(self.staff)

        response = self.exempt(self.review_a, reason="   ")

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Give the reason.")
        self.assertContains(response, f'value="{self.review_a.public_id}" ')
        self.assertContains(response, "checked")
        self.assertFalse(StepExemption.objects.exists())

    def test_nothing_ticked_is_refused_in_vietnamese(self):
        self.client.force_login(self.staff)

        response = self.exempt()

        self.assertContains(response, "Hãy đánh dấu")
        self.assertFalse(StepExemption.objects.exists())

    def test_garbage_in_the_form_or_the_address_is_refused_plainly(self):
        self.client.force_login(self.staff)

        posted = self.client.post(self.url, {"reviews": "x'--", "reason": "Ốm"})
        address = self.client.get(self.url, {"org": "not-an-id", "page": "abc"})
        too_long = self.exempt(self.review_a, reason="x" * 501)

        self.assertContains(posted, "không hợp lệ")
        self.assertEqual(address.status_code, 404)
        self.assertEqual(too_long.status_code, 200)
        self.assertFalse(StepExemption.objects.exists())

    def test_a_submitted_form_cannot_be_exempted(self):
        self.submit_all_but()
        self.client.force_login(self.staff)

        response = self.exempt(self.review_a)

        self.assertEqual(response.status_code, 200)
        self.assertFalse(StepExemption.objects.exists())

    def test_the_secretary_closes_a_form_of_their_own_cell(self):
        self.client.force_login(self.secretary_a)

        response = self.exempt(self.review_a, reason="Nghỉ thai sản")

        self.assertEqual(response.status_code, 302)
        self.assertTrue(StepExemption.objects.filter(review=self.review_a).exists())

    def test_the_secretary_cannot_close_another_cells_form(self):
        other = self.cycle.reviews.get(member=self.member_b)
        self.client.force_login(self.secretary_a)

        response = self.exempt(other)

        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, self.member_b.full_name)
        self.assertFalse(StepExemption.objects.exists())

    def test_a_member_gets_404(self):
        self.client.force_login(self.member_user)

        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.exempt(self.review_a).status_code, 404)

    def test_a_leader_reads_but_cannot_record(self):
        self.client.force_login(self.leader)

        self.assertEqual(self.client.get(self.url).status_code, 200)
        self.assertEqual(self.exempt(self.review_a).status_code, 403)
        self.assertFalse(StepExemption.objects.exists())

    def test_a_leader_cannot_withdraw_and_is_told_so(self):
        self.client.force_login(self.staff)
        self.exempt(self.review_a)
        exemption = StepExemption.objects.get()
        self.client.force_login(self.leader)

        response = self.client.post(
            reverse("reviews:exemption_withdraw", args=[exemption.public_id])
        )

        self.assertEqual(response.status_code, 403)
        self.assertTrue(StepExemption.objects.exists())

    def test_withdrawing_puts_the_form_back_on_the_list(self):
        self.client.force_login(self.staff)
        self.exempt(self.review_a)
        exemption = StepExemption.objects.get()

        self.client.post(
            reverse("reviews:exemption_withdraw", args=[exemption.public_id])
        )

        self.assertFalse(StepExemption.objects.exists())
        self.assertEqual(exemption.history.count(), 2)
        self.assertTrue(
            services.unsubmitted_reviews(self.cycle).filter(pk=self.review_a.pk)
        )

    def test_an_outsider_cannot_withdraw(self):
        self.client.force_login(self.staff)
        self.exempt(self.review_a)
        exemption = StepExemption.objects.get()
        self.client.force_login(self.secretary_b)

        response = self.client.post(
            reverse("reviews:exemption_withdraw", args=[exemption.public_id])
        )

        self.assertEqual(response.status_code, 404)
        self.assertTrue(StepExemption.objects.exists())

    def test_submitting_the_form_after_all_withdraws_the_exemption(self):
        self.client.force_login(self.staff)
        self.exempt(self.review_a)

        services.save_review(
            self.review_a,
            {"status": Review.Status.SUBMITTED},
            self.review_a.version,
            self.staff,
        )

        self.assertFalse(StepExemption.objects.exists())

    def test_the_checklist_shows_the_reason(self):
        self.client.force_login(self.staff)
        self.exempt(self.review_a, reason="Nghỉ thai sản")
        self.client.force_login(self.secretary_a)

        response = self.client.get(
            reverse(
                "reviews:checklist",
                args=[self.cycle.public_id, self.cell_a.public_id],
            )
        )

        self.assertContains(response, "Nghỉ thai sản")
        self.assertEqual(response.context["counts"]["excused"], 1)


class LaterStepTests(ExemptionTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.staff)
        self.submit_all_but(self.review_a)
        self.exempt(self.review_a)
        self.move(Status.MEETINGS)
        self.cycle.refresh_from_db()

    def test_a_collective_with_nobody_to_invite_gets_no_meeting_but_what_to_fix(self):
        ward = self.cycle.reviews.get(organization=self.ward, kind="organization")

        response = self.client.get(reverse("reviews:meeting", args=[ward.public_id]))

        self.assertContains(response, "không có ai trong sổ đảng viên")
        self.assertFalse(Meeting.objects.filter(review=ward).exists())
        self.assertIn(ward, services.unheld_meetings(self.cycle))

    def test_what_to_fix_links_staff_to_the_register_in_the_admin(self):
        """Staff who may read the register in the admin get the link there; a
        secretary, with no admin, and staff without that right, a page of
        what to fix with no link that would answer 403."""
        ward = self.cycle.reviews.get(organization=self.ward, kind="organization")
        url = reverse("reviews:meeting", args=[ward.public_id])
        admin = reverse("admin:members_member_changelist")
        secretary = UserFactory(username="secretary_ward")
        grant(secretary, self.ward, Role.Kind.SECRETARY)

        without_the_right = self.client.get(url)
        self.staff.user_permissions.add(
            Permission.objects.get(
                codename="view_member", content_type__app_label="members"
            )
        )
        as_staff = self.client.get(url)
        self.client.force_login(secretary)
        as_secretary = self.client.get(url)

        for page in (as_staff, as_secretary, without_the_right):
            self.assertTrue(page.context["nobody_to_invite"])
            self.assertContains(page, "không có ai trong sổ đảng viên")
        self.assertContains(as_staff, f'href="{admin}"')
        self.assertNotContains(as_secretary, admin)
        self.assertNotContains(without_the_right, admin)
        self.client.force_login(self.staff)
        self.assertEqual(self.client.get(admin).status_code, 200)
        self.assertFalse(Meeting.objects.filter(review=ward).exists())

    def test_a_meeting_not_held_is_recorded_and_lets_the_cycle_on(self):
        for review in services.unheld_meetings(self.cycle):
            meeting = services.ensure_meeting(review)
            if meeting:
                meeting.status = Meeting.Status.DONE
                meeting.save()
        ward = self.cycle.reviews.get(organization=self.ward, kind="organization")
        self.assertEqual(list(services.unheld_meetings(self.cycle)), [ward])

        response = self.exempt(ward, reason="Đảng ủy chưa được kiện toàn")

        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            StepExemption.objects.get(review=ward).kind, Kind.MEETING_NOT_HELD
        )
        self.move(Status.APPRAISAL)
        self.cycle.refresh_from_db()
        self.assertEqual(self.cycle.status, Status.APPRAISAL)

    def test_a_member_who_did_not_submit_needs_no_decision(self):
        undecided = services.undecided_reviews(self.cycle)

        self.assertNotIn(self.review_a, undecided)
        self.assertIn(self.collective_a, undecided)

    def test_a_form_cannot_be_exempted_once_the_step_is_past(self):
        other = self.cycle.reviews.get(member=self.other_member_a)

        self.exempt(other)

        self.assertFalse(StepExemption.objects.filter(review=other).exists())

    def test_an_exemption_of_a_past_step_cannot_be_withdrawn(self):
        exemption = StepExemption.objects.get(review=self.review_a)

        self.client.post(
            reverse("reviews:exemption_withdraw", args=[exemption.public_id])
        )

        self.assertTrue(StepExemption.objects.filter(pk=exemption.pk).exists())


class MeetingWithExemptionTests(MeetingTestCase):
    def item_url(self, order):
        return reverse(
            "reviews:meeting_item", args=[self.collective_a.public_id, order]
        )

    def excuse(self, review):
        Review.objects.filter(pk=review.pk).update(status=Review.Status.NEW)
        StepExemption.objects.create(
            review=review,
            kind=Kind.NOT_SUBMITTED,
            reason="Ốm dài ngày",
            recorded_by=self.staff,
        )

    def test_a_member_who_did_not_submit_is_skipped_and_the_meeting_finishes(self):
        self.excuse(self.review_a)
        meeting = self.hold_meeting()
        skipped = meeting.items.get(review=self.review_a)

        page = self.client.get(self.url)
        self.assertContains(page, "Không nộp bản kiểm điểm; lý do: Ốm dài ngày")
        refused = self.client.post(
            self.item_url(skipped.order), votes_data(skipped.order, HTTNV=4)
        )
        self.assertContains(refused, "không nộp bản kiểm điểm")
        meeting.items.exclude(pk=skipped.pk).update(
            votes={"HTTNV": 4}, recorded_at=timezone.now()
        )
        self.client.post(self.url, {"action": "finish"})

        meeting.refresh_from_db()
        self.assertEqual(meeting.status, Meeting.Status.DONE)
        skipped.refresh_from_db()
        self.assertIsNone(skipped.recorded_at)

    def test_an_unsubmitted_form_cannot_get_a_meeting_result(self):
        Review.objects.filter(pk=self.collective_a.pk).update(
            status=Review.Status.DRAFT
        )
        self.hold_meeting()

        response = self.client.post(self.item_url(0), votes_data(0, HTTNV=4))

        self.assertContains(response, "chưa nộp bản kiểm điểm")
        self.assertIsNone(
            MeetingItem.objects.get(
                meeting__review=self.collective_a, order=0
            ).recorded_at
        )

    def test_the_meeting_keeps_its_start_and_end_time(self):
        page = self.open_meeting()

        self.client.post(
            self.url, self.details_data(page, starts_at="08:00", ends_at="11:30")
        )

        meeting = Meeting.objects.get(review=self.collective_a)
        self.assertEqual(meeting.starts_at.strftime("%H:%M"), "08:00")
        self.assertEqual(meeting.ends_at.strftime("%H:%M"), "11:30")

    def test_an_end_before_the_start_is_refused_and_the_input_kept(self):
        page = self.open_meeting()

        response = self.client.post(
            self.url, self.details_data(page, starts_at="14:00", ends_at="13:00")
        )

        self.assertContains(response, "Giờ kết thúc hội nghị phải sau giờ bắt đầu")
        self.assertContains(response, 'value="14:00"')
        self.assertIsNone(Meeting.objects.get(review=self.collective_a).held_on)


class DashboardCountTests(ExemptionTestCase):
    def test_the_dashboard_counts_each_kind_for_organizations_and_members(self):
        self.client.force_login(self.staff)
        self.exempt(self.review_a, self.collective_a)

        response = self.client.get(
            reverse("dashboard"), {"cycle": self.cycle.public_id}
        )

        rows = {row["kind"]: row for row in response.context["figures"]["exemptions"]}
        self.assertEqual(rows[Kind.NOT_SUBMITTED]["members"], 1)
        self.assertEqual(rows[Kind.NOT_SUBMITTED]["organizations"], 1)
        self.assertEqual(rows[Kind.MEETING_NOT_HELD]["members"], 0)
        self.assertContains(response, "Việc khép lại không hoàn thành, có lý do")
        # As the leader reads it: a row of each kind, with its counts.
        row = (
            '<tr><th scope="row" class="fw-normal">{}</th>'
            '<td class="text-end">{}</td><td class="text-end">{}</td></tr>'
        )
        not_held = "Không tổ chức được hội nghị kiểm điểm"
        self.assertInHTML(row.format("Không nộp bản kiểm điểm", 1, 1), response.text)
        self.assertInHTML(row.format(not_held, 0, 0), response.text)


class MeetingNotHeldAfterAllTests(MeetingTestCase):
    def test_recording_the_meeting_to_the_end_withdraws_the_not_held_record(self):
        StepExemption.objects.create(
            review=self.collective_a,
            kind=Kind.MEETING_NOT_HELD,
            reason="Chưa đủ số lượng",
            recorded_by=self.staff,
        )
        meeting = self.hold_meeting()
        self.assertContains(self.client.get(self.url), "Chưa đủ số lượng")
        self.record_all(meeting)

        self.client.post(self.url, {"action": "finish"})

        meeting.refresh_from_db()
        self.assertEqual(meeting.status, Meeting.Status.DONE)
        self.assertFalse(self.collective_a.exemptions.exists())
