from django.conf import settings
from django.test import Client

from reviews.models import Review, SuggestionAnswer

from .test_review_form import ReviewFormTestCase


class ReviewConflictTests(ReviewFormTestCase):
    """Two people editing one form: the second save never overwrites the first."""

    def setUp(self):
        self.member_client = Client()
        self.member_client.force_login(self.member_user)
        self.secretary_client = Client()
        self.secretary_client.force_login(self.secretary_a)

    def test_second_save_shows_what_changed_and_keeps_the_users_text(self):
        url = self.url(self.review_a)
        self.member_client.post(url, {"version": 0, "text_I-1": "Bản của đảng viên"})
        response = self.secretary_client.post(
            url, {"version": 0, "text_I-1": "Bản của bí thư", "text_II": "Thêm"}
        )
        self.assertEqual(response.status_code, 200)
        conflict = response.context["conflict"]
        self.assertEqual(
            [(str(label), theirs) for label, theirs in conflict.changes],
            [
                (
                    "I.1. Về tư tưởng chính trị; phẩm chất đạo đức, lối sống; ý thức "
                    "tổ chức kỷ luật; tác phong, lề lối làm việc",
                    "Bản của đảng viên",
                )
            ],
        )
        form = response.context["form"]
        self.assertEqual(form["text_I-1"].value(), "Bản của bí thư")
        self.assertEqual(form["text_II"].value(), "Thêm")
        self.assertEqual(form["version"].value(), "1")
        self.assertContains(response, 'id="review-conflict"')
        self.assertContains(response, "Bản của đảng viên")
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.answers, {**review.answers, "I-1": "Bản của đảng viên"})
        self.assertEqual(review.version, 1)

    def test_deliberate_second_save_with_the_new_version_goes_through(self):
        url = self.url(self.review_a)
        self.member_client.post(url, {"version": 0, "text_I-1": "Bản của đảng viên"})
        response = self.secretary_client.post(
            url, {"version": 0, "text_I-1": "Bản của bí thư"}
        )
        version = response.context["form"]["version"].value()
        self.secretary_client.post(
            url, {"version": version, "text_I-1": "Bản của bí thư"}
        )
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.answers["I-1"], "Bản của bí thư")
        self.assertEqual(review.saved_by, self.secretary_a)

    def test_only_sections_the_other_person_changed_are_listed(self):
        url = self.url(self.review_a)
        self.member_client.post(url, {"version": 0, "text_I-1": "Một"})
        self.member_client.post(
            url, {"version": 1, "text_I-1": "Một", "text_VI": "Sáu"}
        )
        response = self.secretary_client.post(
            url, {"version": 1, "text_I-1": "Một", "text_II": "Hai"}
        )
        changes = response.context["conflict"].changes
        self.assertEqual([theirs for _label, theirs in changes], ["Sáu"])

    def test_a_save_racing_an_autosave_of_the_same_text_is_not_a_conflict(self):
        url = self.url(self.review_a)
        data = {"version": 0, "text_I-1": "Cùng một nội dung"}
        self.member_client.post(url, data, HTTP_HX_REQUEST="true")
        response = self.member_client.post(url, {**data, "text_II": "Thêm"})
        self.assertEqual(response.status_code, 302)
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.version, 2)
        self.assertEqual(review.answers["II"], "Thêm")

    def test_conflicting_section_IV_answers_are_shown(self):
        (item,) = self.suggest("Giải trình trật tự đô thị", member=self.member_a)
        url = self.url(self.review_a)
        field = f"suggestion_{item.pk}"
        self.member_client.post(url, {"version": 0, field: "Giải trình của tôi"})
        response = self.secretary_client.post(url, {"version": 0, field: "Khác"})
        changes = response.context["conflict"].changes
        self.assertEqual([theirs for _label, theirs in changes], ["Giải trình của tôi"])
        self.assertEqual(
            SuggestionAnswer.objects.get(review=self.review_a).text,
            "Giải trình của tôi",
        )

    def test_conflicting_rating_and_score_are_shown_by_name(self):
        url = self.url(self.review_a)
        level = self.level("HTXSNV")
        self.member_client.post(
            url, {"version": 0, "self_rating": level.pk, "score_A1": "6"}
        )
        response = self.secretary_client.post(url, {"version": 0, "score_A1": "4"})
        changes = dict(response.context["conflict"].changes)
        self.assertEqual(len(changes), 2)
        self.assertIn(str(level), changes.values())

    def test_autosave_of_a_stale_version_reports_it_and_writes_nothing(self):
        url = self.url(self.review_a)
        self.member_client.post(url, {"version": 0, "text_I-1": "Một"})
        self.secretary_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.secretary_client.post(
            url, {"version": 0, "text_I-1": "Hai"}, HTTP_HX_REQUEST="true"
        )
        self.assertContains(response, "Not saved")
        self.assertNotContains(response, "hx-swap-oob")
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.answers["I-1"], "Một")

    def test_tampered_version_is_a_conflict_not_a_500(self):
        url = self.url(self.review_a)
        self.member_client.post(url, {"version": 0, "text_I-1": "Một"})
        response = self.secretary_client.post(url, {"version": 999, "text_I-1": "Hai"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["conflict"].changes)
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.answers["I-1"], "Một")
