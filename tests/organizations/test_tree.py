from django.core.exceptions import ValidationError
from django.test import TestCase

from organizations.models import Organization, OrganizationKind

from ..factories import OrganizationFactory


class OrganizationTreeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.root = OrganizationFactory(
            code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        cls.ward = OrganizationFactory(
            code="P01", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=cls.root
        )
        cls.other_ward = OrganizationFactory(
            code="P02", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=cls.root
        )
        cls.cells = [
            OrganizationFactory(code=f"P01.{n}", parent=cls.ward) for n in range(3)
        ]
        cls.group = OrganizationFactory(
            code="P01.0.T1", kind=OrganizationKind.PARTY_GROUP, parent=cls.cells[0]
        )

    def test_path_follows_the_parents(self):
        self.assertTrue(self.group.path.startswith(self.cells[0].path))
        self.assertTrue(self.cells[0].path.startswith(self.ward.path))
        self.assertEqual(self.group.depth, 3)

    def test_subtree_is_one_query(self):
        with self.assertNumQueries(1):
            codes = sorted(
                Organization.objects.subtree_of(self.ward).values_list(
                    "code", flat=True
                )
            )
        self.assertEqual(codes, ["P01", "P01.0", "P01.0.T1", "P01.1", "P01.2"])

    def test_subtree_query_count_does_not_grow_with_the_tree(self):
        for n in range(3, 30):
            OrganizationFactory(code=f"P01.{n}", parent=self.ward)
        with self.assertNumQueries(1):
            self.assertEqual(len(list(Organization.objects.subtree_of(self.ward))), 32)

    def test_ancestors_are_one_query_root_first(self):
        with self.assertNumQueries(1):
            chain = [o.code for o in Organization.objects.ancestors_of(self.group)]
        self.assertEqual(chain, ["TU", "P01", "P01.0"])

    def test_moving_an_organization_moves_its_subtree(self):
        cell = self.cells[0]
        cell.parent = self.other_ward
        cell.save()
        self.group.refresh_from_db()
        self.assertTrue(self.group.path.startswith(self.other_ward.path))
        self.assertEqual(
            list(
                Organization.objects.ancestors_of(self.group).values_list(
                    "code", flat=True
                )
            ),
            ["TU", "P02", "P01.0"],
        )
        self.assertNotIn(self.group, Organization.objects.subtree_of(self.ward))

    def test_a_cell_cannot_sit_directly_under_the_superior_committee(self):
        cell = Organization(
            code="X", name="Chi bộ lạc", kind=OrganizationKind.CELL, parent=self.root
        )
        with self.assertRaises(ValidationError) as caught:
            cell.full_clean()
        self.assertIn("parent", caught.exception.message_dict)

    def test_an_organization_cannot_move_under_its_own_subtree(self):
        self.ward.parent = self.cells[1]
        with self.assertRaises(ValidationError):
            self.ward.full_clean()

    def test_a_loop_names_the_organization_below_or_itself(self):
        city = OrganizationFactory(
            code="TU.KT",
            name="Thành ủy Kon Tum",
            kind=OrganizationKind.SUPERIOR_COMMITTEE,
            parent=self.root,
            org_type=None,
        )
        self.root.parent = city
        with self.assertRaises(ValidationError) as caught:
            self.root.clean()
        self.assertEqual(
            caught.exception.message_dict["parent"],
            [
                "Không thể đặt một tổ chức dưới Thành ủy Kon Tum, "
                "là tổ chức trực thuộc nó."
            ],
        )
        self.root.parent = self.root
        with self.assertRaises(ValidationError) as caught:
            self.root.clean()
        self.assertEqual(
            caught.exception.message_dict["parent"],
            ["Không thể đặt một tổ chức dưới chính nó."],
        )

    def test_end_date_before_start_is_rejected(self):
        import datetime

        self.ward.active_from = datetime.date(2025, 7, 1)
        self.ward.active_until = datetime.date(2025, 6, 30)
        with self.assertRaises(ValidationError):
            self.ward.full_clean()
