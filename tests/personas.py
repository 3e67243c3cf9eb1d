from django.test import TestCase

from organizations.models import OrganizationKind, Role

from .factories import MemberFactory, OrganizationFactory, UserFactory, grant


class PersonasTestCase(TestCase):
    """Committee staff, the secretary of cell A, a member of A, cell B's secretary."""

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
        cls.cell_b = OrganizationFactory(
            code="P01.B", name="Chi bộ Tổ dân phố 2", parent=cls.ward
        )

        cls.staff = UserFactory(username="staff", is_staff=True)
        grant(cls.staff, cls.committee, Role.Kind.STAFF)
        cls.secretary_a = UserFactory(username="secretary_a")
        grant(cls.secretary_a, cls.cell_a, Role.Kind.SECRETARY)
        cls.secretary_b = UserFactory(username="secretary_b")
        grant(cls.secretary_b, cls.cell_b, Role.Kind.SECRETARY)
        cls.leader = UserFactory(username="leader")
        grant(cls.leader, cls.ward, Role.Kind.LEADER)

        cls.member_user = UserFactory(username="member_a")
        cls.member_a = MemberFactory(
            full_name="Nguyễn Văn Ân", organization=cls.cell_a, user=cls.member_user
        )
        cls.other_member_a = MemberFactory(
            full_name="Trần Thị Bình", organization=cls.cell_a
        )
        cls.member_b = MemberFactory(full_name="Lê Đức Cường", organization=cls.cell_b)


class CyclePersonasTestCase(PersonasTestCase):
    """The personas with the committee's current cycle opened under QĐ 366."""

    regime_code = "qd366"

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from reviews import services
        from reviews.models import CycleJob, Regime, ReviewCycle

        cls.cycle = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2026",
            year=2026,
            starts_on="2026-01-01",
            ends_on="2026-12-31",
            regime=Regime.objects.get(code=cls.regime_code),
            superior=cls.committee,
            self_review_due="2026-12-15",
            meetings_due="2026-12-31",
            decision_due="2027-01-20",
        )
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))
        cls.cycle.status = ReviewCycle.Status.SELF_REVIEW
        cls.cycle.save()
        cls.review_a = cls.cycle.reviews.get(member=cls.member_a)
        cls.collective_a = cls.cycle.reviews.get(
            organization=cls.cell_a, kind="organization"
        )
