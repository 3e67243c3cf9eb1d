from members.models import Member
from organizations.models import Organization
from reviews.models import Regime, ReviewCycle

from ..factories import UserFactory
from ..personas import PersonasTestCase


class ScopingTests(PersonasTestCase):
    def codes(self, user):
        return set(Organization.objects.visible_to(user).values_list("code", flat=True))

    def test_staff_see_the_whole_tree_below_their_committee(self):
        self.assertEqual(self.codes(self.staff), {"TU", "P01", "P01.A", "P01.B"})

    def test_secretary_sees_only_their_cell(self):
        self.assertEqual(self.codes(self.secretary_a), {"P01.A"})

    def test_leader_sees_their_subtree(self):
        self.assertEqual(self.codes(self.leader), {"P01", "P01.A", "P01.B"})

    def test_member_sees_only_their_own_record(self):
        self.assertEqual(self.codes(self.member_user), set())
        self.assertEqual(
            list(Member.objects.visible_to(self.member_user)), [self.member_a]
        )

    def test_user_without_role_sees_nothing(self):
        stranger = UserFactory(username="stranger")
        self.assertEqual(self.codes(stranger), set())
        self.assertFalse(Member.objects.visible_to(stranger).exists())

    def test_secretary_edits_their_subtree_leader_does_not(self):
        self.assertEqual(
            set(
                Organization.objects.editable_by(self.secretary_a).values_list(
                    "code", flat=True
                )
            ),
            {"P01.A"},
        )
        self.assertFalse(Organization.objects.editable_by(self.leader).exists())

    def test_cycles_are_visible_below_their_committee(self):
        cycle = ReviewCycle.objects.create(
            name="Năm 2025",
            year=2025,
            starts_on="2025-01-01",
            ends_on="2025-12-31",
            regime=Regime.objects.get(code="qd366"),
            superior=self.committee,
        )
        for user in (self.staff, self.secretary_b, self.leader, self.member_user):
            self.assertEqual(list(ReviewCycle.objects.visible_to(user)), [cycle])
        self.assertFalse(
            ReviewCycle.objects.visible_to(UserFactory(username="x")).exists()
        )

    def test_staff_above_the_committee_see_its_cycles(self):
        from organizations.models import Organization as Org

        from ..factories import OrganizationFactory, grant

        province = OrganizationFactory(code="TINH", kind="superior", org_type=None)
        committee = Org.objects.get(code="TU")
        committee.parent = province
        committee.save()
        cycle = ReviewCycle.objects.create(
            name="Năm 2025",
            year=2025,
            starts_on="2025-01-01",
            ends_on="2025-12-31",
            regime=Regime.objects.get(code="qd366"),
            superior=committee,
        )
        province_staff = UserFactory(username="tinh")
        grant(province_staff, province, "staff")
        self.assertEqual(list(ReviewCycle.objects.visible_to(province_staff)), [cycle])
        province_member = UserFactory(username="tinh_member")
        grant(province_member, province, "member")
        self.assertFalse(ReviewCycle.objects.visible_to(province_member).exists())
