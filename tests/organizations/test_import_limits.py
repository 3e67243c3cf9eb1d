"""Import limits (size, rows, zip bombs) and large imports run as a job."""

import datetime
import gc
import io
import threading
import tracemalloc
import zipfile
from unittest import mock

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q
from django.test import TestCase, TransactionTestCase, override_settings

from members.models import Member, Post
from organizations import resources, tasks
from organizations.models import ImportJob, Organization, OrganizationKind, Role
from organizations.resources import OrganizationResource

from ..factories import OrganizationFactory, UserFactory, grant, reseed_reference_data
from ..members.test_admin_import import HEADERS as MEMBER_HEADERS
from ..members.test_admin_import import member_row
from .test_admin_import import (
    CSV,
    HEADERS,
    XLSX,
    csv_upload,
    organization_row,
    preview_errors,
    xlsx_upload,
)

ORGANIZATIONS = "/admin/organizations/organization/"
MEMBERS = "/admin/members/member/"


def tree_rows(cells=3):
    """A city committee, a ward under it and `cells` cells in the ward."""
    rows = [
        HEADERS,
        organization_row("TU", "Thành ủy Kon Tum", "superior"),
        organization_row("P05", "Đảng bộ phường 5", "grassroots_committee", "TU"),
    ]
    rows += [
        organization_row(f"P05.{n:03d}", f"Chi bộ số {n}", "cell", "P05")
        for n in range(1, cells + 1)
    ]
    return rows


def csv_text(rows):
    return "\n".join(",".join(str(v or "") for v in row) for row in rows) + "\n"


