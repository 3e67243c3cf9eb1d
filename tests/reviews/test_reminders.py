"""Deadlines where the work is done, the daily reminders and the weekly digest.

The cycle of the personas has forms due 15/12/2026 and meetings due 31/12/2026,
and reminds 3 days ahead: from 12/12 for the forms, from 28/12 for the meetings.
"""

import datetime
import io
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from kontum_review.celery import app
from reviews import reminders
from reviews.models import (
    Meeting,
    Notice,
    RemedyAction,
    Review,
    ReviewCycle,
    StepExemption,
)
from reviews.tasks import send_reminders_task

from .test_review_form import ReviewFormTestCase

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = datetime.date


class ReminderWorld(ReviewFormTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for user, address in (
            (cls.member_user, "an@example.vn"),
            (cls.secretary_a, "bt.a@example.vn"),
            (cls.secretary_b, "bt.b@example.vn"),
            (cls.leader, "lanh.dao@example.vn"),
            (cls.staff, "van.phong@example.vn"),
        ):
            user.email = address
            user.save(update_fields=["email"])

    def reminders(self, day):
        reminders.send_reminders(day)
        return {
            notice.user.username: notice.text
            for notice in Notice.objects.filter(
                kind=Notice.Kind.REMINDER, day=day
            ).select_related("user")
        }

    def submit(self, review):
        Review.objects.filter(pk=review.pk).update(status=Review.Status.SUBMITTED)

    def move(self, status):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status=status)

    def action(self, review, deadline, **values):
        number = review.remedy_actions.count() + 1
        return RemedyAction.objects.create(
            review=review,
            number=number,
            shortcoming="Chưa tham gia sinh hoạt đều",
            content="Tham gia đủ các kỳ sinh hoạt",
            owner="Đồng chí Ân",
            deadline=deadline,
            **values,
        )


class FormReminderTests(ReminderWorld):
    def test_nobody_is_reminded_before_the_window(self):
        self.assertEqual(self.reminders(DAY(2026, 12, 11)), {})
        self.assertEqual(mail.outbox, [])

    def test_the_member_and_the_secretaries_are_reminded_in_the_window(self):
        sent = self.reminders(DAY(2026, 12, 12))
        self.assertEqual(
            sent["member_a"],
            "Phiếu tự kiểm điểm của đồng chí trong đợt Kiểm điểm năm 2026: "
            "hạn 15/12/2026, còn 3 ngày.",
        )
        # Cell A: its collective and two members; cell B: its collective, one.
        self.assertIn("Chi bộ Tổ dân phố 1: 3 phiếu chưa nộp", sent["secretary_a"])
        self.assertIn("Chi bộ Tổ dân phố 2: 2 phiếu chưa nộp", sent["secretary_b"])
        self.assertNotIn("staff", sent)
        self.assertNotIn("leader", sent)
        notice = Notice.objects.get(user=self.member_user, kind=Notice.Kind.REMINDER)
        self.assertEqual(
            notice.url, reverse("reviews:review", args=[self.review_a.public_id])
        )
        to = sorted(message.to[0] for message in mail.outbox)
        self.assertEqual(to, ["an@example.vn", "bt.a@example.vn", "bt.b@example.vn"])
        message = next(m for m in mail.outbox if m.to == ["an@example.vn"])
        self.assertIn("Phiếu tự kiểm điểm của đồng chí", message.body)

    def test_at_most_one_reminder_a_day_and_again_the_next_day(self):
        day = DAY(2026, 12, 13)
        reminders.send_reminders(day)
        reminders.send_reminders(day)
        self.assertEqual(
            Notice.objects.filter(user=self.member_user, day=day).count(), 1
        )
        self.assertEqual(len(mail.outbox), 3)
        reminders.send_reminders(day + datetime.timedelta(days=1))
        self.assertEqual(
            Notice.objects.filter(
                user=self.member_user, kind=Notice.Kind.REMINDER
            ).count(),
            2,
        )
        self.assertEqual(len(mail.outbox), 6)

    def test_an_overdue_form_says_how_late(self):
        sent = self.reminders(DAY(2026, 12, 20))
        self.assertIn("hạn 15/12/2026, quá hạn 5 ngày", sent["member_a"])

    def test_a_submitted_or_excused_form_is_not_reminded(self):
        self.submit(self.review_a)
        StepExemption.objects.create(
            review=self.other_member_a_review(),
            kind=StepExemption.Kind.NOT_SUBMITTED,
            reason="Ốm dài ngày",
            recorded_by=self.staff,
        )
        sent = self.reminders(DAY(2026, 12, 14))
        self.assertNotIn("member_a", sent)
        self.assertIn("Chi bộ Tổ dân phố 1: 1 phiếu chưa nộp", sent["secretary_a"])

    def test_no_form_reminder_once_the_cycle_has_moved_on(self):
        self.move(ReviewCycle.Status.MEETINGS)
        sent = self.reminders(DAY(2026, 12, 14))
        self.assertEqual(sent, {})

    def test_an_inactive_account_is_not_reminded(self):
        self.member_user.is_active = False
        self.member_user.save(update_fields=["is_active"])
        self.assertNotIn("member_a", self.reminders(DAY(2026, 12, 14)))

    def other_member_a_review(self):
        return self.cycle.reviews.get(member=self.other_member_a)


