"""Counts group their thousands ("7.708"); years, ids and the values machines
read do not."""

import uuid
from types import SimpleNamespace

from django.conf import settings
from django.template import Context, Template
from django.test import SimpleTestCase
from django.urls import reverse
from django.utils import translation

from ..factories import UserFactory
from ..personas import CyclePersonasTestCase


class GroupingTests(SimpleTestCase):
    def render(self, source, **values):
        with translation.override("vi"):
            return Template(source).render(Context(values))

    def test_counts_read_with_a_dot_between_thousands(self):
        self.assertEqual(self.render("{{ n }} đảng viên", n=7708), "7.708 đảng viên")
        self.assertEqual(self.render("{{ n }}", n=31000), "31.000")

    def test_meter_values_stay_plain_beside_the_grouped_count(self):
        row = SimpleNamespace(
            public_id=uuid.uuid4(),
            name="Đảng bộ phường Quyết Thắng",
            forms_submitted=1250,
            forms_total=3100,
        )
        html = self.render(
            '{% include "reviews/_cycle_organization_progress.html" %}',
            cycle=SimpleNamespace(public_id=uuid.uuid4()),
            organizations=[row],
        )
        self.assertIn('value="1250" max="3100"', html)
        self.assertIn("1.250 / 3.100", html)


class YearTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.root = UserFactory(username="root", is_staff=True, is_superuser=True)

    def test_the_admin_writes_years_as_years(self):
        self.client.force_login(self.root)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
        for url in (
            reverse("admin:reviews_reviewcycle_changelist"),
            reverse("admin:reviews_regime_changelist"),
        ):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(response, ">2026<" if "cycle" in url else ">2025<")
                self.assertNotContains(response, "2.026")
                self.assertNotContains(response, "2.025")
