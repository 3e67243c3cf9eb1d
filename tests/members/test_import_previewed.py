"""The confirm of a member import writes what its preview checked, unless
anything the checks read, the file or the user changed in between."""

from unittest import mock

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.test import TestCase
from import_export.admin import ImportMixin

from members.models import Member, Post
from members.resources import MemberResource
from organizations.import_confirm import kept_path
from organizations.models import OrganizationKind, Role
from organizations.resources import LimitedXLSX
from organizations.spreadsheet_admin import SpreadsheetImportExportMixin

from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from ..organizations.test_admin_import import XLSX, xlsx_upload
from .test_admin_import import HEADERS, member_row

MEMBERS = "/admin/members/member/"


def row(number, **values):
    values = {
        "card_number": f"7{number:07d}",
        "citizen_id": f"0621{number:08d}",
        "party_post": "",
        "organization": "P01.A",
        "workplace": "Tổ 4",
        **values,
    }
    return member_row(**values)


@pytest.mark.usefixtures("require_postgres")
class PreviewedImportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        committee = OrganizationFactory(
            code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        cls.ward = OrganizationFactory(
            code="P01", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
        )
        cls.cell = OrganizationFactory(code="P01.A", parent=cls.ward)
        OrganizationFactory(code="P01.B", parent=cls.ward)
        other_ward = OrganizationFactory(
            code="P02", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
        )
        OrganizationFactory(code="P02.C", parent=other_ward)
        cls.root = UserFactory(username="root", is_superuser=True, is_staff=True)
        group = Group.objects.create(name="Ban Tổ chức")
        group.permissions.set(
            Permission.objects.filter(
                Q(content_type__app_label__in=["organizations", "members"])
            )
        )
        cls.ward_staff = UserFactory(username="ward_staff", is_staff=True)
        cls.ward_staff.groups.add(group)
        cls.role = grant(cls.ward_staff, cls.ward, Role.Kind.STAFF)
        # Two members the file updates (one made a secretary), one it repeats.
        for number in range(3):
            MemberFactory(
                full_name="Nguyễn Thị Hoa",
                gender=Member.Gender.FEMALE,
                card_number=f"7{number:07d}",
                citizen_id=f"0621{number:08d}",
                organization=cls.cell,
                workplace="Tổ 4" if number == 2 else "",
                is_leader=True,
                email="hoa@example.vn",
            )

    def setUp(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.client.force_login(self.root)

    def rows(self, **changes):
        rows = [
            row(0),
            row(1, party_post="Bí thư chi bộ"),
            row(2),
            row(3, organization="P01.B", party_post="Phó Bí thư chi bộ"),
            row(4, full_name="Trần  Văn Bình", gender="male", is_leader=0),
        ]
        for number, values in changes.items():
            rows[int(number.removeprefix("row"))] = row(
                int(number.removeprefix("row")), **values
            )
        return [HEADERS, *rows]

    def preview(self, rows=None):
        response = self.client.post(
            f"{MEMBERS}import/",
            {
                "import_file": xlsx_upload(rows or self.rows()),
                "format": XLSX,
                "resource": "0",
            },
        )
        self.assertIn("confirm_form", response.context, response.context["result"])
        return response.context["confirm_form"].initial

    def confirm(self, initial):
        return self.client.post(f"{MEMBERS}process_import/", initial)

    def assertImported(self, response):
        self.assertRedirects(response, MEMBERS, fetch_redirect_response=False)

    def assertNothingImported(self, response):
        self.assertRedirects(
            response, f"{MEMBERS}import/", fetch_redirect_response=False
        )
        self.assertEqual(Member.objects.count(), 3)
        self.assertFalse(Post.objects.exists())

    def checked_rows(self):
        """Count the rows checked one by one while the block runs."""
        return mock.patch.object(
            MemberResource,
            "import_row",
            autospec=True,
            side_effect=MemberResource.import_row,
        )

    def written(self):
        """What an import left, keyed by card number (ids and dates vary)."""
        cards = dict(Member.objects.values_list("pk", "card_number"))

        def rows(queryset, *leave_out):
            found = []
            for values in queryset.values():
                for name in ("public_id", "history_id", "history_date", *leave_out):
                    values.pop(name, None)
                for name in ("id", "member_id"):
                    if name in values:
                        values[name] = cards.get(values[name], values[name])
                found.append(values)
            return sorted(found, key=repr)

        return {
            "members": rows(Member.objects.all()),
            "history": rows(Member.history.all()),
            "posts": rows(Post.objects.all(), "id"),
            "post_history": rows(Post.history.all(), "id"),
            "log": rows(LogEntry.objects.all(), "id", "action_time", "object_id"),
        }

    def test_the_confirm_writes_the_previewed_rows_without_checking_them(self):
        history = Member.history.latest("history_id").history_id
        initial = self.preview()

        with self.checked_rows() as checked:
            response = self.confirm(initial)

        self.assertImported(response)
        checked.assert_not_called()
        self.assertEqual(Member.objects.count(), 5)
        self.assertEqual(Member.objects.get(card_number="70000000").workplace, "Tổ 4")
        binh = Member.objects.get(card_number="70000004")
        self.assertEqual((binh.full_name, binh.sort_key != ""), ("Trần Văn Bình", True))
        posts = set(Post.objects.values_list("member__card_number", "kind"))
        self.assertEqual(
            posts, {("70000001", "secretary"), ("70000003", "deputy_secretary")}
        )
        self.assertEqual(
            sorted(
                Member.history.filter(history_id__gt=history).values_list(
                    "card_number", "history_type", "history_user"
                )
            ),
            [
                ("70000000", "~", self.root.pk),
                ("70000001", "~", self.root.pk),
                ("70000003", "+", self.root.pk),
                ("70000004", "+", self.root.pk),
            ],
        )

    def test_the_confirm_leaves_what_checking_every_row_again_leaves(self):
        with transaction.atomic():
            self.assertImported(self.confirm(self.preview()))
            previewed = self.written()
            transaction.set_rollback(True)
        # As before: every row checked, simple_history's and import_export's
        # own writers of the history and the admin log.
        with (
            self.checked_rows() as checked,
            mock.patch.object(MemberResource, "import_previewed", return_value=None),
            mock.patch("members.resources.history_copied", return_value=False),
            mock.patch.object(
                SpreadsheetImportExportMixin,
                "generate_log_entries",
                ImportMixin.generate_log_entries,
            ),
        ):
            self.assertImported(self.confirm(self.preview()))

        self.assertEqual(checked.call_count, 10)  # the preview's and the confirm's
        self.assertEqual(previewed, self.written())
        self.assertEqual(len(previewed["log"]), 4)

    def test_a_previewed_file_failing_as_it_is_written_writes_nothing(self):
        initial = self.preview()

        with (
            self.checked_rows() as checked,
            mock.patch(
                "members.resources.add_posts_in_bulk",
                side_effect=DatabaseError("the disk is full"),
            ),
        ):
            response = self.confirm(initial)

        checked.assert_not_called()
        self.assertNothingImported(response)
        self.assertEqual(
            set(Member.objects.values_list("workplace", flat=True)), {"", "Tổ 4"}
        )
        self.assertEqual(Member.history.count(), 6)
        self.assertFalse(LogEntry.objects.exists())

    def test_a_file_changed_after_its_preview_is_checked_again(self):
        initial = self.preview()
        bad = self.rows(row3={"organization": "P99"})
        path = kept_path(
            self.root,
            initial["import_file_name"],
            initial["format"],
            initial["resource"],
        )
        with open(path, "wb") as changed:
            changed.write(xlsx_upload(bad).read())

        with self.checked_rows() as checked:
            response = self.confirm(initial)

        self.assertEqual(checked.call_count, 5)
        self.assertNothingImported(response)

    def test_a_changed_file_is_imported_only_as_checked_now(self):
        initial = self.preview()
        other = self.rows(row0={"workplace": "Tổ 9"})
        path = kept_path(
            self.root,
            initial["import_file_name"],
            initial["format"],
            initial["resource"],
        )
        with open(path, "wb") as changed:
            changed.write(xlsx_upload(other).read())

        with self.checked_rows() as checked:
            self.assertImported(self.confirm(initial))

        self.assertEqual(checked.call_count, 5)
        self.assertEqual(Member.objects.get(card_number="70000000").workplace, "Tổ 9")

    def assertRefusedUnread(self, response, checked):
        """The import page again with the refusal; no row read or written."""
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "The preview of this file is not kept any more")
        self.assertIn("form", response.context)
        checked.assert_not_called()
        self.assertEqual(Member.objects.count(), 3)
        self.assertFalse(Post.objects.exists())

    def test_another_user_cannot_confirm_a_preview_they_did_not_make(self):
        initial = self.preview(self.rows(row3={"organization": "P02.C"}))
        self.client.force_login(self.ward_staff)

        with self.checked_rows() as checked:
            response = self.confirm(initial)

        # The file is kept for the user who previewed it: no other user's
        # confirm finds it, whatever their reach.
        self.assertRefusedUnread(response, checked)

    def test_a_superuser_cannot_confirm_another_users_preview_either(self):
        self.client.force_login(self.ward_staff)
        initial = self.preview()
        self.client.force_login(self.root)

        with self.checked_rows() as checked:
            self.assertRefusedUnread(self.confirm(initial), checked)

        # Their own confirm still finds it, and writes what its preview checked.
        self.client.force_login(self.ward_staff)
        with self.checked_rows() as checked:
            self.assertImported(self.confirm(initial))

        checked.assert_not_called()
        self.assertEqual(
            Member.history.filter(history_type="+", card_number="70000004")
            .get()
            .history_user,
            self.ward_staff,
        )

    def test_a_preview_is_confirmed_once(self):
        initial = self.preview()
        self.assertImported(self.confirm(initial))
        before = self.written()

        with self.checked_rows() as checked:
            response = self.confirm(initial)

        self.assertContains(response, "The preview of this file is not kept any more")
        checked.assert_not_called()
        self.assertEqual(self.written(), before)

    def test_a_staff_role_revoked_after_the_preview_is_checked_again(self):
        self.client.force_login(self.ward_staff)
        initial = self.preview()
        self.role.delete()

        with self.checked_rows() as checked:
            response = self.confirm(initial)

        self.assertEqual(checked.call_count, 5)
        self.assertNothingImported(response)

    def test_a_member_changed_after_the_preview_is_checked_again(self):
        initial = self.preview()
        Member.objects.filter(card_number="70000002").update(status_note="Chuyển đi")

        with self.checked_rows() as checked:
            self.assertImported(self.confirm(initial))

        self.assertEqual(checked.call_count, 5)
        # The file's empty note is written over the note written meanwhile.
        self.assertEqual(Member.objects.get(card_number="70000002").status_note, "")

    def test_a_kept_preview_is_written_once(self):
        data = xlsx_upload(self.rows()).read()
        dataset = LimitedXLSX().create_dataset(data)
        options = {"user": self.root, "use_transactions": True}
        MemberResource().import_data(
            dataset, dry_run=True, keep_preview=True, **options
        )
        with transaction.atomic():
            with self.checked_rows() as checked:
                MemberResource().import_data(dataset, use_preview=True, **options)
            checked.assert_not_called()
            transaction.set_rollback(True)

        with self.checked_rows() as checked:
            result = MemberResource().import_data(dataset, use_preview=True, **options)

        self.assertEqual(checked.call_count, 5)
        self.assertEqual(result.totals["new"], 2)