class CycleReminderDaysTests(ReminderWorld):
    """The cycle's own reminder_days, not the default 3, opens the window."""

    def setUp(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(reminder_days=7)

    def reminded_on(self, now):
        Notice.objects.all().delete()
        with time_machine.travel(now, tick=False):
            send_reminders_task.apply()
        return set(
            Notice.objects.filter(kind=Notice.Kind.REMINDER).values_list(
                "user__username", flat=True
            )
        )

    def test_forms_are_reminded_from_seven_days_ahead(self):
        # Forms due 15/12: 12/12 under the default, 08/12 under this cycle's 7.
        at_seven = datetime.time(7, 0, tzinfo=LOCAL)
        self.assertEqual(
            self.reminded_on(datetime.datetime.combine(DAY(2026, 12, 7), at_seven)),
            set(),
        )
        self.assertEqual(
            self.reminded_on(datetime.datetime.combine(DAY(2026, 12, 8), at_seven)),
            {"member_a", "secretary_a", "secretary_b"},
        )
        notice = Notice.objects.get(user=self.member_user)
        self.assertIn("hạn 15/12/2026, còn 7 ngày", notice.text)

    def test_meetings_and_remedy_actions_follow_the_cycle_too(self):
        self.move(ReviewCycle.Status.MEETINGS)
        self.assertEqual(self.reminders(DAY(2026, 12, 23)), {})
        self.assertIn("còn 7 ngày", self.reminders(DAY(2026, 12, 24))["secretary_a"])
        self.move(ReviewCycle.Status.PUBLISHED)
        self.action(self.review_a, DAY(2027, 3, 31))
        self.assertEqual(self.reminders(DAY(2027, 3, 23)), {})
        self.assertIn("member_a", self.reminders(DAY(2027, 3, 24)))

    def test_a_cycle_that_reminds_later_waits(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(reminder_days=1)
        self.assertEqual(self.reminders(DAY(2026, 12, 12)), {})
        self.assertIn("còn 1 ngày", self.reminders(DAY(2026, 12, 14))["member_a"])


class MeetingReminderTests(ReminderWorld):
    def setUp(self):
        self.move(ReviewCycle.Status.MEETINGS)

    def test_secretaries_are_reminded_of_unrecorded_meetings(self):
        self.assertEqual(self.reminders(DAY(2026, 12, 27)), {})
        sent = self.reminders(DAY(2026, 12, 28))
        self.assertIn(
            "Hội nghị kiểm điểm của Chi bộ Tổ dân phố 1 chưa được ghi xong, "
            "hạn 31/12/2026, còn 3 ngày.",
            sent["secretary_a"],
        )
        self.assertNotIn("member_a", sent)
        notice = Notice.objects.get(user=self.secretary_a, day=DAY(2026, 12, 28))
        self.assertEqual(
            notice.url, reverse("reviews:meeting", args=[self.collective_a.public_id])
        )

    def test_a_recorded_meeting_is_not_reminded(self):
        Meeting.objects.create(review=self.collective_a, status=Meeting.Status.DONE)
        sent = self.reminders(DAY(2027, 1, 2))
        self.assertNotIn("secretary_a", sent)
        self.assertIn("quá hạn 2 ngày", sent["secretary_b"])


class RemedyReminderTests(ReminderWorld):
    def setUp(self):
        self.move(ReviewCycle.Status.PUBLISHED)

    def test_the_member_and_the_secretary_follow_an_action_due(self):
        self.action(self.review_a, DAY(2027, 3, 31))
        self.assertEqual(self.reminders(DAY(2027, 3, 27)), {})
        sent = self.reminders(DAY(2027, 3, 28))
        expected = "Kế hoạch khắc phục của Nguyễn Văn Ân: 1 biện pháp sắp đến hạn."
        self.assertEqual(sent["member_a"], expected)
        self.assertEqual(sent["secretary_a"], expected)
        self.assertNotIn("secretary_b", sent)

    def test_overdue_and_due_soon_are_counted_apart(self):
        self.action(self.review_a, DAY(2027, 3, 1))
        self.action(self.review_a, DAY(2027, 3, 2))
        self.action(self.review_a, DAY(2027, 3, 31))
        sent = self.reminders(DAY(2027, 3, 30))
        self.assertEqual(
            sent["member_a"],
            "Kế hoạch khắc phục của Nguyễn Văn Ân: 2 biện pháp quá hạn, "
            "1 biện pháp sắp đến hạn.",
        )

    def test_done_or_carried_actions_are_not_reminded(self):
        old = self.action(self.review_a, DAY(2027, 3, 1))
        self.action(self.review_a, DAY(2027, 3, 1), status=RemedyAction.Status.DONE)
        self.action(self.review_a, DAY(2027, 6, 30), carried_from=old)
        self.assertEqual(self.reminders(DAY(2027, 3, 30)), {})


class DigestTests(ReminderWorld):
    def digests(self, day):
        reminders.send_digest(day)
        return {
            notice.user.username: notice.text
            for notice in Notice.objects.filter(
                kind=Notice.Kind.DIGEST, day=day
            ).select_related("user")
        }

    def test_nothing_late_sends_no_digest(self):
        self.assertEqual(self.digests(DAY(2026, 12, 14)), {})

    def test_staff_and_leaders_read_what_is_late_in_their_subtree(self):
        self.submit(self.collective_a)
        self.action(self.review_a, DAY(2026, 12, 1))
        sent = self.digests(DAY(2026, 12, 21))
        self.assertEqual(
            sent["staff"],
            "Thành ủy Kon Tum: 5 phiếu quá hạn, 1 biện pháp khắc phục quá hạn.",
        )
        self.assertEqual(
            sent["leader"],
            "Đảng bộ phường Quyết Thắng: 5 phiếu quá hạn, "
            "1 biện pháp khắc phục quá hạn.",
        )
        self.assertEqual(set(sent), {"staff", "leader"})
        self.assertEqual(
            sorted(message.to[0] for message in mail.outbox),
            ["lanh.dao@example.vn", "van.phong@example.vn"],
        )
        self.assertIn("tổng hợp", mail.outbox[0].subject)

    def test_late_meetings_are_counted_in_the_meetings_step(self):
        self.move(ReviewCycle.Status.MEETINGS)
        sent = self.digests(DAY(2027, 1, 4))
        self.assertEqual(
            sent["leader"], "Đảng bộ phường Quyết Thắng: 3 hội nghị kiểm điểm quá hạn."
        )


class ScheduleTests(ReminderWorld):
    """Celery beat's entries, read with a frozen clock."""

    def entry(self, name):
        return app.conf.beat_schedule[name]

    def is_due(self, name, now, last_run):
        with time_machine.travel(now, tick=False):
            return self.entry(name)["schedule"].is_due(last_run).is_due

    def test_reminders_are_due_each_morning_at_seven(self):
        last_run = datetime.datetime(2026, 12, 11, 7, 0, tzinfo=LOCAL)
        self.assertEqual(
            self.entry("send-reminders")["task"], "reviews.tasks.send_reminders_task"
        )
        self.assertFalse(
            self.is_due(
                "send-reminders",
                datetime.datetime(2026, 12, 12, 6, 59, tzinfo=LOCAL),
                last_run,
            )
        )
        self.assertTrue(
            self.is_due(
                "send-reminders",
                datetime.datetime(2026, 12, 12, 7, 0, 5, tzinfo=LOCAL),
                last_run,
            )
        )

    def test_the_digest_is_due_on_mondays_only(self):
        last_run = datetime.datetime(2026, 12, 7, 7, 30, tzinfo=LOCAL)  # Monday
        tuesday = datetime.datetime(2026, 12, 8, 7, 30, 5, tzinfo=LOCAL)
        monday = datetime.datetime(2026, 12, 14, 7, 30, 5, tzinfo=LOCAL)
        self.assertFalse(self.is_due("weekly-digest", tuesday, last_run))
        self.assertTrue(self.is_due("weekly-digest", monday, last_run))

    def test_the_task_reminds_for_the_day_of_the_clock(self):
        with time_machine.travel(
            datetime.datetime(2026, 12, 13, 7, 0, tzinfo=LOCAL), tick=False
        ):
            send_reminders_task.apply()
        self.assertEqual(
            set(
                Notice.objects.filter(kind=Notice.Kind.REMINDER).values_list(
                    "day", flat=True
                )
            ),
            {DAY(2026, 12, 13)},
        )

    def test_the_command_sends_both(self):
        call_command("send_reminders", "--date", "2026-12-12", stdout=io.StringIO())
        call_command(
            "send_reminders", "--digest", "--date", "2026-12-21", stdout=io.StringIO()
        )
        kinds = set(Notice.objects.values_list("kind", flat=True))
        self.assertEqual(kinds, {Notice.Kind.REMINDER, Notice.Kind.DIGEST})


class ReturnedFormTests(ReminderWorld):
    def test_the_member_is_told_when_the_form_is_returned(self):
        self.submit(self.review_a)
        self.client.force_login(self.secretary_a)
        self.client.post(
            reverse("reviews:review_return", args=[self.review_a.public_id]),
            {"comment": "Bổ sung mục II"},
        )
        notice = Notice.objects.get(user=self.member_user)
        self.assertEqual(notice.kind, Notice.Kind.RETURNED)
        self.assertIn("Bổ sung mục II", notice.text)
        self.assertEqual(mail.outbox[0].to, ["an@example.vn"])
        self.assertIn("trả lại", mail.outbox[0].subject)
        # The menu counts it; the notices page lists it, with its link.
        self.client.force_login(self.member_user)
        response = self.client.get(reverse("reviews:notices"))
        self.assertContains(response, '<span class="visually-hidden"> chưa đọc')
        self.assertEqual(response.context["user"].unread_notices, 1)
        self.assertContains(
            response, reverse("reviews:review", args=[self.review_a.public_id])
        )


@override_settings(LANGUAGE_CODE="vi")
class DeadlineDisplayTests(ReminderWorld):
    def checklist(self, user):
        self.client.force_login(user)
        return self.client.get(
            reverse(
                "reviews:checklist",
                args=[self.cycle.public_id, self.cell_a.public_id],
            )
        )

    def test_the_checklist_and_the_form_show_the_days_left(self):
        with time_machine.travel(datetime.datetime(2026, 12, 13, 9, tzinfo=LOCAL)):
            response = self.checklist(self.secretary_a)
            self.assertContains(
                response, 'Hạn nộp phiếu: <span class="text-nowrap">15/12/2026'
            )
            self.assertContains(response, "còn 2 ngày")
            self.assertNotContains(response, "Quá hạn")
            self.client.force_login(self.member_user)
            form = self.client.get(self.url(self.review_a))
            self.assertContains(form, "còn 2 ngày")

    def test_late_forms_are_marked(self):
        with time_machine.travel(datetime.datetime(2026, 12, 17, 9, tzinfo=LOCAL)):
            response = self.checklist(self.secretary_a)
        self.assertContains(response, "quá hạn 2 ngày")
        self.assertContains(response, ">Quá hạn</span>", count=2)

    def meeting_page(self, now):
        with time_machine.travel(now):
            self.client.force_login(self.secretary_a)
            return self.client.get(
                reverse("reviews:meeting", args=[self.collective_a.public_id])
            )

    def test_the_meeting_page_shows_its_deadline_and_the_days_left(self):
        self.move(ReviewCycle.Status.MEETINGS)
        # Meetings due 31/12/2026; the cycle reminds 3 days ahead.
        response = self.meeting_page(datetime.datetime(2026, 12, 20, 9, tzinfo=LOCAL))
        self.assertContains(
            response, 'Hạn hội nghị kiểm điểm: <span class="text-nowrap">31/12/2026'
        )
        self.assertContains(
            response,
            '<span class="text-body-secondary text-nowrap">(còn 11 ngày)</span>',
            html=True,
        )
        response = self.meeting_page(datetime.datetime(2026, 12, 29, 9, tzinfo=LOCAL))
        self.assertContains(
            response, '<span class="badge text-bg-warning">còn 2 ngày</span>', html=True
        )
        response = self.meeting_page(datetime.datetime(2026, 12, 31, 9, tzinfo=LOCAL))
        self.assertContains(
            response,
            '<span class="badge text-bg-warning">đến hạn hôm nay</span>',
            html=True,
        )

    def test_a_late_meeting_is_marked_until_it_is_recorded(self):
        self.move(ReviewCycle.Status.MEETINGS)
        late = datetime.datetime(2027, 1, 2, 9, tzinfo=LOCAL)
        response = self.meeting_page(late)
        self.assertContains(
            response, 'Hạn hội nghị kiểm điểm: <span class="text-nowrap">31/12/2026'
        )
        self.assertContains(
            response,
            '<span class="badge text-bg-danger">quá hạn 2 ngày</span>',
            html=True,
        )
        # The page opened the meeting; it is now recorded.
        Meeting.objects.update_or_create(
            review=self.collective_a, defaults={"status": Meeting.Status.DONE}
        )
        response = self.meeting_page(late)
        self.assertContains(
            response, 'Hạn hội nghị kiểm điểm: <span class="text-nowrap">31/12/2026'
        )
        self.assertNotContains(response, "quá hạn")

    def test_the_meeting_page_warns_as_early_as_the_cycle_reminds(self):
        self.move(ReviewCycle.Status.MEETINGS)
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(reminder_days=14)
        response = self.meeting_page(datetime.datetime(2026, 12, 20, 9, tzinfo=LOCAL))
        self.assertContains(
            response,
            '<span class="badge text-bg-warning">còn 11 ngày</span>',
            html=True,
        )

    def test_a_remedy_action_shows_its_deadline(self):
        self.move(ReviewCycle.Status.PUBLISHED)
        action = self.action(self.review_a, DAY(2027, 3, 31))
        with time_machine.travel(datetime.datetime(2027, 4, 2, 9, tzinfo=LOCAL)):
            self.client.force_login(self.secretary_a)
            response = self.client.get(
                reverse("reviews:remedy_action", args=[action.public_id])
            )
        self.assertContains(response, "31/03/2027")
        self.assertContains(response, "quá hạn 2 ngày")
