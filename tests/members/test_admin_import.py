import codecs
import datetime
from unittest import mock

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from members.models import Member
from members.resources import MemberResource
from organizations import resources
from organizations.models import OrganizationKind

from ..factories import MemberFactory, OrganizationFactory, UserFactory
from ..organizations.test_admin_import import (
    CSV,
    AdminImportTestCase,
    ConfirmTamperingChecks,
    csv_upload,
    xlsx_upload,
)

HEADERS = [
    "card_number", "full_name", "gender", "date_of_birth", "citizen_id",
    "admitted_on", "full_member_on", "standing", "status", "status_note",
    "organization", "party_post", "government_post", "mass_post", "is_leader",
    "workplace", "email",
]  # fmt: skip


# The export's first row names the columns as staff read them (here in English).
EXPORT_HEADERS = [
    "Party card number", "Full name", "Gender", "Date of birth",
    "Citizen ID number", "Date admitted to the Party", "Date made a full member",
    "Membership", "Status", "Status note", "Party cell", "Party post",
    "Government post", "Mass-organization post", "Leader or manager",
    "Workplace", "E-mail",
]  # fmt: skip
VIETNAMESE_HEADERS = [
    "Số thẻ đảng viên", "Họ và tên", "Giới tính", "Ngày sinh", "Số CCCD",
    "Ngày vào Đảng", "Ngày chính thức", "Dự bị/chính thức", "Tình trạng",
    "Ghi chú về tình trạng", "Chi bộ", "Chức vụ Đảng", "Chức vụ chính quyền",
    "Chức vụ đoàn thể", "Cán bộ lãnh đạo, quản lý", "Nơi công tác", "Thư điện tử",
]  # fmt: skip


def member_row(**values):
    """A good row: text dates, a real Excel date and a citizen ID typed as a number."""
    row = {
        "card_number": "62000001",
        "full_name": "Nguyễn Thị Hoa",
        "gender": "Female",
        "date_of_birth": "01/05/1980",
        "citizen_id": 62180000001,
        "admitted_on": datetime.datetime(2005, 3, 2),
        "full_member_on": "02/03/2006",
        "standing": "full",
        "status": "active",
        "organization": "P01.A",
        "party_post": "Bí thư chi bộ",
        "is_leader": "x",
        "workplace": "Tổ dân phố 1",
        "email": "hoa@example.vn",
        **values,
    }
    return [row.get(column) for column in HEADERS]


