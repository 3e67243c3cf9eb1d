"""Every page's document button, pressed by every role that sees it.

Each test loads the page, reads the button's form out of the HTML, posts it as a
browser would (CSRF enforced), follows the job page to the download and reads
the file back with `pdftotext -raw`.
"""

import shutil
import tempfile

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reviews.models import (
    Attendance,
    Meeting,
    MeetingItem,
    Rating,
    ReportJob,
    Review,
    ReviewCycle,
)
from tests.clicks import (
    click_report_button,
    pdf_text,
    report_forms,
    zip_entries,
)
from tests.personas import CyclePersonasTestCase

Kind = ReportJob.Kind
Status = ReviewCycle.Status
LEADERSHIP_NAME = "Tập thể lãnh đạo, quản lý – Đảng bộ phường Quyết Thắng"


class DocumentButtonData(CyclePersonasTestCase):
    """A decided cycle: cell A's meeting held, the ward's leadership collective too."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        levels = {level.code: level for level in cls.cycle.regime.levels.all()}
        now = timezone.now()
        cls.ward_collective = cls.cycle.reviews.get(
            organization=cls.ward, kind=Review.Kind.ORGANIZATION
        )
        cls.collective_b = cls.cycle.reviews.get(
            organization=cls.cell_b, kind=Review.Kind.ORGANIZATION
        )
        cls.leadership = Review.objects.create(
            cycle=cls.cycle,
            kind=Review.Kind.LEADERSHIP,
            organization=cls.ward,
            template=cls.ward_collective.template,
            subject_name=LEADERSHIP_NAME,
        )
        cls.other_review_a = cls.cycle.reviews.get(member=cls.other_member_a)
        cls.meeting = cls.held_meeting(
            cls.collective_a,
            [cls.collective_a, cls.review_a, cls.other_review_a],
            [cls.member_a, cls.other_member_a],
            levels,
            now,
        )
        cls.leadership_meeting = cls.held_meeting(
            cls.leadership, [cls.leadership], [cls.member_a], levels, now
        )
        for review in (cls.collective_a, cls.review_a, cls.other_review_a):
            Rating.objects.create(
                review=review,
                stage=Rating.Stage.DECISION,
                level=levels["HTTNV"],
                set_at=now,
            )
        cls.cycle.status = Status.DECIDED
        cls.cycle.save()

    @classmethod
    def held_meeting(cls, collective, subjects, called, levels, now):
        meeting = Meeting.objects.create(
            review=collective,
            held_on="2026-12-20",
            place="Hội trường",
            chair="Nguyễn Văn Ân",
            recorder="Trần Thị Bình",
            status=Meeting.Status.DONE,
        )
        for member in called:
            Attendance.objects.create(meeting=meeting, member=member)
        for order, subject in enumerate(subjects, start=1):
            MeetingItem.objects.create(
                meeting=meeting,
                review=subject,
                order=order,
                votes={"HTTNV": len(called)},
                proposed_rating=levels["HTTNV"],
                recorded_at=now,
            )
        return meeting

    def setUp(self):
        media = tempfile.mkdtemp(prefix="kr-buttons-")
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        media_root = self.settings(MEDIA_ROOT=media)
        media_root.enable()
        self.addCleanup(media_root.disable)

    def browser(self, user):
        """A client that checks CSRF tokens, as a browser's requests are checked."""
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        return client

    def click(self, user, page_url, kind):
        job_page, content = click_report_button(self.browser(user), page_url, kind)
        self.assertContains(job_page, "/download/")
        return content

    def assertPdf(self, content, *titles):
        self.assertTrue(content.startswith(b"%PDF"), content[:20])
        text = pdf_text(content)
        for title in titles:
            self.assertIn(title, text)
        return text

    def review_url(self, review):
        return reverse("reviews:review", args=[review.public_id])

    def meeting_url(self, review):
        return reverse("reviews:meeting", args=[review.public_id])

    def results_url(self, organization):
        return reverse(
            "reviews:organization_results",
            args=[self.cycle.public_id, organization.public_id],
        )

    def checklist_url(self, organization):
        return reverse(
            "reviews:checklist", args=[self.cycle.public_id, organization.public_id]
        )

    def cycle_url(self):
        return reverse("reviews:cycle", args=[self.cycle.public_id])

    def post(self, user, **data):
        """Post a request by hand (what a crafted form would send)."""
        client = Client()
        client.force_login(user)
        return client.post(
            reverse("reviews:report_request"), {"cycle": self.cycle.public_id, **data}
        )


