import math
from decimal import Decimal

from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from organizations.models import Role
from reviews import publishing, services
from reviews.models import (
    Notice,
    Rating,
    RatingLevel,
    Review,
    ReviewCycle,
    StepExemption,
)

from ..factories import UserFactory, grant
from ..personas import CyclePersonasTestCase
from .test_decide import build_cycle

Status = ReviewCycle.Status
ASSESSMENT = "Giữ vững phẩm chất chính trị; hoàn thành tốt nhiệm vụ được giao."


def level(cycle, code):
    return RatingLevel.objects.get(regime=cycle.regime, code=code)


def decide_all(cycle, user, code="HTTNV"):
    """A decided rating for every review of the cycle, which is then decided."""
    Rating.objects.bulk_create(
        Rating(
            review=review,
            stage=Rating.Stage.DECISION,
            level=level(cycle, code),
            score=Decimal("85.50"),
            assessment=ASSESSMENT,
            set_by=user,
            set_at=timezone.now(),
        )
        for review in cycle.reviews.all()
    )
    ReviewCycle.objects.filter(pk=cycle.pk).update(status=Status.DECIDED)
    cycle.refresh_from_db()


def publish(testcase, cycle, user):
    """Move the cycle to published and run what waits for the commit."""
    with testcase.captureOnCommitCallbacks(execute=True):
        services.move_cycle(cycle, Status.PUBLISHED, user)
    cycle.refresh_from_db()


class PublishResultsTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Member.objects.filter(pk=cls.member_a.pk).update(email="an@kontum.vn")
        cls.member_user.email = "an.taikhoan@kontum.vn"
        cls.member_user.save()
        cls.secretary_a.email = "bithu.a@kontum.vn"
        cls.secretary_a.save()
        # A member without an account, known only by the register's address.
        Member.objects.filter(pk=cls.other_member_a.pk).update(email="binh@kontum.vn")
        decide_all(cls.cycle, cls.staff)

    def mail_to(self, address):
        found = [m for m in mail.outbox if m.to == [address]]
        self.assertEqual(len(found), 1, address)
        return found[0]

    def test_each_subject_user_gets_one_notice_with_the_final_level(self):
        publish(self, self.cycle, self.staff)
        notices = {
            (n.user, n.review): n.text for n in Notice.objects.select_related("review")
        }
        self.assertEqual(
            set(notices),
            {
                (self.member_user, self.review_a),
                (self.secretary_a, self.collective_a),
                (
                    self.secretary_b,
                    self.cycle.reviews.get(
                        organization=self.cell_b, kind="organization"
                    ),
                ),
            },
        )
        text = notices[self.member_user, self.review_a]
        self.assertIn("Hoàn thành tốt nhiệm vụ", text)
        self.assertIn("85,5", text)

    def test_results_are_emailed_in_vietnamese_only_after_the_commit(self):
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            services.move_cycle(self.cycle, Status.PUBLISHED, self.staff)
        self.assertEqual(mail.outbox, [])
        for callback in callbacks:
            callback()
        message = self.mail_to("an@kontum.vn")
        self.assertIn(self.review_a.subject_name, message.subject)
        self.assertIn("Cấp ủy cấp trên quyết định", message.body)
        self.assertIn("Hoàn thành tốt nhiệm vụ (HTTNV)", message.body)
        self.assertIn(ASSESSMENT, message.body)
        self.assertIn("85,5", message.body)

    def test_a_secretary_is_mailed_the_result_of_their_organization(self):
        publish(self, self.cycle, self.staff)
        message = self.mail_to("bithu.a@kontum.vn")
        self.assertIn(self.cell_a.name, message.subject)

    def test_the_register_address_comes_before_the_account_address(self):
        publish(self, self.cycle, self.staff)
        self.mail_to("an@kontum.vn")
        self.assertFalse(any("an.taikhoan@kontum.vn" in m.to for m in mail.outbox))

    def test_without_a_register_address_the_account_address_is_used(self):
        Member.objects.filter(pk=self.member_a.pk).update(email="")
        publish(self, self.cycle, self.staff)
        self.mail_to("an.taikhoan@kontum.vn")

    def test_a_member_without_an_account_is_mailed_but_gets_no_notice(self):
        publish(self, self.cycle, self.staff)
        self.mail_to("binh@kontum.vn")
        other = self.cycle.reviews.get(member=self.other_member_a)
        self.assertFalse(Notice.objects.filter(review=other).exists())

    def test_nobody_without_an_address_is_mailed(self):
        publish(self, self.cycle, self.staff)
        self.assertEqual(
            sorted(address for m in mail.outbox for address in m.to),
            ["an@kontum.vn", "binh@kontum.vn", "bithu.a@kontum.vn"],
        )

    def test_publishing_again_creates_and_sends_nothing_twice(self):
        publish(self, self.cycle, self.staff)
        notices = list(Notice.objects.order_by("pk").values_list("pk", "text"))
        with self.captureOnCommitCallbacks(execute=True):
            publishing.publish_results(self.cycle, self.staff)
        self.assertEqual(
            list(Notice.objects.order_by("pk").values_list("pk", "text")), notices
        )
        self.assertEqual(len(mail.outbox), 3)

    def test_a_changed_decision_renews_that_notice_and_mails_only_its_user(self):
        publish(self, self.cycle, self.staff)
        Notice.objects.update(read_at=timezone.now())
        publishing.reopen_cycle(self.cycle, "Sửa quyết định sau phúc tra", self.staff)
        Rating.objects.get(review=self.review_a, stage="decision").delete()
        # A score and conditions that allow HTXSNV, as publishing checks.
        Review.objects.filter(pk=self.review_a.pk).update(
            tasks_on_time_percent=100,
            tasks_exceeding_percent=40,
            shortcomings_remedied_percent=100,
        )
        Rating.objects.create(
            review=self.review_a,
            stage="decision",
            level=level(self.cycle, "HTXSNV"),
            score=95,
            set_at=timezone.now(),
            assessment=ASSESSMENT,
        )
        mail.outbox.clear()
        self.cycle.refresh_from_db()
        publish(self, self.cycle, self.staff)
        self.assertEqual([m.to for m in mail.outbox], [["an@kontum.vn"]])
        self.assertIn("Hoàn thành xuất sắc nhiệm vụ", mail.outbox[0].body)
        notice = Notice.objects.get(user=self.member_user)
        self.assertIn("Hoàn thành xuất sắc nhiệm vụ", notice.text)
        self.assertIsNone(notice.read_at)
        self.assertFalse(
            Notice.objects.filter(read_at__isnull=True).exclude(pk=notice.pk)
        )

    def test_publishing_through_the_cycle_page_notifies(self):
        self.client.force_login(self.staff)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("reviews:cycle_move", args=[self.cycle.public_id, "published"]),
                {"confirm": "on"},
            )
        self.assertRedirects(
            response, reverse("reviews:cycle", args=[self.cycle.public_id])
        )
        self.assertEqual(Notice.objects.count(), 3)
        self.assertEqual(len(mail.outbox), 3)