class MemberImportTests(ConfirmTamperingChecks, AdminImportTestCase):
    admin_url = "/admin/members/member/"
    model = Member

    @classmethod
    def setUpTestData(cls):
        committee = OrganizationFactory(
            code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        ward = OrganizationFactory(
            code="P01", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
        )
        cls.cell = OrganizationFactory(code="P01.A", parent=ward)

    def good_upload(self):
        return xlsx_upload(self.good_rows())

    def good_rows(self, second_name="Trần Văn Bình"):
        return [
            HEADERS,
            member_row(),
            member_row(
                card_number="62000002",
                full_name=second_name,
                gender="male",
                citizen_id="062080000002",
                full_member_on=None,
                standing="Probationary member",
                is_leader=0,
            ),
        ]

    def test_preview_writes_nothing_and_confirm_imports_every_member(self):
        preview = self.preview(xlsx_upload(self.good_rows()))
        self.assertContains(preview, "Nguyễn Thị Hoa")
        self.assertFalse(Member.objects.exists())

        self.import_file(xlsx_upload(self.good_rows()))

        hoa, binh = Member.objects.order_by("card_number")
        self.assertEqual(hoa.gender, Member.Gender.FEMALE)
        self.assertEqual(hoa.date_of_birth, datetime.date(1980, 5, 1))
        self.assertEqual(hoa.admitted_on, datetime.date(2005, 3, 2))
        self.assertEqual(hoa.citizen_id, "062180000001")
        self.assertEqual(hoa.organization, self.cell)
        self.assertTrue(hoa.is_leader)
        self.assertEqual(binh.standing, Member.Standing.PROBATIONARY)
        self.assertFalse(binh.is_leader)

    def test_headers_as_staff_write_them_name_the_columns(self):
        headers = [*VIETNAMESE_HEADERS]
        headers[0] = "so the dang vien"  # typed without accents
        headers[1] = "HỌ VÀ TÊN"
        rows = self.good_rows()
        self.import_file(xlsx_upload([headers, *rows[1:]]))

        hoa = Member.objects.get(card_number="62000001")
        self.assertEqual(hoa.full_name, "Nguyễn Thị Hoa")
        self.assertEqual(hoa.organization, self.cell)
        self.assertEqual(Member.objects.count(), 2)

    def test_the_vietnamese_pages_name_the_columns_as_the_files_do(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
        page = self.client.get(f"{self.admin_url}import/")
        self.assertContains(page, ", ".join(VIETNAMESE_HEADERS))
        self.assertNotContains(page, "card_number")
        export = self.client.get(f"{self.admin_url}export/")
        self.assertContains(export, "Số thẻ đảng viên")
        self.assertNotContains(export, "Card Number")

    def test_a_file_is_parsed_once_for_its_preview_and_confirm(self):
        with mock.patch.object(
            resources.formats, "read_workbook", wraps=resources.read_workbook
        ) as parse:
            self.import_file(xlsx_upload(self.good_rows()))

        self.assertEqual(parse.call_count, 1)
        self.assertEqual(Member.objects.count(), 2)

    def test_reimport_of_the_same_file_updates_and_never_duplicates(self):
        self.import_file(xlsx_upload(self.good_rows()))
        self.import_file(xlsx_upload(self.good_rows(second_name="Trần Văn Bính")))

        self.assertEqual(Member.objects.count(), 2)
        self.assertEqual(
            Member.objects.get(card_number="62000002").full_name, "Trần Văn Bính"
        )

    def test_file_with_one_bad_row_imports_nothing_and_names_the_row(self):
        rows = [*self.good_rows(), member_row(card_number="62000003", gender="Khác")]

        response = self.preview(xlsx_upload(rows))

        self.assertRowRefused(
            response,
            3,
            "“Khác” is not allowed in column Gender. Allowed values: Male, Female.",
        )
        self.assertFalse(Member.objects.exists())

    def test_unreadable_date_and_unknown_cell_are_named(self):
        rows = [HEADERS, member_row(date_of_birth="1980-05-01", organization="P09")]

        response = self.preview(xlsx_upload(rows))

        self.assertRowRefused(response, 1, "“1980-05-01” in column Date of birth")
        self.assertRowRefused(
            response, 1, "There is no Party organization with code “P09”."
        )

    def test_dates_out_of_order_and_a_short_citizen_id_are_row_errors(self):
        rows = [
            HEADERS,
            member_row(date_of_birth="01/01/2000", admitted_on="01/01/1990"),
            member_row(card_number="62000002", citizen_id="12345"),
        ]

        response = self.preview(xlsx_upload(rows))

        self.assertRowRefused(response, 1, "before their 18th birthday (01/01/2018)")
        self.assertRowRefused(response, 2, "A citizen ID number has twelve digits.")
        self.assertFalse(Member.objects.exists())

    def test_blank_rows_below_the_last_are_dropped_and_one_between_is_named(self):
        blank = [None] * len(HEADERS)
        rows = [*self.good_rows(), *[blank] * 50]
        self.import_file(xlsx_upload(rows))
        self.assertEqual(Member.objects.count(), 2)

        Member.objects.all().delete()
        rows = [HEADERS, member_row(), blank, *self.good_rows()[2:], blank]
        response = self.preview(xlsx_upload(rows))
        result = response.context["result"]
        self.assertEqual([row.number for row in result.invalid_rows], [2])
        self.assertRowRefused(
            response, 2, "This row is empty, between rows with values: delete it"
        )
        self.assertNotContains(response, "<td>None</td>")
        self.assertFalse(Member.objects.exists())

    def test_duplicate_card_number_in_one_file_is_an_error_on_the_second_row(self):
        rows = [*self.good_rows(), member_row(citizen_id="")]

        response = self.preview(xlsx_upload(rows))

        self.assertRowRefused(
            response,
            3,
            "Rows 1 and 3 have the same Party card number “62000001”; "
            "list each one only once.",
        )

    def test_errors_name_the_columns_by_the_vietnamese_headers_of_the_file(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
        rows = [
            VIETNAMESE_HEADERS,
            *self.good_rows()[1:],
            member_row(citizen_id="", gender="Khác", date_of_birth="1980-05-01"),
        ]

        response = self.preview(xlsx_upload(rows))

        self.assertRowRefused(
            response,
            3,
            "Dòng 1 và dòng 3 có cùng Số thẻ đảng viên “62000001”; "
            "mỗi giá trị chỉ được ghi một lần.",
        )
        self.assertNotContains(response, "card_number")
        self.assertContains(response, "<th>Giới tính</th>", html=True)
        self.assertEqual(
            list(response.context["result"].invalid_rows[0].error_dict),
            ["Số thẻ đảng viên"],
        )

    def test_errors_name_the_columns_as_the_file_wrote_their_headers(self):
        headers = [*VIETNAMESE_HEADERS]
        headers[2] = "gioi tinh"  # typed without accents
        headers[3] = "Date of birth"  # the English export's header
        rows = [headers, member_row(gender="Khác", date_of_birth="1980-05-01")]

        response = self.preview(xlsx_upload(rows))

        self.assertRowRefused(
            response,
            1,
            "“Khác” is not allowed in column gioi tinh. Allowed values: Male, Female.",
        )
        self.assertRowRefused(
            response, 1, "“1980-05-01” in column Date of birth is not a date"
        )
        (row,) = response.context["result"].invalid_rows
        self.assertEqual(sorted(row.error_dict), ["Date of birth", "gioi tinh"])

    def test_citizen_id_of_another_member_is_a_row_error(self):
        MemberFactory(citizen_id="062180000001", organization=self.cell)

        response = self.preview(xlsx_upload(self.good_rows()))

        self.assertRowRefused(
            response, 1, "A Party member with this citizen ID number already exists."
        )

    def test_confirm_imports_nothing_when_a_row_turned_invalid_after_the_preview(self):
        preview = self.preview(xlsx_upload(self.good_rows()))
        MemberFactory(citizen_id="062080000002", organization=self.cell)

        response = self.confirm(preview)

        self.assertRedirects(
            response, f"{self.admin_url}import/", fetch_redirect_response=False
        )
        self.assertEqual(Member.objects.count(), 1)
        self.assertContains(
            self.client.get(response.url),
            "Nothing was imported: row 2 failed when the import was confirmed.",
        )

    def test_plain_text_renamed_xlsx_gets_a_form_error_not_a_500(self):
        upload = SimpleUploadedFile("members.xlsx", b"card_number,full_name\n1,An\n")

        response = self.preview(upload)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "“members.xlsx” cannot be read as xlsx.")
        self.assertFalse(Member.objects.exists())

    def test_csv_with_wrong_headers_gets_a_form_error(self):
        upload = csv_upload("Số thẻ,Họ và tên\n62000001,Nguyễn Thị Hoa\n")

        response = self.preview(upload, CSV)

        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response,
            "Unknown columns: Số thẻ. Missing columns: Party card number.",
        )

    def test_hand_written_csv_imports(self):
        text = (
            ", ".join(HEADERS)
            + "\n62000009,Y Đơn,FEMALE,02/09/1975,,01/01/2000,01/01/2001,"
            "Full member,Active,,P01.A,,,,không,,\n"
        )

        self.import_file(csv_upload(text), CSV)

        member = Member.objects.get(card_number="62000009")
        self.assertEqual(member.full_name, "Y Đơn")
        self.assertEqual(member.gender, Member.Gender.FEMALE)

    def test_nul_characters_in_a_csv_are_dropped_not_a_500(self):
        # A NUL in the card number reached PostgreSQL in the lookup of the
        # members the file updates: a 500.
        text = (
            ", ".join(HEADERS)
            + "\n6200\x000009,Y \x00Đơn,FEMALE,02/09/1975,,01/01/2000,01/01/2001,"
            "Full member,Active,,P01.A\x00,,,,không,,\n"
        )

        self.import_file(csv_upload(text), CSV)

        member = Member.objects.get(card_number="62000009")
        self.assertEqual(member.full_name, "Y Đơn")
        self.assertEqual(member.organization, self.cell)

    def test_export_round_trips_vietnamese_text_as_an_unchanged_reimport(self):
        MemberFactory(
            card_number="62000001",
            full_name="Đặng Thị Hồng Nhung",
            gender=Member.Gender.FEMALE,
            citizen_id="062180000001",
            organization=self.cell,
            workplace="Trường THCS Nguyễn Huệ",
        )

        header, row = self.export_xlsx(MemberResource)
        self.assertEqual(header, EXPORT_HEADERS)
        exported = dict(zip(HEADERS, row, strict=True))
        self.assertEqual(exported["full_name"], "Đặng Thị Hồng Nhung")
        self.assertEqual(exported["workplace"], "Trường THCS Nguyễn Huệ")
        self.assertEqual(exported["gender"], "Female")
        self.assertEqual(exported["date_of_birth"], "01/05/1980")
        self.assertEqual(exported["organization"], "P01.A")

        preview = self.preview(xlsx_upload([header, row]))
        self.assertEqual(preview.context["result"].totals["skip"], 1)

    def test_csv_export_carries_the_mark_excel_needs_for_vietnamese(self):
        MemberFactory(full_name="Đặng Thị Hồng Nhung", organization=self.cell)
        data = {"format": CSV, "resource": "0"}
        for field_name in MemberResource().get_export_order():
            data[f"memberresource_{field_name}"] = "on"

        response = self.client.post(f"{self.admin_url}export/", data)

        self.assertTrue(response.content.startswith(codecs.BOM_UTF8))
        self.assertIn("Đặng Thị Hồng Nhung", response.content.decode("utf-8-sig"))


class MemberImportPermissionTests(TestCase):
    def setUp(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.clerk = UserFactory(username="clerk", is_staff=True)
        self.client.force_login(self.clerk)

    def test_staff_without_member_permissions_cannot_import_or_export(self):
        for url in ("import/", "process_import/", "export/"):
            response = self.client.post(f"/admin/members/member/{url}")
            self.assertEqual(response.status_code, 403, url)

    def test_staff_who_may_only_view_members_may_export_but_not_import(self):
        self.clerk.user_permissions.add(Permission.objects.get(codename="view_member"))

        self.assertEqual(
            self.client.get("/admin/members/member/export/").status_code, 200
        )
        self.assertEqual(
            self.client.get("/admin/members/member/import/").status_code, 403
        )
