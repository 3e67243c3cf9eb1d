import io
import shutil
import tempfile
import zipfile
from datetime import timedelta
from unittest import mock

from django.core.files.storage import default_storage
from django.http import Http404
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import include, path
from django.utils import timezone, translation
from django.utils.translation import gettext

from kontum_review import urls as project_urls
from reviews import background
from reviews import urls as reviews_urls
from reviews.models import ReportJob, Review, ReviewCycle
from reviews.reports import pipeline
from reviews.reports import views as reports
from reviews.reports.tasks import render_report_task

from ..personas import CyclePersonasTestCase

Kind = ReportJob.Kind
Status = ReportJob.Status

# The report URLs, until reviews/urls.py lists them.
urlpatterns = [
    pattern
    for pattern in project_urls.urlpatterns
    if getattr(pattern, "namespace", None) != "reviews"
] + [
    path(
        "review/",
        include(
            (
                [
                    path(
                        "reports/request/",
                        reports.request_report,
                        name="report_request",
                    ),
                    path(
                        "reports/<uuid:public_id>/",
                        reports.report_job,
                        name="report_job",
                    ),
                    path(
                        "reports/<uuid:public_id>/download/",
                        reports.report_download,
                        name="report_download",
                    ),
                    *reviews_urls.urlpatterns,
                ],
                "reviews",
            )
        ),
    )
]


@override_settings(ROOT_URLCONF=__name__)
class ReportTestCase(CyclePersonasTestCase):
    def setUp(self):
        media = tempfile.mkdtemp(prefix="kr-reports-")
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        media_root = self.settings(MEDIA_ROOT=media)
        media_root.enable()
        self.addCleanup(media_root.disable)

    def request(self, user, kind, review=None, organization=None):
        with self.captureOnCommitCallbacks(execute=True):
            job = pipeline.request_report(
                user, kind, self.cycle, review=review, organization=organization
            )
        job.refresh_from_db()
        return job

    def read(self, job):
        with job.file.open("rb") as stored:
            return stored.read()

    def cell_forms_job(self):
        """A job for the forms of cell A, made directly, not requested."""
        return ReportJob.objects.create(
            kind=Kind.ORGANIZATION_FORMS,
            cycle=self.cycle,
            organization=self.cell_a,
            input_hash="x",
        )


class ReportRequestTests(ReportTestCase):
    def test_request_renders_the_form_to_a_pdf(self):
        job = self.request(self.secretary_a, Kind.INDIVIDUAL_FORM, self.review_a)
        self.assertEqual(job.status, Status.DONE, job.error)
        self.assertTrue(self.read(job).startswith(b"%PDF"))
        self.assertTrue(
            job.file.name.endswith("ban-kiem-diem-nguyen-van-an-2026.pdf"),
            job.file.name,
        )
        self.assertIsNotNone(job.finished_at)

    def test_second_request_for_unchanged_inputs_returns_the_same_file(self):
        first = self.request(self.secretary_a, Kind.INDIVIDUAL_FORM, self.review_a)
        second = self.request(self.member_user, Kind.INDIVIDUAL_FORM, self.review_a)
        self.assertEqual(second.pk, first.pk)
        self.assertEqual(second.file.name, first.file.name)
        self.assertEqual(ReportJob.objects.count(), 1)

    def test_changed_review_makes_a_new_version(self):
        first = self.request(self.secretary_a, Kind.INDIVIDUAL_FORM, self.review_a)
        self.review_a.answers = {"strengths": "Đã sửa lại."}
        self.review_a.version += 1
        self.review_a.saved_at = timezone.now()
        self.review_a.save()
        second = self.request(self.secretary_a, Kind.INDIVIDUAL_FORM, self.review_a)
        self.assertNotEqual(second.pk, first.pk)
        self.assertNotEqual(second.input_hash, first.input_hash)
        self.assertEqual(second.status, Status.DONE)

    def test_outsider_may_not_request_a_members_form(self):
        with self.assertRaises(Http404):
            pipeline.request_report(
                self.secretary_b, Kind.INDIVIDUAL_FORM, self.cycle, self.review_a
            )
        self.assertFalse(ReportJob.objects.exists())

    def test_member_may_not_request_the_cells_notification(self):
        with self.assertRaises(Http404):
            pipeline.request_report(
                self.member_user,
                Kind.NOTIFICATION,
                self.cycle,
                organization=self.cell_a,
            )

    def test_only_committee_staff_request_the_summary(self):
        with self.assertRaises(Http404):
            pipeline.request_report(self.secretary_a, Kind.SUMMARY, self.cycle)
        job = self.request(self.staff, Kind.SUMMARY)
        self.assertEqual(job.status, Status.DONE, job.error)

    def test_document_that_cannot_be_rendered_fails_with_the_reason(self):
        # Cell A has held no review meeting yet, so there are no minutes.
        job = self.request(self.secretary_a, Kind.MINUTES, organization=self.cell_a)
        self.assertEqual(job.status, Status.FAILED)
        with translation.override("vi"):
            reason = gettext("No review meeting is recorded for it yet.")
        self.assertEqual(job.error, reason)
        self.assertFalse(job.file)
        self.assertIsNotNone(job.finished_at)


