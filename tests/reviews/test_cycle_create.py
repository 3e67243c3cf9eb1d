import datetime

from django.urls import reverse

from organizations.models import OrganizationKind, Role
from reviews.cycles.forms import next_year
from reviews.models import Regime, ReviewCycle

from ..factories import OrganizationFactory, UserFactory, grant
from ..personas import CyclePersonasTestCase

URL = reverse("reviews:cycle_create")


class CycleCreateTestCase(CyclePersonasTestCase):
    """The committee's 2026 cycle (QĐ 366) is the latest; 2027 comes next."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.qd366 = Regime.objects.get(code="qd366")
        cls.qd124 = Regime.objects.get(code="qd124")
        cls.qd132 = Regime.objects.get(code="qd132")

    def data(self, **changes):
        """What the prefilled page posts back, with `changes` typed over it."""
        return {
            "superior": self.committee.pk,
            "name": "Kiểm điểm, xếp loại năm 2027",
            "period": "year",
            "year": "2027",
            "regime": self.qd366.pk,
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
            "guidance_issued_on": "",
            "self_review_due": "2027-12-15",
            "meetings_due": "2027-12-31",
            "appraisal_due": "",
            "decision_due": "2028-01-20",
            "publication_due": "",
        } | changes


class CycleCreateTests(CycleCreateTestCase):
    def test_the_cycle_list_offers_the_page_to_staff(self):
        self.client.force_login(self.staff)
        response = self.client.get(reverse("reviews:cycle_list"))
        self.assertContains(response, f'href="{URL}"')
        self.assertContains(response, "Tạo kỳ kiểm điểm mới")

    def test_the_cycle_list_does_not_offer_it_to_a_secretary(self):
        self.client.force_login(self.secretary_a)
        response = self.client.get(reverse("reviews:cycle_list"))
        self.assertNotContains(response, f'href="{URL}"')

    def test_the_page_is_prefilled_with_next_year(self):
        self.client.force_login(self.staff)
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        form = response.context["form"]
        self.assertEqual(form["year"].value(), 2027)
        self.assertEqual(form["name"].value(), "Kiểm điểm, xếp loại năm 2027")
        self.assertEqual(form["superior"].value(), self.committee.pk)
        self.assertEqual(form["regime"].value(), self.qd366.pk)
        self.assertEqual(form["starts_on"].value(), datetime.date(2027, 1, 1))
        self.assertEqual(form["ends_on"].value(), datetime.date(2027, 12, 31))
        self.assertEqual(form["self_review_due"].value(), datetime.date(2027, 12, 15))
        self.assertEqual(form["meetings_due"].value(), datetime.date(2027, 12, 31))
        self.assertEqual(form["decision_due"].value(), datetime.date(2028, 1, 20))
        self.assertIsNone(form["appraisal_due"].value())
        self.assertContains(response, 'value="2028-01-20"')
        self.assertContains(response, "Đã điền sẵn theo “Kiểm điểm năm 2026”")
        # Every field has its label, and the page carries no inline style.
        for name in form.fields:
            self.assertContains(response, f'for="id_{name}"')
        self.assertNotContains(response, "style=")

    def test_staff_create_next_years_cycle_as_a_draft(self):
        self.client.force_login(self.staff)
        response = self.client.post(URL, self.data())
        cycle = ReviewCycle.objects.get(superior=self.committee, year=2027)
        self.assertRedirects(response, reverse("reviews:cycle", args=[cycle.public_id]))
        self.assertEqual(cycle.status, ReviewCycle.Status.DRAFT)
        self.assertEqual(cycle.regime, self.qd366)
        self.assertEqual(cycle.decision_due, datetime.date(2028, 1, 20))
        self.assertEqual(cycle.history.get().history_user, self.staff)
        overview = self.client.get(response.url)
        self.assertContains(overview, "Kiểm điểm, xếp loại năm 2027")
        self.assertContains(overview, "Dự thảo")

    def test_a_committee_without_a_cycle_is_offered_this_year(self):
        committee = OrganizationFactory(
            code="TU3", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        grant(self.staff, committee, Role.Kind.STAFF)
        self.client.force_login(self.staff)
        response = self.client.get(URL, {"committee": committee.public_id})
        form = response.context["form"]
        year = datetime.date.today().year
        self.assertEqual(form["superior"].value(), committee.pk)
        self.assertEqual(form["year"].value(), year)
        self.assertEqual(form["starts_on"].value(), datetime.date(year, 1, 1))
        self.assertIsNone(form["self_review_due"].value())
        self.assertContains(response, "chưa có kỳ kiểm điểm nào")


class LeapYearTests(CycleCreateTestCase):
    def test_29_february_becomes_28_february(self):
        self.assertEqual(
            next_year(datetime.date(2028, 2, 29)), datetime.date(2029, 2, 28)
        )
        self.assertEqual(
            next_year(datetime.date(2027, 2, 28)), datetime.date(2028, 2, 28)
        )

    def test_a_deadline_on_29_february_is_prefilled_a_year_on(self):
        ReviewCycle.objects.create(
            name="Kiểm điểm năm 2027",
            year=2027,
            starts_on="2027-01-01",
            ends_on="2027-12-31",
            regime=self.qd366,
            superior=self.committee,
            decision_due="2028-02-29",
            publication_due="2028-03-10",
        )
        self.client.force_login(self.staff)
        response = self.client.get(URL)
        form = response.context["form"]
        self.assertEqual(form["year"].value(), 2028)
        self.assertEqual(form["decision_due"].value(), datetime.date(2029, 2, 28))
        self.assertEqual(form["publication_due"].value(), datetime.date(2029, 3, 10))
        self.assertContains(response, 'value="2029-02-28"')


class BadInputTests(CycleCreateTestCase):
    def refused(self, data, message, kept):
        """The page comes back with `message` and `kept`, and nothing is written."""
        self.client.force_login(self.staff)
        before = ReviewCycle.objects.count()
        response = self.client.post(URL, data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, message)
        self.assertContains(response, kept)
        self.assertEqual(ReviewCycle.objects.count(), before)
        return response

    def test_deadlines_out_of_order(self):
        self.refused(
            self.data(meetings_due="2027-12-01"),
            "Các thời hạn phải theo đúng thứ tự các bước.",
            'value="2027-12-01"',
        )

    def test_guidance_after_a_deadline(self):
        self.refused(
            self.data(guidance_issued_on="2027-12-20"),
            "Ngày ban hành hướng dẫn phải trước mọi thời hạn khác.",
            'value="2027-12-20"',
        )

    def test_a_regime_that_does_not_cover_the_year(self):
        response = self.refused(
            self.data(regime=self.qd124.pk),
            "không áp dụng cho năm 2027",
            'value="Kiểm điểm, xếp loại năm 2027"',
        )
        self.assertContains(response, f'value="{self.qd124.pk}" selected')

    def test_a_regime_kept_for_history(self):
        self.refused(
            self.data(regime=self.qd132.pk, year="2020"),
            "Chọn bộ quy định đang áp dụng",
            'value="2020"',
        )

    def test_a_period_the_committee_already_has(self):
        self.refused(
            self.data(year="2026", starts_on="2026-01-01", ends_on="2026-12-31"),
            "Cấp ủy này đã có kỳ kiểm điểm cho thời gian này.",
            'value="2026-12-31"',
        )

    def test_a_committee_the_user_is_not_staff_of(self):
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        self.refused(
            self.data(superior=other.pk),
            "Chỉ được chọn cấp ủy mà đồng chí là cán bộ cơ quan tham mưu.",
            'value="2027-12-15"',
        )

    def test_garbage_dates_and_year(self):
        response = self.refused(
            self.data(starts_on="31/02/2027", decision_due="hôm qua", year="năm"),
            "Nhập một ngày hợp lệ.",
            'value="hôm qua"',
        )
        self.assertContains(response, "Nhập một số nguyên.")
        self.assertContains(response, 'value="31/02/2027"')

    def test_a_year_out_of_range(self):
        self.refused(
            self.data(year="32767"),
            "Giá trị này phải nhỏ hơn hoặc bằng 2100.",
            'value="32767"',
        )

    def test_a_negative_year_gets_one_message(self):
        response = self.refused(
            self.data(year="-1"),
            "Giá trị này phải lớn hơn hoặc bằng 2000.",
            'value="-1"',
        )
        self.assertEqual(
            response.context["form"].errors["year"],
            ["Giá trị này phải lớn hơn hoặc bằng 2000."],
        )

    def test_a_period_ending_before_it_starts(self):
        self.refused(
            self.data(ends_on="2026-12-31"),
            "Ngày kết thúc của kỳ phải sau ngày bắt đầu.",
            'value="2026-12-31"',
        )


class AccessTests(CycleCreateTestCase):
    def test_secretary_member_and_leader_get_403(self):
        for user in (self.secretary_a, self.member_user, self.leader):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                self.assertEqual(self.client.get(URL).status_code, 403)
                response = self.client.post(URL, self.data())
                self.assertEqual(response.status_code, 403)
        self.assertFalse(ReviewCycle.objects.filter(year=2027).exists())

    def test_a_user_without_a_role_gets_403(self):
        self.client.force_login(UserFactory(username="nobody"))
        self.assertEqual(self.client.get(URL).status_code, 403)

    def test_outside_staff_cannot_prefill_from_another_committee(self):
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        stranger = UserFactory(username="stranger")
        grant(stranger, other, Role.Kind.STAFF)
        self.client.force_login(stranger)
        response = self.client.get(URL, {"committee": self.committee.public_id})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.client.get(URL, {"committee": "xyz"}).status_code, 404)
        # Their own committee has no cycle: the page proposes this year's.
        response = self.client.get(URL)
        self.assertEqual(response.context["form"]["superior"].value(), other.pk)
        self.assertNotContains(response, self.committee.name)
