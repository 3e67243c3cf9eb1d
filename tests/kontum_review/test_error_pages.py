"""The 404, 403, CSRF and 500 pages: Vietnamese, with the site's menu, DEBUG off."""

import re

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils import translation
from django.views.defaults import permission_denied

from kontum_review import urls as site_urls
from kontum_review import views
from reviews.guards import CycleClosed
from tests.personas import PersonasTestCase

# Queries run before the view below raised; the 500 page must add none.
RAISED_AFTER = []


@login_required
def boom(request):
    RAISED_AFTER.append(len(connection.queries))
    raise RuntimeError("boom")


# A URLconf of the site plus one view that fails, with the site's handler500.
urlpatterns = [
    path("boom/", boom),
    path("public-boom/", lambda request: boom.__wrapped__(request)),
    *site_urls.urlpatterns,
]
handler400 = site_urls.handler400
handler500 = site_urls.handler500

# The menu's items, shown to a signed-in user (base.html).
MENU = ("Kỳ kiểm điểm", "Thoát")


def vi(msgid):
    with translation.override("vi"):
        return translation.gettext(msgid)


@override_settings(DEBUG=False)
class ErrorPageTests(PersonasTestCase):
    def assert_page(self, response, status, title, menu=True):
        self.assertEqual(response.status_code, status)
        html = response.content.decode()
        self.assertIn('<html lang="vi">', html)
        self.assertIn(f'<h1 class="h3">{vi(title)}</h1>', html)
        for item in MENU:
            (self.assertIn if menu else self.assertNotIn)(item, html)
        # No inline script or style, for the Content-Security-Policy.
        self.assertNotIn(" style=", html)
        self.assertIsNone(re.search(r"<script(?![^>]*\bsrc=)", html))
        self.assertIn("Content-Security-Policy", response.headers)
        return html

    def test_404(self):
        self.client.force_login(self.member_user)
        response = self.client.get("/no-such-page/")
        html = self.assert_page(response, 404, "Page not found")
        self.assertNotIn("Not Found", html)

    def test_400_for_a_body_too_large(self):
        self.client.force_login(self.member_user)
        response = self.client.post(
            reverse("password_change"), {"old_password": "x" * (3 * 1024 * 1024)}
        )
        html = self.assert_page(response, 400, "The request could not be read")
        self.assertNotIn("Bad Request", html)

    def test_400_for_too_many_fields(self):
        self.client.force_login(self.member_user)
        fields = {f"field{number}": "1" for number in range(1100)}
        response = self.client.post(reverse("password_change"), fields)
        self.assert_page(response, 400, "The request could not be read")

    def test_404_for_an_anonymous_visitor(self):
        response = self.client.get("/no-such-page/")
        self.assert_page(response, 404, "Page not found", menu=False)

    def test_403(self):
        self.client.force_login(self.member_user)
        response = self.client.get(reverse("locked_accounts"))
        html = self.assert_page(response, 403, "Not allowed")
        self.assertNotIn("403 Forbidden", html)

    def test_403_shows_the_reason_given(self):
        class Cycle:
            name = "Kỳ 2026"

            def get_status_display(self):
                return "Đã khóa"

        request = RequestFactory().get("/")
        request.user = self.member_user
        request.session = SessionStore()
        with translation.override("vi"):
            response = permission_denied(request, CycleClosed(Cycle()))
        self.assertContains(response, "Kỳ 2026", status_code=403)

    def test_csrf_failure(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.member_user)
        response = client.post(reverse("password_change"), {"old_password": "x"})
        html = self.assert_page(response, 403, "The form has expired")
        self.assertNotIn("CSRF verification failed", html)
        # The page carries a fresh token, so its own forms (log out) work.
        self.assertIn('name="csrfmiddlewaretoken"', html)

    @override_settings(ROOT_URLCONF=__name__)
    def test_500_keeps_the_menu_and_queries_nothing(self):
        self.assertEqual(site_urls.handler500, "kontum_review.views.server_error")
        self.client.force_login(self.member_user)
        self.client.raise_request_exception = False
        RAISED_AFTER.clear()
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get("/boom/")
        html = self.assert_page(response, 500, "Something went wrong")
        self.assertNotIn("Server Error", html)
        # After the raise only the request's transaction is rolled back.
        after = queries.captured_queries[RAISED_AFTER[0] - queries.initial_queries :]
        self.assertEqual(
            [q["sql"].split()[0] for q in after], ["ROLLBACK", "RELEASE"][: len(after)]
        )

    @override_settings(ROOT_URLCONF=__name__)
    def test_500_for_an_anonymous_visitor(self):
        self.client.raise_request_exception = False
        response = self.client.get("/public-boom/")
        self.assert_page(response, 500, "Something went wrong", menu=False)

    def test_500_view_runs_no_query(self):
        request = RequestFactory().get("/")
        request.session = SessionStore()
        for user in (self.member_user, AnonymousUser()):
            request.user = user
            with self.assertNumQueries(0), translation.override("vi"):
                response = views.server_error(request)
            self.assertEqual(response.status_code, 500)
            self.assertContains(response, vi("Something went wrong"), status_code=500)
