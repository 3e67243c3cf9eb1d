"""An integer beyond its column's range in an `__in` list matches no row and
is never sent to the database (kontum_review/lookups.py)."""

from django.test import TestCase

from organizations.models import OrganizationType

TOO_BIG = 10**20
TOO_SMALL = -(10**20)


class IntegerInLookupTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.kind = OrganizationType.objects.create(name="Chi bộ thử", code="thu")

    def test_a_list_of_values_no_row_can_hold_makes_no_query(self):
        with self.assertNumQueries(0):
            found = list(OrganizationType.objects.filter(pk__in=[TOO_BIG, TOO_SMALL]))
        self.assertEqual(found, [])

    def test_the_values_that_fit_are_still_looked_up(self):
        found = OrganizationType.objects.filter(pk__in=[TOO_BIG, self.kind.pk, None])
        self.assertEqual(list(found), [self.kind])

    def test_excluding_values_no_row_can_hold_keeps_every_row(self):
        rows = OrganizationType.objects.exclude(pk__in=[TOO_BIG])
        self.assertIn(self.kind, rows)

    def test_a_text_value_is_read_as_a_number_first(self):
        found = OrganizationType.objects.filter(
            pk__in=[str(TOO_BIG), str(self.kind.pk)]
        )
        self.assertEqual(list(found), [self.kind])

    def test_a_subquery_is_left_as_it_is(self):
        inner = OrganizationType.objects.filter(code="thu").values("pk")
        self.assertEqual(
            list(OrganizationType.objects.filter(pk__in=inner)), [self.kind]
        )
