import os
import shutil
from unittest import mock

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from playwright.sync_api import expect, sync_playwright

from tests.factories import UserFactory

CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium, kept off the network: Playwright never downloads a browser.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOT = "/tmp/admin.png"


def require_chromium():
    """Skip without Debian's Chromium; in CI a missing browser fails."""
    if shutil.which(CHROMIUM):
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(
            f"CI must provide Chromium at {CHROMIUM} (apt-get install chromium)."
        )
    pytest.skip(f"needs Chromium at {CHROMIUM}")


@pytest.mark.browser
class BrowserLoginTests(StaticLiveServerTestCase):
    @classmethod
    def setUpClass(cls):
        require_chromium()
        # Playwright's sync API keeps an event loop in this thread, which Django
        # would otherwise take for async code and refuse the ORM.
        environ = mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"})
        environ.start()
        cls.addClassCleanup(environ.stop)
        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.addClassCleanup(cls.playwright.stop)
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        cls.addClassCleanup(cls.browser.close)

    def setUp(self):
        UserFactory(username="staff", is_staff=True, is_superuser=True)
        context = self.browser.new_context()
        self.addCleanup(context.close)
        self.page = context.new_page()
        # Chromium reports CSP violations and failed loads as console errors.
        self.errors = []
        self.page.on("console", self.record_console_error)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def record_console_error(self, message):
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location['url']})")

    def test_staff_logs_in_and_sees_the_admin_in_vietnamese(self):
        page = self.page
        page.goto(f"{self.live_server_url}/accounts/login/")
        page.fill("#id_username", "staff")
        page.fill("#id_password", "kontum-demo")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

        page.goto(f"{self.live_server_url}/admin/")
        page.screenshot(path=SCREENSHOT, full_page=True)
        expect(page.locator("html")).to_have_attribute("lang", "vi")
        expect(page.locator("#content h1")).to_have_text("Site quản trị hệ thống.")
        expect(page.locator("#user-tools")).to_contain_text("Chào mừng bạn,")
        expect(page.locator("#logout-form button")).to_have_text("Thoát")

        self.assertEqual(self.errors, [])
