from reviews.models import CarryOverItem, Review, SuggestionAnswer

from .test_review_form import ReviewFormTestCase


class ReviewSubmitTests(ReviewFormTestCase):
    def test_complete_form_is_submitted_and_then_read_only(self):
        self.client.force_login(self.member_user)
        url = self.url(self.review_a)
        response = self.client.post(url, self.filled(self.review_a, action="submit"))
        self.assertRedirects(response, url)
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.SUBMITTED)
        self.assertIsNotNone(review.submitted_at)
        self.assertEqual(review.answers["VI"], "Nội dung mục VI")

        response = self.client.get(url)
        self.assertFalse(response.context["editable"])
        self.assertNotContains(response, 'id="review-form"')
        self.assertContains(response, "Nội dung mục VI")
        response = self.client.post(url, self.filled(review, text_VI="Sửa sau"))
        self.assertEqual(response.status_code, 403)
        review.refresh_from_db()
        self.assertEqual(review.answers["VI"], "Nội dung mục VI")

    def test_submitted_form_is_read_only_to_the_secretary_too(self):
        self.client.force_login(self.member_user)
        self.client.post(
            self.url(self.review_a), self.filled(self.review_a, action="submit")
        )
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url(self.review_a))
        self.assertFalse(response.context["editable"])
        self.assertTrue(response.context["can_return"])
        response = self.client.post(self.url(self.review_a), self.filled(self.review_a))
        self.assertEqual(response.status_code, 403)

    def test_missing_items_are_named_the_draft_saved_and_the_input_kept(self):
        self.in_english()
        self.client.force_login(self.member_user)
        data = self.filled(self.review_a, action="submit", text_II="", score_B2="")
        del data["self_rating"]
        response = self.client.post(self.url(self.review_a), data)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            [name for name, _label in response.context["missing"]],
            ["text_II", "self_rating", "score_B2"],
        )
        self.assertContains(response, "Section II: Hạn chế, khuyết điểm và nguyên nhân")
        self.assertContains(response, "Section VII, self-score B2")
        form = response.context["form"]
        self.assertEqual(sorted(form.errors), ["score_B2", "self_rating", "text_II"])
        self.assertEqual(form["text_I-1"].value(), "Nội dung mục I.1")
        self.assertEqual(form["score_A1"].value(), "5")
        self.assertEqual(form["version"].value(), "1")
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.DRAFT)
        self.assertEqual(review.answers["I-1"], "Nội dung mục I.1")

    def test_resubmitting_after_the_missing_items_error_goes_through(self):
        self.client.force_login(self.member_user)
        url = self.url(self.review_a)
        response = self.client.post(
            url, self.filled(self.review_a, action="submit", text_II="")
        )
        version = response.context["form"]["version"].value()
        self.client.post(
            url, self.filled(self.review_a, action="submit", version=version)
        )
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.SUBMITTED)

    def test_optional_section_V_may_stay_empty(self):
        self.client.force_login(self.member_user)
        self.client.post(
            self.url(self.review_a),
            self.filled(self.review_a, action="submit", text_V=""),
        )
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.SUBMITTED)

    def test_first_cycle_section_III_free_text_is_required(self):
        self.client.force_login(self.member_user)
        response = self.client.post(
            self.url(self.review_a),
            self.filled(self.review_a, action="submit", text_III=""),
        )
        self.assertEqual(
            [name for name, _label in response.context["missing"]], ["text_III"]
        )


class ReviewSuggestionSectionTests(ReviewFormTestCase):
    def test_one_labelled_answer_per_item_addressed_to_the_member(self):
        first, second = self.suggest(
            "Làm rõ việc chậm giải phóng mặt bằng",
            "Làm rõ hồ sơ đất đai tồn đọng",
            member=self.member_a,
        )
        self.suggest("Gợi ý cho người khác", member=self.other_member_a)
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.review_a))
        fields = response.context["form"].fields
        self.assertEqual(
            [name for name in fields if name.startswith("suggestion_")],
            [f"suggestion_{first.pk}", f"suggestion_{second.pk}"],
        )
        self.assertEqual(
            fields[f"suggestion_{second.pk}"].label,
            f"2. {second.focus_area.name} — Làm rõ hồ sơ đất đai tồn đọng",
        )
        self.assertNotContains(response, "Gợi ý cho người khác")

    def test_answers_are_saved_per_item(self):
        first, second = self.suggest("Một", "Hai", member=self.member_a)
        self.client.force_login(self.member_user)
        self.client.post(
            self.url(self.review_a),
            self.filled(
                self.review_a,
                **{f"suggestion_{first.pk}": "Đã giải trình một"},
            ),
        )
        answers = dict(
            SuggestionAnswer.objects.filter(review=self.review_a).values_list(
                "item_id", "text"
            )
        )
        self.assertEqual(answers, {first.pk: "Đã giải trình một"})
        response = self.client.get(self.url(self.review_a))
        self.assertContains(response, "Đã giải trình một")

    def test_submit_names_each_unanswered_item(self):
        self.in_english()
        first, second = self.suggest("Một", "Hai", member=self.member_a)
        self.client.force_login(self.member_user)
        response = self.client.post(
            self.url(self.review_a),
            self.filled(
                self.review_a,
                action="submit",
                **{f"suggestion_{first.pk}": "Đã giải trình"},
            ),
        )
        self.assertEqual(
            response.context["missing"],
            [
                (
                    f"suggestion_{second.pk}",
                    f"Section IV, item 2: {second.focus_area.name}",
                )
            ],
        )
        self.assertContains(response, "Section IV, item 2:")
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.DRAFT)
        self.client.post(
            self.url(self.review_a),
            self.filled(
                self.review_a,
                action="submit",
                **{
                    f"suggestion_{first.pk}": "Đã giải trình",
                    f"suggestion_{second.pk}": "Đã giải trình hai",
                },
            ),
        )
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.SUBMITTED)

    def test_collective_report_answers_the_suggestions_to_its_organization(self):
        (item,) = self.suggest("Chỉ đạo trật tự đô thị", organization=self.cell_a)
        self.suggest("Gợi ý chi bộ khác", organization=self.cell_b)
        self.client.force_login(self.secretary_a)
        response = self.client.get(self.url(self.collective_a))
        self.assertIn(f"suggestion_{item.pk}", response.context["form"].fields)
        self.assertNotContains(response, "Gợi ý chi bộ khác")
        member_form = self.client.get(self.url(self.review_a))
        self.assertNotContains(member_form, "Chỉ đạo trật tự đô thị")

    def test_a_suggestion_of_another_cycle_is_not_asked(self):
        (item,) = self.suggest("Năm nay", member=self.member_a)
        item.suggestion.cycle = self.make_other_cycle()
        item.suggestion.save()
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.review_a))
        self.assertNotIn(f"suggestion_{item.pk}", response.context["form"].fields)

    def make_other_cycle(self):
        cycle = self.cycle
        return cycle.__class__.objects.create(
            name="Năm 2025",
            year=2025,
            starts_on="2025-01-01",
            ends_on="2025-12-31",
            regime=cycle.regime,
            superior=cycle.superior,
        )


