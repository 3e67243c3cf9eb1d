import datetime
from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.test import TestCase

from members import bulk
from members.models import Member
from organizations.models import Organization, OrganizationKind
from reviews import tallies
from reviews.models import Review, ReviewCycle


class BulkWriteTests(TestCase):
    """COPY on PostgreSQL, the ORM elsewhere: the same rows either way."""

    def setUp(self):
        self.cell = Organization.objects.create(
            code="C", name="Chi bộ 1", kind=OrganizationKind.CELL
        )

    def test_insert_gives_the_other_fields_their_defaults(self):
        born = datetime.date(1980, 5, 1)
        bulk.insert(
            Member,
            ["full_name", "gender", "date_of_birth", "card_number", "admitted_on"]
            + ["organization_id"],
            [
                ("Nguyễn Văn An", "male", born, "620000001", born, self.cell.pk),
                ("Trần Thị Bình", "female", born, "620000002", born, self.cell.pk),
            ],
        )
        first, second = Member.objects.order_by("pk")
        self.assertEqual(
            (first.full_name, second.card_number), ("Nguyễn Văn An", "620000002")
        )
        self.assertEqual(first.standing, Member.Standing.PROBATIONARY)
        self.assertEqual(first.status, Member.Status.ACTIVE)
        self.assertEqual((first.party_post, first.citizen_id), ("", ""))
        self.assertIsNone(first.user_id)
        self.assertNotEqual(first.public_id, second.public_id)

    def test_insert_objects_and_update_write_what_the_instances_hold(self):
        born = datetime.date(1975, 1, 2)
        member = Member(
            full_name="Lê Văn Cường",
            gender="male",
            date_of_birth=born,
            card_number="620000003",
            admitted_on=born,
            organization=self.cell,
        )
        member.refresh_keys()
        bulk.insert_objects(Member, [member])
        stored = Member.objects.get()
        self.assertEqual(stored.public_id, member.public_id)
        self.assertEqual(stored.search_text, member.search_text)
        bulk.update(Member, ["party_post", "is_leader"], [(stored.pk, "Bí thư", True)])
        stored.refresh_from_db()
        self.assertEqual((stored.party_post, stored.is_leader), ("Bí thư", True))


class DemoTallyTests(TestCase):
    """The seed counts the review tally once at the end instead of through its
    triggers (PostgreSQL), and leaves them on."""

    @classmethod
    def setUpTestData(cls):
        call_command("seed_demo", "--members", "400", stdout=StringIO())

    def test_every_tally_equals_the_count_of_its_reviews(self):
        cycles = ReviewCycle.objects.all()
        self.assertGreater(len(cycles), 1)
        for cycle in cycles:
            self.assertEqual(tallies.differences(cycle.pk), {}, cycle.name)

    def test_the_triggers_keep_the_tally_after_the_seed(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT DISTINCT tgenabled FROM pg_trigger WHERE tgname = ANY(%s)",
                    [list(bulk.TALLY_TRIGGERS)],
                )
                self.assertEqual(cursor.fetchall(), [("O",)])
        review = Review.objects.filter(
            kind=Review.Kind.INDIVIDUAL, status=Review.Status.SUBMITTED
        ).latest("pk")
        Review.objects.filter(pk=review.pk).update(status=Review.Status.RETURNED)
        self.assertEqual(tallies.differences(review.cycle_id), {})