class ReportClaimTests(ReportTestCase):
    def test_second_run_of_a_done_job_does_nothing(self):
        job = self.request(self.secretary_a, Kind.INDIVIDUAL_FORM, self.review_a)
        render_report_task.apply(args=[job.pk])
        again = ReportJob.objects.get(pk=job.pk)
        self.assertEqual(again.file.name, job.file.name)
        self.assertEqual(again.finished_at, job.finished_at)

    def test_job_of_a_lost_worker_completes_exactly_once(self):
        lost_token = timezone.now() - timedelta(hours=1)
        job = ReportJob.objects.create(
            kind=Kind.INDIVIDUAL_FORM,
            cycle=self.cycle,
            review=self.review_a,
            status=Status.RUNNING,
            started_at=lost_token,
            input_hash="x",
        )
        render_report_task.apply(args=[job.pk])  # the redelivered message
        job.refresh_from_db()
        self.assertEqual(job.status, Status.DONE, job.error)
        kept = job.file.name
        late = pipeline.finish(job, lost_token, b"%PDF late")
        self.assertFalse(late)
        job.refresh_from_db()
        self.assertEqual(job.file.name, kept)
        folder = kept.rpartition("/")[0]
        self.assertEqual(len(default_storage.listdir(folder)[1]), 1)
        self.assertTrue(self.read(job).startswith(b"%PDF-"))


class ReportBatchTests(ReportTestCase):
    def zip_entries(self, job):
        archive = zipfile.ZipFile(io.BytesIO(self.read(job)))
        return {name: archive.read(name) for name in archive.namelist()}

    def zip_names(self, job):
        return zipfile.ZipFile(io.BytesIO(self.read(job))).namelist()

    def test_organization_forms_come_as_one_zip_with_readable_names(self):
        job = self.request(
            self.secretary_a, Kind.ORGANIZATION_FORMS, organization=self.cell_a
        )
        self.assertEqual(job.status, Status.DONE, job.error)
        self.assertEqual((job.progress, job.total), (2, 2))
        self.assertTrue(
            job.file.name.endswith("ban-kiem-diem-chi-bo-to-dan-pho-1-2026.zip")
        )
        entries = self.zip_entries(job)
        self.assertEqual(
            sorted(entries),
            [
                "ban-kiem-diem-nguyen-van-an-2026.pdf",
                "ban-kiem-diem-tran-thi-binh-2026.pdf",
            ],
        )
        self.assertTrue(all(data.startswith(b"%PDF") for data in entries.values()))
        parts = f"reports/parts/{job.public_id}"
        self.assertEqual(default_storage.listdir(parts)[1], [])

    def test_failed_part_is_reported_by_name_without_failing_the_rest(self):
        def render(kind, cycle, review=None, organization=None):
            if review is not None and review.subject_name == "Trần Thị Bình":
                raise ValueError("mẫu biểu bị hỏng")
            return pipeline.default_render(kind, cycle, review, organization)

        job = self.cell_forms_job()
        token = pipeline.claim(job.pk)
        parts = pipeline.start_batch(job.pk)
        results = [pipeline.render_part(job.pk, part, render) for part in parts]
        pipeline.write_zip(job.pk, token, results)
        job.refresh_from_db()
        self.assertEqual(job.status, Status.DONE)
        self.assertIn("ban-kiem-diem-tran-thi-binh-2026.pdf", job.error)
        entries = self.zip_entries(job)
        self.assertIn("ban-kiem-diem-nguyen-van-an-2026.pdf", entries)
        self.assertNotIn("ban-kiem-diem-tran-thi-binh-2026.pdf", entries)
        errors = entries[pipeline.ERRORS_ENTRY].decode()
        self.assertIn("ban-kiem-diem-tran-thi-binh-2026.pdf", errors)
        self.assertIn("mẫu biểu bị hỏng", errors)

    def test_cycle_documents_put_each_organization_in_a_folder(self):
        self.cycle.status = ReviewCycle.Status.DECIDED
        self.cycle.save()
        job = self.request(self.staff, Kind.CYCLE_DOCUMENTS)
        self.assertEqual(job.status, Status.DONE, job.error)
        entries = self.zip_names(job)
        self.assertIn("bao-cao-tong-hop-kiem-diem-thanh-uy-kon-tum-2026.pdf", entries)
        self.assertIn(
            "p01-a-chi-bo-to-dan-pho-1/thong-bao-ket-qua-xep-loai-chi-bo-to-dan-pho-1-2026.pdf",
            entries,
        )
        self.assertIn(
            "p01-a-chi-bo-to-dan-pho-1/ban-kiem-diem-nguyen-van-an-2026.pdf", entries
        )
        self.assertIn(
            "p01-b-chi-bo-to-dan-pho-2/ban-kiem-diem-le-duc-cuong-2026.pdf", entries
        )


