"""axe-core over each role's pages at 1280 and 390 px: no serious or critical
WCAG 2.1 AA violation (tests/accessibility.py), and nothing wider than the window.

The demo's small world gives each role a year in every state. CI visits the
first AXE_PAGES pages (25) each role reaches from home by links, one per URL
pattern, at both widths; `AXE_PAGES=200 pytest -m browser -k accessibility`
walks further by hand.
"""

import os

from django.core.management import call_command
from django.urls import reverse

from organizations.models import Role
from reviews.models import Review, ReviewCycle

from ..accessibility import WIDTHS, audit, crawl, rule_violations
from ..browser import BrowserTestCase
from ..factories import reseed_reference_data

ROLES = ["staff", "secretary", "member", "leader"]
PAGES = int(os.environ.get("AXE_PAGES", "25"))


class AccessibilityTests(BrowserTestCase):
    # A failure lists every page and what is wrong on it.
    maxDiff = None

    def setUp(self):
        reseed_reference_data()
        call_command(
            "seed_demo",
            "--members",
            "120",
            "--grassroots",
            "2",
            "--cells",
            "3",
            stdout=open(os.devnull, "w"),  # noqa: SIM115 - closed with the process
        )

    def test_no_serious_violation_on_any_page_of_any_role(self):
        found = {}
        for role in ROLES:
            for width_name, width in WIDTHS.items():
                self.open_page(viewport={"width": width, "height": 900}, locale="vi-VN")
                self.log_in(role)
                visited = crawl(self.page, self.live_server_url, limit=PAGES)
                broken = [(path, status) for path, status in visited if status >= 500]
                self.assertEqual(broken, [], role)
                pages = [path for path, status in visited if status == 200]
                for path, problems in audit(
                    self.page, self.live_server_url, pages
                ).items():
                    found[f"{role} {width_name} {path}"] = problems
        self.assertEqual(found, {})

    def test_the_review_forms_headings_go_down_one_level_at_a_time(self):
        # Its sections were h3s with no h2 above them (issue 15): every year's
        # form of the member, and of the secretary's cell, as each opens it.
        cell = Role.objects.get(user__username="secretary").organization_id
        forms = {
            "member": Review.objects.filter(member__user__username="member"),
            "secretary": Review.objects.filter(organization=cell, member__isnull=True),
        }
        found = {}
        for role, reviews in forms.items():
            self.assertTrue(reviews, role)
            self.open_page(viewport={"width": 390, "height": 900}, locale="vi-VN")
            self.log_in(role)
            for review in reviews:
                path = reverse("reviews:review", args=[review.public_id])
                response = self.page.goto(self.live_server_url + path)
                self.assertEqual(response.status, 200, path)
                self.assertEqual(self.page.locator("main h1").count(), 1, path)
                problems = rule_violations(self.page, "heading-order")
                if problems:
                    found[f"{role} {path}"] = problems
        self.assertEqual(found, {})

    def test_every_years_suggestions_and_remedy_plans(self):
        # The walk sees one page per pattern, in this year's state; a plan of
        # an earlier year is editable and a cycle's suggestions may be edited,
        # which put Bootstrap's outline buttons (4.2:1) on a card's tint.
        cell = Role.objects.get(user__username="secretary").organization_id
        plans = Review.objects.filter(
            organization=cell, remedy_actions__isnull=False
        ).distinct()
        pages = {
            "staff": [
                reverse("reviews:suggestion_list", args=[cycle.public_id])
                for cycle in ReviewCycle.objects.all()
            ],
            "secretary": [
                reverse("reviews:remedy_plan", args=[review.public_id])
                for review in plans
            ],
        }
        found = {}
        for role, paths in pages.items():
            self.assertTrue(paths, role)
            self.open_page(viewport={"width": 390, "height": 900}, locale="vi-VN")
            self.log_in(role)
            for path, problems in audit(self.page, self.live_server_url, paths).items():
                found[f"{role} {path}"] = problems
        self.assertEqual(found, {})
