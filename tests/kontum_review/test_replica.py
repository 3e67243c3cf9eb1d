"""The read replica: the dashboard and the statistics read it, nothing else does.

The test settings define "replica" as a mirror of the test database with a
connection of its own, which sees only committed rows, as a replica does.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.test import SimpleTestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kontum_review import replica
from organizations.models import Role
from reviews import statistics
from reviews.models import Review

from ..factories import UserFactory, grant, reseed_reference_data
from ..reviews.test_decide import build_cycle
from ..reviews.test_publish import decide_all

ROUTER = replica.ReplicaRouter()


class RouterTests(SimpleTestCase):
    def test_without_a_replica_everything_reads_default(self):
        with replica.reading() as alias:
            self.assertEqual(alias, DEFAULT_DB_ALIAS)
            self.assertIsNone(ROUTER.db_for_read(Review))

    @override_settings(READ_REPLICA="replica")
    def test_only_reads_inside_reading_go_to_the_replica(self):
        self.assertIsNone(ROUTER.db_for_read(Review))
        with replica.reading() as alias:
            self.assertEqual(alias, "replica")
            self.assertEqual(ROUTER.db_for_read(Review), "replica")
            self.assertEqual(ROUTER.db_for_write(Review), DEFAULT_DB_ALIAS)
            self.assertEqual(Review.objects.all().db, "replica")
        self.assertEqual(Review.objects.all().db, DEFAULT_DB_ALIAS)
        self.assertFalse(ROUTER.allow_migrate("replica", "reviews"))

    @override_settings(READ_REPLICA="replica", REPLICA_CACHE_SECONDS=30)
    def test_figures_read_from_a_replica_are_kept_briefly(self):
        self.assertEqual(statistics.cache_seconds(), 30)
        with self.settings(READ_REPLICA=""):
            self.assertEqual(statistics.cache_seconds(), statistics.CACHE_SECONDS)


class ReplicaReadingTests(TransactionTestCase):
    databases = {DEFAULT_DB_ALIAS, "replica"}

    def setUp(self):
        reseed_reference_data()
        self.cycle, self.cell, _people = build_cycle(members=4)
        self.staff = UserFactory(username="btc")
        grant(self.staff, self.cycle.superior, Role.Kind.STAFF)
        decide_all(self.cycle, self.staff)
        self.client.force_login(self.staff)

    def tally_reads(self, queries):
        """The reads of the reviews' tally, which every figure counts from."""
        return [
            q["sql"]
            for q in queries.captured_queries
            if "reviews_reviewtally" in q["sql"]
        ]

    def test_the_dashboard_counts_on_the_replica(self):
        with statistics.together(DEFAULT_DB_ALIAS):
            expected = statistics.CycleFigures(
                self.cycle, self.cycle.superior
            ).distributions()
        with (
            override_settings(READ_REPLICA="replica"),
            CaptureQueriesContext(connections["replica"]) as on_replica,
            CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_default,
        ):
            response = self.client.get(
                reverse("dashboard"), {"cycle": self.cycle.public_id}
            )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.tally_reads(on_replica))
        self.assertEqual(self.tally_reads(on_default), [])
        # The session, the user and the scope are read from the primary.
        self.assertTrue(on_default.captured_queries)
        distributions = response.context["figures"]["distributions"]
        self.assertEqual(
            [(d.key, d.decided.counts) for d in distributions],
            [(d.key, d.decided.counts) for d in expected],
        )

    def test_the_statistics_workbook_counts_on_the_replica_other_pages_do_not(self):
        with (
            override_settings(READ_REPLICA="replica"),
            CaptureQueriesContext(connections["replica"]) as on_replica,
            CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_default,
        ):
            response = self.client.get(
                reverse("dashboard_statistics_xlsx"), {"cycle": self.cycle.public_id}
            )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.tally_reads(on_replica))
        self.assertEqual(self.tally_reads(on_default), [])

        with (
            override_settings(READ_REPLICA="replica"),
            CaptureQueriesContext(connections["replica"]) as on_replica,
        ):
            response = self.client.get(
                reverse("reviews:cycle", args=[self.cycle.public_id])
            )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(on_replica.captured_queries, [])
