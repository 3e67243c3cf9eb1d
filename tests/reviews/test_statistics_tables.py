import io
import re
import zipfile
from collections import Counter
from html.parser import HTMLParser

import openpyxl
from django.core.cache import cache
from django.urls import reverse

from organizations.models import Organization, OrganizationKind, OrganizationType, Role
from reviews import services, statistics
from reviews.models import CycleJob, RatingLevel, ReportJob
from reviews.reports import documents
from reviews.statistics.workbook import FIRST_DATA_ROW

from ..factories import OrganizationFactory, UserFactory, grant
from .test_dashboard_list import SUBJECT_TESTS, DashboardDataTestCase, review_facts
from .test_results_organization import bulk_members

LEVEL_SUBJECTS = ["grassroots", "cells", "members", "leaders"]
DANGEROUS_NAMES = [
    '=HYPERLINK("http://evil","x")',
    "+Chi bộ cộng",
    "-Chi bộ trừ",
    "@Chi bộ a còng",
]


class TableReader(HTMLParser):
    """The text of each cell of the page's tables, by table id, row by row."""

    def __init__(self):
        super().__init__()
        self.tables, self.table, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.table = self.tables.setdefault(dict(attrs).get("id"), [])
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.table.append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def page_tables(response):
    """Each statistics table of the page: its body and total rows, as text."""
    reader = TableReader()
    reader.feed(response.content.decode())
    # The first two rows are the header.
    return {
        key.removeprefix("statistics-"): rows[2:]
        for key, rows in reader.tables.items()
        if key and key.startswith("statistics-")
    }


def share(count, total):
    """A whole percentage, halves up, as one would work it out by hand."""
    return (200 * count + total) // (2 * total) if total else 0


def numbers(facts, levels):
    """[count, share] per level, then not decided and the total."""
    decided = Counter(f.decided for f in facts if f.decided)
    total = len(facts)
    cells = []
    for level in levels:
        cells += [decided[level.code], share(decided[level.code], total)]
    return cells + [total - sum(decided.values()), total]


def row_numbers(row, levels):
    """The same list from a statistics.LevelRow."""
    cells = [n for pair in row.cells(levels) for n in pair]
    return cells + [row.undecided, row.total]


def independent_tables(facts, root, levels, type_code=None):
    """Each table's rows worked out from the review rows: label → numbers.

    The first table's labels are the subject headings (its rows overlap).
    """
    facts = [
        f
        for f in facts
        if f.under(root) and (type_code is None or f.type_code == type_code)
    ]
    organizations = [f for f in facts if SUBJECT_TESTS["organizations"](f)]
    members = [f for f in facts if SUBJECT_TESTS["members"](f)]

    def grouped(group, label_of):
        labels = sorted({label_of(f) for f in group})
        return {
            label: numbers([f for f in group if label_of(f) == label], levels)
            for label in labels
        }

    by_code = {t.code: t.name for t in OrganizationType.objects.all()}
    by_pk = {o.pk: o for o in Organization.objects.all()}

    def unit(fact):
        """The organization right below the root that the subject lies under."""
        organization = fact.organization
        if organization.pk == root.pk:
            return root.name
        while organization.parent_id != root.pk:
            organization = by_pk[organization.parent_id]
        return organization.name

    return {
        "levels": {
            subject: numbers([f for f in facts if SUBJECT_TESTS[subject](f)], levels)
            for subject in LEVEL_SUBJECTS
        },
        "organizations-by-type": grouped(organizations, lambda f: by_code[f.type_code]),
        "members-by-type": grouped(members, lambda f: by_code[f.type_code]),
        "organizations-by-unit": grouped(organizations, unit),
        "members-by-unit": grouped(members, unit),
    }


def as_text(rows):
    return [[str(value) for value in row] for row in rows]


def column_sums(rows, levels):
    """The total line: counts added up, shares of the added-up total."""
    counts = [sum(row[i] for row in rows) for i in range(len(rows[0]))]
    total = counts[-1]
    for index in range(len(levels)):
        counts[2 * index + 1] = share(counts[2 * index], total)
    return counts


