from django.urls import reverse

from reviews.models import ReportJob

from ..personas import CyclePersonasTestCase


class ReportButtonTests(CyclePersonasTestCase):
    def test_a_member_downloads_their_form_from_their_page(self):
        self.client.force_login(self.member_user)
        page = self.client.get(
            reverse("reviews:review", args=[self.review_a.public_id])
        )
        self.assertContains(page, 'name="kind" value="individual_form"')
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("reviews:report_request"),
                {
                    "kind": "individual_form",
                    "cycle": self.cycle.public_id,
                    "review": self.review_a.public_id,
                },
            )
        job = ReportJob.objects.get()
        self.assertRedirects(
            response, reverse("reviews:report_job", args=[job.public_id])
        )
        job.refresh_from_db()
        self.assertEqual(job.status, ReportJob.Status.DONE, job.error)
        download = self.client.get(
            reverse("reviews:report_download", args=[job.public_id])
        )
        self.assertEqual(download.status_code, 200)
        self.assertTrue(b"".join(download.streaming_content).startswith(b"%PDF"))

    def test_the_outsider_cannot_request_another_cells_form(self):
        self.client.force_login(self.secretary_b)
        response = self.client.post(
            reverse("reviews:report_request"),
            {
                "kind": "individual_form",
                "cycle": self.cycle.public_id,
                "review": self.review_a.public_id,
            },
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(ReportJob.objects.exists())

    def test_staff_see_the_summary_and_cycle_buttons(self):
        self.client.force_login(self.staff)
        page = self.client.get(reverse("reviews:cycle", args=[self.cycle.public_id]))
        self.assertContains(page, 'value="summary"')
        self.assertContains(page, 'value="cycle_documents"')
