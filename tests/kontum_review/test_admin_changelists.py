import datetime

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Member
from organizations.models import Organization, OrganizationKind, OrganizationType, Role
from reviews.models import (
    FocusArea,
    FocusIndicator,
    IndicatorValue,
    RatingLevel,
    Regime,
    ReviewCycle,
)

ROWS = 2000


def make_rows(count):
    """Bulk rows for every admin model, numbered from the current totals."""
    start = Organization.objects.count()
    root = Organization.objects.filter(parent=None).first()
    regime = Regime.objects.get(code="qd366")
    org_type = OrganizationType.objects.first()
    organizations = []
    for n in range(start, start + count):
        organization = Organization(
            code=f"O{n:05d}",
            name=f"Chi bộ {n}",
            kind=OrganizationKind.CELL,
            org_type=org_type,
            parent=root,
            path=f"{root.path}{900000000 + n}",
            depth=1,
        )
        organization.refresh_keys()
        organizations.append(organization)
    Organization.objects.bulk_create(organizations)
    organizations = list(
        Organization.objects.filter(code__in=[o.code for o in organizations])
    )
    members = []
    for n, organization in enumerate(organizations, start):
        member = Member(
            full_name=f"Nguyễn Văn An {n}",
            gender="male",
            date_of_birth=datetime.date(1980, 1, 1),
            card_number=f"9{n:07d}",
            admitted_on=datetime.date(2000, 1, 1),
            standing="probationary",
            organization=organization,
        )
        member.refresh_keys()
        members.append(member)
    Member.objects.bulk_create(members)
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"u{n}") for n in range(start, start + count)
    )
    Role.objects.bulk_create(
        Role(user=user, organization=organization, kind=Role.Kind.SECRETARY)
        for user, organization in zip(users, organizations)
    )
    OrganizationType.objects.bulk_create(
        OrganizationType(code=f"type-{n}", name=f"Loại hình {n}")
        for n in range(start, start + count)
    )
    regimes = Regime.objects.bulk_create(
        Regime(
            code=f"r{n}",
            name=f"Bộ quy định {n}",
            regulation="x",
            guidance="y",
            first_year=2000,
            scoring_model="grades",
        )
        for n in range(start, start + count)
    )
    RatingLevel.objects.bulk_create(
        RatingLevel(regime=r, code="HTXSNV", name="Hoàn thành xuất sắc", rank=1)
        for r in regimes
    )
    cycles = ReviewCycle.objects.bulk_create(
        ReviewCycle(
            name=f"Kỳ {n}",
            year=2025,
            starts_on=datetime.date(2025, 1, 1),
            ends_on=datetime.date(2025, 12, 31),
            regime=regime,
            superior=organization,
        )
        for n, organization in enumerate(organizations, start)
    )
    areas = FocusArea.objects.bulk_create(
        FocusArea(code=f"area-{n}", name=f"Lĩnh vực {n}")
        for n in range(start, start + count)
    )
    indicators = FocusIndicator.objects.bulk_create(
        FocusIndicator(focus_area=a, code=f"ind-{a.code}", name=a.name, unit="hồ sơ")
        for a in areas
    )
    IndicatorValue.objects.bulk_create(
        IndicatorValue(
            indicator=i, cycle=c, organization=c.superior, target=1, actual=1
        )
        for i, c in zip(indicators, cycles)
    )


class AdminChangelistTests(TestCase):
    """Every changelist runs the same number of queries at 20 and 2,000 rows."""

    @classmethod
    def setUpTestData(cls):
        cls.admin = get_user_model().objects.create_superuser("root", password="x")
        root = Organization(
            code="ROOT", name="Thành ủy", kind=OrganizationKind.SUPERIOR_COMMITTEE
        )
        root.save()

    def count_queries(self, url):
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return len(queries)

    def test_changelists_do_not_fire_a_query_per_row(self):
        self.client.force_login(self.admin)
        urls = [
            reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
            )
            for model in admin.site._registry
        ]
        make_rows(20)
        small = {url: self.count_queries(url) for url in urls}
        make_rows(ROWS - 20)
        self.assertGreaterEqual(Member.objects.count(), ROWS)
        large = {url: self.count_queries(url) for url in urls}
        self.assertEqual(large, small)

    def test_member_search_ignores_accents(self):
        self.client.force_login(self.admin)
        make_rows(3)
        url = reverse("admin:members_member_changelist")
        response = self.client.get(url, {"q": "nguyen van an 1"})
        self.assertContains(response, "Nguyễn Văn An 1")
        self.assertNotContains(response, "Nguyễn Văn An 2")

    def test_member_history_view_lists_changes(self):
        self.client.force_login(self.admin)
        make_rows(1)
        member = Member.objects.get()
        member.full_name = "Nguyễn Văn Bình"
        member.save()
        url = reverse("admin:members_member_history", args=[member.pk])
        self.assertContains(self.client.get(url), "Nguyễn Văn Bình")
