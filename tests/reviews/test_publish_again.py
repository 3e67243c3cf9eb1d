"""Publishing again after a reopening tells only those whose result changed."""

from decimal import Decimal

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from organizations.models import Role
from reviews import publishing, ratings
from reviews.models import Notice, Rating, ReviewCycle

from ..factories import UserFactory, grant
from ..personas import CyclePersonasTestCase
from .test_publish import ASSESSMENT, level, publish

Status = ReviewCycle.Status


# A score each level allows, where the default 85,50 would not.
SCORES = {"HTXSNV": Decimal("95"), "HTNV": Decimal("60")}


class PublishAgainTests(CyclePersonasTestCase):
    """Every review decided HTTNV with 85,50 points through the chain (so with
    history), then published once and reopened."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Member.objects.filter(pk=cls.member_a.pk).update(email="an@kontum.vn")
        Member.objects.filter(pk=cls.other_member_a.pk).update(email="binh@kontum.vn")
        cls.member_b.email = "cuong@kontum.vn"
        cls.member_b.user = UserFactory(username="cuong", email="cuong.tk@kontum.vn")
        cls.member_b.save()
        cls.secretary_a.email = "bithu.a@kontum.vn"
        cls.secretary_a.save()
        # The conditions of the points bands, met: every decision below is one
        # its score allows, as publishing checks.
        cls.cycle.reviews.update(
            tasks_on_time_percent=100,
            tasks_exceeding_percent=30,
            shortcomings_remedied_percent=100,
        )
        for review in cls.cycle.reviews.all():
            ratings.record_rating(
                review,
                Rating.Stage.DECISION,
                level(cls.cycle, "HTTNV"),
                cls.staff,
                score=Decimal("85.50"),
                assessment=ASSESSMENT,
            )
        ReviewCycle.objects.filter(pk=cls.cycle.pk).update(status=Status.DECIDED)

    def setUp(self):
        self.cycle.refresh_from_db()
        publish(self, self.cycle, self.staff)
        self.first = sorted(address for m in mail.outbox for address in m.to)
        Notice.objects.update(read_at=timezone.now())
        self.notices = dict(Notice.objects.values_list("pk", "text"))
        publishing.reopen_cycle(self.cycle, "Phúc tra kết quả", self.staff)
        self.cycle.refresh_from_db()
        mail.outbox.clear()

    def redecide(self, review, code, **details):
        ratings.record_rating(
            review,
            Rating.Stage.DECISION,
            level(self.cycle, code),
            self.staff,
            **{
                "score": SCORES.get(code, Decimal("85.50")),
                "reason": "Phúc tra",
                **details,
            },
        )

    def test_only_the_changed_result_is_told_again(self):
        self.assertEqual(
            self.first,
            ["an@kontum.vn", "binh@kontum.vn", "bithu.a@kontum.vn", "cuong@kontum.vn"],
        )
        self.redecide(self.review_a, "HTXSNV")
        # The cycle's new name changes every notice's wording, not its result.
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            name="Kiểm điểm, đánh giá năm 2026"
        )
        self.cycle.refresh_from_db()

        publish(self, self.cycle, self.staff)

        self.assertEqual([m.to for m in mail.outbox], [["an@kontum.vn"]])
        renewed = Notice.objects.get(user=self.member_user)
        self.assertIn("Hoàn thành xuất sắc nhiệm vụ", renewed.text)
        self.assertIsNone(renewed.read_at)
        others = Notice.objects.exclude(pk=renewed.pk)
        self.assertEqual(
            dict(others.values_list("pk", "text")),
            {pk: text for pk, text in self.notices.items() if pk != renewed.pk},
        )
        self.assertFalse(others.filter(read_at__isnull=True).exists())

    def test_a_result_saved_again_unchanged_is_not_told(self):
        other = self.cycle.reviews.get(member=self.other_member_a)
        member_b = self.cycle.reviews.get(member=self.member_b)
        # A corrected assessment: same level, same score.
        self.redecide(other, "HTTNV", assessment="Nhận xét đã sửa")
        self.redecide(member_b, "HTTNV", assessment="Nhận xét đã sửa")

        publish(self, self.cycle, self.staff)

        self.assertEqual(mail.outbox, [])
        self.assertFalse(Notice.objects.filter(read_at__isnull=True).exists())

    def test_a_changed_score_is_a_changed_result(self):
        member_b = self.cycle.reviews.get(member=self.member_b)
        other = self.cycle.reviews.get(member=self.other_member_a)
        self.redecide(member_b, "HTTNV", score=Decimal("88"))
        self.redecide(other, "HTNV", score=Decimal("60"))

        publish(self, self.cycle, self.staff)

        self.assertEqual(
            sorted(address for m in mail.outbox for address in m.to),
            ["binh@kontum.vn", "cuong@kontum.vn"],
        )
        self.assertIn("88", Notice.objects.get(review=member_b).text)

    def test_someone_never_told_is_told(self):
        deputy = UserFactory(username="pho_bi_thu", email="pho.a@kontum.vn")
        grant(deputy, self.cell_a, Role.Kind.SECRETARY)

        publish(self, self.cycle, self.staff)

        self.assertEqual([m.to for m in mail.outbox], [["pho.a@kontum.vn"]])
        notice = Notice.objects.get(user=deputy)
        self.assertEqual(notice.review, self.collective_a)

    def test_republishing_through_the_cycle_page_tells_nobody_unchanged(self):
        self.client.force_login(self.staff)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("reviews:cycle_move", args=[self.cycle.public_id, "published"]),
                {"confirm": "on"},
            )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(mail.outbox, [])
        self.assertEqual(dict(Notice.objects.values_list("pk", "text")), self.notices)