class ReviewCarryOverSectionTests(ReviewFormTestCase):
    def test_one_answer_and_outcome_per_carried_item_instead_of_free_text(self):
        first, second = self.carry_over(self.review_a, "Chậm nộp đảng phí", "Ít dự họp")
        self.client.force_login(self.member_user)
        response = self.client.get(self.url(self.review_a))
        fields = response.context["form"].fields
        self.assertNotIn("text_III", fields)
        for item in (first, second):
            self.assertIn(f"carry_{item.pk}", fields)
            self.assertIn(f"outcome_{item.pk}", fields)
        self.assertContains(response, "1. Chậm nộp đảng phí")
        self.assertContains(response, "Kỳ kiểm điểm 2025")

    def test_answers_and_outcomes_are_saved_on_the_items(self):
        (item,) = self.carry_over(self.review_a, "Chậm nộp đảng phí")
        self.client.force_login(self.member_user)
        self.client.post(
            self.url(self.review_a),
            self.filled(
                self.review_a,
                **{
                    f"carry_{item.pk}": "Đã nộp đủ từ tháng 3",
                    f"outcome_{item.pk}": "remedied",
                },
            ),
        )
        item.refresh_from_db()
        self.assertEqual(item.answer, "Đã nộp đủ từ tháng 3")
        self.assertEqual(item.outcome, CarryOverItem.Outcome.REMEDIED)

    def test_submit_names_the_unanswered_item_and_missing_outcome(self):
        self.in_english()
        first, second = self.carry_over(self.review_a, "Một", "Hai")
        self.client.force_login(self.member_user)
        response = self.client.post(
            self.url(self.review_a),
            self.filled(
                self.review_a,
                action="submit",
                **{
                    f"carry_{first.pk}": "Đã khắc phục",
                    f"outcome_{first.pk}": "remedied",
                    f"carry_{second.pk}": "Đang khắc phục",
                },
            ),
        )
        self.assertEqual(
            response.context["missing"],
            [(f"outcome_{second.pk}", "Section III, item 2: the outcome")],
        )
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.status, Review.Status.DRAFT)

    def test_unknown_outcome_is_refused(self):
        (item,) = self.carry_over(self.review_a, "Một")
        self.client.force_login(self.member_user)
        response = self.client.post(
            self.url(self.review_a),
            self.filled(self.review_a, **{f"outcome_{item.pk}": "open"}),
        )
        self.assertIn(f"outcome_{item.pk}", response.context["form"].errors)


class SelfRatingChainTests(ReviewFormTestCase):
    def test_submitting_records_the_self_proposed_stage_of_the_chain(self):
        self.client.force_login(self.member_user)
        self.client.post(
            self.url(self.review_a), self.filled(self.review_a, action="submit")
        )
        review = Review.objects.get(pk=self.review_a.pk)
        rating = review.ratings.get(stage="self")
        self.assertEqual(rating.level, review.self_rating)
        self.assertEqual(rating.score, review.score_total)
        self.assertEqual(rating.set_by, self.member_user)

    def test_a_draft_records_no_rating(self):
        self.client.force_login(self.member_user)
        self.client.post(self.url(self.review_a), self.filled(self.review_a))
        self.assertFalse(Review.objects.get(pk=self.review_a.pk).ratings.exists())


class PointsConditionsTests(ReviewFormTestCase):
    def test_the_points_conditions_are_required_and_stored(self):
        self.client.force_login(self.member_user)
        data = self.filled(self.review_a, action="submit")
        del data["cond_tasks_exceeding_percent"]
        response = self.client.post(self.url(self.review_a), data)
        self.assertIn(
            "cond_tasks_exceeding_percent",
            [name for name, _label in response.context["missing"]],
        )
        data = self.filled(self.review_a, action="submit", version=1)
        self.client.post(self.url(self.review_a), data)
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.status, Review.Status.SUBMITTED)
        self.assertEqual(review.tasks_exceeding_percent, 30)

    def test_a_percentage_above_a_hundred_is_refused(self):
        self.client.force_login(self.member_user)
        data = self.filled(self.review_a, cond_tasks_on_time_percent=120)
        response = self.client.post(self.url(self.review_a), data)
        self.assertTrue(response.context["form"].errors["cond_tasks_on_time_percent"])
