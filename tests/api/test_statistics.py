"""The statistics endpoint counts as the workbook does: for the same cycle and
subtree its tables are the workbook's sheets, cell for cell (one source of
truth: reviews/statistics/)."""

import io

from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from reviews import statistics
from reviews.models import Review, ReviewCycle
from reviews.statistics.workbook import FIRST_DATA_ROW

from ..matrix_world import build
from .helpers import client_for, issue


def sheet_rows(sheet):
    """The workbook's rows: label, then every number, as the API lists them."""
    rows = []
    for row in sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True):
        if row[0] is None:
            break
        rows.append([row[0], *row[1:]])
    return rows


def api_rows(table):
    rows = [*table["rows"], *([table["total"]] if table["total"] else [])]
    return [
        [
            row["label"],
            *[n for cell in row["levels"] for n in (cell["count"], cell["share"])],
            row["undecided"],
            row["total"],
        ]
        for row in rows
    ]


class StatisticsEndpointTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build(cls)
        reviews = Review.objects.filter(cycle=cls.cycle)
        # Decisions for cell A's members and collective, proposals for B's.
        reviews.filter(organization=cls.places["A"].org).update(
            decided_code="HTTNV", proposed_code="HTTNV"
        )
        reviews.filter(organization=cls.places["B"].org).update(proposed_code="HTXSNV")
        cls.city_key = issue(cls.city, by=cls.staff)[1]
        cls.ward_key = issue(cls.ward, by=cls.staff)[1]

    def setUp(self):
        statistics.invalidate(self.cycle.pk)

    def workbook(self, user, **query):
        self.client.force_login(user)
        response = self.client.get(reverse("dashboard_statistics_xlsx"), query)
        self.assertEqual(response.status_code, 200)
        return load_workbook(io.BytesIO(response.content))

    def api(self, key, **query):
        response = client_for(key).get(reverse("api:statistics"), query)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def assert_same(self, found, workbook):
        self.assertEqual(len(found["tables"]), len(workbook.worksheets))
        for table, sheet in zip(found["tables"], workbook.worksheets, strict=True):
            with self.subTest(table=table["key"]):
                self.assertEqual(api_rows(table), sheet_rows(sheet))

    def test_whole_tree_equals_the_workbook(self):
        cycle = str(self.cycle.public_id)
        found = self.api(self.city_key, cycle=cycle)
        self.assertTrue(found["decisions_shown"])
        decided = [
            cell["count"]
            for row in found["tables"][0]["rows"]
            for cell in row["levels"]
        ]
        self.assertGreater(sum(decided), 0)
        self.assert_same(found, self.workbook(self.staff, cycle=cycle))

    def test_a_subtree_equals_the_workbook_of_that_subtree(self):
        query = {"cycle": str(self.cycle.public_id)}
        found = self.api(self.city_key, organization=str(self.ward.public_id), **query)
        self.assertEqual(found["organization"]["code"], "P01")
        workbook = self.workbook(self.staff, org=str(self.ward.public_id), **query)
        self.assert_same(found, workbook)

    def test_a_subordinate_committees_token_counts_as_its_staff_see(self):
        """Before publication the ward's staff see no decision: nor does its token."""
        cycle = str(self.cycle.public_id)
        found = self.api(self.ward_key, cycle=cycle)
        self.assertFalse(found["decisions_shown"])
        self.assert_same(found, self.workbook(self.ward_staff, cycle=cycle))

    def test_published_decisions_reach_the_subordinate_token(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.PUBLISHED
        )
        found = self.api(self.ward_key, cycle=str(self.cycle.public_id))
        self.assertTrue(found["decisions_shown"])

    def test_by_type_equals_the_workbook(self):
        code = self.places["A"].org.org_type.code
        query = {"cycle": str(self.cycle.public_id), "type": code}
        found = self.api(self.city_key, **query)
        self.assertEqual(found["type"], code)
        self.assert_same(found, self.workbook(self.staff, **query))

    def test_bad_query_strings_are_400_in_vietnamese(self):
        client = client_for(self.city_key)
        url = reverse("api:statistics")
        response = client.get(url, {"cycle": "not-a-uuid", "type": "no-such-type"})
        self.assertEqual(response.status_code, 400)
        errors = response.json()
        self.assertEqual(errors["cycle"], ["Đề nghị nhập UUID hợp lệ."])
        self.assertIn("no-such-type", errors["type"][0])
        self.assertIn("Không có loại hình tổ chức", errors["type"][0])

    def test_a_cycle_the_token_does_not_read_is_404(self):
        response = client_for(self.ward_key).get(
            reverse("api:statistics"),
            {"cycle": str(self.places["D"].cycle.public_id)},
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["detail"], "Không tìm thấy.")
