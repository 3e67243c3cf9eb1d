import datetime

from django.conf import settings
from django.urls import reverse

from organizations.models import OrganizationKind, OrganizationType
from reviews.models import FocusArea, Suggestion, SuggestionItem

from ..factories import OrganizationFactory
from ..personas import CyclePersonasTestCase
from .test_suggestion_list import make_organizations


class SuggestionBulkTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.recruitment = FocusArea.objects.get(code="member-recruitment")
        cls.schools = OrganizationType.objects.get(code="truong-hoc")
        cls.school_1 = OrganizationFactory(
            name="Chi bộ Trường THCS Lê Lợi",
            kind=OrganizationKind.GRASSROOTS_CELL,
            org_type=cls.schools,
            parent=cls.committee,
        )
        cls.school_2 = OrganizationFactory(
            name="Chi bộ Trường Tiểu học Kim Đồng",
            kind=OrganizationKind.GRASSROOTS_CELL,
            org_type=cls.schools,
            parent=cls.committee,
        )
        # The ward already has a suggestion with one item.
        cls.ward_suggestion = Suggestion.objects.create(
            cycle=cls.cycle, organization=cls.ward, issued_on=datetime.date(2026, 11, 1)
        )
        SuggestionItem.objects.create(
            suggestion=cls.ward_suggestion,
            number=1,
            focus_area=FocusArea.objects.get(code="urban-order"),
            text="Trật tự đô thị",
        )
        cls.url = reverse("reviews:suggestion_bulk", args=[cls.cycle.public_id])

    def setUp(self):
        self.client.force_login(self.staff)

    def post(self, organizations, follow=False, **fields):
        data = {
            "focus_area": str(self.recruitment.pk),
            "text": "Làm rõ nguyên nhân chưa đạt chỉ tiêu phát triển đảng viên",
            "issued_on": "2026-11-20",
            "organizations": [str(o.public_id) for o in organizations],
            **fields,
        }
        return self.client.post(self.url, data, follow=follow)

    def test_issues_the_item_to_every_ticked_organization(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.post([self.ward, self.school_1, self.school_2], follow=True)
        self.assertContains(response, "The item was issued to 3 organizations.")
        items = SuggestionItem.objects.filter(focus_area=self.recruitment)
        self.assertEqual(
            sorted(items.values_list("suggestion__organization__name", "number")),
            [
                ("Chi bộ Trường THCS Lê Lợi", 1),
                ("Chi bộ Trường Tiểu học Kim Đồng", 1),
                ("Đảng bộ phường Quyết Thắng", 2),
            ],
        )
        self.assertEqual(
            set(
                Suggestion.objects.filter(issued_by=self.staff).values_list(
                    "organization", flat=True
                )
            ),
            {self.school_1.pk, self.school_2.pk},
        )

    def test_all_or_nothing_when_one_organization_is_outside_the_tree(self):
        elsewhere = OrganizationFactory(
            kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        outside = OrganizationFactory(
            kind=OrganizationKind.GRASSROOTS_CELL, parent=elsewhere
        )
        response = self.post([self.school_1, outside])
        self.assertTrue(response.context["form"].has_error("organizations"))
        self.assertFalse(SuggestionItem.objects.filter(focus_area=self.recruitment))
        self.assertEqual(Suggestion.objects.count(), 1)

    def test_a_cell_under_a_grassroots_committee_is_not_offered(self):
        response = self.post([self.school_1, self.cell_a])
        self.assertTrue(response.context["form"].has_error("organizations"))
        self.assertEqual(Suggestion.objects.count(), 1)

    def test_nothing_ticked_is_refused(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.post([])
        self.assertContains(response, "Tick at least one organization.")

    def test_date_outside_the_cycle_is_refused_and_the_ticks_kept(self):
        response = self.post([self.school_1], issued_on="2025-12-31")
        self.assertTrue(response.context["form"].has_error("issued_on"))
        self.assertEqual(response.context["ticked"], {str(self.school_1.public_id)})
        self.assertEqual(Suggestion.objects.count(), 1)

    def test_ticking_a_type_ticks_its_organizations(self):
        response = self.client.get(self.url, {"org_type": self.schools.pk})
        self.assertEqual(
            response.context["ticked"],
            {str(self.school_1.public_id), str(self.school_2.public_id)},
        )
        self.assertContains(response, "Đảng bộ phường Quyết Thắng")

    def test_bad_type_value_is_ignored(self):
        response = self.client.get(self.url, {"org_type": "x"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["ticked"], set())

    def test_outsider_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_leader_who_posts_gets_403(self):
        self.client.force_login(self.leader)
        self.assertEqual(self.post([self.ward]).status_code, 403)
        self.assertEqual(SuggestionItem.objects.count(), 1)

    def test_query_count_is_the_same_for_10_and_500_organizations(self):
        make_organizations(self.committee, 7, kind=OrganizationKind.GRASSROOTS_CELL)
        with self.assertNumQueries(9):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["organizations"]), 10)
        make_organizations(self.committee, 490, kind=OrganizationKind.GRASSROOTS_CELL)
        with self.assertNumQueries(9):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["organizations"]), 500)
