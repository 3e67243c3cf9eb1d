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

    def test_the_menu_keeps_one_row_at_1280_px_and_logs_out_by_keyboard(self):
        """Staff see the longest menu. At 1280 px each item stays on one line
        and the whole menu on one row (it wrapped word by word before); the
        account's menu opens and logs out with the keyboard alone."""
        page = self.open_page(viewport={"width": 1280, "height": 700})
        self.log_in("staff")
        page.goto(f"{self.live_server_url}/")
        nav = page.locator("nav.navbar").bounding_box()
        self.assertLess(nav["height"], 64)
        for link in page.locator("#main-menu .nav-link").all():
            box = link.bounding_box()
            self.assertLess(box["height"], 44, link.inner_text())
            self.assertLessEqual(box["x"] + box["width"], 1280, link.inner_text())

        account = page.locator(".account-menu .dropdown-toggle")
        account.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("link", name="Đổi mật khẩu")).to_be_visible()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("#id_username")).to_be_visible()
        self.assertEqual(self.errors, [])
