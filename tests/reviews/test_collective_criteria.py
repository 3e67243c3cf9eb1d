"""Mẫu 01 scores a collective on its own criteria, and a default split says so."""

import shutil
import tempfile

from django.conf import settings
from django.test import Client
from django.utils import translation

from reviews.models import FormTemplate, ReportJob, ScoreCriterion
from tests.clicks import click_report_button, pdf_text

from .test_review_form import ReviewFormTestCase

COLLECTIVE_A1 = "Xây dựng Đảng về chính trị, tư tưởng, đạo đức"
INDIVIDUAL_A1 = "Tư tưởng chính trị"
NOTE = (
    "This split of the 100 points is the app's default, not yet checked against "
    "the official guidance; staff can change it in the admin."
)


def note():
    """The note as the pages and documents print it (in Vietnamese once translated)."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(NOTE)


class CollectiveCriteriaTests(ReviewFormTestCase):
    def setUp(self):
        media = tempfile.mkdtemp(prefix="kr-criteria-")
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        media_root = self.settings(MEDIA_ROOT=media)
        media_root.enable()
        self.addCleanup(media_root.disable)

    def collective_criteria(self):
        return list(
            self.collective_a.template.criteria.values_list("code", "text", "group")
        )

    def test_the_qd366_collective_template_has_its_own_provisional_criteria(self):
        template = self.collective_a.template
        self.assertEqual(template.audience, FormTemplate.Audience.COLLECTIVE)
        self.assertTrue(template.criteria_provisional)
        criteria = self.collective_criteria()
        self.assertEqual(
            [code for code, _text, _group in criteria],
            ["A1", "A2", "A3", "A4", "B1", "B2", "B3"],
        )
        self.assertEqual(criteria[0][1], COLLECTIVE_A1)
        self.assertEqual(
            sum(
                template.criteria.filter(
                    group=ScoreCriterion.Group.GENERAL
                ).values_list("max_points", flat=True)
            ),
            self.cycle.regime.general_criteria_max,
        )

    def test_the_collective_form_page_shows_the_collective_criteria_and_the_note(self):
        self.client.force_login(self.secretary_a)

        response = self.client.get(self.url(self.collective_a))

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, COLLECTIVE_A1)
        self.assertNotContains(response, INDIVIDUAL_A1)
        self.assertEqual(
            [name for name in response.context["form"].fields if name[:6] == "score_"],
            [f"score_{code}" for code, _text, _group in self.collective_criteria()],
        )
        self.assertContains(response, note(), count=1)

    def test_a_members_form_keeps_the_individual_criteria_and_the_note(self):
        self.client.force_login(self.member_user)

        response = self.client.get(self.url(self.review_a))

        self.assertContains(response, INDIVIDUAL_A1)
        self.assertNotContains(response, COLLECTIVE_A1)
        self.assertContains(response, note(), count=1)

    def test_the_note_is_in_english_for_an_english_reader(self):
        self.in_english()
        self.client.force_login(self.secretary_a)

        response = self.client.get(self.url(self.collective_a))

        self.assertContains(response, NOTE, count=1)

    def test_the_read_only_form_shows_the_note_under_its_score_table(self):
        self.client.force_login(self.leader)

        response = self.client.get(self.url(self.collective_a))

        self.assertFalse(response.context["editable"])
        self.assertContains(response, "review-score-table")
        self.assertContains(response, COLLECTIVE_A1)
        self.assertContains(response, note(), count=1)

    def test_a_confirmed_split_carries_no_note(self):
        FormTemplate.objects.filter(pk=self.collective_a.template_id).update(
            criteria_provisional=False
        )
        self.client.force_login(self.secretary_a)

        response = self.client.get(self.url(self.collective_a))

        self.assertContains(response, COLLECTIVE_A1)
        self.assertNotContains(response, note())

    def report_text(self):
        """The Mẫu 01 PDF, requested with the button of the form page."""
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.secretary_a)
        _job_page, content = click_report_button(
            client, self.url(self.collective_a), ReportJob.Kind.COLLECTIVE_REPORT
        )
        self.assertTrue(content.startswith(b"%PDF"), content[:20])
        return pdf_text(content)

    def test_the_collective_report_prints_the_collective_criteria_and_the_note(self):
        self.collective_a.scores = {"A1": "7", "B1": "38"}
        self.collective_a.save()

        text = self.report_text()

        self.assertIn("BÁO CÁO", text)
        self.assertIn(f"A1 {COLLECTIVE_A1} 8 7", text)
        for code, criterion, _group in self.collective_criteria():
            with self.subTest(code=code):
                self.assertIn(f"{code} {criterion}", text)
        self.assertNotIn(INDIVIDUAL_A1, text)
        self.assertIn(note(), text)
        # Under the score table, before the table of the band conditions.
        self.assertLess(text.index("Tổng điểm 100"), text.index(note()))
        self.assertLess(text.index(note()), text.index("Điều kiện của mức xếp loại"))

    def test_a_confirmed_split_prints_no_note(self):
        FormTemplate.objects.filter(pk=self.collective_a.template_id).update(
            criteria_provisional=False
        )

        text = self.report_text()

        self.assertIn(f"A1 {COLLECTIVE_A1}", text)
        self.assertNotIn(note(), text)
