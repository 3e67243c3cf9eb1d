from django.conf import settings
from django.urls import reverse

from organizations.models import Role
from reviews.models import Assignment, ReviewCycle

from ..factories import UserFactory, grant
from ..personas import CyclePersonasTestCase
from .test_suggestion_list import make_organizations


class AssignmentListTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.btv = UserFactory(username="btv", first_name="Hùng", last_name="Trần")
        grant(cls.btv, cls.committee, Role.Kind.LEADER)
        cls.url = reverse("reviews:assignment_list", args=[cls.cycle.public_id])

    def setUp(self):
        self.client.force_login(self.staff)

    def assign(self, user, *organizations, **fields):
        data = {
            "action": "assign",
            "assignee": str(user.pk),
            "organizations": [str(o.public_id) for o in organizations],
            "duty": "Dự, chỉ đạo hội nghị kiểm điểm",
            **fields,
        }
        return self.client.post(self.url, data)

    def test_staff_assign_a_committee_member_to_several_organizations(self):
        response = self.assign(self.btv, self.cell_a, self.cell_b, note="Ưu tiên")
        self.assertRedirects(response, self.url)
        self.assertEqual(
            set(
                Assignment.objects.filter(
                    cycle=self.cycle, assignee=self.btv
                ).values_list("organization__code", "duty", "note")
            ),
            {
                ("P01.A", "Dự, chỉ đạo hội nghị kiểm điểm", "Ưu tiên"),
                ("P01.B", "Dự, chỉ đạo hội nghị kiểm điểm", "Ưu tiên"),
            },
        )
        page = self.client.get(self.url)
        self.assertContains(page, "Trần")
        self.assertContains(page, "Chi bộ Tổ dân phố 2 – Đảng bộ phường Quyết Thắng")

    def test_committee_staff_may_be_assigned_too(self):
        self.assertEqual(self.assign(self.staff, self.ward).status_code, 302)

    def test_a_duplicate_is_refused_and_nothing_saved(self):
        Assignment.objects.create(
            cycle=self.cycle, organization=self.cell_b, assignee=self.btv
        )
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.assign(self.btv, self.cell_a, self.cell_b)
        self.assertContains(response, "is already assigned to: Chi bộ Tổ dân phố 2.")
        self.assertEqual(Assignment.objects.count(), 1)

    def test_someone_without_a_committee_role_cannot_be_assigned(self):
        response = self.assign(self.secretary_a, self.cell_a)
        self.assertTrue(response.context["form"].has_error("assignee"))
        response = self.assign(self.leader, self.cell_a)
        self.assertTrue(response.context["form"].has_error("assignee"))
        self.assertFalse(Assignment.objects.exists())

    def test_the_committee_itself_is_not_an_organization_to_assign(self):
        response = self.assign(self.btv, self.committee)
        self.assertTrue(response.context["form"].has_error("organizations"))

    def test_a_too_long_duty_is_refused_and_the_choices_kept(self):
        response = self.assign(self.btv, self.cell_a, duty="x" * 256)
        form = response.context["form"]
        self.assertTrue(form.has_error("duty"))
        self.assertEqual(form["organizations"].value(), [str(self.cell_a.public_id)])

    def test_staff_remove_an_assignment(self):
        assignment = Assignment.objects.create(
            cycle=self.cycle, organization=self.cell_a, assignee=self.btv
        )
        response = self.client.post(
            self.url, {"action": "delete", "assignment": str(assignment.pk)}
        )
        self.assertRedirects(response, self.url)
        self.assertFalse(Assignment.objects.exists())

    def test_removing_an_assignment_of_another_cycle_does_nothing(self):
        last_year = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2025",
            year=2025,
            starts_on="2025-01-01",
            ends_on="2025-12-31",
            regime=self.cycle.regime,
            superior=self.committee,
        )
        other = Assignment.objects.create(
            cycle=last_year, organization=self.cell_a, assignee=self.btv
        )
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.client.post(
            self.url, {"action": "delete", "assignment": str(other.pk)}, follow=True
        )
        self.assertContains(response, "That assignment no longer exists.")
        self.assertTrue(Assignment.objects.filter(pk=other.pk).exists())

    def test_leader_reads_the_list_without_the_form(self):
        Assignment.objects.create(
            cycle=self.cycle, organization=self.cell_a, assignee=self.btv
        )
        self.client.force_login(self.leader)
        response = self.client.get(self.url)
        self.assertEqual(len(response.context["page"]), 1)
        self.assertNotContains(response, 'name="action"')

    def test_leader_who_posts_gets_403(self):
        assignment = Assignment.objects.create(
            cycle=self.cycle, organization=self.cell_a, assignee=self.btv
        )
        self.client.force_login(self.leader)
        self.assertEqual(self.assign(self.btv, self.cell_b).status_code, 403)
        response = self.client.post(
            self.url, {"action": "delete", "assignment": str(assignment.pk)}
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(Assignment.objects.count(), 1)

    def test_outsider_gets_404(self):
        self.client.force_login(self.secretary_b)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.assign(self.btv, self.cell_b).status_code, 404)

    def test_query_count_is_the_same_for_10_and_500_assignments(self):
        def assign_to(organizations):
            Assignment.objects.bulk_create(
                Assignment(cycle=self.cycle, organization=o, assignee=self.btv)
                for o in organizations
            )

        assign_to(make_organizations(self.ward, 10))
        with self.assertNumQueries(10):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["page"]), 10)
        assign_to(make_organizations(self.ward, 490))
        with self.assertNumQueries(10):
            response = self.client.get(self.url)
        self.assertEqual(response.context["page"].paginator.count, 500)
