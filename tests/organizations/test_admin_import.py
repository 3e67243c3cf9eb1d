import datetime
import io
import os
import shutil
import tempfile

import openpyxl
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.utils import translation

from organizations.import_confirm import NO_PREVIEW, NOT_A_PREVIEW, kept_folder
from organizations.models import Organization, OrganizationKind
from organizations.resources import (
    ChoiceWidget,
    DayWidget,
    OrganizationResource,
    YesNoWidget,
)

from ..factories import OrganizationFactory, UserFactory

XLSX, CSV = "0", "1"  # Indexes into settings.IMPORT_EXPORT_FORMATS.
HEADERS = ["code", "name", "kind", "org_type", "parent", "active_from", "active_until"]


def organization_row(code, name, kind, parent=None, active_from=None):
    org_type = None if parent is None else "phuong"
    return [code, name, kind, org_type, parent, active_from, None]


def xlsx_upload(rows, name="import.xlsx"):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_upload(text, name="import.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"))


def read_xlsx(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def preview_errors(response):
    result = response.context.get("result")
    invalid_rows = result.invalid_rows if result else []
    rows = [(row.number, row.error.messages) for row in invalid_rows]
    return f"{response.context['form'].errors} {rows}"


class AdminImportTestCase(TestCase):
    """Drive an admin import as a superuser, with English messages."""

    admin_url = None

    def setUp(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.client.force_login(
            UserFactory(username="admin", is_staff=True, is_superuser=True)
        )

    def preview(self, upload, file_format=XLSX):
        return self.client.post(
            f"{self.admin_url}import/",
            {"import_file": upload, "format": file_format, "resource": "0"},
        )

    def confirm(self, preview):
        if "confirm_form" not in preview.context:
            self.fail(f"The preview refused the file: {preview_errors(preview)}")
        return self.client.post(
            f"{self.admin_url}process_import/", preview.context["confirm_form"].initial
        )

    def import_file(self, upload, file_format=XLSX):
        response = self.confirm(self.preview(upload, file_format))
        self.assertRedirects(response, self.admin_url)
        return response

    def export_xlsx(self, resource_class):
        data = {"format": XLSX, "resource": "0"}
        for field_name in resource_class().get_export_order():
            data[f"{resource_class.__name__.lower()}_{field_name}"] = "on"
        response = self.client.post(f"{self.admin_url}export/", data)
        self.assertEqual(response.status_code, 200)
        return read_xlsx(response.content)

    def assertRowRefused(self, response, number, message):
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("confirm_form", response.context)
        invalid = {
            row.number: row.error.messages
            for row in response.context["result"].invalid_rows
        }
        self.assertIn(number, invalid)
        self.assertIn(message, " ".join(invalid[number]))
        self.assertContains(response, message)


def vietnamese(message):
    with translation.override("en"):
        english = str(message)
    with translation.override("vi"):
        text = str(message)
    assert text != english, f"not translated: {english}"
    return text


# Confirm posts no preview page sends: a format or resource past the lists or
# no number, a file name nobody was given, a path, fields left out.
TAMPERED_CONFIRMS = [
    ({"format": "7"}, NOT_A_PREVIEW),
    ({"format": "-1"}, NOT_A_PREVIEW),
    ({"format": "1e999"}, NOT_A_PREVIEW),
    ({"format": ""}, NOT_A_PREVIEW),
    ({"resource": "1"}, NOT_A_PREVIEW),
    ({"resource": "-1"}, NOT_A_PREVIEW),
    ({"resource": "abc"}, NOT_A_PREVIEW),
    ({"import_file_name": "x"}, NOT_A_PREVIEW),
    ({"import_file_name": ""}, NOT_A_PREVIEW),
    ({"import_file_name": "../../etc/passwd"}, NOT_A_PREVIEW),
    ({"import_file_name": "/etc/hostname"}, NOT_A_PREVIEW),
    ({"original_file_name": ""}, NOT_A_PREVIEW),
    ({"import_file_name": f"{'a' * 64}-{'b' * 32}"}, NO_PREVIEW),
    ({"import_file_name": f"{'a' * 64}-{'b' * 32}", "format": CSV}, NO_PREVIEW),
]


class ConfirmTamperingChecks:
    """A confirm that names no file its user previewed (stale, tampered, or
    another user's) gets the import page again with why, in Vietnamese, and
    reads and writes nothing, for a superuser and a staff user who may import
    this register only. Mixed into a register's AdminImportTestCase, which
    gives `model` and `good_upload()`."""

    model = None

    def setUp(self):
        super().setUp()
        folder = tempfile.mkdtemp(prefix="import-previews-")
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        previews = override_settings(IMPORT_PREVIEW_DIR=folder)
        previews.enable()
        self.addCleanup(previews.disable)
        meta = self.model._meta
        self.clerk = UserFactory(username="clerk", is_staff=True)
        codenames = [f"{action}_{meta.model_name}" for action in ("add", "change")]
        self.clerk.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label=meta.app_label, codename__in=codenames
            )
        )

    def written(self):
        return (list(self.model.objects.values()), LogEntry.objects.count())

    def assertRefused(self, response, message, what=""):
        self.assertEqual(response.status_code, 200, what)
        self.assertIn("form", response.context, what)
        self.assertNotIn("confirm_form", response.context, what)
        self.assertContains(response, vietnamese(message), msg_prefix=what)

    def confirm_initial(self):
        return dict(self.preview(self.good_upload()).context["confirm_form"].initial)

    def test_a_tampered_confirm_is_refused_on_the_import_page_in_vietnamese(self):
        initial = self.confirm_initial()
        before = self.written()
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
        for user in ("superuser", "clerk"):
            if user == "clerk":
                self.client.force_login(self.clerk)
            for changes, message in TAMPERED_CONFIRMS:
                data = {**initial, **changes}
                response = self.client.post(f"{self.admin_url}process_import/", data)
                self.assertRefused(response, message, f"{user} {changes}")
            # Without a resource, the first one is meant, as import_export reads it.
            for left_out in set(initial) - {"resource"}:
                data = {k: v for k, v in initial.items() if k != left_out}
                response = self.client.post(f"{self.admin_url}process_import/", data)
                self.assertRefused(response, NOT_A_PREVIEW, f"{user} no {left_out}")
        self.assertEqual(self.written(), before)

    def test_a_file_of_the_temp_folder_is_neither_read_nor_removed(self):
        before = self.written()
        upload = self.good_upload()
        with tempfile.NamedTemporaryFile(delete=False) as planted:
            planted.write(upload.read())
        self.addCleanup(os.remove, planted.name)
        name = os.path.basename(planted.name)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
        for sent in (name, planted.name, f"../{name}", f"../../tmp/{name}"):
            response = self.client.post(
                f"{self.admin_url}process_import/",
                {
                    "import_file_name": sent,
                    "original_file_name": upload.name,
                    "format": XLSX,
                    "resource": "0",
                },
            )
            self.assertRefused(response, NOT_A_PREVIEW, sent)
        self.assertTrue(os.path.exists(planted.name))
        self.assertEqual(self.written(), before)

    def test_another_users_preview_is_refused_and_kept_for_them(self):
        initial = self.confirm_initial()
        before = self.written()
        self.client.force_login(self.clerk)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"

        response = self.client.post(f"{self.admin_url}process_import/", initial)

        self.assertRefused(response, NO_PREVIEW)
        self.assertEqual(self.written(), before)
        self.client.force_login(self.model_superuser())
        response = self.client.post(f"{self.admin_url}process_import/", initial)
        self.assertRedirects(response, self.admin_url)

    def test_a_confirm_in_another_format_than_previewed_finds_no_preview(self):
        initial = self.confirm_initial()
        before = self.written()
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"

        response = self.client.post(
            f"{self.admin_url}process_import/", {**initial, "format": CSV}
        )

        self.assertRefused(response, NO_PREVIEW)
        self.assertEqual(self.written(), before)

    def test_a_preview_is_confirmed_once_and_its_file_then_removed(self):
        initial = self.confirm_initial()
        folder = kept_folder(self.model_superuser())
        self.assertEqual(len(os.listdir(folder)), 1)
        self.assertRedirects(
            self.client.post(f"{self.admin_url}process_import/", initial),
            self.admin_url,
        )
        self.assertEqual(os.listdir(folder), [])
        after = self.written()
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"

        response = self.client.post(f"{self.admin_url}process_import/", initial)

        self.assertRefused(response, NO_PREVIEW)
        self.assertEqual(self.written(), after)

    def test_an_upload_for_a_format_or_resource_not_offered_is_refused(self):
        # A resource past the list once failed the form's reading: a 500.
        for changes in ({"resource": "1"}, {"resource": "-1"}, {"format": "7"}):
            with self.subTest(**changes):
                response = self.client.post(
                    f"{self.admin_url}import/",
                    {
                        "import_file": self.good_upload(),
                        "format": XLSX,
                        "resource": "0",
                        **changes,
                    },
                )
                self.assertEqual(response.status_code, 200)
                self.assertEqual(list(response.context["form"].errors), list(changes))
                self.assertNotIn("confirm_form", response.context)

    def test_a_refused_preview_keeps_no_file(self):
        upload = SimpleUploadedFile("tree.xlsx", b"not a workbook")
        response = self.preview(upload)
        self.assertNotIn("confirm_form", response.context)
        self.assertFalse(kept_folder(self.model_superuser()).exists())

    def model_superuser(self):
        return type(self.clerk).objects.get(username="admin")


