from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase

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