class UnratedPublishTests(CyclePersonasTestCase):
    """A member taken out of the decision with a reason is told so, like the
    members rated: a notice, an e-mail and their form."""

    REASON = "Ốm dài ngày, điều trị tại bệnh viện"

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Member.objects.filter(pk=cls.member_a.pk).update(email="an@kontum.vn")
        decide_all(cls.cycle, cls.staff)
        Rating.objects.filter(review=cls.review_a).delete()
        StepExemption.objects.create(
            review=cls.review_a,
            kind=StepExemption.Kind.NOT_RATED,
            reason=cls.REASON,
            recorded_by=cls.staff,
        )

    def test_the_member_is_told_not_rated_with_the_reason(self):
        publish(self, self.cycle, self.staff)
        notice = Notice.objects.get(user=self.member_user, review=self.review_a)
        self.assertEqual(
            notice.text,
            f"Kết quả {self.cycle.name}: đồng chí không được đánh giá, xếp loại "
            f"chất lượng. Lý do: {self.REASON}",
        )
        (message,) = [m for m in mail.outbox if m.to == ["an@kontum.vn"]]
        self.assertIn(
            "Không đánh giá, xếp loại chất lượng trong kỳ này. Lý do: " + self.REASON,
            message.body,
        )
        self.assertNotIn("Cấp ủy cấp trên quyết định", message.body)

    def test_the_member_reads_it_in_notices_and_on_the_form(self):
        publish(self, self.cycle, self.staff)
        self.client.force_login(self.member_user)
        notices = self.client.get(reverse("reviews:notices"))
        self.assertContains(notices, "không được đánh giá, xếp loại chất lượng")
        form = self.client.get(
            reverse("reviews:review", args=[self.review_a.public_id])
        )
        self.assertContains(form, "Không đánh giá, xếp loại chất lượng trong kỳ này")
        self.assertContains(form, self.REASON)
        self.assertNotContains(form, "Xếp loại chất lượng do cấp ủy cấp trên")

    def test_publishing_again_after_a_reopening_tells_only_a_change(self):
        publish(self, self.cycle, self.staff)
        publishing.reopen_cycle(self.cycle, "Phúc tra", self.staff)
        self.cycle.refresh_from_db()
        mail.outbox.clear()
        publish(self, self.cycle, self.staff)
        self.assertEqual(mail.outbox, [])

        # Rated after all: the notice says the level instead, unread again.
        Notice.objects.update(read_at=timezone.now())
        publishing.reopen_cycle(self.cycle, "Phúc tra lần hai", self.staff)
        StepExemption.objects.filter(review=self.review_a).delete()
        Review.objects.filter(pk=self.review_a.pk).update(
            tasks_on_time_percent=100, shortcomings_remedied_percent=100
        )
        Rating.objects.create(
            review=self.review_a,
            stage="decision",
            level=level(self.cycle, "HTTNV"),
            score=85,
            set_at=timezone.now(),
        )
        self.cycle.refresh_from_db()
        publish(self, self.cycle, self.staff)
        notice = Notice.objects.get(user=self.member_user, review=self.review_a)
        self.assertIn("được xếp loại “Hoàn thành tốt nhiệm vụ”", notice.text)
        self.assertIsNone(notice.read_at)
        self.assertEqual([m.to for m in mail.outbox], [["an@kontum.vn"]])


class PublishScaleTests(TestCase):
    """Publishing costs the same queries for 10 or 150 members (30,000 in life)."""

    # Decisions, subjects not rated, secretaries, existing notices, notices
    # created, reopenings, earlier publication noted, this publication's
    # record, the mailing; then, for the e-mails after the commit: the mailing
    # claimed and read, reviews, decisions (every subject decided: no reasons
    # for not rating), users, its progress and its end.
    QUERIES = 16

    def publish(self, members):
        cycle, cell, people = build_cycle(members=members)
        staff = UserFactory(username="btc")
        for person in people:
            person.user = UserFactory(email=f"u{person.pk}@kontum.vn")
            person.save()
        grant(UserFactory(email="bithu@kontum.vn"), cell, Role.Kind.SECRETARY)
        decide_all(cycle, staff)
        with (
            CaptureQueriesContext(connection) as queries,
            self.captureOnCommitCallbacks(execute=True),
        ):
            publishing.publish_results(cycle, staff)
        self.assertEqual(Notice.objects.count(), members + 1)
        self.assertEqual(len(mail.outbox), members + 1)
        # The notices go in one INSERT where the database takes that many
        # parameters (PostgreSQL); SQLite's limit splits a long list.
        notices = [f for f in Notice._meta.concrete_fields if not f.primary_key]
        batch = connection.ops.bulk_batch_size(notices, [None] * (members + 1))
        self.assertEqual(
            len(queries), self.QUERIES - 1 + math.ceil((members + 1) / batch)
        )

    def test_ten_members(self):
        self.publish(10)

    def test_a_hundred_and_fifty_members(self):
        self.publish(150)