class OrganizationImportTests(ConfirmTamperingChecks, AdminImportTestCase):
    admin_url = "/admin/organizations/organization/"
    model = Organization

    def good_upload(self):
        return xlsx_upload(self.tree_rows())

    def tree_rows(self, ward_name="Đảng bộ phường Thắng Lợi"):
        kind = "Grassroots Party committee"
        return [
            HEADERS,
            organization_row("TU", "Thành ủy Kon Tum", "superior"),
            organization_row("P05", ward_name, kind, "TU", "01/01/2020"),
            organization_row(
                "P05.A",
                "Chi bộ Tổ dân phố 3",
                "CELL",
                "P05",
                datetime.datetime(2020, 1, 1),
            ),
        ]

    def test_preview_writes_nothing_and_confirm_imports_the_tree(self):
        preview = self.preview(xlsx_upload(self.tree_rows()))
        self.assertContains(preview, "Thành ủy Kon Tum")
        self.assertFalse(Organization.objects.exists())

        self.import_file(xlsx_upload(self.tree_rows()))

        committee, ward, cell = Organization.objects.order_by("path")
        self.assertEqual(ward.parent, committee)
        self.assertEqual(ward.kind, OrganizationKind.GRASSROOTS_COMMITTEE)
        self.assertEqual(ward.active_from, datetime.date(2020, 1, 1))
        self.assertEqual(cell.parent, ward)
        self.assertEqual(cell.active_from, datetime.date(2020, 1, 1))
        self.assertTrue(cell.path.startswith(ward.path))

    def test_reimport_of_the_same_file_updates_and_never_duplicates(self):
        self.import_file(xlsx_upload(self.tree_rows()))
        self.import_file(
            xlsx_upload(self.tree_rows(ward_name="Đảng bộ phường Trường Chinh"))
        )

        self.assertEqual(Organization.objects.count(), 3)
        ward = Organization.objects.get(code="P05")
        self.assertEqual(ward.name, "Đảng bộ phường Trường Chinh")

    def test_file_with_an_unknown_parent_imports_nothing_and_names_the_row(self):
        rows = self.tree_rows()
        rows[3][4] = "P99"

        response = self.preview(xlsx_upload(rows))

        self.assertRowRefused(
            response, 3, "There is no parent organization with code “P99”."
        )
        self.assertFalse(Organization.objects.exists())

    def test_cell_placed_under_the_superior_committee_is_refused(self):
        rows = self.tree_rows()
        rows[3][4] = "TU"

        response = self.preview(xlsx_upload(rows))

        self.assertRowRefused(response, 3, "cannot be placed under")

    def test_duplicate_code_in_one_file_is_an_error_on_the_second_row(self):
        again = organization_row("P05", "Phường khác", "grassroots_committee", "TU")
        rows = [*self.tree_rows(), again]

        response = self.preview(xlsx_upload(rows))

        self.assertRowRefused(
            response,
            4,
            "Rows 2 and 4 have the same Code “P05”; list each one only once.",
        )

    def test_plain_text_renamed_xlsx_gets_a_form_error_not_a_500(self):
        upload = SimpleUploadedFile("tree.xlsx", "Danh sách tổ chức đảng".encode())

        response = self.preview(upload)

        self.assertEqual(response.status_code, 200)
        self.assertFormError(
            response.context["form"],
            "import_file",
            "“tree.xlsx” cannot be read as xlsx. Save it from Excel as an .xlsx "
            "workbook or as CSV UTF-8, and choose the matching format.",
        )

    def test_export_writes_codes_labels_and_vietnamese_names(self):
        committee = OrganizationFactory(
            code="TU", name="Thành ủy Kon Tum", kind="superior", org_type=None
        )
        OrganizationFactory(
            code="P05",
            name="Đảng bộ phường Thắng Lợi",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=committee,
            active_from=datetime.date(2020, 1, 1),
        )

        header, *rows = self.export_xlsx(OrganizationResource)

        self.assertEqual(
            header,
            [
                "Code",
                "Name",
                "Kind",
                "Organization type",
                "Parent organization",
                "Active from",
                "Active until",
            ],
        )
        self.assertIn(
            ["P05", "Đảng bộ phường Thắng Lợi", "Grassroots Party committee", "phuong", "TU", "01/01/2020", None],  # noqa: E501
            rows,
        )  # fmt: skip