class ReportRunTests(ReportTestCase):
    """A ZIP's parts are rendered in runs, an organization's forms together."""

    def items(self, *organizations):
        todo = [
            [index, ["individual_form", index, None]]
            for index in range(len(organizations))
        ]
        return todo, dict(enumerate(organizations))

    def test_a_run_ends_at_a_new_organization_once_half_full(self):
        todo, organizations = self.items(*"AAAABBBBBBCC")
        runs = pipeline.runs(todo, organizations, size=8)
        self.assertEqual([len(run) for run in runs], [4, 6, 2])
        self.assertEqual([item for run in runs for item in run], todo)

    def test_small_organizations_share_a_run_up_to_half_its_size(self):
        todo, organizations = self.items(*"ABCDEFGHIJ")
        runs = pipeline.runs(todo, organizations, size=8)
        self.assertEqual([len(run) for run in runs], [4, 4, 2])

    def test_a_single_organization_still_gets_two_runs(self):
        todo, organizations = self.items(*"AAAAAA")
        runs = pipeline.runs(todo, organizations, size=40)
        self.assertEqual([len(run) for run in runs], [3, 3])

    def test_a_cycle_zip_sends_one_task_a_run(self):
        self.cycle.status = ReviewCycle.Status.DECIDED
        self.cycle.save()
        sent = []
        with mock.patch("reviews.reports.tasks.chord") as chord:
            chord.side_effect = lambda header: sent.extend(header) or mock.Mock()
            self.request(self.staff, Kind.CYCLE_DOCUMENTS)
        job = ReportJob.objects.get(kind=Kind.CYCLE_DOCUMENTS)
        parts = [item for task in sent for item in task.args[1]]
        self.assertEqual(len(parts), job.total)
        self.assertLess(len(sent), job.total)
        self.assertEqual([index for index, _part in parts], list(range(job.total)))

    def test_a_run_reads_its_job_once_and_stores_each_part_uncompressed(self):
        job = self.cell_forms_job()
        token = pipeline.claim(job.pk)
        todo = pipeline.plan_batch(job.pk, token)[0]
        self.assertEqual(len(todo), 2)
        load = pipeline.rendering.load
        with mock.patch.object(pipeline.rendering, "load", wraps=load) as loaded:
            results = pipeline.render_parts(job.pk, todo, token=token)
        self.assertEqual(loaded.call_count, 1)
        self.assertEqual([result["index"] for result in results], [0, 1])
        self.assertTrue(pipeline.write_zip(job.pk, token, [results]))
        archive = zipfile.ZipFile(
            io.BytesIO(self.read(ReportJob.objects.get(pk=job.pk)))
        )
        entries = archive.infolist()
        self.assertEqual(len(entries), 2)
        for entry in entries:
            self.assertEqual(entry.compress_type, zipfile.ZIP_STORED)
            self.assertTrue(archive.read(entry).startswith(b"%PDF"))

    def test_a_retried_run_renders_and_counts_only_what_is_missing(self):
        job = self.cell_forms_job()
        token = pipeline.claim(job.pk)
        [first, second] = pipeline.plan_batch(job.pk, token)[0]
        pipeline.render_part(job.pk, first[1], token=token, index=first[0])
        rendered = []

        def render(kind, cycle, review=None, organization=None):
            rendered.append(review.pk)
            return pipeline.default_render(kind, cycle, review, organization)

        results = pipeline.render_parts(job.pk, [first, second], render, token)
        self.assertEqual(rendered, [second[1][1]])
        self.assertEqual([result["index"] for result in results], [0, 1])
        job.refresh_from_db()
        self.assertEqual(job.progress, 2)
        self.assertTrue(pipeline.write_zip(job.pk, token, [results]))
        job.refresh_from_db()
        self.assertEqual(job.status, Status.DONE, job.error)
        self.assertEqual(len(zipfile.ZipFile(io.BytesIO(self.read(job))).namelist()), 2)


