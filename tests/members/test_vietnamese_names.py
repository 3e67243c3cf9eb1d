from django.test import SimpleTestCase, TestCase

from kontum_review.vietnamese import fold, sort_key
from members.models import Member
from organizations.models import Organization

from ..factories import MemberFactory

# Dictionary order: given name first; letters before tones; ă, â, đ ... are letters.
EXPECTED_ORDER = [
    "Đỗ Thị Ả",
    "Nguyễn Văn An",
    "Trần Thị An",
    "Lê Văn Anh",
    "Hồ Ngọc Ánh",
    "Nguyễn Văn Ân",
    "Y Bơ",
    "Vũ Thị Dung",
    "Phạm Văn Dũng",
    "Trần Đức",
    "Ma Văn Mà",
    "Ka Mac",
]


class VietnameseKeyTests(SimpleTestCase):
    def test_names_sort_by_given_name_in_vietnamese_order(self):
        shuffled = sorted(EXPECTED_ORDER, key=lambda n: n[::-1])
        self.assertEqual(sorted(shuffled, key=sort_key), EXPECTED_ORDER)

    def test_d_with_stroke_comes_after_d(self):
        self.assertLess(sort_key("A Dung"), sort_key("A Đức"))
        self.assertLess(sort_key("A Dzung"), sort_key("A Đa"))

    def test_fold_drops_accents_and_case(self):
        self.assertEqual(fold("  Nguyễn VĂN Ân  "), "nguyen van an")
        self.assertEqual(fold("Đặng Đức"), "dang duc")


class VietnameseDatabaseTests(TestCase):
    """The same queries on the configured database and on SQLite."""

    databases = {"default", "sqlite"}

    @classmethod
    def setUpTestData(cls):
        for alias in ("default", "sqlite"):
            cell = Organization(code="C1", name="Chi bộ 1", kind="cell")
            cell.save(using=alias)
            for number, name in enumerate(reversed(EXPECTED_ORDER)):
                member = MemberFactory.build(
                    full_name=name, card_number=f"1{number:07d}", organization=cell
                )
                member.save(using=alias)

    def test_sorting_is_vietnamese_on_both_databases(self):
        for alias in ("default", "sqlite"):
            with self.subTest(alias=alias):
                names = list(
                    Member.objects.using(alias)
                    .in_name_order()
                    .values_list("full_name", flat=True)
                )
                self.assertEqual(names, EXPECTED_ORDER)

    def test_search_ignores_accents_and_case_on_both_databases(self):
        for alias in ("default", "sqlite"):
            with self.subTest(alias=alias):
                found = Member.objects.using(alias).search("nguyen van an")
                self.assertEqual(
                    sorted(found.values_list("full_name", flat=True)),
                    ["Nguyễn Văn An", "Nguyễn Văn Ân"],
                )
                self.assertEqual(
                    list(
                        Member.objects.using(alias)
                        .search("TRAN D")
                        .values_list("full_name", flat=True)
                    ),
                    ["Trần Đức"],
                )
                self.assertEqual(Member.objects.using(alias).search("Ánh").count(), 2)