def bomb_upload(unpacked=64 * 1024 * 1024):
    """A real workbook whose sheet is `unpacked` bytes of rows deflated to ~64 KB.

    Written in chunks, so the test never holds the unpacked sheet either.
    """
    source = xlsx_upload(tree_rows(1)).read()
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as original,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for part in original.infolist():
            if part.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(part, original.read(part))
                continue
            with bomb.open(part.filename, "w", force_zip64=True) as sheet:
                sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/')
                sheet.write(b'spreadsheetml/2006/main"><sheetData>')
                row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
                chunk = row * (1024 * 1024 // len(row))
                for _ in range(unpacked // len(chunk)):
                    sheet.write(chunk)
                sheet.write(b"</sheetData></worksheet>")
    return SimpleUploadedFile("bomb.xlsx", buffer.getvalue())


class ImportTestCase(TestCase):
    def setUp(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.root = UserFactory(username="admin", is_staff=True, is_superuser=True)
        self.client.force_login(self.root)

    def upload(self, upload, file_format=XLSX, admin_url=ORGANIZATIONS):
        return self.client.post(
            f"{admin_url}import/",
            {"import_file": upload, "format": file_format, "resource": "0"},
        )

    def assertRefused(self, response, message):
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("confirm_form", response.context)
        errors = " ".join(response.context["form"].errors.get("import_file", []))
        self.assertIn(message, errors)
        self.assertContains(response, message)
        self.assertFalse(Organization.objects.exists())
        self.assertFalse(ImportJob.objects.exists())


class LimitTests(ImportTestCase):
    @override_settings(IMPORT_MAX_BYTES=1000)
    def test_a_file_over_the_byte_limit_is_refused_unread(self):
        upload = csv_upload(csv_text(tree_rows(40)))
        self.assertGreater(upload.size, 1000)

        with mock.patch("tablib.import_set") as parse:
            response = self.upload(upload, CSV)

        parse.assert_not_called()
        self.assertRefused(response, "files of at most 0 MB are imported")

    @override_settings(IMPORT_MAX_BYTES=2 * 1024 * 1024)
    def test_the_byte_limit_is_named_in_megabytes(self):
        upload = SimpleUploadedFile("big.csv", b"code\n" + b"x\n" * 1024 * 1024 * 2)

        response = self.upload(upload, CSV)

        self.assertRefused(response, "The file is 4 MB; files of at most 2 MB")

    @override_settings(IMPORT_MAX_ROWS=3)
    def test_a_csv_over_the_row_limit_is_refused(self):
        response = self.upload(csv_upload(csv_text(tree_rows(3))), CSV)

        self.assertRefused(response, "The file has more than 3 rows")

    @override_settings(IMPORT_MAX_ROWS=4)
    def test_a_file_at_the_row_limit_is_previewed(self):
        response = self.upload(csv_upload(csv_text(tree_rows(2))), CSV)

        self.assertIn("confirm_form", response.context, preview_errors(response))

    @override_settings(IMPORT_MAX_ROWS=3)
    def test_a_workbook_over_the_row_limit_is_refused(self):
        response = self.upload(xlsx_upload(tree_rows(3)))

        self.assertRefused(response, "The file has more than 3 rows")

    def test_a_decompression_bomb_is_refused_from_the_zip_directory(self):
        upload = bomb_upload()
        self.assertLess(upload.size, 200 * 1024)

        tracemalloc.start()
        try:
            with mock.patch("openpyxl.load_workbook") as load:
                response = self.upload(upload)
            _size, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

        load.assert_not_called()
        self.assertLess(peak, 20 * 1024 * 1024)
        self.assertRefused(response, "The workbook would unpack to 64 MB")

    @override_settings(IMPORT_MAX_UNPACKED_BYTES=2000)
    def test_a_workbook_unpacking_past_the_limit_is_refused(self):
        with mock.patch("openpyxl.load_workbook") as load:
            response = self.upload(xlsx_upload(tree_rows(3)))

        load.assert_not_called()
        self.assertRefused(response, "far more than its rows need")


@override_settings(IMPORT_BACKGROUND_ROWS=2)
class ImportJobTests(ImportTestCase):
    def start(self, upload, file_format=XLSX, admin_url=ORGANIZATIONS):
        with self.captureOnCommitCallbacks(execute=True):
            response = self.upload(upload, file_format, admin_url)
        job = ImportJob.objects.get()
        url = f"{admin_url}import/jobs/{job.pk}/"
        self.assertRedirects(response, url, fetch_redirect_response=False)
        job.refresh_from_db()
        return job, url

    def test_small_files_keep_the_preview(self):
        response = self.upload(xlsx_upload(tree_rows(0)))

        self.assertIn("confirm_form", response.context, preview_errors(response))
        self.assertFalse(ImportJob.objects.exists())

    def test_a_large_file_is_imported_by_a_job_with_its_progress(self):
        written = []

        def write(writer, progress):
            written.append(progress)

        with (
            mock.patch.object(tasks, "PROGRESS_ROWS", 2),
            mock.patch.object(tasks.ProgressWriter, "write", write),
        ):
            job, url = self.start(xlsx_upload(tree_rows(4)))

        self.assertEqual(job.status, ImportJob.Status.DONE)
        self.assertEqual(job.register, ImportJob.Register.ORGANIZATIONS)
        self.assertEqual((job.progress, job.total), (6, 6))
        self.assertEqual(written, [2, 4, 6])
        self.assertEqual(job.totals["new"], 6)
        self.assertEqual(bytes(job.data), b"")
        self.assertEqual(Organization.objects.count(), 6)
        self.assertEqual(
            set(Organization.objects.filter(kind="cell").values_list("parent__code")),
            {("P05",)},
        )

        page = self.client.get(url)
        self.assertContains(page, "All rows were imported: 6 added, 0 updated")
        self.assertNotContains(page, "hx-trigger")
        self.assertContains(page, "htmx")  # the script is loaded for running jobs

    def test_the_worker_reads_the_rows_the_upload_parsed(self):
        with mock.patch.object(
            resources.formats, "read_workbook", wraps=resources.read_workbook
        ) as parse:
            job, _url = self.start(xlsx_upload(tree_rows(3)))

        self.assertEqual(job.status, ImportJob.Status.DONE)
        self.assertEqual(parse.call_count, 1)

    def test_a_running_job_page_refreshes_its_section_by_htmx(self):
        job = ImportJob.objects.create(
            user=self.root,
            register=ImportJob.Register.ORGANIZATIONS,
            file_name="tree.csv",
            file_format="csv",
            status=ImportJob.Status.RUNNING,
            progress=100,
            total=400,
        )
        url = f"{ORGANIZATIONS}import/jobs/{job.pk}/"

        page = self.client.get(url)
        section = self.client.get(url, headers={"HX-Request": "true"})

        self.assertContains(page, 'hx-trigger="every 1s"')
        self.assertContains(page, "100 of 400")
        self.assertContains(section, 'value="100" max="400"')
        self.assertNotContains(section, "<html")

    def test_a_csv_job_imports_all_rows(self):
        job, _url = self.start(csv_upload(csv_text(tree_rows(3))), CSV)

        self.assertEqual(job.status, ImportJob.Status.DONE)
        self.assertEqual(Organization.objects.count(), 5)

    def test_a_bad_row_fails_the_whole_job_and_writes_nothing(self):
        rows = tree_rows(4)
        rows[3][4] = "P99"

        job, url = self.start(xlsx_upload(rows))

        self.assertEqual(job.status, ImportJob.Status.FAILED)
        self.assertFalse(Organization.objects.exists())
        self.assertEqual(job.failed_rows, 1)
        (error,) = job.errors
        self.assertEqual(error["row"], 3)
        self.assertIn(
            "There is no parent organization with code “P99”.", error["messages"][0]
        )
        page = self.client.get(url)
        self.assertContains(page, "Nothing was imported")
        self.assertContains(page, "There is no parent organization with code “P99”.")

    def test_the_job_page_shows_errors_in_vietnamese(self):
        rows = tree_rows(4)
        rows[3][4] = "P99"
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"

        job, url = self.start(xlsx_upload(rows))

        self.assertEqual(job.language, "vi")
        self.assertNotIn("There is no parent", job.errors[0]["messages"][0])
        self.assertContains(self.client.get(url), "P99")

    def test_only_its_owner_sees_a_job(self):
        job, url = self.start(xlsx_upload(tree_rows(3)))
        other = UserFactory(username="other", is_staff=True, is_superuser=False)
        other.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="organizations",
                codename__in=["add_organization", "change_organization"],
            )
        )
        self.client.force_login(other)

        self.assertEqual(self.client.get(url).status_code, 404)

    def test_a_finished_job_is_not_run_again(self):
        job, _url = self.start(xlsx_upload(tree_rows(3)))
        Organization.objects.filter(code="P05.003").delete()

        self.assertIsNone(tasks.run_import(job.pk))
        self.assertFalse(Organization.objects.filter(code="P05.003").exists())
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.DONE)


