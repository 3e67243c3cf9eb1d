import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from reviews import guards, services
from reviews.models import (
    Assignment,
    Attendance,
    CarryOverItem,
    CycleExclusion,
    FocusArea,
    Meeting,
    MeetingItem,
    Notice,
    Rating,
    RemedyAction,
    Review,
    ReviewCycle,
    Suggestion,
    SuggestionAnswer,
    SuggestionItem,
)

from ..personas import CyclePersonasTestCase
from .test_publish import decide_all, level

Status = ReviewCycle.Status


class ClosedCycleTestCase(CyclePersonasTestCase):
    """The personas' cycle with a row of every guarded kind, then published."""

    closed_status = Status.LOCKED

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.meeting = services.ensure_meeting(cls.collective_a)
        suggestion = Suggestion.objects.create(
            cycle=cls.cycle, member=cls.member_a, issued_on=datetime.date(2026, 11, 1)
        )
        cls.item = SuggestionItem.objects.create(
            suggestion=suggestion,
            number=1,
            focus_area=FocusArea.objects.first(),
            text="Làm rõ trách nhiệm trong công tác giải phóng mặt bằng",
        )
        SuggestionAnswer.objects.create(review=cls.review_a, item=cls.item, text="…")
        CarryOverItem.objects.create(review=cls.review_a, number=1, text="Hạn chế")
        Assignment.objects.create(
            cycle=cls.cycle, organization=cls.cell_a, assignee=cls.staff
        )
        CycleExclusion.objects.create(
            cycle=cls.cycle,
            member=cls.member_b,
            organization=cls.cell_b,
            reason="exempt",
        )
        decide_all(cls.cycle, cls.staff)
        services.move_cycle(cls.cycle, Status.PUBLISHED, cls.staff)
        if cls.closed_status == Status.LOCKED:
            services.move_cycle(cls.cycle, Status.LOCKED, cls.staff)
        cls.cycle.refresh_from_db()


class LockedCycleModelTests(ClosedCycleTestCase):
    def guarded_rows(self):
        return [
            Review.objects.get(pk=self.review_a.pk),
            Rating.objects.filter(review=self.review_a).first(),
            CarryOverItem.objects.first(),
            SuggestionAnswer.objects.first(),
            Suggestion.objects.first(),
            SuggestionItem.objects.first(),
            Meeting.objects.first(),
            Attendance.objects.first(),
            MeetingItem.objects.first(),
            Assignment.objects.first(),
            CycleExclusion.objects.first(),
        ]

    def test_a_review_save_is_refused_and_nothing_changes(self):
        review = Review.objects.get(pk=self.review_a.pk)
        review.answers = {"I": "Sửa sau khi khóa"}
        with self.assertRaises(guards.CycleClosed):
            review.save()
        review.refresh_from_db()
        self.assertEqual(review.answers, {})

    def test_a_rating_save_is_refused(self):
        rating = Rating.objects.get(review=self.review_a, stage="decision")
        rating.level = level(self.cycle, "HTXSNV")
        with self.assertRaises(guards.CycleClosed):
            rating.save()
        rating.refresh_from_db()
        self.assertEqual(rating.level.code, "HTTNV")

    def test_a_new_rating_is_refused(self):
        with self.assertRaises(guards.CycleClosed):
            Rating.objects.create(
                review=self.review_a,
                stage="appraisal",
                level=level(self.cycle, "HTTNV"),
                set_at=timezone.now(),
            )
        self.assertFalse(Rating.objects.filter(stage="appraisal").exists())

    def test_every_row_of_the_cycle_refuses_save_and_delete(self):
        for row in self.guarded_rows():
            with self.subTest(model=type(row).__name__):
                with self.assertRaises(guards.CycleClosed):
                    row.save()
                # A refused delete breaks the transaction, as in a request.
                with self.assertRaises(guards.CycleClosed), transaction.atomic():
                    row.delete()
                self.assertTrue(type(row).objects.filter(pk=row.pk).exists())

    def test_the_locked_cycle_cannot_be_deleted(self):
        with self.assertRaises(guards.CycleClosed), transaction.atomic():
            ReviewCycle.objects.get(pk=self.cycle.pk).delete()
        self.assertTrue(Review.objects.filter(pk=self.review_a.pk).exists())

    def test_a_row_cannot_be_moved_out_of_the_locked_cycle(self):
        other = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2027",
            year=2027,
            starts_on="2027-01-01",
            ends_on="2027-12-31",
            regime=self.cycle.regime,
            superior=self.committee,
        )
        assignment = Assignment.objects.get()
        assignment.cycle = other
        with self.assertRaises(guards.CycleClosed):
            assignment.save()

    def test_a_row_cannot_be_moved_into_the_locked_cycle(self):
        other = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2027",
            year=2027,
            starts_on="2027-01-01",
            ends_on="2027-12-31",
            regime=self.cycle.regime,
            superior=self.committee,
        )
        assignment = Assignment.objects.create(
            cycle=other, organization=self.cell_b, assignee=self.staff
        )
        assignment.cycle = self.cycle
        with self.assertRaises(guards.CycleClosed):
            assignment.save()

    def test_the_cycle_cannot_be_moved_back_by_saving_it(self):
        cycle = ReviewCycle.objects.get(pk=self.cycle.pk)
        cycle.status = Status.DECIDED
        with self.assertRaises(guards.CycleClosed):
            cycle.save()
        cycle.refresh_from_db()
        self.assertEqual(cycle.status, Status.LOCKED)

    def test_saving_a_review_form_through_the_service_is_refused(self):
        review = Review.objects.get(pk=self.review_a.pk)
        with self.assertRaises(guards.CycleClosed):
            services.save_review(
                review, {"answers": {"I": "…"}}, review.version, self.member_user
            )

    def test_remedy_actions_stay_editable(self):
        action = RemedyAction.objects.create(
            review=self.review_a,
            number=1,
            shortcoming="Chậm nộp bản kiểm điểm",
            content="Nộp đúng hạn",
            owner="Nguyễn Văn Ân",
            deadline=datetime.date(2027, 6, 30),
        )
        action.status = RemedyAction.Status.DONE
        action.evidence = "Đã nộp đúng hạn quý I"
        action.save()
        action.refresh_from_db()
        self.assertEqual(action.status, RemedyAction.Status.DONE)

    def test_notices_can_still_be_written(self):
        notice = Notice.objects.get(user=self.member_user)
        notice.read_at = timezone.now()
        notice.save()

    def test_trusted_code_may_write_inside_closed_cycle_writes(self):
        review = Review.objects.get(pk=self.review_a.pk)
        review.answers = {"I": "Nhập lịch sử"}
        with guards.closed_cycle_writes():
            review.save()
        with self.assertRaises(guards.CycleClosed):
            review.save()


