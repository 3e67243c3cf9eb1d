from playwright.sync_api import expect

from tests.browser import BrowserTestCase
from tests.factories import UserFactory

SCREENSHOT = "/tmp/admin.png"


class BrowserLoginTests(BrowserTestCase):
    def setUp(self):
        UserFactory(username="staff", is_staff=True, is_superuser=True)
        self.open_page()

    def test_staff_logs_in_and_sees_the_admin_in_vietnamese(self):
        page = self.page
        self.log_in("staff")

        page.goto(f"{self.live_server_url}/admin/")
        page.screenshot(path=SCREENSHOT, full_page=True)
        expect(page.locator("html")).to_have_attribute("lang", "vi")
        expect(page.locator("#content h1")).to_have_text("Site quản trị hệ thống.")
        expect(page.locator("#user-tools")).to_contain_text("Chào mừng bạn,")
        expect(page.locator("#logout-form button")).to_have_text("Thoát")

        self.assertEqual(self.errors, [])
