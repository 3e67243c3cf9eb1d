from django.conf import settings
from django.test import TestCase


class LanguageTests(TestCase):
    def test_vietnamese_even_when_the_browser_asks_for_english(self):
        response = self.client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en")
        self.assertContains(response, '<html lang="vi">')
        self.assertContains(response, "Đăng nhập")

    def test_english_when_the_user_chose_it(self):
        self.client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        self.assertEqual(self.client.cookies[settings.LANGUAGE_COOKIE_NAME].value, "en")
        response = self.client.get("/accounts/login/")
        self.assertContains(response, '<html lang="en">')
        self.assertContains(response, "Log in")

    def test_unknown_language_cookie_falls_back_to_vietnamese(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
        response = self.client.get("/accounts/login/")
        self.assertContains(response, '<html lang="vi">')

    def test_pages_forbid_inline_script_and_style(self):
        policy = self.client.get("/accounts/login/")["Content-Security-Policy"]
        self.assertIn("script-src 'self';", policy)
        self.assertIn("style-src 'self';", policy)