@override_settings(IMPORT_BACKGROUND_ROWS=2)
class CollectorPausedTests(ImportTestCase):
    """Python's cyclic collector is paused while a job imports, then runs again."""

    start = ImportJobTests.start

    def test_a_job_imports_with_the_collector_paused_then_running_again(self):
        seen = []
        import_data = OrganizationResource.import_data

        def look(resource, *args, **kwargs):
            seen.append(gc.isenabled())
            return import_data(resource, *args, **kwargs)

        with mock.patch.object(OrganizationResource, "import_data", look):
            job, _url = self.start(xlsx_upload(tree_rows(3)))

        self.assertEqual(job.status, ImportJob.Status.DONE)
        self.assertEqual(seen, [False])
        self.assertTrue(gc.isenabled())

    def test_a_failed_job_leaves_the_collector_running(self):
        with mock.patch.object(
            OrganizationResource, "import_data", side_effect=RuntimeError
        ):
            job, _url = self.start(xlsx_upload(tree_rows(3)))

        self.assertEqual(job.status, ImportJob.Status.FAILED)
        self.assertTrue(gc.isenabled())

    def test_the_collector_runs_again_after_the_last_of_overlapping_imports(self):
        first, second = tasks.collector_paused(), tasks.collector_paused()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        self.assertFalse(gc.isenabled())
        second.__exit__(None, None, None)
        self.assertTrue(gc.isenabled())

    def test_a_collector_paused_before_stays_paused(self):
        gc.disable()
        self.addCleanup(gc.enable)

        with tasks.collector_paused():
            pass

        self.assertFalse(gc.isenabled())


class ParsedRowsTests(TestCase):
    def test_nul_characters_are_dropped_from_every_cell_of_a_csv(self):
        data = "co\x00de,name\nP0\x001,Chi\x00 bộ\n".encode()

        dataset = resources.LimitedCSV().create_dataset(data)

        self.assertEqual(dataset.headers, ["code", "name"])
        self.assertEqual(list(dataset), [("P01", "Chi bộ")])

    def test_rows_read_again_from_the_cache_are_the_rows_parsed(self):
        rows = [
            ["code", "day", "moment", "number", "share", "flag", "empty"],
            ["P01", datetime.datetime(2020, 1, 2), datetime.time(8, 30), 62, 1.5],
        ]
        rows[1] += [True, None]
        data = xlsx_upload(rows).read()

        parsed = resources.LimitedXLSX().create_dataset(data)
        with mock.patch.object(resources.formats, "read_workbook") as parse:
            again = resources.LimitedXLSX().create_dataset(data)

        parse.assert_not_called()
        self.assertEqual(again.headers, parsed.headers)
        self.assertEqual(list(again), list(parsed))
        self.assertEqual(
            [type(value) for value in again[0]],
            [type(value) for value in parsed[0]],
        )

    @override_settings(IMPORT_MAX_ROWS=3)
    def test_rows_read_again_keep_the_row_limit(self):
        data = xlsx_upload(tree_rows(1)).read()
        resources.LimitedXLSX().create_dataset(data)

        with (
            override_settings(IMPORT_MAX_ROWS=2),
            self.assertRaises(resources.ImportRefused),
        ):
            resources.LimitedXLSX().create_dataset(data)


