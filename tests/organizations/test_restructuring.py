"""Restructuring the tree by decision: the past stays as it was.

The world is the demo's, small: a city's wards and cells with five decided
years and a current cycle. Its current cycle is published first, as a
committee restructures between cycles.
"""

import datetime
import io
import re
import subprocess
import tempfile
from io import StringIO
from pathlib import Path

import openpyxl
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from kontum_review.formsets import BoundedInlineFormSet
from members.models import Member
from organizations import restructuring
from organizations.models import (
    EndedRole,
    Organization,
    OrganizationKind,
    Restructuring,
    RestructuringLine,
    Role,
    Succession,
)
from reviews import results, rules, services
from reviews.guards import closed_cycle_writes
from reviews.models import (
    CarryOverItem,
    CycleJob,
    Rating,
    RatingLevel,
    RemedyAction,
    ReportJob,
    Review,
    ReviewCycle,
)
from reviews.reports import documents
from tests.factories import UserFactory, grant

SMALL = ["--members", "120", "--grassroots", "3", "--cells", "6"]
EFFECTIVE = datetime.date(2026, 1, 1)
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"|csrftoken=[^;"]*')


def world():
    call_command("seed_demo", *SMALL, stdout=StringIO())
    ReviewCycle.objects.exclude(status=ReviewCycle.Status.LOCKED).update(
        status=ReviewCycle.Status.PUBLISHED
    )


def decision(**lines):
    """A draft decision with these lines (keyword: list of line dicts)."""
    superior = Organization.objects.current().filter(parent__isnull=True).get()
    found = Restructuring.objects.create(
        number="Số 123-QĐ/TU",
        signed_on=EFFECTIVE,
        issued_by="Ban Thường vụ Tỉnh ủy",
        effective_on=EFFECTIVE,
        committee=superior,
        created_by=User.objects.filter(is_superuser=True).first()
        or UserFactory(is_superuser=True),
    )
    for number, values in enumerate(lines["lines"], start=1):
        RestructuringLine.objects.create(restructuring=found, number=number, **values)
    return found


def wards():
    return list(
        Organization.objects.current()
        .filter(kind=OrganizationKind.GRASSROOTS_COMMITTEE)
        .order_by("code")
    )


def cells(ward):
    return list(
        Organization.objects.current()
        .filter(parent=ward, kind=OrganizationKind.CELL)
        .order_by("code")
    )


def past_cycle():
    return ReviewCycle.objects.filter(status=ReviewCycle.Status.LOCKED).latest(
        "starts_on"
    )


