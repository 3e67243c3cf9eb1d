import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.utils import timezone

from members.models import Member

from ..factories import MemberFactory, OrganizationFactory


class MemberConstraintTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.cell = OrganizationFactory()
        cls.member = MemberFactory(
            card_number="62000001", citizen_id="062080000001", organization=cls.cell
        )

    def test_duplicate_card_number_is_rejected_with_a_clear_error(self):
        twin = MemberFactory.build(card_number="62000001", organization=self.cell)
        with self.assertRaises(ValidationError) as caught:
            twin.full_clean()
        self.assertEqual(
            caught.exception.message_dict["card_number"],
            ["Đảng viên có số thẻ này đã tồn tại."],
        )

    def test_duplicate_card_number_is_refused_by_the_database(self):
        with self.assertRaises(IntegrityError), transaction.atomic():
            MemberFactory(card_number="62000001", organization=self.cell)

    def test_citizen_id_is_unique_when_present(self):
        twin = MemberFactory.build(citizen_id="062080000001", organization=self.cell)
        with self.assertRaises(ValidationError) as caught:
            twin.full_clean()
        self.assertIn("số CCCD", str(caught.exception))

    def test_many_members_may_have_no_citizen_id(self):
        MemberFactory(citizen_id="", organization=self.cell)
        MemberFactory(citizen_id="", organization=self.cell)
        self.assertEqual(Member.objects.filter(citizen_id="").count(), 2)

    def test_a_full_member_needs_the_date(self):
        member = MemberFactory.build(
            standing=Member.Standing.FULL, full_member_on=None, organization=self.cell
        )
        with self.assertRaises(ValidationError):
            member.full_clean()

    def test_the_register_dates_and_citizen_id_are_checked_in_vietnamese(self):
        """The cases a staff member typed into the admin and that were saved."""
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        day = datetime.date
        cases = {
            "future birth": (
                {"date_of_birth": tomorrow},
                "date_of_birth",
                "Ngày này sau ngày hôm nay.",
            ),
            "born before 1900": (
                {"date_of_birth": day(1899, 12, 31)},
                "date_of_birth",
                "Ngày sinh trước năm 1900.",
            ),
            "admitted before birth": (
                {"date_of_birth": day(2000, 1, 1), "admitted_on": day(1990, 1, 1)},
                "admitted_on",
                "Đảng viên được kết nạp khi đủ 18 tuổi trở lên: ngày này trước "
                "ngày đủ 18 tuổi (01/01/2018).",
            ),
            "admitted at five": (
                {"date_of_birth": day(2010, 1, 1), "admitted_on": day(2015, 1, 1)},
                "admitted_on",
                "ngày đủ 18 tuổi (01/01/2028)",
            ),
            "admitted in the future": (
                {"admitted_on": tomorrow, "full_member_on": None},
                "admitted_on",
                "Ngày này sau ngày hôm nay.",
            ),
            "full before admitted": (
                {"admitted_on": day(2015, 1, 1), "full_member_on": day(2010, 1, 1)},
                "full_member_on",
                "Ngày chính thức phải sau ngày vào Đảng.",
            ),
            "probationary with a full date": (
                {"standing": Member.Standing.PROBATIONARY},
                "full_member_on",
                "Đảng viên dự bị chưa có ngày chính thức",
            ),
            "short citizen ID": (
                {"citizen_id": "12345"},
                "citizen_id",
                "Số căn cước công dân gồm 12 chữ số.",
            ),
            "citizen ID with letters": (
                {"citizen_id": "06208000000X"},
                "citizen_id",
                "Số căn cước công dân gồm 12 chữ số.",
            ),
        }
        for case, (values, field, message) in cases.items():
            with self.subTest(case):
                member = MemberFactory.build(organization=self.cell, **values)
                with self.assertRaises(ValidationError) as caught:
                    member.clean()
                self.assertIn(field, caught.exception.message_dict)
                self.assertIn(message, " ".join(caught.exception.message_dict[field]))

    def test_an_eighteenth_birthday_on_29_february_and_good_records_pass(self):
        MemberFactory.build(organization=self.cell).clean()
        MemberFactory.build(
            organization=self.cell,
            date_of_birth=datetime.date(1988, 2, 29),
            admitted_on=datetime.date(2006, 2, 28),
            full_member_on=datetime.date(2007, 2, 28),
        ).clean()
        MemberFactory.build(
            organization=self.cell,
            standing=Member.Standing.PROBATIONARY,
            full_member_on=None,
            citizen_id="062080000009",
        ).clean()

    def test_saving_keeps_the_sort_and_search_keys_current(self):
        self.member.full_name = "Đặng  Thị   Ánh"
        self.member.save()
        self.member.refresh_from_db()
        self.assertEqual(self.member.full_name, "Đặng Thị Ánh")
        self.assertIn("dang thi anh", self.member.search_text)

    def test_exempt_transferred_and_deceased_members_are_not_reviewed(self):
        for status in (
            Member.Status.EXEMPT,
            Member.Status.TRANSFERRED,
            Member.Status.DECEASED,
        ):
            MemberFactory(status=status, organization=self.cell)
        self.assertEqual(list(Member.objects.reviewable()), [self.member])
