"""`Among` (kontum_review/arrays.py) finds the rows `__in` finds; on
PostgreSQL as one array parameter, whatever the number of values."""

from django.db import connection
from django.db.models import F
from django.test import TestCase

from kontum_review.arrays import Among
from organizations.models import Organization

from ..factories import OrganizationFactory


class AmongTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        root = OrganizationFactory(code="TU", kind="superior", org_type=None)
        cls.cells = [
            OrganizationFactory(code=f"TU.{n}", parent=root) for n in range(1, 6)
        ]

    def pks(self, values, field="pk"):
        return sorted(
            Organization.objects.filter(Among(F(field), values)).values_list(
                "pk", flat=True
            )
        )

    def test_the_rows_are_those_of_in(self):
        wanted = [cell.pk for cell in self.cells[1:4]]
        for values in (wanted, wanted[:1], [*wanted, None], [], [10**9]):
            with self.subTest(values=values):
                expected = sorted(
                    Organization.objects.filter(pk__in=values).values_list(
                        "pk", flat=True
                    )
                )
                self.assertEqual(self.pks(values), expected)

    def test_a_foreign_key_among_ids(self):
        parent = self.cells[0].parent_id
        self.assertEqual(
            self.pks([parent], field="parent_id"), [cell.pk for cell in self.cells]
        )

    def test_one_parameter_and_one_statement_on_postgresql(self):
        if connection.vendor != "postgresql":
            self.skipTest("Elsewhere Among is Django's IN.")
        statements = []
        for values in ([self.cells[0].pk], [cell.pk for cell in self.cells]):
            queryset = Organization.objects.filter(Among(F("pk"), values))
            sql, params = queryset.query.sql_with_params()
            statements.append(sql)
            self.assertIn("= ANY(%s::bigint[])", sql)
            self.assertEqual(params, (values,))
        self.assertEqual(statements[0], statements[1])
