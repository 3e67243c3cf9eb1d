"""axe-core over each role's pages at 1280 and 390 px: no serious or critical
WCAG 2.1 AA violation (tests/accessibility.py).

The demo's small world gives each role a year in every state. CI visits the
first AXE_PAGES pages (25) each role reaches from home by links, one per URL
pattern, at both widths; `AXE_PAGES=200 pytest -m browser -k accessibility`
walks further by hand.
"""

import os

from django.core.management import call_command

from ..accessibility import WIDTHS, audit, crawl
from ..browser import BrowserTestCase
from ..factories import reseed_reference_data

ROLES = ["staff", "secretary", "member", "leader"]
PAGES = int(os.environ.get("AXE_PAGES", "25"))


class AccessibilityTests(BrowserTestCase):
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
