"""Browser tests in Debian's Chromium through Playwright (never a downloaded one)."""

import os
import shutil
from unittest import mock

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Kept off the network: the machine's closed network refuses anything else.
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
PASSWORD = "kontum-demo"


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
class BrowserTestCase(StaticLiveServerTestCase):
    """One Chromium per class; each test gets a page that records its errors."""

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

    def open_page(self, **context_options):
        context = self.browser.new_context(**context_options)
        context.set_default_timeout(10_000)
        self.addCleanup(context.close)
        self.page = context.new_page()
        # Chromium reports CSP violations and failed loads as console errors.
        self.errors = []
        self.page.on("console", self.record_console_error)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        return self.page

    def record_console_error(self, message):
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location['url']})")

    def log_in(self, username, password=PASSWORD):
        """Through the real login page."""
        page = self.page
        page.goto(f"{self.live_server_url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
