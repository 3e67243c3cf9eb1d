import datetime

from django.conf import settings
from django.urls import reverse

from reviews.models import FocusArea, Suggestion, SuggestionAnswer, SuggestionItem

from ..personas import CyclePersonasTestCase


class SuggestionEditTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.order = FocusArea.objects.get(code="urban-order")
        cls.suggestion = Suggestion.objects.create(
            cycle=cls.cycle,
            organization=cls.cell_a,
            issued_on=datetime.date(2026, 11, 1),
        )
        cls.items = [
            SuggestionItem.objects.create(
                suggestion=cls.suggestion,
                number=n,
                focus_area=cls.order,
                text=f"Mục {n}",
            )
            for n in (1, 2, 3)
        ]
        cls.url = reverse("reviews:suggestion_edit", args=[cls.suggestion.public_id])

    def setUp(self):
        self.client.force_login(self.staff)

    def data(self, changes=None, deleted=(), new=None):
        """The formset as the page posts it, with some rows changed or deleted."""
        changes = changes or {}
        rows = [*self.items, None]
        data = {
            "items-TOTAL_FORMS": str(len(rows)),
            "items-INITIAL_FORMS": str(len(self.items)),
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "50",
        }
        for index, item in enumerate(rows):
            prefix = f"items-{index}"
            if item is None:
                if new:
                    data[f"{prefix}-focus_area"] = str(self.order.pk)
                    data[f"{prefix}-text"] = new
                continue
            data[f"{prefix}-id"] = str(item.pk)
            data[f"{prefix}-suggestion"] = str(self.suggestion.pk)
            data[f"{prefix}-focus_area"] = str(item.focus_area_id)
            data[f"{prefix}-text"] = changes.get(item.number, item.text)
            if item.number in deleted:
                data[f"{prefix}-DELETE"] = "on"
        return data

    def numbered(self):
        return list(self.suggestion.items.values_list("number", "text"))

    def test_staff_change_the_text_of_an_item(self):
        response = self.client.post(self.url, self.data(changes={2: "Mục hai mới"}))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            self.numbered(), [(1, "Mục 1"), (2, "Mục hai mới"), (3, "Mục 3")]
        )

    def test_deleting_an_item_numbers_the_rest_again(self):
        self.client.post(self.url, self.data(deleted=[1]))
        self.assertEqual(self.numbered(), [(1, "Mục 2"), (2, "Mục 3")])

    def test_a_new_item_comes_after_the_last(self):
        self.client.post(self.url, self.data(deleted=[2], new="Mục mới"))
        self.assertEqual(self.numbered(), [(1, "Mục 1"), (2, "Mục 3"), (3, "Mục mới")])

    def test_deleting_an_explained_item_is_refused_with_its_number(self):
        SuggestionAnswer.objects.create(
            review=self.collective_a, item=self.items[1], text="Đã giải trình."
        )
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.client.post(self.url, self.data(deleted=[1, 2]))
        self.assertContains(response, "Item 2 already has an explanation")
        self.assertEqual(len(self.numbered()), 3)

    def test_an_empty_answer_does_not_keep_an_item(self):
        SuggestionAnswer.objects.create(
            review=self.collective_a, item=self.items[1], text=""
        )
        self.client.post(self.url, self.data(deleted=[2]))
        self.assertEqual(self.numbered(), [(1, "Mục 1"), (2, "Mục 3")])

    def test_deleting_every_item_removes_the_suggestion(self):
        response = self.client.post(self.url, self.data(deleted=[1, 2, 3]))
        self.assertRedirects(
            response, reverse("reviews:suggestion_list", args=[self.cycle.public_id])
        )
        self.assertFalse(Suggestion.objects.filter(pk=self.suggestion.pk).exists())

    def test_an_emptied_text_is_refused(self):
        response = self.client.post(self.url, self.data(changes={1: ""}))
        self.assertTrue(response.context["items"].forms[0].has_error("text"))
        self.assertEqual(self.numbered()[0], (1, "Mục 1"))

    def test_the_page_marks_explained_items(self):
        SuggestionAnswer.objects.create(
            review=self.collective_a, item=self.items[0], text="Đã giải trình."
        )
        response = self.client.get(self.url)
        flags = [form.answered for form in response.context["items"].forms[:3]]
        self.assertEqual(flags, [True, False, False])

    def test_unknown_suggestion_gets_404(self):
        url = reverse(
            "reviews:suggestion_edit", args=["00000000-0000-0000-0000-000000000000"]
        )
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_outsider_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, self.data()).status_code, 404)

    def test_secretary_of_the_cell_gets_404(self):
        self.client.force_login(self.secretary_a)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_leader_who_posts_gets_403(self):
        self.client.force_login(self.leader)
        response = self.client.post(self.url, self.data(deleted=[1]))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(len(self.numbered()), 3)