@override_settings(IMPORT_BACKGROUND_ROWS=2)
class ScopedImportJobTests(ImportTestCase):
    """A ward's staff import through a job only into their own subtree."""

    @classmethod
    def setUpTestData(cls):
        committee = OrganizationFactory(
            code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        ward = OrganizationFactory(
            code="P01", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
        )
        OrganizationFactory(code="P01.A", parent=ward)
        other_ward = OrganizationFactory(
            code="P02", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
        )
        OrganizationFactory(code="P02.C", parent=other_ward)
        group = Group.objects.create(name="Ban Tổ chức")
        group.permissions.set(
            Permission.objects.filter(
                Q(content_type__app_label__in=["organizations", "members"])
            )
        )
        cls.ward_staff = UserFactory(username="ward_staff", is_staff=True)
        cls.ward_staff.groups.add(group)
        grant(cls.ward_staff, ward, Role.Kind.STAFF)

    def setUp(self):
        super().setUp()
        self.client.force_login(self.ward_staff)

    def member_file(self, *organizations):
        rows = [
            member_row(
                card_number=f"6200{n:04d}",
                citizen_id=f"06218000{n:04d}",
                party_post="",
                organization=code,
            )
            for n, code in enumerate(organizations, start=1)
        ]
        return xlsx_upload([MEMBER_HEADERS, *rows])

    def start(self, upload):
        with self.captureOnCommitCallbacks(execute=True):
            response = self.upload(upload, admin_url=MEMBERS)
        job = ImportJob.objects.get()
        self.assertRedirects(
            response,
            f"{MEMBERS}import/jobs/{job.pk}/",
            fetch_redirect_response=False,
        )
        job.refresh_from_db()
        return job

    def test_a_row_outside_the_subtree_fails_the_job(self):
        job = self.start(self.member_file("P01.A", "P02.C", "P01.A"))

        self.assertEqual(job.status, ImportJob.Status.FAILED)
        self.assertEqual(job.user, self.ward_staff)
        self.assertEqual([error["row"] for error in job.errors], [2])
        self.assertIn("outside the organizations you keep", str(job.errors))
        self.assertFalse(Member.objects.exists())

    def test_rows_inside_the_subtree_are_imported(self):
        job = self.start(self.member_file("P01.A", "P01.A", "P01.A"))

        self.assertEqual(job.status, ImportJob.Status.DONE)
        self.assertEqual(Member.objects.filter(organization__code="P01.A").count(), 3)

    def test_an_outside_organization_is_not_changed_by_a_job(self):
        rows = [
            HEADERS,
            organization_row("P01.B", "Chi bộ mới", "cell", "P01"),
            organization_row("P01.C", "Chi bộ mới 2", "cell", "P01"),
            organization_row("P02.C", "Đổi tên", "cell", "P02"),
        ]
        with self.captureOnCommitCallbacks(execute=True):
            self.upload(xlsx_upload(rows))
        job = ImportJob.objects.get()

        self.assertEqual(job.status, ImportJob.Status.FAILED)
        self.assertNotEqual(Organization.objects.get(code="P02.C").name, "Đổi tên")
        self.assertFalse(Organization.objects.filter(code="P01.B").exists())


class MemberJobTests(TestCase):
    """A member file's job checks every row before it writes one."""

    @classmethod
    def setUpTestData(cls):
        committee = OrganizationFactory(
            code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        ward = OrganizationFactory(
            code="P01", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
        )
        OrganizationFactory(code="P01.A", parent=ward)
        cls.root = UserFactory(username="root", is_superuser=True, is_staff=True)

    def job_of(self, rows):
        rows = [
            member_row(
                card_number=f"6300{n:04d}",
                citizen_id=f"06219000{n:04d}",
                party_post="Phó Bí thư chi bộ" if n % 50 == 0 else "",
                **values,
            )
            for n, values in enumerate(rows, start=1)
        ]
        return ImportJob.objects.create(
            user=self.root,
            register=ImportJob.Register.MEMBERS,
            file_name="members.xlsx",
            file_format="xlsx",
            data=xlsx_upload([MEMBER_HEADERS, *rows]).read(),
            language="vi",
            total=len(rows),
        )

    def test_a_bad_row_past_the_first_batches_writes_nothing(self):
        rows = [{} for _ in range(1200)]
        rows[1100] = {"gender": "Khác"}
        job = self.job_of(rows)
        history, posts = Member.history.count(), Post.objects.count()

        with mock.patch.object(tasks.ProgressWriter, "write") as progress:
            self.assertEqual(tasks.run_import(job.pk), ImportJob.Status.FAILED)

        job.refresh_from_db()
        self.assertEqual((job.failed_rows, job.progress), (1, 1200))
        (error,) = job.errors
        self.assertEqual(error["row"], 1101)
        self.assertEqual(
            error["messages"],
            [
                "Giới tính: Giá trị “Khác” không được phép ở cột Giới tính. "
                "Các giá trị được phép: Nam, Nữ."
            ],
        )
        self.assertEqual(
            job.message, "Chưa nhập dòng nào: sửa các dòng dưới đây rồi gửi lại tệp."
        )
        self.assertEqual(progress.call_count, 12)
        self.assertFalse(Member.objects.exists())
        self.assertEqual(Member.history.count(), history)
        self.assertEqual(Post.objects.count(), posts)

    def test_a_job_that_parses_its_file_keeps_no_rows_for_a_later_step(self):
        job = self.job_of([{} for _ in range(3)])
        key = resources.parsed_key("xlsx", bytes(job.data))

        self.assertEqual(tasks.run_import(job.pk), ImportJob.Status.DONE)

        self.assertIsNone(cache.get(key))
        self.assertEqual(Member.objects.count(), 3)

    def test_progress_is_written_by_a_thread_of_its_own_in_order(self):
        written = []

        def write(writer, progress):
            written.append((progress, threading.get_ident()))

        job = self.job_of([{} for _ in range(7)])
        with (
            mock.patch.object(tasks, "PROGRESS_ROWS", 2),
            mock.patch.object(tasks.ProgressWriter, "write", write),
        ):
            self.assertEqual(tasks.run_import(job.pk), ImportJob.Status.DONE)

        self.assertEqual([progress for progress, _thread in written], [2, 4, 6])
        threads = {thread for _progress, thread in written}
        if connections[DEFAULT_DB_ALIAS].vendor == "sqlite":
            self.assertEqual(threads, {threading.get_ident()})
        else:
            self.assertNotIn(threading.get_ident(), threads)
        self.assertFalse(
            any(t.name.startswith("import-progress") for t in threading.enumerate())
        )

    def test_a_good_file_past_the_first_batches_is_written_whole(self):
        job = self.job_of([{} for _ in range(1200)])

        self.assertEqual(tasks.run_import(job.pk), ImportJob.Status.DONE)

        job.refresh_from_db()
        self.assertEqual(job.totals["new"], 1200)
        self.assertEqual(Member.objects.count(), 1200)
        self.assertEqual(Member.history.filter(history_type="+").count(), 1200)
        self.assertEqual(Post.objects.count(), 1200 // 50)  # the deputies


class ProgressOutsideTheImportTests(TransactionTestCase):
    """On PostgreSQL the page sees the progress while the rows are not yet saved."""

    def setUp(self):
        reseed_reference_data()

    def test_progress_is_committed_while_the_import_is_not(self):
        user = UserFactory(username="root", is_superuser=True, is_staff=True)
        job = ImportJob.objects.create(
            user=user,
            register=ImportJob.Register.ORGANIZATIONS,
            file_name="tree.xlsx",
            file_format="xlsx",
            data=xlsx_upload(tree_rows(6)).read(),
            total=8,
        )
        seen = []
        write = tasks.ProgressWriter.write
        reader = connections.create_connection(DEFAULT_DB_ALIAS)
        self.addCleanup(reader.close)
        # The progress is written by a thread of its own, which reads here too.
        reader.inc_thread_sharing()
        self.addCleanup(reader.dec_thread_sharing)

        def write_and_look(writer, progress):
            write(writer, progress)
            if writer.connection is None:
                # SQLite: a second connection can neither write nor read while
                # the import writes, and no progress is written outside it.
                return
            with reader.cursor() as cursor:
                cursor.execute(
                    "SELECT progress FROM organizations_importjob WHERE id = %s",
                    [job.pk],
                )
                seen.append(cursor.fetchone()[0])
                cursor.execute("SELECT count(*) FROM organizations_organization")
                seen.append(cursor.fetchone()[0])

        with (
            mock.patch.object(tasks, "PROGRESS_ROWS", 3),
            mock.patch.object(tasks.ProgressWriter, "write", write_and_look),
        ):
            tasks.run_import(job.pk)

        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.DONE)
        if connections[DEFAULT_DB_ALIAS].vendor != "sqlite":
            # progress 3 then 6, and no organization visible before the commit
            self.assertEqual(seen, [3, 0, 6, 0])
        self.assertEqual((job.progress, Organization.objects.count()), (8, 8))
