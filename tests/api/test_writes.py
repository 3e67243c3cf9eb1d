"""The two writes: the progress of remedy actions, and imports by file through
the admin's all-or-nothing background job. Nothing else writes; ratings never."""

import datetime

from django.urls import reverse

from api.models import ApiImport, ApiToken
from members.models import Member
from organizations.models import ImportJob
from reviews.models import RemedyAction, ReviewCycle

from ..members.test_admin_import import HEADERS, member_row
from ..organizations.test_admin_import import xlsx_upload
from ..personas import CyclePersonasTestCase
from .helpers import client_for, issue

WRITE = ApiToken.Scope.READ_WRITE


class RemedyProgressTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        ReviewCycle.objects.filter(pk=cls.cycle.pk).update(
            status=ReviewCycle.Status.DECIDED
        )
        cls.action = RemedyAction.objects.create(
            review=cls.review_a,
            number=1,
            shortcoming="Chậm nộp đảng phí",
            content="Nộp đúng hạn",
            owner="Nguyễn Văn Ân",
            deadline=datetime.date(2027, 6, 30),
        )
        cls.token, key = issue(cls.ward, WRITE, by=cls.staff)
        cls.api = client_for(key)
        cls.url = reverse("api:remedy_action", args=[cls.action.public_id])

    def patch(self, body):
        return self.api.patch(self.url, body, content_type="application/json")

    def test_progress_is_recorded_under_the_pages_rules(self):
        response = self.patch({"status": "done"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("evidence", response.json())
        self.action.refresh_from_db()
        self.assertEqual(self.action.status, "open")

        response = self.patch({"status": "done", "evidence": "Biên lai tháng 6"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["status"], "done")
        self.action.refresh_from_db()
        self.assertEqual(self.action.evidence, "Biên lai tháng 6")
        self.assertIsNotNone(self.action.closed_on)
        # The history says which token wrote it.
        self.assertEqual(self.action.history.first().history_user, self.token.account)

    def test_other_fields_are_refused_not_ignored(self):
        response = self.patch({"status": "in_progress", "deadline": "2027-01-01"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("deadline", str(response.json()))
        self.action.refresh_from_db()
        self.assertEqual(self.action.status, "open")

    def test_bad_values_are_400_in_vietnamese(self):
        for body in (
            {"status": "finished"},
            {},
            ["done"],
            {"evidence": 5 * "x" * 1000},
        ):
            with self.subTest(body=body):
                response = self.patch(body)
                self.assertEqual(response.status_code, 400)
                self.assertNotIn("is not", str(response.json()))

    def test_a_plan_before_the_decision_cannot_be_followed(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.MEETINGS
        )
        response = self.patch({"status": "in_progress"})
        self.assertEqual(response.status_code, 403)

    def test_ratings_and_everything_else_are_read_only(self):
        for route in ("api:results", "api:members", "api:organizations"):
            with self.subTest(route=route):
                response = self.api.post(
                    reverse(route), {}, content_type="application/json"
                )
                self.assertEqual(response.status_code, 405)


class ImportTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.key = issue(cls.cell_a, WRITE, by=cls.staff)[1]

    def send(self, rows, register="members"):
        upload = xlsx_upload([HEADERS, *rows])
        return client_for(self.key).post(
            reverse("api:imports"), {"register": register, "file": upload}
        )

    def test_a_file_inside_the_subtree_is_imported_by_the_admins_job(self):
        with self.captureOnCommitCallbacks(execute=True):
            response = self.send([member_row(card_number="62000001")])
        self.assertEqual(response.status_code, 202, response.content)
        sent = ApiImport.objects.get()
        self.assertEqual(
            response["Location"], reverse("api:import", args=[sent.public_id])
        )
        self.assertEqual(sent.job.user, sent.token.account)
        self.assertTrue(Member.objects.filter(card_number="62000001").exists())
        body = client_for(self.key).get(response["Location"]).json()
        self.assertEqual(body["status"], ImportJob.Status.DONE)
        self.assertEqual(body["totals"]["new"], 1)

    def test_a_row_outside_the_subtree_fails_the_whole_file(self):
        rows = [
            member_row(card_number="62000001"),
            member_row(
                card_number="62000002", citizen_id=62180000002, organization="P01.B"
            ),
        ]
        with self.captureOnCommitCallbacks(execute=True):
            response = self.send(rows)
        self.assertEqual(response.status_code, 202)
        job = ImportJob.objects.get()
        self.assertEqual(job.status, ImportJob.Status.FAILED)
        self.assertEqual([error["row"] for error in job.errors], [2])
        self.assertFalse(
            Member.objects.filter(card_number__in=["62000001", "62000002"])
        )

    def test_a_bad_file_is_400_and_starts_nothing(self):
        cases = [
            ({"register": "members"}, "file"),
            ({"register": "votes", "file": xlsx_upload([HEADERS])}, "register"),
        ]
        for data, field in cases:
            with self.subTest(field=field):
                response = client_for(self.key).post(reverse("api:imports"), data)
                self.assertEqual(response.status_code, 400)
                self.assertIn(field, response.json())
        response = client_for(self.key).post(
            reverse("api:imports"),
            {"register": "members", "file": xlsx_upload([["Số thẻ"], ["1"]])},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("file", response.json())
        self.assertFalse(ImportJob.objects.exists())

    def test_another_tokens_import_is_404(self):
        with self.captureOnCommitCallbacks(execute=True):
            response = self.send([member_row()])
        other = client_for(issue(self.cell_a, WRITE, by=self.staff)[1])
        self.assertEqual(other.get(response["Location"]).status_code, 404)
