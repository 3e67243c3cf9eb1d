import datetime
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from reviews.models import (
    CarryOverItem,
    FocusArea,
    FormSection,
    FormTemplate,
    Review,
    ReviewCycle,
    Suggestion,
    SuggestionItem,
)
from reviews.services import select_template

from ..factories import MemberFactory
from ..personas import CyclePersonasTestCase


class ReviewFormTestCase(CyclePersonasTestCase):
    """The opened QĐ 366 cycle, with helpers to fill and post the forms."""

    def url(self, review):
        return reverse("reviews:review", args=[review.public_id])

    def in_english(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def filled(self, review, **overrides):
        """A complete POST: every section, the rating and every score."""
        data = {"version": review.version, "action": "save"}
        for section in review.template.sections.all():
            if section.kind in (FormSection.Kind.TEXT, FormSection.Kind.CARRY_OVER):
                data[f"text_{section.key}"] = f"Nội dung mục {section.number}"
        data["self_rating"] = self.level("HTTNV").pk
        for criterion in review.template.criteria.all():
            data[f"score_{criterion.code}"] = criterion.max_points - 1
        if review.cycle.regime.uses_points:
            data["cond_tasks_on_time_percent"] = 100
            data["cond_tasks_exceeding_percent"] = 30
            data["cond_shortcomings_remedied_percent"] = 100
        data.update(overrides)
        return data

    def level(self, code):
        return self.cycle.regime.levels.get(code=code)

    def suggest(self, *texts, member=None, organization=None):
        """A review suggestion with one numbered item per text."""
        suggestion = Suggestion.objects.create(
            cycle=self.cycle,
            member=member,
            organization=organization,
            issued_on=datetime.date(2026, 11, 1),
        )
        areas = list(FocusArea.objects.order_by("position", "code"))
        return [
            SuggestionItem.objects.create(
                suggestion=suggestion,
                number=number,
                focus_area=areas[number - 1],
                text=text,
            )
            for number, text in enumerate(texts, 1)
        ]

    def carry_over(self, review, *texts):
        return [
            CarryOverItem.objects.create(
                review=review, number=number, text=text, source="Kỳ kiểm điểm 2025"
            )
            for number, text in enumerate(texts, 1)
        ]

    def leader_review(self):
        member = MemberFactory(
            full_name="Phạm Văn Dũng",
            organization=self.cell_a,
            is_leader=True,
            government_post="Chủ tịch UBND phường",
        )
        return Review.objects.create(
            cycle=self.cycle,
            kind=Review.Kind.INDIVIDUAL,
            organization=self.cell_a,
            member=member,
            template=select_template(self.cycle, FormTemplate.Audience.LEADER),
            subject_name=member.full_name,
            government_post=member.government_post,
            is_leader=True,
        )


class ReviewFormPageTests(ReviewFormTestCase):
    def test_anonymous_user_is_sent_to_login(self):
        response = self.client.get(self.url(self.review_a))
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])

    def test_member_opens_their_2A_form_with_every_section_and_the_score_table(self):
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.review_a))
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["editable"])
        self.assertContains(response, "2A")
        self.assertContains(response, "Nguyễn Văn Ân")
        self.assertContains(response, "Chi bộ Tổ dân phố 1")
        fields = response.context["form"].fields
        for name in ("text_I-1", "text_II", "text_III", "text_VI", "self_rating"):
            self.assertIn(name, fields)
        self.assertNotIn("text_I-4", fields)
        self.assertIn("civil_servant_rating", fields)
        self.assertEqual(
            [name for name in fields if name.startswith("score_")],
            [f"score_A{n}" for n in range(1, 6)] + ["score_B1", "score_B2", "score_B3"],
        )
        self.assertContains(response, 'data-score-total="all"')
        self.assertContains(response, "/ 100")

    def test_each_section_autosaves_the_whole_form_when_left(self):
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.review_a))
        sections = response.context["form"].content.sections
        self.assertContains(response, 'hx-trigger="change"', count=len(sections))
        self.assertContains(response, f'hx-post="{self.url(self.review_a)}"')
        self.assertContains(response, 'id="autosave-status"')

    def test_leader_form_2B_carries_section_I4_from_the_data(self):
        review = self.leader_review()
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url(review))
        self.assertContains(response, "2B")
        self.assertIn("text_I-4", response.context["form"].fields)
        self.assertContains(response, "Về năng lực lãnh đạo, quản lý")
        self.assertContains(response, "Chủ tịch UBND phường")

    def test_collective_report_01_has_a_proposed_rating_but_no_civil_servant_one(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url(self.collective_a))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Báo cáo kiểm điểm tập thể")
        fields = response.context["form"].fields
        self.assertIn("self_rating", fields)
        self.assertNotIn("civil_servant_rating", fields)
        self.assertEqual(
            [choice for choice, _label in fields["self_rating"].choices][1:],
            list(self.cycle.regime.levels.values_list("pk", flat=True)),
        )

    def test_section_III_is_free_text_in_the_first_cycle(self):
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.review_a))
        self.assertIn("text_III", response.context["form"].fields)

    def test_section_IV_says_when_there_were_no_suggestions(self):
        self.in_english()
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.review_a))
        self.assertContains(response, "There were no review suggestions")

    def test_outsider_gets_404_on_get_and_on_post(self):
        self.client.force_login(self.secretary_b)
        url = self.url(self.review_a)
        self.assertEqual(self.client.get(url).status_code, 404)
        response = self.client.post(url, self.filled(self.review_a))
        self.assertEqual(response.status_code, 404)
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.version, 0)

    def test_member_cannot_open_their_cell_collective_report(self):
        self.client.force_login(self.member_user)
        self.assertEqual(self.client.get(self.url(self.collective_a)).status_code, 404)

    def test_unknown_form_gets_404(self):
        self.client.force_login(self.staff)
        response = self.client.get(
            reverse("reviews:review", args=["00000000-0000-0000-0000-000000000000"])
        )
        self.assertEqual(response.status_code, 404)

    def test_leader_reads_the_form_and_gets_403_on_post(self):
        self.client.force_login(self.leader)
        response = self.client.get(self.url(self.review_a))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.context["editable"])
        self.assertNotContains(response, 'id="review-form"')
        response = self.client.post(self.url(self.review_a), self.filled(self.review_a))
        self.assertEqual(response.status_code, 403)
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.NEW)

    def test_form_is_read_only_once_the_cycle_left_self_review(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.MEETINGS
        )
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.review_a))
        self.assertFalse(response.context["editable"])
        response = self.client.post(self.url(self.review_a), self.filled(self.review_a))
        self.assertEqual(response.status_code, 403)

    def test_query_count_does_not_grow_with_suggestions_and_carried_items(self):
        self.client.force_login(self.secretary_a)
        url = self.url(self.review_a)
        self.suggest("Gợi ý một", member=self.member_a)
        self.carry_over(self.review_a, "Hạn chế một")
        self.client.get(url)
        # The template's parts come from the cache; the items, present here,
        # are read once each; no notices to read (the user's count says none);
        # whether the secretary manages the cell is read with the review.
        with self.assertNumQueries(7):
            self.client.get(url)
        SuggestionItem.objects.all().delete()
        Suggestion.objects.all().delete()
        self.suggest(*[f"Gợi ý {n}" for n in range(7)], member=self.member_a)
        CarryOverItem.objects.filter(review=self.review_a).delete()
        self.carry_over(self.review_a, *[f"Hạn chế {n}" for n in range(10)])
        with self.assertNumQueries(7):
            response = self.client.get(url)
        self.assertEqual(len(response.context["form"].content.carry_items), 10)


