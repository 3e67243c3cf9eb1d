import datetime

from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from reviews import services
from reviews.models import Notice, Rating, Review, ReviewCycle

from ..personas import CyclePersonasTestCase
from .test_publish import ASSESSMENT, decide_all

Status = ReviewCycle.Status


def add_notices(user, review, count, *, read=False):
    """`count` notices for `user`, one hour apart, the last the newest."""
    start = timezone.now() - datetime.timedelta(hours=count)
    notices = Notice.objects.bulk_create(
        Notice(user=user, text=f"Thông báo {n}", review=review if n == 0 else None)
        for n in range(count)
    )
    for n, notice in enumerate(notices):
        Notice.objects.filter(pk=notice.pk).update(
            created_at=start + datetime.timedelta(hours=n),
            read_at=timezone.now() if read else None,
        )
    return notices


class NoticeListTests(CyclePersonasTestCase):
    url = reverse("reviews:notices")

    def test_notices_are_listed_newest_first_with_the_unread_highlighted(self):
        add_notices(self.member_user, self.review_a, 2, read=True)
        Notice.objects.create(user=self.member_user, text="Kết quả mới")
        self.client.force_login(self.member_user)
        response = self.client.get(self.url)
        texts = [n.text for n in response.context["page"]]
        self.assertEqual(texts, ["Kết quả mới", "Thông báo 1", "Thông báo 0"])
        self.assertEqual(response.context["unread"], 1)
        self.assertContains(response, "list-group-item-primary", count=1)
        self.assertContains(
            response, reverse("reviews:review", args=[self.review_a.public_id])
        )

    def test_marking_read_marks_the_shown_notices_of_the_user_only(self):
        add_notices(self.member_user, self.review_a, 3)
        add_notices(self.secretary_a, None, 2)
        self.client.force_login(self.member_user)
        shown_at = self.client.get(self.url).context["form"]["shown_at"].value()
        later = Notice.objects.create(user=self.member_user, text="Đến sau")
        response = self.client.post(self.url, {"shown_at": shown_at})
        self.assertRedirects(response, self.url)
        self.assertEqual(
            list(
                self.member_user.review_notices.filter(
                    read_at__isnull=True
                ).values_list("pk", flat=True)
            ),
            [later.pk],
        )
        self.assertEqual(
            self.secretary_a.review_notices.filter(read_at__isnull=True).count(), 2
        )

    def test_a_tampered_form_marks_nothing(self):
        add_notices(self.member_user, self.review_a, 2)
        self.client.force_login(self.member_user)
        response = self.client.post(self.url, {"shown_at": "hôm qua"})
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Notice.objects.filter(read_at__isnull=False).exists())

    def test_query_count_is_the_same_for_10_and_500_notices(self):
        self.client.force_login(self.member_user)
        add_notices(self.member_user, self.review_a, 10)
        # Session, user, count, page, unread count, savepoint pair.
        with self.assertNumQueries(7):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["page"]), 10)
        add_notices(self.member_user, None, 490)
        with self.assertNumQueries(7):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["page"]), 50)

    def test_outsider_sees_none_of_another_users_notices(self):
        add_notices(self.member_user, self.review_a, 2)
        self.client.force_login(self.secretary_b)
        response = self.client.get(self.url)
        self.assertEqual(list(response.context["page"]), [])
        self.assertNotContains(response, "Thông báo 0")

    def test_a_read_only_leader_marks_only_their_own_notices(self):
        add_notices(self.member_user, self.review_a, 2)
        add_notices(self.leader, None, 1)
        self.client.force_login(self.leader)
        self.client.post(self.url, {"shown_at": timezone.now().isoformat()})
        self.assertFalse(self.leader.review_notices.filter(read_at__isnull=True))
        self.assertEqual(
            self.member_user.review_notices.filter(read_at__isnull=True).count(), 2
        )

    def test_anonymous_is_sent_to_log_in(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])


class PublicationTagsTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        decide_all(cls.cycle, cls.staff)

    def render(self, source, user=None, **context):
        request = RequestFactory().get("/")
        request.user = user or self.member_user
        template = Template("{% load publication %}" + source)
        return template.render(Context({"request": request, **context}))

    def review(self):
        return Review.objects.select_related("cycle").get(pk=self.review_a.pk)

    def test_the_final_result_is_hidden_until_publication(self):
        review = self.review()
        with self.assertNumQueries(0):
            html = self.render("{% final_result review %}", review=review)
        self.assertNotIn("HTTNV", html)

    def test_the_final_result_shows_level_score_and_assessment_once_published(self):
        services.move_cycle(self.cycle, Status.PUBLISHED, self.staff)
        review = self.review()
        with self.assertNumQueries(1):
            html = self.render("{% final_result review %}", review=review)
        self.assertIn("Hoàn thành tốt nhiệm vụ", html)
        self.assertIn("HTTNV", html)
        self.assertIn("85,5", html)
        self.assertIn(ASSESSMENT, html)

    def test_the_final_result_stays_shown_once_locked(self):
        services.move_cycle(self.cycle, Status.PUBLISHED, self.staff)
        services.move_cycle(self.cycle, Status.LOCKED, self.staff)
        html = self.render("{% final_result review %}", review=self.review())
        self.assertIn("HTTNV", html)

    def test_unread_notices_show_the_newest_unread_in_one_query(self):
        add_notices(self.member_user, self.review_a, 7)
        Notice.objects.filter(text="Thông báo 6").update(read_at=timezone.now())
        with self.assertNumQueries(1):
            html = self.render("{% unread_notices %}")
        self.assertNotIn("Thông báo 6", html)
        self.assertIn("Thông báo 5", html)
        self.assertNotIn("Thông báo 0", html)
        self.assertIn(reverse("reviews:notices"), html)

    def test_no_unread_notices_render_nothing(self):
        self.assertEqual(self.render("{% unread_notices %}").strip(), "")

    def test_a_user_loaded_with_no_unread_notices_costs_no_query(self):
        add_notices(self.member_user, self.review_a, 2, read=True)
        self.member_user.unread_notices = 0
        with self.assertNumQueries(0):
            self.assertEqual(self.render("{% unread_notices %}").strip(), "")

    def test_the_form_shows_the_unread_notices_its_user_was_loaded_with(self):
        url = reverse("reviews:review", args=[self.review_a.public_id])
        self.client.force_login(self.member_user)
        self.assertNotContains(self.client.get(url), "unread-notices-heading")
        add_notices(self.member_user, self.review_a, 2)
        response = self.client.get(url)
        self.assertContains(response, "unread-notices-heading")
        self.assertContains(response, "Thông báo 1")

    def test_a_decided_rating_of_another_stage_is_not_shown(self):
        services.move_cycle(self.cycle, Status.PUBLISHED, self.staff)
        Rating.objects.filter(review=self.review_a).update(stage="appraisal")
        html = self.render("{% final_result review %}", review=self.review())
        self.assertNotIn("HTTNV", html)