class ReviewFormButtonTests(DocumentButtonData):
    def test_every_reader_of_a_members_form_gets_the_individual_form(self):
        for user in (self.member_user, self.secretary_a, self.staff, self.leader):
            with self.subTest(user=user.username):
                content = self.click(
                    user, self.review_url(self.review_a), Kind.INDIVIDUAL_FORM
                )
                self.assertPdf(
                    content,
                    "BẢN KIỂM ĐIỂM CÁ NHÂN",
                    "Họ và tên: Nguyễn Văn Ân",
                    "CHI BỘ TỔ DÂN PHỐ 1",
                )
        # One job served everyone: the inputs did not change.
        self.assertEqual(ReportJob.objects.filter(review=self.review_a).count(), 1)

    def test_every_reader_of_a_cells_collective_gets_its_report(self):
        for user in (self.secretary_a, self.staff, self.leader):
            with self.subTest(user=user.username):
                content = self.click(
                    user, self.review_url(self.collective_a), Kind.COLLECTIVE_REPORT
                )
                self.assertPdf(
                    content, "BÁO CÁO", "Kiểm điểm tập thể Chi bộ Tổ dân phố 1"
                )
        job = ReportJob.objects.get(kind=Kind.COLLECTIVE_REPORT)
        # The organization's own report: the same job as its checklist's or ZIP's.
        self.assertEqual((job.organization, job.review), (self.cell_a, None))

    def test_a_leadership_collectives_report_stays_its_own(self):
        for user in (self.staff, self.leader):
            with self.subTest(user=user.username):
                own = self.click(
                    user, self.review_url(self.leadership), Kind.COLLECTIVE_REPORT
                )
                self.assertPdf(own, "BÁO CÁO", f"Kiểm điểm tập thể {LEADERSHIP_NAME}")
                ward = self.click(
                    user,
                    self.review_url(self.ward_collective),
                    Kind.COLLECTIVE_REPORT,
                )
                text = self.assertPdf(
                    ward, "Kiểm điểm tập thể Đảng bộ phường Quyết Thắng"
                )
                self.assertNotIn("Tập thể lãnh đạo", text)
        jobs = ReportJob.objects.filter(kind=Kind.COLLECTIVE_REPORT)
        self.assertEqual(
            {(job.review_id, job.organization_id) for job in jobs},
            {(self.leadership.pk, None), (None, self.ward.pk)},
        )

    def test_the_member_sees_no_collective_button_on_their_own_form(self):
        page = self.browser(self.member_user).get(self.review_url(self.review_a))
        self.assertEqual(
            report_forms(page.content.decode(), Kind.COLLECTIVE_REPORT), []
        )


class MeetingButtonTests(DocumentButtonData):
    def test_every_reader_of_a_held_meeting_gets_its_minutes(self):
        for user in (self.secretary_a, self.staff, self.leader):
            with self.subTest(user=user.username):
                content = self.click(
                    user, self.meeting_url(self.collective_a), Kind.MINUTES
                )
                self.assertPdf(
                    content,
                    "BIÊN BẢN",
                    "của Chi bộ Tổ dân phố 1",
                    "1. Chi bộ Tổ dân phố 1",
                    "3. Trần Thị Bình",
                )
        job = ReportJob.objects.get(kind=Kind.MINUTES)
        self.assertEqual((job.organization, job.review), (self.cell_a, None))

    def test_a_leadership_collectives_minutes_are_its_own(self):
        content = self.click(
            self.leader, self.meeting_url(self.leadership), Kind.MINUTES
        )
        text = self.assertPdf(content, "BIÊN BẢN", f"1. {LEADERSHIP_NAME}")
        self.assertNotIn("Chi bộ Tổ dân phố 1", text)
        job = ReportJob.objects.get(kind=Kind.MINUTES)
        self.assertEqual((job.review, job.organization), (self.leadership, None))

    def test_no_minutes_button_before_the_meeting_is_finished(self):
        Meeting.objects.filter(pk=self.meeting.pk).update(status=Meeting.Status.PLANNED)
        page = self.browser(self.secretary_a).get(self.meeting_url(self.collective_a))
        self.assertEqual(page.status_code, 200)
        self.assertEqual(report_forms(page.content.decode(), Kind.MINUTES), [])


