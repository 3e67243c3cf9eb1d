import datetime

from django.conf import settings
from django.urls import reverse

from organizations.models import Organization, OrganizationKind, OrganizationType
from reviews.models import FocusArea, Suggestion, SuggestionAnswer, SuggestionItem

from ..factories import OrganizationFactory
from ..personas import CyclePersonasTestCase

ISSUED = datetime.date(2026, 11, 1)


def make_organizations(parent, count, kind=OrganizationKind.CELL, org_type=None):
    """Many organizations under `parent` in a few queries, paths set."""
    org_type = org_type or OrganizationType.objects.get(code="phuong")
    start = Organization.objects.count()
    organizations = []
    for n in range(start, start + count):
        organization = Organization(
            code=f"BULK{n:05d}",
            name=f"Tổ chức {n:05d}",
            kind=kind,
            org_type=org_type,
            parent=parent,
            depth=parent.depth + 1,
        )
        organization.refresh_keys()
        organizations.append(organization)
    created = Organization.objects.bulk_create(organizations)
    for organization in created:
        organization.path = Organization.path_for(organization.pk, parent.path)
    Organization.objects.bulk_update(created, ["path"])
    return created


def make_suggestions(cycle, organizations, area, items=2):
    suggestions = Suggestion.objects.bulk_create(
        Suggestion(cycle=cycle, organization=organization, issued_on=ISSUED)
        for organization in organizations
    )
    SuggestionItem.objects.bulk_create(
        SuggestionItem(
            suggestion=suggestion, number=number, focus_area=area, text=f"Mục {number}"
        )
        for suggestion in suggestions
        for number in range(1, items + 1)
    )
    return suggestions


class SuggestionListTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.order = FocusArea.objects.get(code="urban-order")
        cls.insurance = FocusArea.objects.get(code="health-insurance")
        cls.to_cell = Suggestion.objects.create(
            cycle=cls.cycle, organization=cls.cell_a, issued_on=ISSUED
        )
        cls.answered_item = SuggestionItem.objects.create(
            suggestion=cls.to_cell,
            number=1,
            focus_area=cls.order,
            text="Làm rõ việc xây dựng không phép",
        )
        SuggestionItem.objects.create(
            suggestion=cls.to_cell,
            number=2,
            focus_area=cls.insurance,
            text="Giải trình tỷ lệ tham gia bảo hiểm y tế",
        )
        SuggestionAnswer.objects.create(
            review=cls.collective_a, item=cls.answered_item, text="Đã xử lý 3 vụ."
        )
        cls.to_member = Suggestion.objects.create(
            cycle=cls.cycle, member=cls.member_b, issued_on=ISSUED
        )
        SuggestionItem.objects.create(
            suggestion=cls.to_member,
            number=1,
            focus_area=cls.order,
            text="Trách nhiệm cá nhân về trật tự đô thị",
        )
        cls.url = reverse("reviews:suggestion_list", args=[cls.cycle.public_id])

    def test_staff_see_every_suggestion_with_its_items_and_answers(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url)
        self.assertContains(
            response, "Chi bộ Tổ dân phố 1 – Đảng bộ phường Quyết Thắng"
        )
        self.assertContains(response, "Lê Đức Cường")
        self.assertContains(response, "Giải trình tỷ lệ tham gia bảo hiểm y tế")
        answered = {s.pk: s.answered_count for s in response.context["page"]}
        self.assertEqual(answered, {self.to_cell.pk: 1, self.to_member.pk: 0})

    def test_an_empty_answer_does_not_count_as_explained(self):
        SuggestionAnswer.objects.filter(item=self.answered_item).update(text="")
        self.client.force_login(self.staff)
        page = self.client.get(self.url).context["page"]
        self.assertEqual([s.answered_count for s in page], [0, 0])

    def test_filter_by_focus_area_keeps_only_its_items(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url, {"focus_area": "health-insurance"})
        self.assertEqual([s.pk for s in response.context["page"]], [self.to_cell.pk])
        self.assertContains(response, "Giải trình tỷ lệ tham gia bảo hiểm y tế")
        self.assertNotContains(response, "Làm rõ việc xây dựng không phép")

    def test_bad_filter_values_are_ignored(self):
        self.client.force_login(self.staff)
        response = self.client.get(self.url, {"focus_area": "no-such", "page": "x"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.context["page"]), 2)

    def test_leader_reads_only_suggestions_in_their_subtree(self):
        school = OrganizationFactory(
            kind=OrganizationKind.GRASSROOTS_CELL, parent=self.committee
        )
        Suggestion.objects.create(
            cycle=self.cycle, organization=school, issued_on=ISSUED
        )
        self.client.force_login(self.leader)
        response = self.client.get(self.url)
        self.assertEqual(
            {s.pk for s in response.context["page"]},
            {self.to_cell.pk, self.to_member.pk},
        )
        self.assertNotContains(
            response, reverse("reviews:suggestion_create", args=[self.cycle.public_id])
        )

    def test_outsider_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_member_gets_404(self):
        self.client.force_login(self.member_user)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_anonymous_user_is_sent_to_login(self):
        response = self.client.get(self.url)
        self.assertRedirects(response, f"{reverse('login')}?next={self.url}")

    def test_staff_add_a_focus_area_usable_at_once(self):
        self.client.force_login(self.staff)
        response = self.client.post(
            self.url, {"focus-code": "digital", "focus-name": "Chuyển đổi số"}
        )
        self.assertRedirects(response, self.url)
        area = FocusArea.objects.get(code="digital")
        self.assertTrue(area.active)
        create = reverse("reviews:suggestion_create", args=[self.cycle.public_id])
        self.assertContains(self.client.get(create), "Chuyển đổi số")

    def test_a_focus_area_code_already_used_is_refused(self):
        self.client.force_login(self.staff)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.client.post(
            self.url, {"focus-code": "urban-order", "focus-name": "Trùng mã"}
        )
        self.assertContains(response, "already exists")
        self.assertFalse(FocusArea.objects.filter(name="Trùng mã").exists())

    def test_leader_who_posts_gets_403(self):
        self.client.force_login(self.leader)
        response = self.client.post(
            self.url, {"focus-code": "digital", "focus-name": "Chuyển đổi số"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(FocusArea.objects.filter(code="digital").exists())

    def test_query_count_is_the_same_for_10_and_500_suggestions(self):
        self.client.force_login(self.staff)
        make_suggestions(self.cycle, make_organizations(self.ward, 8), self.order)
        with self.assertNumQueries(10):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["page"]), 10)
        make_suggestions(self.cycle, make_organizations(self.ward, 490), self.order)
        with self.assertNumQueries(10):
            response = self.client.get(self.url)
        self.assertEqual(response.context["page"].paginator.count, 500)
