import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from members.models import Member, Post, PostKind
from organizations.models import OrganizationKind
from reviews import guards
from reviews.models import Conclusion, CyclePost, FormTemplate, Regime, ReviewCycle

from ..factories import MemberFactory, OrganizationFactory
from ..organizations.test_admin_import import AdminImportTestCase, xlsx_upload
from ..personas import CyclePersonasTestCase
from .test_admin_import import HEADERS, member_row


def admin_url(model, view="changelist", *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


class PostAdminTests(CyclePersonasTestCase):
    """Posts and the cycle's copies open for a superuser and committee staff."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.root = get_user_model().objects.create_superuser("root", password="x")
        # As the committee's staff group: every permission of the apps they keep.
        cls.staff.user_permissions.set(
            Permission.objects.filter(
                Q(content_type__app_label__in=["organizations", "members", "reviews"])
            )
        )
        cls.post = Post.objects.create(
            member=cls.member_a,
            organization=cls.cell_a,
            kind=PostKind.SECRETARY,
            started_on=datetime.date(2025, 6, 1),
        )
        cls.cycle_post = CyclePost.objects.create(
            cycle=cls.cycle,
            review=cls.review_a,
            organization=cls.cell_a,
            kind=PostKind.SECRETARY,
        )

    def setUp(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"

    def pages(self):
        return [
            admin_url(Post),
            admin_url(Post) + "?kind=secretary",
            admin_url(Post) + "?q=nguyen van an",
            admin_url(Post, "add"),
            admin_url(Post, "change", self.post.pk),
            admin_url(Post, "history", self.post.pk),
            admin_url(Member, "change", self.member_a.pk),
            admin_url(CyclePost),
            admin_url(CyclePost) + f"?cycle__id__exact={self.cycle.pk}&kind=secretary",
            admin_url(CyclePost) + "?q=p01.a",
            admin_url(CyclePost, "add"),
            admin_url(CyclePost, "change", self.cycle_post.pk),
        ]

    def assert_pages_open(self, user):
        self.client.force_login(user)
        for url in self.pages():
            with self.subTest(user=user.username, url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)

    def test_pages_open_for_a_superuser(self):
        self.assert_pages_open(self.root)

    def test_pages_open_for_committee_staff(self):
        self.assert_pages_open(self.staff)

    def test_changelists_show_the_holder_and_search_ignores_accents(self):
        self.client.force_login(self.staff)

        posts = self.client.get(admin_url(Post), {"q": "nguyen van an"})
        self.assertContains(posts, "Nguyễn Văn Ân")
        self.assertContains(posts, "Chi bộ Tổ dân phố 1")

        cycle_posts = self.client.get(admin_url(CyclePost), {"q": "nguyen van an"})
        self.assertContains(cycle_posts, "Nguyễn Văn Ân")

        nobody = self.client.get(admin_url(Post), {"q": "le duc cuong"})
        self.assertNotContains(nobody, "Nguyễn Văn Ân")

    def test_member_page_lists_the_posts_inline(self):
        self.client.force_login(self.staff)
        response = self.client.get(admin_url(Member, "change", self.member_a.pk))
        self.assertContains(response, 'name="posts-0-kind"')
        self.assertContains(response, 'name="posts-0-organization"')

    def test_autocompletes_answer(self):
        self.client.force_login(self.staff)
        for app_label, model_name, field_name, term in [
            ("members", "post", "organization", "p01.a"),
            ("members", "post", "member", "nguyen"),
            ("members", "member", "organization", "p01.a"),
            ("reviews", "cyclepost", "organization", "p01.a"),
            ("reviews", "cyclepost", "review", "Nguyễn"),
            ("reviews", "conclusion", "organization", "p01.a"),
        ]:
            with self.subTest(model=model_name, field=field_name):
                response = self.client.get(
                    reverse("admin:autocomplete"),
                    {
                        "app_label": app_label,
                        "model_name": model_name,
                        "field_name": field_name,
                        "term": term,
                    },
                )
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response.json()["results"])

    def test_a_post_is_added_in_the_admin(self):
        self.client.force_login(self.staff)
        response = self.client.post(
            admin_url(Post, "add"),
            {
                "member": self.other_member_a.pk,
                "organization": self.ward.pk,
                "kind": PostKind.DEPUTY,
                "started_on": "2025-06-01",
                "ended_on": "",
            },
        )
        self.assertRedirects(response, admin_url(Post))
        self.assertTrue(
            Post.objects.filter(
                member=self.other_member_a,
                organization=self.ward,
                kind=PostKind.DEPUTY,
            ).exists()
        )

    def test_a_second_current_secretary_is_a_form_error(self):
        self.client.force_login(self.staff)
        response = self.client.post(
            admin_url(Post, "add"),
            {
                "member": self.other_member_a.pk,
                "organization": self.cell_a.pk,
                "kind": PostKind.SECRETARY,
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["adminform"].form.errors)
        self.assertEqual(Post.objects.filter(organization=self.cell_a).count(), 1)

    def test_cycle_posts_of_a_locked_cycle_are_read_only(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.LOCKED
        )
        self.client.force_login(self.root)
        url = admin_url(CyclePost, "change", self.cycle_post.pk)

        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, 'name="_save"')

        response = self.client.post(
            url,
            {
                "cycle": self.cycle.pk,
                "review": self.review_a.pk,
                "organization": self.cell_b.pk,
                "kind": PostKind.SECRETARY,
            },
        )
        self.assertEqual(response.status_code, 403)
        self.cycle_post.refresh_from_db()
        self.assertEqual(self.cycle_post.organization, self.cell_a)

        with self.assertRaises(guards.CycleClosed):
            self.cycle_post.delete()


class ConclusionAdminTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.root = get_user_model().objects.create_superuser("root", password="x")

    def setUp(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
        self.client.force_login(self.root)

    def add(self, **values):
        data = {
            "member": "",
            "organization": "",
            "concluded_on": "2026-05-01",
            "concluded_by": "Ủy ban Kiểm tra Thành ủy",
            "note": "",
            **values,
        }
        return self.client.post(admin_url(Conclusion, "add"), data)

    def test_an_organization_conclusion_is_saved_and_listed(self):
        response = self.add(organization=self.cell_a.pk, kind="targets")

        self.assertRedirects(response, admin_url(Conclusion))
        conclusion = Conclusion.objects.get()
        self.assertEqual(conclusion.organization, self.cell_a)
        self.assertIsNone(conclusion.member)
        Conclusion.objects.create(
            member=self.member_b, kind="example", concluded_on="2026-05-02"
        )
        listing = self.client.get(admin_url(Conclusion))
        self.assertContains(listing, "Chi bộ Tổ dân phố 1")
        self.assertContains(listing, "Lê Đức Cường")

    def test_a_member_kind_for_an_organization_is_refused_in_vietnamese(self):
        response = self.add(organization=self.cell_a.pk, kind="example")

        self.assertEqual(response.status_code, 200)
        self.assertFalse(Conclusion.objects.exists())
        with translation.override("vi"):
            message = translation.gettext(
                "This conclusion concerns a member, not an organization."
            )
        self.assertEqual(response.context["adminform"].form.errors["kind"], [message])
        self.assertContains(response, escape(message))

    def test_a_conclusion_about_nobody_is_refused(self):
        response = self.add(kind="example")

        self.assertEqual(response.status_code, 200)
        self.assertFalse(Conclusion.objects.exists())
        with translation.override("vi"):
            message = translation.gettext(
                "A conclusion concerns one member or one organization."
            )
        self.assertContains(response, escape(message))


class RuleSettingsAdminTests(CyclePersonasTestCase):
    """The regime's rating conditions and the form's provisional flag are edited."""

    def test_regime_and_form_template_pages_show_the_new_fields(self):
        self.client.force_login(
            get_user_model().objects.create_superuser("root", password="x")
        )
        regime = self.cycle.regime
        response = self.client.get(admin_url(Regime, "change", regime.pk))
        for name in [
            "excellent_on_time_percent",
            "excellent_exceeding_percent",
            "excellent_remedied_percent",
            "good_on_time_percent",
            "pass_late_percent",
            "subordinate_discipline_percent",
            "unit_targets_percent",
            "leader_unit_minimums",
        ]:
            self.assertContains(response, f'name="{name}"')

        template = FormTemplate.objects.filter(regime=regime).first()
        response = self.client.get(admin_url(FormTemplate, "change", template.pk))
        self.assertContains(response, 'name="criteria_provisional"')


class PostImportTests(AdminImportTestCase):
    """Importing the register reads Party posts' text into posts."""

    admin_url = "/admin/members/member/"

    @classmethod
    def setUpTestData(cls):
        committee = OrganizationFactory(
            code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        cls.ward = OrganizationFactory(
            code="P01", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
        )
        cls.cell = OrganizationFactory(code="P01.A", parent=cls.ward)

    def test_a_cell_secretary_gets_the_secretary_post_of_their_cell(self):
        self.import_file(xlsx_upload([HEADERS, member_row()]))

        post = Post.objects.get()
        self.assertEqual(post.member.card_number, "62000001")
        self.assertEqual(post.organization, self.cell)
        self.assertEqual(post.kind, PostKind.SECRETARY)
        self.assertIsNone(post.ended_on)

    def test_the_preview_creates_no_post(self):
        self.preview(xlsx_upload([HEADERS, member_row()]))

        self.assertFalse(Post.objects.exists())

    def test_a_second_secretary_of_the_same_cell_does_not_fail_the_import(self):
        rows = [
            HEADERS,
            member_row(),
            member_row(card_number="62000002", citizen_id="062080000002"),
        ]

        self.import_file(xlsx_upload(rows))

        self.assertEqual(Member.objects.count(), 2)
        post = Post.objects.get()
        self.assertEqual(post.member.card_number, "62000001")

    def test_a_file_refused_at_confirmation_leaves_no_post(self):
        rows = [
            HEADERS,
            member_row(),
            member_row(
                card_number="62000002",
                citizen_id="062080000002",
                party_post="Phó Bí thư chi bộ",
            ),
        ]
        preview = self.preview(xlsx_upload(rows))
        MemberFactory(citizen_id="062080000002", organization=self.ward)

        self.confirm(preview)

        self.assertFalse(Member.objects.filter(card_number__startswith="6200").exists())
        self.assertFalse(Post.objects.exists())

    def test_a_secretary_already_on_the_register_keeps_the_post(self):
        holder = MemberFactory(organization=self.cell)
        Post.objects.create(
            member=holder, organization=self.cell, kind=PostKind.SECRETARY
        )

        self.import_file(xlsx_upload([HEADERS, member_row()]))

        self.assertEqual(Member.objects.count(), 2)
        self.assertEqual(Post.objects.get().member, holder)

    def test_several_posts_are_read_from_one_text(self):
        text = "Phó Bí thư Đảng ủy; Bí thư chi bộ"

        self.import_file(xlsx_upload([HEADERS, member_row(party_post=text)]))

        self.assertEqual(
            set(Post.objects.values_list("organization__code", "kind")),
            {("P01", PostKind.DEPUTY), ("P01.A", PostKind.SECRETARY)},
        )

    def test_a_changed_text_adds_posts_only_to_a_member_holding_none(self):
        self.import_file(xlsx_upload([HEADERS, member_row(party_post="")]))
        self.assertFalse(Post.objects.exists())

        self.import_file(xlsx_upload([HEADERS, member_row()]))
        self.assertEqual(Post.objects.get().kind, PostKind.SECRETARY)

        self.import_file(
            xlsx_upload([HEADERS, member_row(party_post="Phó Bí thư chi bộ")])
        )
        self.assertEqual(Post.objects.get().kind, PostKind.SECRETARY)

    def test_an_unchanged_text_adds_no_post(self):
        MemberFactory(
            card_number="62000001",
            organization=self.cell,
            party_post="Bí thư chi bộ",
        )
        Post.objects.all().delete()  # staff ended it by removing it

        self.import_file(
            xlsx_upload([HEADERS, member_row(full_name="Nguyễn Thị Hồng Hoa")])
        )

        self.assertFalse(Post.objects.exists())
