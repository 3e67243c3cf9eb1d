from ..browser import BrowserTestCase


class DocsPageTests(BrowserTestCase):
    def test_swagger_ui_renders_under_the_sites_policy(self):
        page = self.open_page()
        response = page.goto(f"{self.live_server_url}/api/v1/docs/")
        self.assertIn("script-src 'self'", response.headers["content-security-policy"])
        # Swagger UI builds the operations from the schema it fetched itself.
        page.wait_for_selector(".opblock-summary-path")
        self.assertIn("/api/v1/statistics/", page.content())
        self.assertIn("Thống kê", page.content())
        self.assertEqual(self.errors, [])
