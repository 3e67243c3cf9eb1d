from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from organizations.models import OrganizationKind
from reviews.models import FocusArea, ReviewCycle, Suggestion, SuggestionItem

from ..factories import MemberFactory, OrganizationFactory
from ..personas import CyclePersonasTestCase


def item_data(*items, extra=1):
    """The formset fields for the given (focus area, text) rows plus empty rows."""
    data = {
        "items-TOTAL_FORMS": str(len(items) + extra),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "50",
    }
    for index, (area, text) in enumerate(items):
        data[f"items-{index}-focus_area"] = str(area.pk) if area else "999999"
        data[f"items-{index}-text"] = text
    return data


class SuggestionCreateTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.order = FocusArea.objects.get(code="urban-order")
        cls.clearance = FocusArea.objects.get(code="land-clearance")
        cls.url = reverse("reviews:suggestion_create", args=[cls.cycle.public_id])

    def setUp(self):
        self.client.force_login(self.staff)

    def post(self, target, *items, issued_on="2026-11-20"):
        return self.client.post(
            self.url, {**target, "issued_on": issued_on, **item_data(*items)}
        )

    def to_cell_a(self):
        return {"organization": str(self.cell_a.public_id)}

    def test_creates_a_suggestion_for_an_organization_with_numbered_items(self):
        response = self.post(
            self.to_cell_a(),
            (self.order, "Làm rõ các công trình không phép"),
            (self.clearance, "Giải trình tiến độ giải phóng mặt bằng"),
        )
        self.assertRedirects(
            response, reverse("reviews:suggestion_list", args=[self.cycle.public_id])
        )
        suggestion = Suggestion.objects.get(cycle=self.cycle, organization=self.cell_a)
        self.assertEqual(suggestion.issued_by, self.staff)
        self.assertEqual(str(suggestion.issued_on), "2026-11-20")
        self.assertEqual(
            list(suggestion.items.values_list("number", "focus_area__code")),
            [(1, "urban-order"), (2, "land-clearance")],
        )

    def test_creates_a_suggestion_for_a_member(self):
        response = self.post(
            {"member": str(self.member_b.public_id)},
            (self.order, "Trách nhiệm cá nhân về trật tự xây dựng"),
        )
        self.assertEqual(response.status_code, 302)
        suggestion = Suggestion.objects.get(cycle=self.cycle, member=self.member_b)
        self.assertIsNone(suggestion.organization)
        self.assertEqual(suggestion.items.get().number, 1)

    def test_appends_to_the_existing_suggestion_with_the_next_numbers(self):
        self.post(self.to_cell_a(), (self.order, "Mục một"))
        self.post(self.to_cell_a(), (self.clearance, "Mục hai"), (self.order, "Mục ba"))
        self.assertEqual(Suggestion.objects.filter(organization=self.cell_a).count(), 1)
        items = SuggestionItem.objects.filter(suggestion__organization=self.cell_a)
        self.assertEqual(
            list(items.values_list("number", "text")),
            [(1, "Mục một"), (2, "Mục hai"), (3, "Mục ba")],
        )

    def test_no_items_is_refused_and_the_target_kept(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.post(self.to_cell_a())
        self.assertContains(response, "Add at least one item")
        self.assertEqual(
            response.context["form"]["organization"].value(),
            str(self.cell_a.public_id),
        )
        self.assertFalse(Suggestion.objects.exists())

    def test_date_outside_the_cycle_is_refused(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.post(
            self.to_cell_a(), (self.order, "Nội dung"), issued_on="2027-02-01"
        )
        self.assertContains(response, "from 01/01/2026 to 20/01/2027")
        self.assertContains(response, "Nội dung")
        self.assertFalse(Suggestion.objects.exists())

    def test_the_decision_deadline_is_still_within_the_cycle(self):
        response = self.post(
            self.to_cell_a(), (self.order, "Nội dung"), issued_on="2027-01-20"
        )
        self.assertEqual(response.status_code, 302)

    def test_unknown_focus_area_is_refused(self):
        response = self.post(self.to_cell_a(), (None, "Nội dung"))
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["items"].forms[0].has_error("focus_area"))
        self.assertFalse(Suggestion.objects.exists())

    def test_inactive_focus_area_is_refused(self):
        FocusArea.objects.filter(pk=self.order.pk).update(active=False)
        response = self.post(self.to_cell_a(), (self.order, "Nội dung"))
        self.assertTrue(response.context["items"].forms[0].has_error("focus_area"))
        self.assertFalse(Suggestion.objects.exists())

    def test_too_long_text_is_refused(self):
        response = self.post(self.to_cell_a(), (self.order, "x" * 4001))
        self.assertTrue(response.context["items"].forms[0].has_error("text"))
        self.assertFalse(Suggestion.objects.exists())

    def test_a_post_claiming_thousands_of_items_builds_at_most_fifty(self):
        data = {
            **self.to_cell_a(),
            "issued_on": "2026-11-20",
            **item_data((self.order, "Mục một")),
            "items-TOTAL_FORMS": "99999999999999999999",
        }
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.context["items"].forms), 50)
        self.assertContains(response, "Đề nghị gửi nhiều nhất 50 mục.")
        self.assertContains(response, "Mục một")
        self.assertFalse(Suggestion.objects.exists())

    def test_a_target_is_required_and_only_one(self):
        response = self.post({}, (self.order, "Nội dung"))
        self.assertTrue(response.context["form"].has_error("organization"))
        both = {**self.to_cell_a(), "member": str(self.member_b.public_id)}
        response = self.post(both, (self.order, "Nội dung"))
        self.assertTrue(response.context["form"].has_error("member"))
        self.assertFalse(Suggestion.objects.exists())

    def test_organization_outside_the_tree_is_refused(self):
        other_committee = OrganizationFactory(
            kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        outside = OrganizationFactory(
            kind=OrganizationKind.GRASSROOTS_CELL, parent=other_committee
        )
        response = self.post(
            {"organization": str(outside.public_id)}, (self.order, "Nội dung")
        )
        self.assertTrue(response.context["form"].has_error("organization"))
        self.assertFalse(Suggestion.objects.exists())

    def test_member_without_a_review_in_the_cycle_is_refused(self):
        newcomer = MemberFactory(full_name="Phạm Văn Mới", organization=self.cell_a)
        response = self.post(
            {"member": str(newcomer.public_id)}, (self.order, "Nội dung")
        )
        self.assertTrue(response.context["form"].has_error("member"))
        self.assertFalse(Suggestion.objects.exists())

    def test_bad_member_value_is_an_error_not_a_500(self):
        response = self.post({"member": "not-a-uuid"}, (self.order, "Nội dung"))
        self.assertTrue(response.context["form"].has_error("member"))

    def test_member_search_ignores_accents_and_lists_only_reviewed_members(self):
        MemberFactory(full_name="Lê Đức Cường Mới", organization=self.cell_b)
        response = self.client.get(
            self.url, {"member_search": "le duc cuong"}, headers={"HX-Request": "true"}
        )
        self.assertContains(response, str(self.member_b.public_id))
        self.assertNotContains(response, "Lê Đức Cường Mới")
        self.assertNotContains(response, "<form")

    def test_bad_query_values_prefill_nothing_and_are_not_a_500(self):
        query = {"organization": "x", "member": "y", "issued_on": "z"}
        self.assertEqual(self.client.get(self.url, query).status_code, 200)
        response = self.client.get(
            self.url, {"member_search": ""}, headers={"HX-Request": "true"}
        )
        self.assertNotContains(response, str(self.member_b.public_id))

    def test_a_link_may_prefill_the_organization(self):
        response = self.client.get(
            self.url, {"organization": str(self.cell_b.public_id)}
        )
        # The option also carries its folded text for the search box.
        self.assertRegex(
            response.content.decode(),
            rf'<option value="{self.cell_b.public_id}" selected[ >]',
        )

    def test_issued_on_defaults_to_today(self):
        response = self.client.get(self.url)
        self.assertEqual(
            response.context["form"]["issued_on"].value(), timezone.localdate()
        )

    def test_a_closed_cycle_takes_no_new_suggestion(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.MEETINGS
        )
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.post(self.to_cell_a(), (self.order, "Nội dung"))
        self.assertContains(response, "suggestions can change only while")
        self.assertFalse(Suggestion.objects.exists())

    def test_the_list_offers_new_suggestions_only_while_they_can_be_saved(self):
        list_url = reverse("reviews:suggestion_list", args=[self.cycle.public_id])
        self.assertContains(self.client.get(list_url), f'href="{self.url}"')

        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.MEETINGS
        )
        response = self.client.get(list_url)
        self.assertNotContains(response, f'href="{self.url}"')
        self.assertContains(
            response,
            "Kỳ kiểm điểm đang ở bước “Đang họp kiểm điểm”: chỉ được thay đổi gợi ý "
            "kiểm điểm khi kỳ kiểm điểm còn là dự thảo hoặc đang tự kiểm điểm.",
        )

    def test_outsider_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        response = self.post(self.to_cell_a(), (self.order, "Nội dung"))
        self.assertEqual(response.status_code, 404)

    def test_leader_who_posts_gets_403(self):
        self.client.force_login(self.leader)
        response = self.post(self.to_cell_a(), (self.order, "Nội dung"))
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Suggestion.objects.exists())