class ChecklistButtonTests(DocumentButtonData):
    def test_every_reader_of_the_checklist_gets_the_forms_zip(self):
        for user in (self.secretary_a, self.staff, self.leader):
            with self.subTest(user=user.username):
                content = self.click(
                    user, self.checklist_url(self.cell_a), Kind.ORGANIZATION_FORMS
                )
                entries = zip_entries(content)
                self.assertEqual(
                    sorted(entries),
                    [
                        "ban-kiem-diem-nguyen-van-an-2026.pdf",
                        "ban-kiem-diem-tran-thi-binh-2026.pdf",
                    ],
                )
                for name, pdf in entries.items():
                    with self.subTest(entry=name):
                        self.assertPdf(pdf, "BẢN KIỂM ĐIỂM CÁ NHÂN")


class NotificationButtonTests(DocumentButtonData):
    def test_staff_and_leaders_get_the_decided_notification(self):
        for user in (self.staff, self.leader):
            with self.subTest(user=user.username):
                content = self.click(
                    user, self.results_url(self.cell_a), Kind.NOTIFICATION
                )
                self.assertPdf(
                    content,
                    "THÀNH ỦY KON TUM",
                    "THÔNG BÁO",
                    "Chi bộ Tổ dân phố 1: Hoàn thành tốt nhiệm vụ.",
                )

    def test_the_secretary_gets_it_once_the_results_are_published(self):
        page = self.browser(self.secretary_a).get(self.results_url(self.cell_a))
        self.assertEqual(report_forms(page.content.decode(), Kind.NOTIFICATION), [])
        self.assertContains(page, "sau khi kết quả được công bố")
        response = self.post(
            self.secretary_a, kind=Kind.NOTIFICATION, organization=self.cell_a.public_id
        )
        self.assertRedirects(response, self.results_url(self.cell_a))
        self.assertFalse(ReportJob.objects.exists())

        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status=Status.PUBLISHED)
        content = self.click(
            self.secretary_a, self.results_url(self.cell_a), Kind.NOTIFICATION
        )
        self.assertPdf(content, "THÔNG BÁO")

    def test_no_notification_before_the_ratings_are_decided(self):
        for status in (Status.SELF_REVIEW, Status.MEETINGS, Status.APPRAISAL):
            ReviewCycle.objects.filter(pk=self.cycle.pk).update(status=status)
            with self.subTest(status=status):
                client = self.browser(self.staff)
                page = client.get(self.results_url(self.cell_a))
                self.assertEqual(page.status_code, 200)
                self.assertEqual(
                    report_forms(page.content.decode(), Kind.NOTIFICATION), []
                )
                self.assertContains(page, "sau khi cấp có thẩm quyền quyết định")
                response = self.post(
                    self.staff,
                    kind=Kind.NOTIFICATION,
                    organization=self.cell_a.public_id,
                )
                self.assertRedirects(response, self.results_url(self.cell_a))
                followed = self.browser(self.staff).get(response["Location"])
                self.assertEqual(followed.status_code, 200)
                self.assertFalse(ReportJob.objects.exists())

    def test_the_refusal_message_is_shown_after_the_redirect(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status=Status.MEETINGS)
        client = self.browser(self.staff)
        client.get(self.cycle_url())
        response = client.post(
            reverse("reviews:report_request"),
            {
                "kind": Kind.NOTIFICATION,
                "cycle": self.cycle.public_id,
                "organization": self.cell_a.public_id,
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
            follow=True,
        )
        self.assertContains(
            response,
            "Chỉ lập được thông báo kết quả xếp loại sau khi cấp có thẩm quyền "
            "quyết định xếp loại.",
        )


class CycleButtonTests(DocumentButtonData):
    def test_staff_get_the_summary(self):
        content = self.click(self.staff, self.cycle_url(), Kind.SUMMARY)
        self.assertPdf(
            content,
            "THÀNH ỦY KON TUM",
            "BÁO CÁO",
            "tổng hợp kết quả kiểm điểm, đánh giá, xếp loại chất lượng",
        )

    def test_staff_get_every_document_of_the_cycle_in_one_zip(self):
        entries = zip_entries(
            self.click(self.staff, self.cycle_url(), Kind.CYCLE_DOCUMENTS)
        )
        cell = "p01-a-chi-bo-to-dan-pho-1"
        ward = "p01-dang-bo-phuong-quyet-thang"
        titles = {
            "bao-cao-tong-hop-kiem-diem-thanh-uy-kon-tum-2026.pdf": "BÁO CÁO",
            f"{cell}/thong-bao-ket-qua-xep-loai-chi-bo-to-dan-pho-1-2026.pdf": (
                "THÔNG BÁO"
            ),
            f"{cell}/bao-cao-kiem-diem-chi-bo-to-dan-pho-1-2026.pdf": "BÁO CÁO",
            f"{cell}/ban-kiem-diem-nguyen-van-an-2026.pdf": "BẢN KIỂM ĐIỂM CÁ NHÂN",
            f"{ward}/bao-cao-kiem-diem-tap-the-lanh-dao-quan-ly-"
            "dang-bo-phuong-quyet-thang-2026.pdf": LEADERSHIP_NAME,
        }
        for name, title in titles.items():
            with self.subTest(entry=name):
                self.assertIn(name, entries)
                self.assertPdf(entries[name], title)
        self.assertNotIn("LOI.txt", entries)

    def test_leaders_read_the_overview_without_the_cycle_buttons(self):
        page = self.browser(self.leader).get(self.cycle_url())
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        self.assertEqual(report_forms(html, Kind.SUMMARY), [])
        self.assertEqual(report_forms(html, Kind.CYCLE_DOCUMENTS), [])
        self.assertEqual(self.post(self.leader, kind=Kind.SUMMARY).status_code, 404)


class DocumentAccessTests(DocumentButtonData):
    def test_outsiders_get_404_and_no_job(self):
        cases = [
            (self.member_user, Kind.COLLECTIVE_REPORT, "review", self.collective_a),
            (self.member_user, Kind.MINUTES, "review", self.collective_a),
            (self.member_user, Kind.MINUTES, "organization", self.cell_a),
            (self.member_user, Kind.INDIVIDUAL_FORM, "review", self.other_review_a),
            (self.secretary_a, Kind.COLLECTIVE_REPORT, "review", self.collective_b),
            (self.secretary_a, Kind.MINUTES, "review", self.leadership),
            (self.secretary_a, Kind.COLLECTIVE_REPORT, "review", self.leadership),
            (self.secretary_b, Kind.MINUTES, "review", self.collective_a),
            (self.secretary_b, Kind.NOTIFICATION, "organization", self.cell_a),
        ]
        for user, kind, field, subject in cases:
            with self.subTest(user=user.username, kind=kind, subject=str(subject)):
                response = self.post(user, kind=kind, **{field: subject.public_id})
                self.assertEqual(response.status_code, 404)
        self.assertFalse(ReportJob.objects.exists())

    def test_a_collective_kind_refuses_a_members_review_and_the_reverse(self):
        for kind, review in (
            (Kind.COLLECTIVE_REPORT, self.review_a),
            (Kind.MINUTES, self.review_a),
            (Kind.INDIVIDUAL_FORM, self.collective_a),
        ):
            with self.subTest(kind=kind):
                response = self.post(self.staff, kind=kind, review=review.public_id)
                self.assertEqual(response.status_code, 404)
        self.assertFalse(ReportJob.objects.exists())

    def test_jobs_are_seen_only_by_readers_of_their_subject(self):
        self.click(self.staff, self.meeting_url(self.leadership), Kind.MINUTES)
        self.click(self.staff, self.meeting_url(self.collective_a), Kind.MINUTES)
        leadership_job = ReportJob.objects.get(review=self.leadership)
        cell_job = ReportJob.objects.get(organization=self.cell_a)
        expected = {
            (self.leader, leadership_job): 200,
            (self.leader, cell_job): 200,
            (self.secretary_a, leadership_job): 404,
            (self.secretary_a, cell_job): 200,
            (self.secretary_b, cell_job): 404,
            (self.member_user, cell_job): 404,
            (self.member_user, leadership_job): 404,
        }
        for (user, job), status in expected.items():
            for url in (
                reverse("reviews:report_job", args=[job.public_id]),
                reverse("reviews:report_download", args=[job.public_id]),
            ):
                with self.subTest(user=user.username, url=url):
                    response = self.browser(user).get(url)
                    self.assertEqual(response.status_code, status)