class StatisticsTablesTestCase(DashboardDataTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.levels = list(RatingLevel.objects.filter(regime=cls.cycle.regime))

    def get(self, user, query="", name="dashboard_statistics"):
        self.client.force_login(user)
        return self.client.get(f"{reverse(name)}?{query}")

    def expected(self, root, type_code=None):
        return independent_tables(
            review_facts(self.cycle), root, self.levels, type_code
        )

    def assert_page_shows(self, response, expected):
        """The page's rows equal the independent numbers, then their total."""
        shown = page_tables(response)
        self.assertEqual(list(shown), list(expected))
        for key, rows in expected.items():
            with self.subTest(table=key):
                body = list(rows.values())
                if key == "levels":
                    self.assertEqual([row[1:] for row in shown[key]], as_text(body))
                    continue
                self.assertTrue(body)
                *listed, total = shown[key]
                # A unit with reviews, but none of this table's, may show zeros.
                listed = [row for row in listed if row[-1] != "0"]
                self.assertEqual(
                    {row[0]: row[1:] for row in listed},
                    {label: [str(n) for n in row] for label, row in rows.items()},
                )
                self.assertEqual(len(listed), len(rows))
                self.assertEqual(
                    total[1:], as_text([column_sums(body, self.levels)])[0]
                )


class StatisticsPageTests(StatisticsTablesTestCase):
    def test_numbers_equal_the_rows(self):
        response = self.get(self.staff, f"cycle={self.cycle.public_id}")
        self.assertEqual(response.status_code, 200)
        expected = self.expected(self.committee)
        self.assertTrue(all(expected.values()))
        self.assertEqual(
            set(expected["organizations-by-unit"]), {self.ward.name, self.ward2.name}
        )
        self.assert_page_shows(response, expected)

    def test_only_the_first_table_has_no_total_line(self):
        tables = page_tables(self.get(self.staff))
        self.assertEqual(len(tables["levels"]), len(LEVEL_SUBJECTS))
        for key in ("organizations-by-type", "members-by-unit"):
            self.assertEqual(tables[key][-1][0], "Tổng cộng")

    def test_a_type_counts_the_cells_of_its_grassroots_organizations(self):
        response = self.get(self.staff, "type=xa")
        expected = self.expected(self.committee, "xa")
        self.assertEqual(list(expected["organizations-by-type"]), ["Xã"])
        self.assertEqual(list(expected["organizations-by-unit"]), [self.ward2.name])
        self.assert_page_shows(response, expected)

    def test_a_leader_reads_only_the_own_ward(self):
        for user, ward, other in [
            (self.leader, self.ward, self.ward2),
            (self.leader2, self.ward2, self.ward),
        ]:
            with self.subTest(user=user.username):
                response = self.get(user)
                self.assert_page_shows(response, self.expected(ward))
                for outside in Organization.objects.subtree_of(other):
                    self.assertNotContains(response, outside.name)
                query = f"org={other.public_id}"
                self.assertEqual(self.get(user, query).status_code, 404)
                name = "dashboard_statistics_xlsx"
                self.assertEqual(self.get(user, query, name).status_code, 404)

    def test_staff_choose_a_ward(self):
        response = self.get(self.staff, f"org={self.ward2.public_id}")
        self.assert_page_shows(response, self.expected(self.ward2))
        self.assertContains(
            response, f'name="org" value="{self.ward2.public_id}"', html=False
        )

    def test_readers_without_a_staff_or_leader_role_get_404(self):
        users = (self.secretary_a, self.secretary_b, self.member_user, self.outsider)
        for user in users:
            with self.subTest(user=user.username):
                self.assertEqual(self.get(user).status_code, 404)

    def test_decisions_count_as_not_made_for_ward_staff_before_publication(self):
        ward_staff = UserFactory(username="staff_p01")
        grant(ward_staff, self.ward, Role.Kind.STAFF)
        response = self.get(ward_staff)
        levels_table = page_tables(response)["levels"]
        facts = [f for f in review_facts(self.cycle) if f.under(self.ward)]
        for subject, row in zip(LEVEL_SUBJECTS, levels_table, strict=True):
            total = len([f for f in facts if SUBJECT_TESTS[subject](f)])
            self.assertEqual(row[1:], ["0"] * 2 * len(self.levels) + [str(total)] * 2)
        self.assertTrue(any(f.decided for f in facts))

    def test_links_keep_the_filters(self):
        query = f"cycle={self.cycle.public_id}&org={self.ward.public_id}&type=phuong"
        response = self.get(self.staff, query)
        xlsx = reverse("dashboard_statistics_xlsx")
        self.assertContains(response, f'href="{xlsx}?{query.replace("&", "&amp;")}"')
        dashboard = reverse("dashboard")
        self.assertContains(
            response, f'href="{dashboard}?{query.replace("&", "&amp;")}"'
        )
        self.assertContains(response, '<option value="phuong" selected>')

    def test_a_bad_filter_gives_the_defaults_with_a_vietnamese_error(self):
        response = self.get(self.staff, "cycle=not-a-uuid&type=nowhere")
        self.assertContains(response, "Hãy chọn một lựa chọn hợp lệ.")
        self.assert_page_shows(response, self.expected(self.committee))


# Savepoint and release (ATOMIC_REQUESTS), session, user, roles, cycles, types,
# roles for the decisions, then on a cold cache the levels, the tree, the
# meetings held and the rows.
PAGE_QUERIES = 12


class StatisticsQueryTests(StatisticsTablesTestCase):
    def assert_queries(self):
        self.client.force_login(self.staff)
        cache.clear()
        with self.assertNumQueries(PAGE_QUERIES):
            response = self.client.get(reverse("dashboard_statistics"))
        return page_tables(response)["levels"][2][-1]

    def test_query_count_does_not_grow_with_the_rows(self):
        members = int(self.assert_queries())
        bulk_members(self.cell_c, 40)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        self.assertEqual(int(self.assert_queries()), members + 40)


class StatisticsDownloadTests(StatisticsTablesTestCase):
    def download(self, user=None, query=""):
        response = self.get(user or self.staff, query, "dashboard_statistics_xlsx")
        self.assertEqual(response.status_code, 200)
        return response, openpyxl.load_workbook(io.BytesIO(response.content))

    def sheet_rows(self, sheet):
        return [
            list(values)
            for values in sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True)
        ]

    def test_download_is_an_xlsx_attachment(self):
        response, _workbook = self.download()
        self.assertEqual(
            response["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        self.assertRegex(
            response["Content-Disposition"], r'^attachment; filename="[\w-]+\.xlsx"$'
        )

    def test_workbook_holds_the_numbers_of_the_tables_and_the_page(self):
        response, workbook = self.download(query=f"cycle={self.cycle.public_id}")
        found = statistics.statistics_tables(self.cycle, self.committee)
        expected = self.expected(self.committee)
        shown = page_tables(self.get(self.staff))
        self.assertEqual(len(workbook.worksheets), len(found["tables"]))
        for sheet, table in zip(workbook.worksheets, found["tables"], strict=True):
            with self.subTest(table=table.key):
                self.assertEqual(sheet["A3"].value, table.title)
                rows = self.sheet_rows(sheet)
                body = rows[: len(table.rows)]
                self.assertEqual(
                    body,
                    [[row.label, *row_numbers(row, self.levels)] for row in table.rows],
                )
                independent = expected[table.key]
                if table.key == "levels":
                    self.assertEqual(len(rows), len(table.rows))
                    self.assertEqual([r[1:] for r in body], list(independent.values()))
                else:
                    self.assertEqual(
                        {r[0]: r[1:] for r in body},
                        independent,
                    )
                    self.assertEqual(
                        rows[-1][1:],
                        column_sums(list(independent.values()), self.levels),
                    )
                self.assertEqual(as_text(rows), shown[table.key])

    def test_a_leader_downloads_the_own_ward(self):
        _response, workbook = self.download(self.leader2)
        *rows, _total = self.sheet_rows(workbook.worksheets[3])
        # The ward's own review, then its cells, in the tree's order.
        self.assertEqual(
            [row[0] for row in rows],
            [self.ward2.name, self.cell_c.name, self.cell_d.name],
        )
        self.assertEqual(
            {row[0]: row[1:] for row in rows},
            self.expected(self.ward2)["organizations-by-unit"],
        )
        names = {
            row[0] for sheet in workbook.worksheets for row in self.sheet_rows(sheet)
        }
        for outside in Organization.objects.subtree_of(self.ward):
            self.assertNotIn(outside.name, names)

    def test_readers_without_a_staff_or_leader_role_get_404(self):
        users = (self.secretary_a, self.secretary_b, self.member_user, self.outsider)
        for user in users:
            with self.subTest(user=user.username):
                response = self.get(user, name="dashboard_statistics_xlsx")
                self.assertEqual(response.status_code, 404)

    def test_summary_pdf_numbers_equal_the_tables(self):
        _response, workbook = self.download()
        levels_sheet = workbook.worksheets[0]
        overall = documents.context_for(ReportJob.Kind.SUMMARY, self.cycle)["overall"]
        summary = [
            [n for pair in cells for n in pair] + [row.undecided, row.total]
            for row, cells in overall
        ]
        self.assertEqual(summary, [row[1:] for row in self.sheet_rows(levels_sheet)])


class FormulaInjectionTests(StatisticsTablesTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for number, name in enumerate(DANGEROUS_NAMES):
            OrganizationFactory(
                code=f"Z{number}",
                name=name,
                kind=OrganizationKind.GRASSROOTS_CELL,
                parent=cls.committee,
            )
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))

    def test_names_that_look_like_formulas_stay_text(self):
        self.client.force_login(self.staff)
        response = self.client.get(reverse("dashboard_statistics_xlsx"))
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        tables = statistics.statistics_tables(self.cycle, self.committee)["tables"]
        keys = [table.key for table in tables]
        sheet = workbook.worksheets[keys.index("organizations-by-unit")]
        cells = {
            row[0].value: row[0]
            for row in sheet.iter_rows(min_row=FIRST_DATA_ROW)
            if row[0].value in DANGEROUS_NAMES
        }
        self.assertEqual(set(cells), set(DANGEROUS_NAMES))
        for name, cell in cells.items():
            with self.subTest(name=name):
                self.assertEqual(cell.data_type, "s")
                # Stays text when someone edits the cell in Excel.
                self.assertTrue(cell.quotePrefix)
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/"):
                    xml = archive.read(name).decode()
                    self.assertIsNone(re.search(r"<f[\s>/]", xml), name)

    def test_the_page_shows_them_escaped(self):
        response = self.get(self.staff)
        self.assertContains(
            response, "=HYPERLINK(&quot;http://evil&quot;,&quot;x&quot;)"
        )
        self.assertIn(
            DANGEROUS_NAMES[0],
            [row[0] for row in page_tables(response)["organizations-by-unit"]],
        )
