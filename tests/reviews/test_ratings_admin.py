import datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.models import Conclusion, Discipline, Rating, RemedyAction

from ..factories import MemberFactory
from ..personas import CyclePersonasTestCase


class RatingsAdminTests(CyclePersonasTestCase):
    """The rating, discipline and remedy changelists stay constant in queries."""

    def add_rows(self, count):
        level = self.cycle.regime.levels.get(code="HTTNV")
        for _ in range(count):
            member = MemberFactory(organization=self.cell_a)
            Discipline.objects.create(
                member=member, form="reprimand", decided_on=datetime.date(2026, 5, 1)
            )
            Conclusion.objects.create(
                member=member, kind="example", concluded_on=datetime.date(2026, 5, 1)
            )
        reviews = list(self.cycle.reviews.exclude(ratings__stage="decision")[:count])
        for review in reviews:
            Rating.objects.create(
                review=review, stage="decision", level=level, set_at=timezone.now()
            )
            RemedyAction.objects.create(
                review=review,
                number=1,
                shortcoming="Hạn chế",
                content="Biện pháp",
                owner="Chi ủy",
                deadline=datetime.date(2027, 6, 30),
            )

    def counts(self):
        found = {}
        for model in ("rating", "discipline", "conclusion", "remedyaction"):
            url = reverse(f"admin:reviews_{model}_changelist")
            with CaptureQueriesContext(connection) as queries:
                response = self.client.get(url)
            self.assertEqual(response.status_code, 200)
            found[model] = len(queries)
        return found

    def test_changelists_do_not_fire_a_query_per_row(self):
        admin = get_user_model().objects.create_superuser("root", password="x")
        self.client.force_login(admin)
        self.add_rows(2)
        small = self.counts()
        self.add_rows(2)
        self.assertEqual(self.counts(), small)