class SpreadsheetWidgetTests(TestCase):
    def test_choice_accepts_code_or_label_without_accents_or_case(self):
        widget = ChoiceWidget("gender", [("male", "Nam"), ("female", "Nữ")])

        for spelling in ("female", "Nữ", "NỮ", " nu "):
            self.assertEqual(widget.clean(spelling), "female")

    def test_choice_names_the_column_and_the_allowed_values(self):
        widget = ChoiceWidget("Giới tính", [("male", "Nam"), ("female", "Nữ")])

        with self.assertRaisesMessage(
            ValueError,
            "Giá trị “Khác” không được phép ở cột Giới tính. "
            "Các giá trị được phép: Nam, Nữ.",
        ):
            widget.clean("Khác")

    def test_a_resource_widget_names_its_column_by_its_header_not_its_field(self):
        widgets = OrganizationResource().fields

        with self.assertRaisesMessage(ValueError, "ở cột Loại tổ chức"):
            widgets["kind"].widget.clean("Khác")
        with self.assertRaisesMessage(ValueError, "ở cột Hoạt động từ ngày"):
            widgets["active_from"].widget.clean("2020-01-01")

    def test_day_reads_text_and_excel_dates_and_writes_dd_mm_yyyy(self):
        widget = DayWidget("date_of_birth")

        self.assertEqual(widget.clean("2/9/1975"), datetime.date(1975, 9, 2))
        self.assertEqual(
            widget.clean(datetime.datetime(1975, 9, 2)), datetime.date(1975, 9, 2)
        )
        self.assertEqual(widget.render(datetime.date(1975, 9, 2)), "02/09/1975")

    def test_day_refuses_two_digit_years_and_impossible_days(self):
        widget = DayWidget("date_of_birth")

        for text in ("02/09/75", "31/02/1980", "1975-09-02"):
            with self.assertRaisesMessage(ValueError, "hãy ghi theo dạng dd/mm/yyyy"):
                widget.clean(text)

    def test_yes_no_reads_the_usual_spellings(self):
        widget = YesNoWidget("Cán bộ lãnh đạo")

        for spelling in (1, "1", "x", "X", "có", "Có", "true", True):
            self.assertIs(widget.clean(spelling), True, spelling)
        for spelling in (0, "0", "", None, "không", "Không", "false", False):
            self.assertIs(widget.clean(spelling), False, spelling)
        with self.assertRaisesMessage(
            ValueError, "ở cột Cán bộ lãnh đạo không phải là có hoặc không"
        ):
            widget.clean("có lẽ")