def workbook_values(content):
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [
        [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    ]


def pdf_text(cycle, organization=None):
    """The summary (or an organization's collective report) as pdftotext reads it."""
    kind = ReportJob.Kind.COLLECTIVE_REPORT if organization else ReportJob.Kind.SUMMARY
    pdf = documents.render_pdf(
        documents.render_html(kind, cycle, organization=organization)
    )
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        return subprocess.run(
            ["pdftotext", "-raw", handle.name, "-"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout


class PastFiguresTests(TestCase):
    """A past cycle's figures, documents and pages, before and after."""

    @classmethod
    def setUpTestData(cls):
        world()
        cls.staff = User.objects.get(username="staff")

    def setUp(self):
        self.client.force_login(self.staff)

    def figures(self, cycle):
        cache.clear()
        superior = cycle.superior
        ward = (
            Organization.objects.filter(
                reviews__cycle=cycle, kind=OrganizationKind.GRASSROOTS_COMMITTEE
            )
            .order_by("code")
            .first()
        )
        query = {"cycle": str(cycle.public_id)}
        pages = [
            self.client.get(reverse("dashboard"), query),
            self.client.get(reverse("dashboard_statistics"), query),
            self.client.get(
                reverse(
                    "reviews:organization_results",
                    args=[cycle.public_id, superior.public_id],
                )
            ),
            self.client.get(
                reverse(
                    "reviews:organization_results",
                    args=[cycle.public_id, ward.public_id],
                )
            ),
            self.client.get(reverse("reviews:flags", args=[cycle.public_id])),
        ]
        for page in pages:
            self.assertEqual(page.status_code, 200)
        workbook = self.client.get(reverse("dashboard_statistics_xlsx"), query)
        self.assertEqual(workbook.status_code, 200)
        return {
            "pages": [CSRF.sub(b"", page.content) for page in pages],
            "workbook": workbook_values(workbook.content),
            "summary": documents.render_html(ReportJob.Kind.SUMMARY, cycle),
            "report": documents.render_html(
                ReportJob.Kind.COLLECTIVE_REPORT, cycle, organization=ward
            ),
        }

    def assert_past_unchanged(self, lines):
        cycle = past_cycle()
        before = self.figures(cycle)
        restructuring.apply(decision(lines=lines), self.staff, today=EFFECTIVE)
        after = self.figures(ReviewCycle.objects.get(pk=cycle.pk))
        self.assertEqual(before["workbook"], after["workbook"])
        self.assertEqual(before["summary"], after["summary"])
        self.assertEqual(before["report"], after["report"])
        for was, now in zip(before["pages"], after["pages"], strict=True):
            self.assertEqual(was.decode(), now.decode())

    def test_the_summary_pdf_reads_the_same_after_a_merge(self):
        first, second = wards()[:2]
        cycle = past_cycle()
        before = pdf_text(cycle)
        new = {"new_code": "KT.PKT", "new_name": "Đảng bộ phường Kon Tum"}
        restructuring.apply(
            decision(
                lines=[
                    {"operation": "merge", "code": first.code, **new},
                    {"operation": "merge", "code": second.code, **new},
                ]
            ),
            self.staff,
            today=EFFECTIVE,
        )
        cache.clear()
        self.assertEqual(before, pdf_text(ReviewCycle.objects.get(pk=cycle.pk)))
        self.assertIn(first.name, before + pdf_text(cycle, first))

    def test_a_merge_of_two_wards_into_a_new_one(self):
        first, second = wards()[:2]
        count = len(cells(first)) + len(cells(second))
        new = {"new_code": "KT.PKT", "new_name": "Đảng bộ phường Kon Tum"}
        self.assert_past_unchanged(
            [
                {"operation": "merge", "code": first.code, **new},
                {"operation": "merge", "code": second.code, **new},
            ]
        )
        merged = Organization.objects.current().get(code="KT.PKT")
        self.assertEqual(merged.parent_id, first.parent_id)
        self.assertEqual(len(cells(merged)), count)

    def test_a_move_of_a_cell_to_another_ward(self):
        first, second = wards()[:2]
        cell = cells(first)[0]
        self.assert_past_unchanged(
            [{"operation": "move", "code": cell.code, "parent_code": second.code}]
        )
        moved = Organization.objects.current().get(code=cell.code)
        self.assertEqual(moved.parent_id, second.pk)
        self.assertEqual(moved.line, cell.pk)

    def test_a_rename_of_a_ward(self):
        ward = wards()[0]
        self.assert_past_unchanged(
            [
                {
                    "operation": "rename",
                    "code": ward.code,
                    "new_name": "Đảng bộ phường Mới",
                }
            ]
        )
        self.assertEqual(
            Organization.objects.current().get(code=ward.code).name,
            "Đảng bộ phường Mới",
        )
        ward.refresh_from_db()
        self.assertEqual(ward.name, Organization.objects.get(pk=ward.pk).name)
        self.assertFalse(ward.is_current)

    def test_a_split_of_a_cell(self):
        cell = cells(wards()[0])[0]
        belonging = list(
            Member.objects.filter(organization=cell, status__in=restructuring.BELONGING)
        )
        half = len(belonging) // 2
        parts = [
            {"new_code": f"{cell.code}A", "new_name": "Chi bộ A"},
            {"new_code": f"{cell.code}B", "new_name": "Chi bộ B"},
        ]
        self.assert_past_unchanged(
            [
                {
                    "operation": "split",
                    "code": cell.code,
                    "member_card": member.card_number,
                    **parts[index >= half],
                }
                for index, member in enumerate(belonging)
            ]
        )
        self.assertEqual(
            Member.objects.filter(organization__code=f"{cell.code}A").count(), half
        )

    def test_closing_the_cells_of_a_ward_and_the_ward(self):
        first, second = wards()[:2]
        lines = [
            {
                "operation": "close",
                "code": cell.code,
                "target_code": cells(second)[0].code,
            }
            for cell in cells(first)
        ] + [{"operation": "close", "code": first.code}]
        self.assert_past_unchanged(lines)
        self.assertFalse(Organization.objects.current().filter(pk=first.pk).exists())


class PeopleAndRolesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        world()
        cls.staff = User.objects.get(username="staff")

    def test_a_member_moved_by_a_split_keeps_their_results_and_flags(self):
        cell = cells(wards()[0])[0]
        belonging = list(
            Member.objects.filter(organization=cell, status__in=restructuring.BELONGING)
        )
        member = belonging[0]
        history_before = list(
            Rating.objects.filter(review__member=member, stage=Rating.Stage.DECISION)
            .order_by("review__cycle__year")
            .values_list("review__cycle__year", "level__code")
        )
        cycle = ReviewCycle.objects.latest("starts_on")
        flags_before = flag_subjects(cycle)
        restructuring.apply(
            decision(
                lines=[
                    {
                        "operation": "split",
                        "code": cell.code,
                        "new_code": f"{cell.code}{'AB'[index % 2]}",
                        "new_name": f"Chi bộ {'AB'[index % 2]}",
                        "member_card": m.card_number,
                    }
                    for index, m in enumerate(belonging)
                ]
            ),
            self.staff,
            today=EFFECTIVE,
        )
        member.refresh_from_db()
        self.assertEqual(member.organization.code, f"{cell.code}A")
        self.assertEqual(
            history_before,
            list(
                Rating.objects.filter(
                    review__member=member, stage=Rating.Stage.DECISION
                )
                .order_by("review__cycle__year")
                .values_list("review__cycle__year", "level__code")
            ),
        )
        self.assertEqual(flags_before, flag_subjects(cycle))
        page = self.client_for(self.staff).get(
            reverse("reviews:person_results", args=[member.public_id])
        )
        for year, _code in history_before:
            self.assertContains(page, str(year))

    def client_for(self, user):
        self.client.force_login(user)
        return self.client

    def test_the_successor_of_a_merger_shows_both_predecessors(self):
        first, second = wards()[:2]
        new = {"new_code": "KT.PKT", "new_name": "Đảng bộ phường Kon Tum"}
        restructuring.apply(
            decision(
                lines=[
                    {"operation": "merge", "code": first.code, **new},
                    {"operation": "merge", "code": second.code, **new},
                ]
            ),
            self.staff,
            today=EFFECTIVE,
        )
        merged = Organization.objects.current().get(code="KT.PKT")
        self.assertEqual(
            set(
                Succession.objects.filter(successor=merged).values_list(
                    "predecessor", flat=True
                )
            ),
            {first.pk, second.pk},
        )
        rows = results.predecessor_results(self.staff, merged)
        # Both, and whatever they themselves continue.
        self.assertLessEqual(
            {first.pk, second.pk}, {row.organization.pk for row in rows}
        )
        page = self.client_for(self.staff).get(
            reverse("organizations:detail", args=[merged.public_id])
        )
        self.assertContains(page, first.name)
        self.assertContains(page, second.name)

    def test_a_new_merged_organization_continues_the_years_the_annex_says(self):
        first, second = wards()[:2]
        new = {"new_code": "KT.PKT", "new_name": "Đảng bộ phường Kon Tum"}
        restructuring.apply(
            decision(
                lines=[
                    {"operation": "merge", "code": first.code, **new},
                    {
                        "operation": "merge",
                        "code": second.code,
                        "keeps_flags": True,
                        **new,
                    },
                ]
            ),
            self.staff,
            today=EFFECTIVE,
        )
        merged = Organization.objects.current().get(code="KT.PKT")
        self.assertEqual(merged.line, second.line)
        self.assertIn(second, Organization.objects.same_line_as(merged))
        self.assertNotIn(first, Organization.objects.same_line_as(merged))

    def test_an_existing_target_keeps_its_own_years(self):
        first, second = wards()[:2]
        found = decision(
            lines=[
                {
                    "operation": "merge",
                    "code": first.code,
                    "target_code": second.code,
                    "keeps_flags": True,
                }
            ]
        )
        with self.assertRaises(restructuring.Refused) as refused:
            restructuring.apply(found, self.staff, today=EFFECTIVE)
        self.assertIn("Dòng 1", str(refused.exception))

    def test_the_old_secretary_sees_nothing_of_the_merged_ward(self):
        first, second = wards()[:2]
        secretary = UserFactory()
        grant(secretary, first, Role.Kind.SECRETARY)
        new = {"new_code": "KT.PKT", "new_name": "Đảng bộ phường Kon Tum"}
        restructuring.apply(
            decision(
                lines=[
                    {"operation": "merge", "code": first.code, **new},
                    {"operation": "merge", "code": second.code, **new},
                ]
            ),
            self.staff,
            today=EFFECTIVE,
        )
        merged = Organization.objects.current().get(code="KT.PKT")
        self.assertFalse(Organization.objects.visible_to(secretary).exists())
        self.assertTrue(
            EndedRole.objects.filter(
                user=secretary, organization=first, kind=Role.Kind.SECRETARY
            ).exists()
        )
        page = self.client_for(secretary).get(
            reverse("organizations:detail", args=[merged.public_id])
        )
        self.assertEqual(page.status_code, 404)
        grant(secretary, merged, Role.Kind.SECRETARY)
        self.assertEqual(
            self.client_for(secretary)
            .get(reverse("organizations:detail", args=[merged.public_id]))
            .status_code,
            200,
        )

    def test_a_cell_secretary_keeps_their_cell_when_it_moves(self):
        first, second = wards()[:2]
        cell = cells(first)[0]
        secretary = UserFactory()
        grant(secretary, cell, Role.Kind.SECRETARY)
        restructuring.apply(
            decision(
                lines=[
                    {"operation": "move", "code": cell.code, "parent_code": second.code}
                ]
            ),
            self.staff,
            today=EFFECTIVE,
        )
        moved = Organization.objects.current().get(code=cell.code)
        self.assertIn(moved, Organization.objects.visible_to(secretary))
        self.assertFalse(EndedRole.objects.filter(user=secretary).exists())

    def test_subtree_and_ancestors_stay_one_query_each(self):
        first, second = wards()[:2]
        cell = cells(first)[0]
        restructuring.apply(
            decision(
                lines=[
                    {"operation": "move", "code": cell.code, "parent_code": second.code}
                ]
            ),
            self.staff,
            today=EFFECTIVE,
        )
        moved = Organization.objects.current().get(code=cell.code)
        second = Organization.objects.current().get(code=second.code)
        with self.assertNumQueries(1):
            self.assertIn(moved, list(Organization.objects.subtree_of(second)))
        with self.assertNumQueries(1):
            self.assertIn(second, list(Organization.objects.ancestors_of(moved)))

    def test_a_cycle_opened_after_uses_the_new_tree(self):
        first, second = wards()[:2]
        cell = cells(first)[0]
        restructuring.apply(
            decision(
                lines=[
                    {"operation": "move", "code": cell.code, "parent_code": second.code}
                ]
            ),
            self.staff,
            today=EFFECTIVE,
        )
        latest = ReviewCycle.objects.latest("starts_on")
        cycle = ReviewCycle.objects.create(
            name="Năm sau",
            year=latest.year + 1,
            starts_on=latest.starts_on.replace(year=latest.year + 1),
            ends_on=latest.ends_on.replace(year=latest.year + 1),
            regime=latest.regime,
            superior=latest.superior,
        )
        scope = set(services.scope_organizations(cycle))
        moved = Organization.objects.current().get(code=cell.code)
        self.assertIn(moved, scope)
        self.assertNotIn(cell, scope)


def flag_subjects(cycle):
    cycles = results.yearly_cycles(cycle)
    shown = [c.pk for c in cycles]
    organizations = Organization.objects.subtree_of(cycle.superior).values("pk")
    excellent, failing = results.flags(cycles, organizations, shown)
    return sorted(
        (flag.row["review__member_id"], flag.row["code"], tuple(flag.years))
        for flag in excellent + failing
        if flag.row["review__member_id"]
    )


class BadAnnexTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        world()
        cls.staff = User.objects.get(username="staff")

    def tree(self):
        return list(
            Organization.objects.order_by("pk").values_list(
                "pk", "code", "name", "path", "superseded_by"
            )
        ), list(Member.objects.order_by("pk").values_list("pk", "organization"))

    def test_a_bad_annex_changes_nothing_and_names_each_bad_line(self):
        first, second = wards()[:2]
        cell = cells(first)[0]
        before = self.tree()
        successions = Succession.objects.count()
        found = decision(
            lines=[
                {"operation": "move", "code": "KHONG-CO", "parent_code": second.code},
                {"operation": "move", "code": first.code, "parent_code": cell.code},
                {"operation": "close", "code": second.code},
                {
                    "operation": "close",
                    "code": cells(first)[1].code,
                    "target_code": cell.code,
                },
                {
                    "operation": "close",
                    "code": cells(first)[1].code,
                    "target_code": cell.code,
                },
                {
                    "operation": "split",
                    "code": cell.code,
                    "new_code": "X1",
                    "new_name": "Chi bộ X1",
                },
            ]
        )
        with self.assertRaises(restructuring.Refused) as refused:
            restructuring.apply(found, self.staff, today=EFFECTIVE)
        text = "\n".join(str(m) for m in refused.exception.messages)
        self.assertIn("Dòng 1", text)
        self.assertIn("KHONG-CO", text)
        self.assertIn("Dòng 2", text)  # the tree would loop
        self.assertIn("Dòng 3", text)  # members and cells with nowhere to go
        self.assertIn("Dòng 5", text)  # closed twice
        self.assertIn("Dòng 6", text)  # members left without a cell
        self.assertNotIn("Dòng 4", text)
        self.assertEqual(before, self.tree())
        self.assertEqual(successions, Succession.objects.count())
        found.refresh_from_db()
        self.assertFalse(found.is_applied)

    def test_a_rename_or_move_that_changes_nothing_is_refused_by_line(self):
        first = wards()[0]
        cell = cells(first)[0]
        before = self.tree()
        found = decision(
            lines=[
                {"operation": "rename", "code": cell.code, "new_code": cell.code},
                {"operation": "rename", "code": cell.code, "new_name": cell.name},
                {"operation": "move", "code": cell.code, "parent_code": first.code},
                {"operation": "rename", "code": first.code, "new_name": "Phường Mới"},
            ]
        )
        with self.assertRaises(restructuring.Refused) as refused:
            restructuring.apply(found, self.staff, today=EFFECTIVE)
        messages = [str(m) for m in refused.exception.messages]
        text = "\n".join(messages)
        for number in (1, 2, 3):
            self.assertIn(f"Dòng {number}", text)
        self.assertNotIn("Dòng 4", text)
        self.assertIn("thay đổi", text)
        self.assertEqual(before, self.tree())
        found.refresh_from_db()
        self.assertFalse(found.is_applied)

    def test_the_command_dry_run_prints_the_preview_and_changes_nothing(self):
        first, second = wards()[:2]
        cell = cells(first)[0]
        annex = SimpleUploadedFile(
            "annex.csv",
            (f"thao tác,mã,mã cấp trên\nchuyển,{cell.code},{second.code}\n").encode(),
        )
        path = self.write(annex)
        before = self.tree()
        out = StringIO()
        call_command(
            "restructure",
            path,
            "--decision",
            "Số 9-QĐ/TU",
            "--date",
            "2026-01-01",
            "--dry-run",
            stdout=out,
        )
        self.assertIn(cell.code, out.getvalue())
        self.assertEqual(before, self.tree())
        call_command(
            "restructure",
            path,
            "--decision",
            "Số 9-QĐ/TU",
            "--date",
            "2026-01-01",
            "--user",
            "staff",
            stdout=StringIO(),
        )
        self.assertEqual(
            Organization.objects.current().get(code=cell.code).parent_id, second.pk
        )

    def test_the_command_refuses_a_bad_annex_by_line(self):
        path = self.write(
            SimpleUploadedFile("annex.csv", b"operation,code\nexplode,X\nclose,Y\n")
        )
        with self.assertRaisesMessage(CommandError, "2"):
            call_command(
                "restructure",
                path,
                "--decision",
                "1",
                "--date",
                "2026-01-01",
                "--dry-run",
                stdout=StringIO(),
            )

    def write(self, upload):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        path = Path(folder.name) / upload.name
        path.write_bytes(upload.read())
        return str(path)


class PagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        world()
        cls.staff = User.objects.get(username="staff")

    def setUp(self):
        self.client.force_login(self.staff)

    def decision_data(self, number, **fields):
        """A decision of the province's committee as the page posts it."""
        top = Organization.objects.current().filter(parent__isnull=True).get()
        return {
            "number": number,
            "signed_on": "2026-01-01",
            "issued_by": "Ban Thường vụ",
            "effective_on": "2026-01-01",
            "committee": top.pk,
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            **fields,
        }

    def test_staff_enter_preview_and_apply_a_decision_through_the_pages(self):
        first, second = wards()[:2]
        cell = cells(first)[0]
        form = self.client.get(reverse("organizations:restructuring_create"))
        self.assertEqual(form.status_code, 200)
        committee = form.context["form"].fields["committee"].queryset.first()
        response = self.client.post(
            reverse("organizations:restructuring_create"),
            {
                "number": "Số 77-QĐ/TU",
                "signed_on": "2026-01-01",
                "issued_by": "Ban Thường vụ",
                "effective_on": "2026-01-01",
                "committee": committee.pk,
                "lines-TOTAL_FORMS": "3",
                "lines-INITIAL_FORMS": "0",
                "lines-0-operation": "move",
                "lines-0-code": cell.code,
                "lines-0-parent_code": second.code,
            },
        )
        found = Restructuring.objects.get(number="Số 77-QĐ/TU")
        self.assertRedirects(
            response, reverse("organizations:restructuring", args=[found.public_id])
        )
        preview = self.client.get(response.url)
        self.assertContains(preview, cell.name)
        self.assertContains(preview, "Áp dụng")
        applied = self.client.post(
            reverse("organizations:restructuring_apply", args=[found.public_id]),
            follow=True,
        )
        self.assertContains(applied, "đã được áp dụng")
        self.assertEqual(
            Organization.objects.current().get(code=cell.code).parent_id, second.pk
        )

    def test_an_annex_file_with_bad_cells_keeps_what_was_typed(self):
        decisions = Restructuring.objects.count()
        response = self.client.post(
            reverse("organizations:restructuring_create"),
            self.decision_data(
                "Số 78-QĐ/TU",
                annex=SimpleUploadedFile("a.csv", b"no,columns\n1,2\n"),
            ),
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Số 78-QĐ/TU")
        self.assertEqual(decisions, Restructuring.objects.count())

    def test_an_xlsx_annex_with_vietnamese_headers_fills_the_lines(self):
        first, second = wards()[:2]
        cell = cells(first)[0]
        book = openpyxl.Workbook()
        book.active.append(["Thao tác", "Mã", "Mã cấp trên"])
        book.active.append(["Điều chuyển", cell.code, second.code])
        content = io.BytesIO()
        book.save(content)
        response = self.client.post(
            reverse("organizations:restructuring_create"),
            {
                "number": "Số 79-QĐ/TU",
                "signed_on": "2026-01-01",
                "issued_by": "Ban Thường vụ",
                "effective_on": "2026-01-01",
                "committee": self.client.get(
                    reverse("organizations:restructuring_create")
                )
                .context["form"]
                .fields["committee"]
                .queryset.first()
                .pk,
                "annex": SimpleUploadedFile("phu-luc.xlsx", content.getvalue()),
                "lines-TOTAL_FORMS": "3",
                "lines-INITIAL_FORMS": "0",
            },
        )
        found = Restructuring.objects.get(number="Số 79-QĐ/TU")
        self.assertRedirects(
            response, reverse("organizations:restructuring", args=[found.public_id])
        )
        (line,) = found.lines.all()
        self.assertEqual(
            (line.number, line.operation, line.code, line.parent_code),
            (2, "move", cell.code, second.code),
        )

    def test_a_post_claiming_a_huge_number_of_lines_is_refused_in_vietnamese(self):
        """A crafted TOTAL_FORMS builds at most the typed lines' cap, not the
        2,000 forms Django's default allows (8 s on SQLite before), and keeps
        what was typed."""
        decisions = Restructuring.objects.count()
        response = self.client.post(
            reverse("organizations:restructuring_create"),
            self.decision_data(
                "Số 79-QĐ/TU",
                **{
                    "lines-TOTAL_FORMS": "99999999999999999999",
                    "lines-0-operation": "close",
                    "lines-0-code": "X",
                },
            ),
        )
        self.assertEqual(response.status_code, 200)
        lines = response.context["lines"]
        most = BoundedInlineFormSet.added_max
        self.assertEqual(len(lines.forms), most)
        self.assertContains(
            response, f"Gõ nhiều nhất {most} dòng ở đây; phụ lục dài hơn"
        )
        self.assertContains(response, "Số 79-QĐ/TU")
        self.assertEqual(decisions, Restructuring.objects.count())

    def test_a_secretary_gets_403_and_other_staff_404(self):
        found = decision(lines=[{"operation": "close", "code": "X"}])
        secretary = UserFactory()
        grant(secretary, cells(wards()[0])[0], Role.Kind.SECRETARY)
        self.client.force_login(secretary)
        self.assertEqual(
            self.client.get(reverse("organizations:restructurings")).status_code, 403
        )
        other = UserFactory()
        grant(other, wards()[1], Role.Kind.STAFF)
        self.client.force_login(other)
        self.assertEqual(
            self.client.get(
                reverse("organizations:restructuring", args=[found.public_id])
            ).status_code,
            404,
        )


class ContinuityTests(TestCase):
    """What follows an organization that moves: its open remedy actions into
    the next cycle, and its run of ratings into the multi-year flags."""

    @classmethod
    def setUpTestData(cls):
        world()
        cls.staff = User.objects.get(username="staff")
        cls.latest = ReviewCycle.objects.latest("starts_on")
        first, second = wards()[:2]
        cls.cell = cells(first)[0]
        cls.collective = cls.latest.reviews.get(
            organization=cls.cell, kind=Review.Kind.ORGANIZATION
        )
        with closed_cycle_writes():
            cls.action = RemedyAction.objects.create(
                review=cls.collective,
                number=99,
                shortcoming="Sinh hoạt chi bộ chưa đều",
                content="Sinh hoạt đúng kỳ hằng tháng",
                owner="Bí thư chi bộ",
                deadline=cls.latest.ends_on,
            )
        restructuring.apply(
            decision(
                lines=[
                    {
                        "operation": "move",
                        "code": cls.cell.code,
                        "parent_code": second.code,
                    }
                ]
            ),
            cls.staff,
            today=EFFECTIVE,
        )
        cls.moved = Organization.objects.current().get(code=cls.cell.code)

    def next_cycle(self):
        cycle = ReviewCycle.objects.create(
            name="Năm sau",
            year=self.latest.year + 1,
            starts_on=self.latest.starts_on.replace(year=self.latest.year + 1),
            ends_on=self.latest.ends_on.replace(year=self.latest.year + 1),
            regime=self.latest.regime,
            superior=self.latest.superior,
        )
        services.open_cycle(
            CycleJob.objects.create(cycle=cycle, requested_by=self.staff)
        )
        return cycle

    def test_an_open_remedy_action_is_carried_to_the_moved_cell(self):
        cycle = self.next_cycle()
        item = CarryOverItem.objects.get(remedy_action=self.action)
        self.assertEqual(item.review.cycle, cycle)
        self.assertEqual(item.review.organization, self.moved)

    def test_the_moved_cells_run_of_ratings_goes_on(self):
        cycle = self.next_cycle()
        cycle.status = ReviewCycle.Status.PUBLISHED
        cycle.save(update_fields=["status"])
        yearly = results.yearly_cycles(cycle)
        excellent = RatingLevel.objects.get(regime=cycle.regime, code=rules.EXCELLENT)
        with closed_cycle_writes():
            for year_cycle in yearly:
                review = year_cycle.reviews.get(
                    organization__in=Organization.objects.same_line_as(self.moved),
                    kind=Review.Kind.ORGANIZATION,
                )
                Rating.objects.filter(
                    review=review, stage=Rating.Stage.DECISION
                ).delete()
                Rating.objects.create(
                    review=review,
                    stage=Rating.Stage.DECISION,
                    level=RatingLevel.objects.get(
                        regime=year_cycle.regime, code=rules.EXCELLENT
                    ),
                    set_by=self.staff,
                    set_at=timezone.now(),
                )
        self.assertGreaterEqual(len(yearly), results.EXCELLENT_RUN)
        self.assertTrue(excellent)
        found, _failing = results.flags(
            yearly,
            Organization.objects.subtree_of(cycle.superior),
            {c.pk for c in yearly},
        )
        runs = {
            flag.row["organization_id"]: flag.years
            for flag in found
            if flag.row["member_id"] is None
        }
        self.assertIn(self.moved.pk, runs)
        self.assertEqual(
            len(runs[self.moved.pk]), len(yearly[: len(runs[self.moved.pk])])
        )
        self.assertGreaterEqual(len(runs[self.moved.pk]), results.EXCELLENT_RUN)


class ReadingAboveTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        world()
        cls.staff = User.objects.get(username="staff")

    def test_staff_read_the_decision_above_that_changed_their_tree(self):
        first, second = wards()[:2]
        found = decision(
            lines=[
                {"operation": "merge", "code": first.code, "target_code": second.code}
            ]
        )
        self.client.force_login(self.staff)
        detail = reverse("organizations:restructuring", args=[found.public_id])
        # A draft of the committee above is not theirs to read.
        self.assertEqual(self.client.get(detail).status_code, 404)
        restructuring.apply(found, self.staff, today=EFFECTIVE)
        self.assertContains(
            self.client.get(reverse("organizations:restructurings")), found.number
        )
        page = self.client.get(detail)
        self.assertContains(page, first.name)
        self.assertNotContains(page, f"restructurings/{found.public_id}/apply/")
        self.assertEqual(
            self.client.get(
                reverse("organizations:restructuring_edit", args=[found.public_id])
            ).status_code,
            404,
        )


class AdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        world()
        cls.staff = User.objects.get(username="staff")
        cls.root = UserFactory(username="root", is_staff=True, is_superuser=True)
        first, second = wards()[:2]
        cls.cell = cells(first)[0]
        restructuring.apply(
            decision(
                lines=[
                    {
                        "operation": "move",
                        "code": cls.cell.code,
                        "parent_code": second.code,
                    }
                ]
            ),
            cls.staff,
            today=EFFECTIVE,
        )
        cls.moved = Organization.objects.current().get(code=cls.cell.code)
        cls.cell.refresh_from_db()

    def setUp(self):
        self.client.force_login(self.root)

    def test_an_ended_organization_is_read_only_in_the_admin(self):
        url = reverse("admin:organizations_organization_change", args=[self.cell.pk])
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        self.assertEqual(list(page.context["adminform"].form.fields), [])
        self.client.post(url, {"name": "Đổi tên quá khứ", "code": "X"})
        self.cell.refresh_from_db()
        self.assertNotEqual(self.cell.name, "Đổi tên quá khứ")
        delete = reverse("admin:organizations_organization_delete", args=[self.cell.pk])
        self.assertEqual(self.client.get(delete).status_code, 403)

    def test_pickers_offer_the_tree_as_it_stands(self):
        response = self.client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "members",
                "model_name": "member",
                "field_name": "organization",
                "term": self.moved.code,
            },
        )
        offered = {row["id"] for row in response.json()["results"]}
        self.assertIn(str(self.moved.pk), offered)
        self.assertNotIn(str(self.cell.pk), offered)

    def test_the_changelist_filters_ended_organizations(self):
        url = reverse("admin:organizations_organization_changelist")
        ended = self.client.get(url, {"standing": "ended"})
        self.assertIn(self.cell, ended.context["cl"].result_list)
        self.assertNotIn(self.moved, ended.context["cl"].result_list)
        current = self.client.get(url, {"standing": "current"})
        self.assertNotIn(self.cell, current.context["cl"].result_list)
