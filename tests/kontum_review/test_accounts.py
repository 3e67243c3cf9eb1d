"""Accounts: the login lockout, password change and reset, idle sessions and the
production key check (kontum_review/accounts.py, settings/prod.py)."""

import re
import secrets
from datetime import timedelta
from unittest import mock

import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory, SimpleTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kontum_review.accounts import client_ip
from kontum_review.settings import base as base_settings
from organizations.models import Role
from reviews.tasks import send_mail_task
from tests.factories import UserFactory, grant
from tests.kontum_review.test_settings import run_django
from tests.personas import PersonasTestCase

PASSWORD = "kontum-demo"
NEW_PASSWORD = "Trống-đồng-Ngọc-Lũ-1893"
SITE_LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
# Axes' own English page, which must never show.
AXES_DEFAULT = "Account locked: too many login attempts"


def vi(msgid):
    with translation.override("vi"):
        return translation.gettext(msgid)


def no_inline_code(test, html):
    test.assertNotIn(" style=", html)
    test.assertIsNone(re.search(r"<script(?![^>]*\bsrc=)", html))


@override_settings(AXES_ENABLED=True)
class LockoutTests(PersonasTestCase):
    def post_login(self, url, password, username="member_a", **extra):
        return self.client.post(
            url, {"username": username, "password": password}, **extra
        )

    def fail_until_locked(self, url, username="member_a", **extra):
        limit = settings.AXES_FAILURE_LIMIT
        for _attempt in range(limit - 1):
            response = self.post_login(url, "wrong", username, **extra)
            self.assertEqual(response.status_code, 200)
        return self.post_login(url, "wrong", username, **extra)

    def assert_locked_page(self, response):
        self.assertEqual(response.status_code, 429)
        html = response.content.decode()
        self.assertIn('<html lang="vi">', html)
        self.assertIn(vi("Log-in temporarily locked"), html)
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        self.assertIn(f" {minutes} ", html)
        self.assertIn(
            vi("Ask the committee staff (Ban Tổ chức) to unlock your account now."),
            html,
        )
        self.assertNotIn(AXES_DEFAULT, html)
        no_inline_code(self, html)

    def assert_logged_out(self):
        self.assertNotIn(SESSION_KEY, self.client.session)

    def test_the_default_limit_and_cool_off(self):
        self.assertEqual(settings.AXES_FAILURE_LIMIT, 5)
        self.assertEqual(settings.AXES_COOLOFF_TIME, timedelta(minutes=15))
        self.assertEqual(
            settings.AUTHENTICATION_BACKENDS[0], "axes.backends.AxesStandaloneBackend"
        )

    def test_wrong_passwords_lock_the_site_login(self):
        self.assert_locked_page(self.fail_until_locked(SITE_LOGIN))
        # The right password is refused as well, with the same page.
        self.assert_locked_page(self.post_login(SITE_LOGIN, PASSWORD))
        self.assert_logged_out()

    def test_wrong_passwords_lock_the_admin_login(self):
        self.assert_locked_page(self.fail_until_locked(ADMIN_LOGIN, "staff"))
        self.assert_locked_page(self.post_login(ADMIN_LOGIN, PASSWORD, "staff"))
        self.assert_logged_out()

    def test_a_username_longer_than_axes_keeps_is_refused_and_counted(self):
        # Django's login forms check no length: axes' record of the failure
        # once failed its INSERT (varchar 255), a 500 on both pages.
        long_name = "y" * 300
        for url in (SITE_LOGIN, ADMIN_LOGIN):
            with self.subTest(url=url):
                response = self.post_login(url, "wrong", long_name)
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response.context["form"].errors)
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 3):
            self.assertEqual(
                self.post_login(SITE_LOGIN, "x", long_name).status_code, 200
            )
        self.assert_locked_page(self.post_login(SITE_LOGIN, "x", long_name))
        self.assertEqual(
            list(AccessAttempt.objects.values_list("username", flat=True)),
            [long_name[:255]],
        )

    def test_one_page_counts_for_the_other(self):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            self.post_login(ADMIN_LOGIN, "wrong", "staff")
        self.assert_locked_page(self.post_login(SITE_LOGIN, "wrong", "staff"))

    def test_the_lock_holds_the_username_from_that_address_only(self):
        self.fail_until_locked(SITE_LOGIN)
        response = self.post_login(SITE_LOGIN, PASSWORD, REMOTE_ADDR="10.0.0.9")
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.client.logout()
        response = self.post_login(SITE_LOGIN, PASSWORD, "secretary_a")
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_a_success_before_the_limit_starts_the_count_again(self):
        limit = settings.AXES_FAILURE_LIMIT
        for _attempt in range(limit - 1):
            self.post_login(SITE_LOGIN, "wrong")
        self.post_login(SITE_LOGIN, PASSWORD)
        self.client.logout()
        for _attempt in range(limit - 1):
            self.assertEqual(self.post_login(SITE_LOGIN, "wrong").status_code, 200)

    def test_the_lock_ends_after_the_cool_off(self):
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            self.fail_until_locked(SITE_LOGIN)
        later = start + settings.AXES_COOLOFF_TIME - timedelta(seconds=5)
        with time_machine.travel(later, tick=False):
            self.assert_locked_page(self.post_login(SITE_LOGIN, PASSWORD))
        after = start + settings.AXES_COOLOFF_TIME + timedelta(seconds=5)
        with time_machine.travel(after, tick=False):
            response = self.post_login(SITE_LOGIN, PASSWORD)
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_axes_reset_command_unlocks(self):
        self.fail_until_locked(SITE_LOGIN)
        call_command("axes_reset", verbosity=0)
        response = self.post_login(SITE_LOGIN, PASSWORD)
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_committee_staff_unlock_an_account_of_their_subtree(self):
        self.fail_until_locked(SITE_LOGIN)
        self.client.force_login(self.staff)
        page = self.client.get(reverse("locked_accounts"))
        self.assertContains(page, '<th scope="row">member_a</th>', html=False)
        no_inline_code(self, page.content.decode())
        response = self.client.post(
            reverse("locked_accounts"), {"username": "member_a"}, follow=True
        )
        self.assertNotContains(response, '<th scope="row">member_a</th>')
        self.assertFalse(AccessAttempt.objects.filter(username="member_a").exists())
        self.client.logout()
        response = self.post_login(SITE_LOGIN, PASSWORD)
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_lower_staff_cannot_unlock_an_account_above_them(self):
        ward_staff = UserFactory(username="ward_staff")
        grant(ward_staff, self.ward, Role.Kind.STAFF)
        self.fail_until_locked(SITE_LOGIN, "staff")
        self.fail_until_locked(SITE_LOGIN, "member_a")
        self.client.force_login(ward_staff)
        page = self.client.get(reverse("locked_accounts"))
        self.assertContains(page, '<th scope="row">member_a</th>')
        self.assertNotContains(page, '<th scope="row">staff</th>')
        response = self.client.post(reverse("locked_accounts"), {"username": "staff"})
        self.assertEqual(response.status_code, 403)
        self.assertTrue(AccessAttempt.objects.filter(username="staff").exists())

    def test_only_staff_open_the_lockout_list(self):
        self.client.force_login(self.member_user)
        self.assertEqual(self.client.get(reverse("locked_accounts")).status_code, 403)
        self.client.force_login(self.secretary_a)
        response = self.client.post(reverse("locked_accounts"), {"username": "x"})
        self.assertEqual(response.status_code, 403)

    def test_superusers_see_attempts_on_unknown_usernames(self):
        self.fail_until_locked(SITE_LOGIN, "nobody-by-this-name")
        self.client.force_login(UserFactory(username="root", is_superuser=True))
        page = self.client.get(reverse("locked_accounts"))
        self.assertContains(page, "nobody-by-this-name")
        self.client.force_login(self.staff)
        page = self.client.get(reverse("locked_accounts"))
        self.assertNotContains(page, "nobody-by-this-name")

    def test_a_reset_password_lifts_the_lock(self):
        self.member_user.email = "an@example.org"
        self.member_user.save()
        self.fail_until_locked(SITE_LOGIN)
        self.client.post(reverse("password_reset"), {"email": "an@example.org"})
        link = re.search(r"https?://\S+", mail.outbox[0].body).group()
        form_url = self.client.get(link)["Location"]
        self.client.post(
            form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        response = self.post_login(SITE_LOGIN, NEW_PASSWORD)
        self.assertRedirects(response, "/", fetch_redirect_response=False)


class ClientAddressTests(SimpleTestCase):
    def request(self, forwarded=None):
        extra = {"REMOTE_ADDR": "10.1.1.1"}
        if forwarded is not None:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded
        return RequestFactory().post("/accounts/login/", **extra)

    def test_without_a_proxy_the_header_is_ignored(self):
        self.assertEqual(client_ip(self.request("203.0.113.7")), "10.1.1.1")

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_behind_one_proxy_the_address_it_appended(self):
        # A client forging the header only adds entries left of the proxy's.
        forged = "198.51.100.1, 203.0.113.7"
        self.assertEqual(client_ip(self.request(forged)), "203.0.113.7")
        self.assertEqual(client_ip(self.request()), "10.1.1.1")
        self.assertEqual(client_ip(self.request("not-an-address")), "10.1.1.1")


class PasswordChangeTests(PersonasTestCase):
    def test_every_user_changes_their_password(self):
        self.client.force_login(self.member_user)
        home = self.client.get(reverse("members:list"))
        self.assertContains(home, f'href="{reverse("password_change")}"')
        page = self.client.get(reverse("password_change"))
        self.assertContains(page, '<html lang="vi">')
        self.assertContains(page, vi("Change password"))
        self.assertContains(page, 'for="id_old_password"')
        no_inline_code(self, page.content.decode())
        response = self.client.post(
            reverse("password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        self.assertRedirects(response, reverse("password_change_done"))
        # Still logged in on this session.
        self.assertContains(self.client.get(reverse("password_change_done")), "Thoát")
        self.client.logout()
        self.assertFalse(self.client.login(username="member_a", password=PASSWORD))
        self.assertTrue(self.client.login(username="member_a", password=NEW_PASSWORD))

    def test_a_wrong_current_password_changes_nothing(self):
        self.client.force_login(self.member_user)
        response = self.client.post(
            reverse("password_change"),
            {
                "old_password": "wrong",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        self.assertEqual(response.status_code, 200)
        self.member_user.refresh_from_db()
        self.assertTrue(self.member_user.check_password(PASSWORD))

    def test_anonymous_users_are_sent_to_log_in(self):
        response = self.client.get(reverse("password_change"))
        self.assertRedirects(
            response, f"{reverse('login')}?next={reverse('password_change')}"
        )


class PasswordResetTests(PersonasTestCase):
    def ask(self, address):
        return self.client.post(reverse("password_reset"), {"email": address})

    def test_the_login_page_offers_the_reset(self):
        page = self.client.get(reverse("login"))
        self.assertContains(page, f'href="{reverse("password_reset")}"')
        self.assertContains(page, vi("Forgot your password?"))
        # The admin's login page offers it too, through the same page.
        admin_page = self.client.get(ADMIN_LOGIN)
        self.assertContains(admin_page, reverse("admin_password_reset"))
        self.assertRedirects(
            self.client.get(reverse("admin_password_reset")),
            reverse("password_reset"),
        )

    def test_a_known_address_gets_one_link_that_sets_a_new_password(self):
        self.member_user.email = "an@example.org"
        self.member_user.save()
        page = self.client.get(reverse("password_reset"))
        self.assertContains(page, '<html lang="vi">')
        self.assertContains(page, 'for="id_email"')
        no_inline_code(self, page.content.decode())

        response = self.ask("AN@example.org")
        self.assertRedirects(response, reverse("password_reset_done"))
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["an@example.org"])
        self.assertEqual(message.subject, vi("Kontum Review: set a new password"))
        self.assertIn("member_a", message.body)
        link = re.search(r"http://testserver(/\S+)", message.body).group(1)

        form_url = self.client.get(link)["Location"]
        self.assertContains(self.client.get(form_url), vi("Set a new password"))
        response = self.client.post(
            form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        self.assertRedirects(response, reverse("password_reset_complete"))
        self.assertTrue(self.client.login(username="member_a", password=NEW_PASSWORD))
        self.assertFalse(self.client.login(username="member_a", password=PASSWORD))
        # The link works once.
        self.client.logout()
        self.assertContains(
            self.client.get(link, follow=True), vi("Ask for a new link")
        )

    def test_an_unknown_address_gets_nothing_and_the_same_page(self):
        self.member_user.email = "an@example.org"
        self.member_user.save()
        known = self.client.post(
            reverse("password_reset"), {"email": "an@example.org"}, follow=True
        )
        mail.outbox.clear()
        unknown = self.client.post(
            reverse("password_reset"), {"email": "nobody@example.org"}, follow=True
        )
        self.assertEqual(mail.outbox, [])
        self.assertEqual(unknown.redirect_chain, known.redirect_chain)
        self.assertEqual(unknown.status_code, known.status_code)
        strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
        self.assertEqual(
            strip.sub("", unknown.content.decode()),
            strip.sub("", known.content.decode()),
        )

    def test_the_member_record_address_works_too(self):
        self.member_a.email = "an.nguyen@example.org"
        self.member_a.save()
        self.ask("an.nguyen@example.org")
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, ["an.nguyen@example.org"])

    def test_inactive_accounts_get_nothing(self):
        self.member_user.email = "an@example.org"
        self.member_user.is_active = False
        self.member_user.save()
        self.ask("an@example.org")
        self.assertEqual(mail.outbox, [])

    @override_settings(SITE_URL="https://review.example")
    def test_links_use_site_url_when_set(self):
        self.member_user.email = "an@example.org"
        self.member_user.save()
        self.ask("an@example.org")
        self.assertIn(
            "https://review.example/accounts/password/reset/", mail.outbox[0].body
        )

    def test_requests_past_the_hourly_limit_are_refused_in_vietnamese(self):
        self.member_user.email = "an@example.org"
        self.member_user.save()
        for _ in range(settings.PASSWORD_RESET_PER_ADDRESS):
            self.assertRedirects(
                self.ask("an@example.org"), reverse("password_reset_done")
            )
        self.assertEqual(len(mail.outbox), settings.PASSWORD_RESET_PER_ADDRESS)
        # Any spelling of the same address counts against it.
        refused = self.ask(" AN@Example.org ")
        self.assertEqual(refused.status_code, 429)
        self.assertContains(refused, vi(RESET_LIMITED), status_code=429)
        self.assertContains(refused, 'value=" AN@Example.org "', status_code=429)
        self.assertEqual(len(mail.outbox), settings.PASSWORD_RESET_PER_ADDRESS)
        # Another address from the same client is still taken.
        self.assertRedirects(
            self.ask("other@example.org"), reverse("password_reset_done")
        )

    @override_settings(PASSWORD_RESET_PER_ADDRESS=100, PASSWORD_RESET_PER_CLIENT=4)
    def test_one_client_probing_many_addresses_is_stopped(self):
        for number in range(4):
            self.assertEqual(self.ask(f"probe{number}@example.org").status_code, 302)
        self.assertEqual(self.ask("probe9@example.org").status_code, 429)
        # Another client is not.
        other = self.client_class(REMOTE_ADDR="10.0.0.9")
        response = other.post(reverse("password_reset"), {"email": "x@example.org"})
        self.assertEqual(response.status_code, 302)

    def test_the_message_is_sent_by_the_worker(self):
        self.member_user.email = "an@example.org"
        self.member_user.save()
        with mock.patch.object(send_mail_task, "delay") as delay:
            self.assertEqual(self.ask("an@example.org").status_code, 302)
        self.assertEqual(mail.outbox, [])
        (message,), _kwargs = delay.call_args
        self.assertEqual(message["to"], ["an@example.org"])
        self.assertIn("/accounts/password/reset/", message["body"])
        send_mail_task.apply(args=[message])
        self.assertEqual(mail.outbox[0].subject, message["subject"])

    def test_with_the_broker_down_the_message_is_sent_from_the_request(self):
        self.member_user.email = "an@example.org"
        self.member_user.save()
        refused = OSError("Connection refused")
        # As with a broker: attribute set and put back (a patch.dict would
        # clear Celery's whole configuration on the way out).
        conf = send_mail_task.app.conf
        self.addCleanup(setattr, conf, "task_always_eager", conf.task_always_eager)
        conf.task_always_eager = False
        with mock.patch.object(send_mail_task, "delay", side_effect=refused):
            self.assertEqual(self.ask("an@example.org").status_code, 302)
        self.assertEqual([m.to for m in mail.outbox], [["an@example.org"]])


RESET_LIMITED = (
    "Too many requests to reset a password from here or for this address. Wait "
    "an hour and try again, or ask the committee staff to set a new password for "
    "you."
)


@override_settings(SESSION_RENEW_SECONDS=60)
class IdleSessionTests(PersonasTestCase):
    def assert_signed_in(self, signed_in):
        response = self.client.get(reverse("password_change"))
        self.assertEqual(response.status_code, 200 if signed_in else 302)

    def test_the_default_idle_time_is_a_working_day(self):
        self.assertEqual(settings.SESSION_COOKIE_AGE, 8 * 60 * 60)
        self.assertFalse(settings.SESSION_SAVE_EVERY_REQUEST)
        self.assertEqual(base_settings.SESSION_RENEW_SECONDS, 60)

    def test_an_idle_session_expires(self):
        start = timezone.now()
        idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
        with time_machine.travel(start, tick=False):
            self.client.force_login(self.member_user)
            self.assert_signed_in(True)
        with time_machine.travel(start + idle - timedelta(minutes=2), tick=False):
            self.assert_signed_in(True)
        # Idle from that request on: still in just before the limit, out after it.
        last = start + idle - timedelta(minutes=2)
        with time_machine.travel(last + idle - timedelta(minutes=2), tick=False):
            self.assert_signed_in(True)
        last = last + idle - timedelta(minutes=2)
        with time_machine.travel(last + idle + timedelta(seconds=1), tick=False):
            self.assert_signed_in(False)

    def test_an_active_session_outlives_the_idle_time(self):
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            self.client.force_login(self.member_user)
            for _hour in range(12):
                clock.shift(timedelta(hours=1))
                self.assert_signed_in(True)
            # Twelve hours since the login, longer than the idle time.
            self.assertGreater(12 * 3600, settings.SESSION_COOKIE_AGE)
            clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
            self.assert_signed_in(False)

    def test_requests_within_a_minute_write_no_session(self):
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            self.client.force_login(self.member_user)
            self.assert_signed_in(True)
            clock.shift(timedelta(seconds=30))
            with CaptureQueriesContext(connection) as queries:
                self.assert_signed_in(True)
            writes = [
                q["sql"]
                for q in queries
                if "django_session" in q["sql"]
                and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
            ]
            self.assertEqual(writes, [])
            clock.shift(timedelta(seconds=31))
            with CaptureQueriesContext(connection) as queries:
                self.assert_signed_in(True)
            self.assertTrue(
                any(
                    "django_session" in q["sql"]
                    and q["sql"].lstrip().upper().startswith("UPDATE")
                    for q in queries
                )
            )


class ProductionKeyTests(SimpleTestCase):
    """prod.py refuses a weak SECRET_KEY at import, so nothing starts with it."""

    IMPORT = "import kontum_review.settings.prod"

    def import_prod(self, key):
        return run_django(
            "kontum_review.settings.prod",
            self.IMPORT,
            SECRET_KEY=key,
            ALLOWED_HOSTS="review.example",
        )

    def test_weak_keys_are_refused(self):
        weak = {
            "empty": "",
            "the development key": "dev-only-insecure-key-change-me",
            "short": secrets.token_urlsafe(30)[:40],
            "few different characters": "abcd" * 20,
            "django-insecure-": "django-insecure-" + secrets.token_urlsafe(50),
        }
        for name, key in weak.items():
            with self.subTest(name):
                result = self.import_prod(key)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("ImproperlyConfigured", result.stderr)
                self.assertIn("SECRET_KEY is too weak", result.stderr)

    def test_manage_py_refuses_to_start(self):
        result = run_django(
            "kontum_review.settings.prod",
            args=["check"],
            SECRET_KEY="dev-only-insecure-key-change-me",
            ALLOWED_HOSTS="review.example",
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY is too weak", result.stderr)

    def test_a_strong_key_is_accepted(self):
        result = self.import_prod(secrets.token_urlsafe(50))
        self.assertEqual(result.returncode, 0, result.stderr)