class SavedWithoutAnAccountTests(ReviewFormTestCase):
    def test_a_form_saved_by_no_account_shows_when_but_not_who(self):
        # Imported or seeded forms carry a save time and no account.
        Review.objects.filter(pk=self.review_a.pk).update(
            saved_at=timezone.now(), saved_by=None, status=Review.Status.SUBMITTED
        )
        self.client.force_login(self.secretary_a)

        response = self.client.get(self.url(self.review_a))

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, " · —")


class GradedRegimeFormTests(ReviewFormTestCase):
    regime_code = "qd124"

    def test_02A_form_under_qd124_has_a_rating_but_no_score_table(self):
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.review_a))
        self.assertContains(response, "02A")
        fields = response.context["form"].fields
        self.assertIn("self_rating", fields)
        self.assertFalse([name for name in fields if name.startswith("score_")])
        self.assertNotContains(response, 'data-score-total="all"')

    def test_complete_form_submits_without_scores(self):
        self.client.force_login(self.member_user)
        self.client.post(
            self.url(self.review_a), self.filled(self.review_a, action="submit")
        )
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.SUBMITTED)
        self.assertIsNone(self.review_a.score_general)


class ReviewSaveTests(ReviewFormTestCase):
    def test_save_draft_stores_every_answer_and_the_score_totals(self):
        self.client.force_login(self.member_user)
        data = self.filled(self.review_a, score_A1="5.5", civil_servant_rating="HTTNV")
        response = self.client.post(self.url(self.review_a), data)
        self.assertRedirects(response, self.url(self.review_a))
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.DRAFT)
        self.assertEqual(review.version, 1)
        self.assertEqual(review.saved_by, self.member_user)
        self.assertEqual(review.answers["I-1"], "Nội dung mục I.1")
        self.assertEqual(review.answers["III"], "Nội dung mục III")
        self.assertEqual(review.self_rating.code, "HTTNV")
        self.assertEqual(review.civil_servant_rating, "HTTNV")
        self.assertEqual(review.scores["A1"], "5.5")
        self.assertEqual(review.score_general, Decimal("25.5"))
        self.assertEqual(review.score_tasks, Decimal("67"))
        self.assertEqual(review.score_total, Decimal("92.5"))

    def test_draft_may_be_saved_half_done(self):
        self.client.force_login(self.member_user)
        response = self.client.post(
            self.url(self.review_a), {"version": 0, "text_II": "Còn chậm"}
        )
        self.assertEqual(response.status_code, 302)
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.answers["II"], "Còn chậm")
        self.assertIsNone(review.score_general)
        self.assertIsNone(review.self_rating)

    def test_saved_draft_is_shown_back_in_the_form(self):
        self.client.force_login(self.member_user)
        self.client.post(self.url(self.review_a), self.filled(self.review_a))
        response = self.client.get(self.url(self.review_a))
        self.assertContains(response, "Nội dung mục II")
        self.assertEqual(response.context["form"]["version"].value(), 1)
        self.assertContains(response, "member_a")

    def test_secretary_fills_in_a_members_form_and_the_collective_report(self):
        self.client.force_login(self.secretary_a)
        self.client.post(self.url(self.review_a), self.filled(self.review_a))
        self.client.post(self.url(self.collective_a), self.filled(self.collective_a))
        self.review_a.refresh_from_db()
        self.collective_a.refresh_from_db()
        self.assertEqual(self.review_a.saved_by, self.secretary_a)
        self.assertEqual(self.collective_a.answers["I-2"], "Nội dung mục I.2")

    def test_autosave_answers_with_a_status_line_and_the_new_version(self):
        self.in_english()
        self.client.force_login(self.member_user)
        response = self.client.post(
            self.url(self.review_a),
            {"version": 0, "text_I-1": "Đang viết"},
            HTTP_HX_REQUEST="true",
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Saved at")
        self.assertContains(response, 'id="id_version"')
        self.assertContains(response, 'value="1"')
        self.assertContains(response, 'hx-swap-oob="true"')
        self.assertNotContains(response, "<html")
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.answers["I-1"], "Đang viết")

    def test_autosave_never_submits(self):
        self.client.force_login(self.member_user)
        self.client.post(
            self.url(self.review_a),
            self.filled(self.review_a, action="submit"),
            HTTP_HX_REQUEST="true",
        )
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.DRAFT)

    def test_autosave_with_a_bad_value_says_so_and_writes_nothing(self):
        self.in_english()
        self.client.force_login(self.member_user)
        response = self.client.post(
            self.url(self.review_a),
            {"version": 0, "score_A1": "9"},
            HTTP_HX_REQUEST="true",
        )
        self.assertContains(response, "Not saved")
        self.assertNotContains(response, "hx-swap-oob")
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.version, 0)

    def test_too_long_text_is_refused_next_to_the_field_and_other_input_kept(self):
        self.client.force_login(self.member_user)
        data = self.filled(self.review_a, **{"text_II": "x" * 20_001})
        response = self.client.post(self.url(self.review_a), data)
        self.assertEqual(response.status_code, 200)
        form = response.context["form"]
        self.assertEqual(list(form.errors), ["text_II"])
        self.assertContains(response, 'id="id_text_II_error"')
        self.assertEqual(form["text_I-1"].value(), "Nội dung mục I.1")
        self.review_a.refresh_from_db()
        self.assertEqual((self.review_a.version, self.review_a.answers), (0, {}))

    def test_text_of_exactly_20000_characters_is_accepted(self):
        self.client.force_login(self.member_user)
        self.client.post(
            self.url(self.review_a), {"version": 0, "text_II": "x" * 20_000}
        )
        self.review_a.refresh_from_db()
        self.assertEqual(len(self.review_a.answers["II"]), 20_000)

    def test_scores_out_of_bounds_are_refused_next_to_the_field(self):
        self.client.force_login(self.member_user)
        data = self.filled(self.review_a, score_A1="6.5", score_B1="-1", score_B2="abc")
        response = self.client.post(self.url(self.review_a), data)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            sorted(response.context["form"].errors),
            ["score_A1", "score_B1", "score_B2"],
        )
        self.assertContains(response, 'id="id_score_A1_error"')
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.version, 0)

    def test_a_score_at_its_maximum_is_accepted(self):
        self.client.force_login(self.member_user)
        self.client.post(
            self.url(self.review_a), self.filled(self.review_a, score_B1="40")
        )
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.score_tasks, Decimal("68"))

    def test_bad_rating_and_tampered_fields_rerender_not_500(self):
        self.client.force_login(self.member_user)
        other_regime_level = (
            self.level("HTTNV").__class__.objects.exclude(regime=self.cycle.regime)
        ).first()
        for bad in (
            {"self_rating": "99999"},
            {"self_rating": str(other_regime_level.pk)},
            {"self_rating": "abc"},
            {"version": "abc"},
            {"version": "-1"},
            {"outcome_1": "remedied", "action": "nonsense"},
        ):
            with self.subTest(bad=bad):
                data = self.filled(self.review_a, **bad)
                response = self.client.post(self.url(self.review_a), data)
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response.context["form"].errors)
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.version, 0)

    def test_answers_of_sections_not_on_the_form_are_kept(self):
        Review.objects.filter(pk=self.review_a.pk).update(
            answers={"old-key": "Giữ nguyên"}
        )
        self.client.force_login(self.member_user)
        self.client.post(self.url(self.review_a), self.filled(self.review_a))
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.answers["old-key"], "Giữ nguyên")


class PublishedResultOnTheFormTests(ReviewFormTestCase):
    def test_the_member_sees_the_final_rating_and_assessment_after_publication(self):
        from reviews.models import Rating, ReviewCycle

        Rating.objects.create(
            review=self.review_a,
            stage=Rating.Stage.DECISION,
            level=self.level("HTTNV"),
            assessment="Hoàn thành tốt nhiệm vụ được giao, cần phát huy.",
            set_at=datetime.datetime(2027, 1, 20, tzinfo=datetime.UTC),
        )
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.review_a))
        self.assertNotContains(response, "cần phát huy")
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status="published")
        response = self.client.get(self.url(self.review_a))
        self.assertContains(response, "cần phát huy")
        self.assertContains(response, "Hoàn thành tốt nhiệm vụ")