class PublishedCycleTests(ClosedCycleTestCase):
    closed_status = Status.PUBLISHED

    def test_a_published_cycle_refuses_writes_too(self):
        review = Review.objects.get(pk=self.review_a.pk)
        with self.assertRaises(guards.CycleClosed):
            review.save()

    def test_publication_may_move_on_to_locked(self):
        services.move_cycle(self.cycle, Status.LOCKED, self.staff)
        self.cycle.refresh_from_db()
        self.assertEqual(self.cycle.status, Status.LOCKED)

    def test_the_review_page_refuses_a_save_with_403(self):
        self.client.force_login(self.member_user)
        url = reverse("reviews:review", args=[self.review_a.public_id])
        response = self.client.post(url, {"version": 0, "action": "save"})
        self.assertEqual(response.status_code, 403)
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.version, 0)

    def test_an_open_cycle_still_accepts_writes(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status=Status.DECIDED)
        review = Review.objects.get(pk=self.review_a.pk)
        review.answers = {"I": "Sửa khi chưa công bố"}
        review.save()


class LockedCycleAdminTests(ClosedCycleTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.root = get_user_model().objects.create_superuser("root", password="x")

    def setUp(self):
        self.client.force_login(self.root)

    def change_url(self, obj):
        meta = obj._meta
        return reverse(
            f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]
        )

    def test_a_review_of_a_locked_cycle_is_shown_read_only(self):
        response = self.client.get(self.change_url(self.review_a))
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, 'name="_save"')

    def test_an_admin_change_of_a_locked_review_is_refused(self):
        response = self.client.post(
            self.change_url(self.review_a),
            {"subject_name": "Đổi tên", "status": "draft"},
        )
        self.assertEqual(response.status_code, 403)
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.subject_name, "Nguyễn Văn Ân")

    def test_an_admin_delete_of_a_locked_review_is_refused(self):
        url = reverse("admin:reviews_review_delete", args=[self.review_a.pk])
        response = self.client.post(url, {"post": "yes"})
        self.assertEqual(response.status_code, 403)
        self.assertTrue(Review.objects.filter(pk=self.review_a.pk).exists())

    def test_the_delete_action_on_locked_reviews_is_refused(self):
        response = self.client.post(
            reverse("admin:reviews_review_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [self.review_a.pk],
                "post": "yes",
            },
        )
        self.assertEqual(response.status_code, 403)
        self.assertTrue(Review.objects.filter(pk=self.review_a.pk).exists())

    def test_a_meeting_and_its_attendance_are_read_only(self):
        response = self.client.post(
            self.change_url(self.meeting), {"place": "Hội trường"}
        )
        self.assertEqual(response.status_code, 403)
        self.meeting.refresh_from_db()
        self.assertEqual(self.meeting.place, "")

    def test_the_locked_cycle_itself_is_read_only(self):
        response = self.client.post(
            self.change_url(self.cycle), {"name": "Đổi tên", "status": "decided"}
        )
        self.assertEqual(response.status_code, 403)
        self.cycle.refresh_from_db()
        self.assertEqual(self.cycle.status, Status.LOCKED)

    def test_the_status_of_an_open_cycle_is_not_changed_in_the_admin(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status=Status.DECIDED)
        response = self.client.get(self.change_url(self.cycle))
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("status", response.context["adminform"].form.fields)