class ReportViewTests(ReportTestCase):
    def post_request(self, user, **data):
        self.client.force_login(user)
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                "/review/reports/request/", {"cycle": self.cycle.public_id, **data}
            )

    def test_request_redirects_to_the_job_page_with_the_download_link(self):
        response = self.post_request(
            self.secretary_a, kind=Kind.INDIVIDUAL_FORM, review=self.review_a.public_id
        )
        job = ReportJob.objects.get()
        self.assertRedirects(response, f"/review/reports/{job.public_id}/")
        page = self.client.get(f"/review/reports/{job.public_id}/")
        self.assertContains(page, f"/review/reports/{job.public_id}/download/")
        self.assertNotContains(page, "hx-trigger")

    def test_outsider_request_gets_404(self):
        response = self.post_request(
            self.secretary_b, kind=Kind.INDIVIDUAL_FORM, review=self.review_a.public_id
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(ReportJob.objects.exists())

    def test_pending_job_partial_polls_every_second(self):
        job = ReportJob.objects.create(
            kind=Kind.INDIVIDUAL_FORM,
            cycle=self.cycle,
            review=self.review_a,
            input_hash="x",
        )
        self.client.force_login(self.secretary_a)
        response = self.client.get(
            f"/review/reports/{job.public_id}/", headers={"HX-Request": "true"}
        )
        self.assertContains(response, 'hx-trigger="every 1s"')
        self.assertContains(response, "<progress")
        self.assertNotContains(response, "<html")

    def test_job_page_reads_the_job_in_one_query(self):
        job = ReportJob.objects.create(
            kind=Kind.INDIVIDUAL_FORM,
            cycle=self.cycle,
            review=self.review_a,
            input_hash="x",
        )
        self.client.force_login(self.secretary_a)
        url = f"/review/reports/{job.public_id}/"
        # The request's savepoint and release, the session, the user, the job.
        with self.assertNumQueries(5):
            self.client.get(url, headers={"HX-Request": "true"})

    def test_request_button_posts_the_subject(self):
        html = render_to_string(
            "reviews/_report_request.html",
            {
                "report_kind": Kind.INDIVIDUAL_FORM,
                "cycle": self.cycle,
                "report_review": self.review_a,
            },
        )
        self.assertIn('action="/review/reports/request/"', html)
        self.assertIn(f'value="{self.review_a.public_id}"', html)

    def test_running_batch_shows_its_progress(self):
        job = ReportJob.objects.create(
            kind=Kind.ORGANIZATION_FORMS,
            cycle=self.cycle,
            organization=self.cell_a,
            status=Status.RUNNING,
            progress=3,
            total=7,
            input_hash="x",
        )
        self.client.force_login(self.secretary_a)
        response = self.client.get(
            f"/review/reports/{job.public_id}/", headers={"HX-Request": "true"}
        )
        self.assertContains(response, 'value="3" max="7"')

    def test_failed_job_shows_the_reason_and_stops_polling(self):
        job = ReportJob.objects.create(
            kind=Kind.INDIVIDUAL_FORM,
            cycle=self.cycle,
            review=self.review_a,
            status=Status.FAILED,
            error="Không đọc được mẫu biểu",
            input_hash="x",
        )
        self.client.force_login(self.secretary_a)
        response = self.client.get(f"/review/reports/{job.public_id}/")
        self.assertContains(response, "Không đọc được mẫu biểu")
        self.assertNotContains(response, "hx-trigger")

    def test_download_is_an_attachment_with_a_readable_name(self):
        job = self.request(self.secretary_a, Kind.INDIVIDUAL_FORM, self.review_a)
        self.client.force_login(self.member_user)
        response = self.client.get(f"/review/reports/{job.public_id}/download/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response["Content-Disposition"],
            'attachment; filename="ban-kiem-diem-nguyen-van-an-2026.pdf"',
        )
        self.assertTrue(b"".join(response.streaming_content).startswith(b"%PDF"))

    def test_outsider_gets_404_on_the_job_and_the_download(self):
        job = self.request(self.secretary_a, Kind.INDIVIDUAL_FORM, self.review_a)
        self.client.force_login(self.secretary_b)
        for url in (
            f"/review/reports/{job.public_id}/",
            f"/review/reports/{job.public_id}/download/",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)

    def test_secretary_does_not_see_the_summary_job(self):
        job = self.request(self.staff, Kind.SUMMARY)
        self.client.force_login(self.secretary_a)
        response = self.client.get(f"/review/reports/{job.public_id}/download/")
        self.assertEqual(response.status_code, 404)


class ReportDispatchTests(ReportTestCase):
    """The embedded default renders in a thread; the job page shows its progress."""

    def job_partial(self, job):
        return self.client.get(
            f"/review/reports/{job.public_id}/", headers={"HX-Request": "true"}
        )

    @override_settings(JOBS_IN_THREAD=True)
    def test_cycle_zip_request_returns_at_once_and_the_page_follows_progress(self):
        self.cycle.status = ReviewCycle.Status.DECIDED
        self.cycle.save()
        self.client.force_login(self.staff)
        with (
            mock.patch("reviews.background.threading.Thread") as thread,
            mock.patch.object(render_report_task, "delay") as delay,
            self.captureOnCommitCallbacks(execute=True),
        ):
            response = self.client.post(
                "/review/reports/request/",
                {"kind": Kind.CYCLE_DOCUMENTS, "cycle": self.cycle.public_id},
            )
        job = ReportJob.objects.get()
        self.assertRedirects(response, f"/review/reports/{job.public_id}/")
        # Nothing was rendered in the request: a daemon thread was started.
        delay.assert_not_called()
        thread.assert_called_once()
        self.assertIs(thread.call_args.kwargs["target"], background.run_in_thread)
        self.assertEqual(thread.call_args.kwargs["args"], (render_report_task, job.pk))
        self.assertTrue(thread.call_args.kwargs["daemon"])
        thread.return_value.start.assert_called_once_with()
        job.refresh_from_db()
        self.assertEqual(job.status, Status.PENDING)

        page = self.client.get(f"/review/reports/{job.public_id}/")
        self.assertContains(page, "<html")
        self.assertContains(page, f'hx-get="/review/reports/{job.public_id}/"')
        self.assertContains(page, 'hx-trigger="every 1s"')
        self.assertContains(page, '<progress id="report-job-progress"')
        self.assertNotContains(page, "/download/")

        # What the thread does, step by step, as the page polls.
        token = pipeline.claim(job.pk)
        parts = pipeline.start_batch(job.pk)
        total = len(parts)
        self.assertGreater(total, 3)
        results = [pipeline.render_part(job.pk, part) for part in parts[:2]]
        partial = self.job_partial(job)
        self.assertContains(partial, f'value="2" max="{total}"')
        self.assertContains(partial, f"2 / {total}")
        self.assertContains(partial, 'hx-trigger="every 1s"')
        self.assertNotContains(partial, "/download/")
        self.assertNotContains(partial, "<html")

        results += [pipeline.render_part(job.pk, part) for part in parts[2:]]
        pipeline.write_zip(job.pk, token, results)
        partial = self.job_partial(job)
        self.assertContains(partial, f'value="{total}" max="{total}"')
        self.assertContains(partial, f"/review/reports/{job.public_id}/download/")
        self.assertNotContains(partial, "hx-trigger")

    @override_settings(JOBS_IN_THREAD=True)
    def test_with_a_worker_the_job_is_sent_to_it(self):
        self.addCleanup(
            setattr,
            render_report_task.app.conf,
            "task_always_eager",
            render_report_task.app.conf.task_always_eager,
        )
        render_report_task.app.conf.task_always_eager = False
        with (
            mock.patch("reviews.background.threading.Thread") as thread,
            mock.patch.object(render_report_task, "delay") as delay,
            self.captureOnCommitCallbacks(execute=True),
        ):
            job = pipeline.request_report(self.staff, Kind.SUMMARY, self.cycle)
        delay.assert_called_once_with(job.pk)
        thread.assert_not_called()


class StoredFileNameTests(ReportTestCase):
    def test_a_long_subject_name_fits_the_file_field(self):
        collective = self.cycle.reviews.get(
            organization=self.ward, kind=Review.Kind.ORGANIZATION
        )
        leadership = Review.objects.create(
            cycle=self.cycle,
            kind=Review.Kind.LEADERSHIP,
            organization=self.ward,
            template=collective.template,
            subject_name="Tập thể lãnh đạo, quản lý – Đảng bộ Cơ quan Phòng Lao động "
            "– Thương binh và Xã hội thành phố Kon Tum",
        )
        job = self.request(self.staff, Kind.COLLECTIVE_REPORT, review=leadership)
        self.assertEqual(job.status, Status.DONE, job.error)
        self.assertLessEqual(len(job.file.name), 100)
        self.assertTrue(job.file.name.startswith("reports/"))
        self.assertEqual(job.review, leadership)
        self.assertTrue(pipeline.job_file_name(job).endswith("kon-tum-2026.pdf"))
