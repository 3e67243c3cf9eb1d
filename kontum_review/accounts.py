"""Accounts: the login lockout (django-axes), idle sessions and password reset.

- `ModelBackend` loads each request's user with the count of unread notices
  the menu shows, in the same query.
- Axes counts failed logins per username and client address on both login
  pages; `lockout_response` answers a locked pair with a Vietnamese page,
  `client_ip` says which address counts (see TRUSTED_PROXY_COUNT) and
  `login_username` which username.
- `IdleSessionMiddleware` ends a signed-in session after SESSION_COOKIE_AGE
  seconds without a request.
- `PasswordResetForm` finds an account by its own e-mail or by the e-mail of
  the member record it belongs to, and hands the message to the worker, so the
  answer takes as long whether or not an account matched; `reset_limited`
  caps the requests per typed address and per client address.
"""

import functools
import hashlib
import ipaddress
import time

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY, backends, get_user_model
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import _unicode_ci_compare
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.template import loader
from django.utils import timezone

from kontum_review.compiled import Compiled
from organizations.models import DASHBOARD_ROLE_KINDS, Role

# Session key holding the time of the last renewal, in seconds since the epoch.
LAST_RENEWAL = "_idle_renewed_at"


# Each request's user -------------------------------------------------------


class ModelBackend(backends.ModelBackend):
    """Django's, loading the signed-in user with what the menu shows, in the
    same query: `unread_notices`, the count, and `reads_dashboard`, whether a
    role of theirs reads a dashboard (as it stands now, not as it stood at
    login). No page pays a query for either."""

    def get_user(self, user_id):
        user = user_lookup().first(user_id=user_id)
        return user if user and self.user_can_authenticate(user) else None


@functools.cache
def user_lookup():
    """A user by key with what the menu shows, compiled once per process
    (kontum_review/compiled.py): every request reads it."""
    return Compiled(
        lambda *, user_id: users_with_menu().filter(pk=user_id).order_by("pk")[:1],
        user_id=get_user_model()._meta.pk,
    )


@functools.cache
def users_with_menu():
    """The users, each with what the menu shows: built once per process, as
    building its two subqueries cost every request some 0.4 ms."""
    notices = apps.get_model("reviews", "Notice").objects
    unread = (
        notices.filter(user=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(count=Count("pk"))
        .values("count")
    )
    readers = Role.objects.filter(user=OuterRef("pk"), kind__in=DASHBOARD_ROLE_KINDS)
    return get_user_model()._default_manager.annotate(
        unread_notices=Coalesce(Subquery(unread), 0),
        reads_dashboard=Exists(readers),
    )


# Lockout ---------------------------------------------------------------------


def client_ip(request):
    """The address a login attempt counts against.

    REMOTE_ADDR, unless TRUSTED_PROXY_COUNT reverse proxies stand in front of
    the app, each appending the address it saw to X-Forwarded-For: then the
    entry the outermost trusted proxy appended. Anything left of it was sent by
    the client and is never trusted, so a forged header cannot dodge a lockout.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def login_username(request, credentials=None):
    """The username a login attempt counts against: the one typed, cut to the
    length axes' tables keep.

    Django's login forms send any length on to authenticate() (usernames have
    at most 150 characters, but the forms check no length), and axes' record
    of a failure with a longer one would fail its INSERT: a 500.
    """
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    if not isinstance(username, str):
        return username
    return username[: AccessAttempt._meta.get_field("username").max_length]


def lockout_minutes(request=None):
    cool_off = get_cool_off(request)
    return max(1, round(cool_off.total_seconds() / 60)) if cool_off else None


def lockout_response(request, original_response=None, credentials=None):
    """Axes' answer to a locked-out login: the Vietnamese page, 429."""
    return render(
        request,
        "registration/locked_out.html",
        {
            "minutes": lockout_minutes(request),
            "failure_limit": get_failure_limit(request, credentials),
        },
        status=429,
    )


def current_lockouts():
    """(username, ip_address, failures, last attempt) of each locked pair, newest first.

    The same sum over the cool-off window as axes' database handler.
    """
    attempts = AccessAttempt.objects.all()
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return list(
        attempts.values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last")
    )


def staff_paths(user):
    return list(
        Role.objects.filter(user=user, kind=Role.Kind.STAFF).values_list(
            "organization__path", flat=True
        )
    )


def may_unlock(user):
    """Superusers and committee staff."""
    return user.is_superuser or bool(staff_paths(user))


def unlockable(user, usernames):
    """The usernames among `usernames` whose lockout `user` may lift.

    Superusers any; committee staff those accounts whose every place in the tree
    (roles, member record) lies in the subtrees they staff, nothing above, and
    never an admin's (is_staff or superuser): those are the superusers' to unlock.
    """
    usernames = {name for name in usernames if name}
    if user.is_superuser:
        return usernames
    paths = staff_paths(user)
    if not paths:
        return set()
    accounts = (
        get_user_model()
        .objects.filter(username__in=usernames, is_superuser=False, is_staff=False)
        .prefetch_related("party_roles__organization")
        .select_related("party_member__organization")
    )
    allowed = set()
    for account in accounts:
        places = [role.organization.path for role in account.party_roles.all()]
        member = getattr(account, "party_member", None)
        if member is not None:
            places.append(member.organization.path)
        if places and all(
            any(place.startswith(path) for path in paths) for place in places
        ):
            allowed.add(account.username)
    return allowed


# Idle sessions ---------------------------------------------------------------


class IdleSessionMiddleware:
    """Keep a signed-in session alive while it is used, with at most one write a
    minute.

    SESSION_COOKIE_AGE is the idle limit: a saved session expires that long
    after its last save (the database row's expire_date and the cookie's
    Max-Age). Django's SESSION_SAVE_EVERY_REQUEST would renew it on every
    request, at the cost of a database write and commit on each one (htmx
    polls included). Here a request renews it only when the last renewal is
    SESSION_RENEW_SECONDS old (at most a tenth of the limit), or when the
    session is saved anyway, so a session ends between the limit less that step
    and the limit after its last request. SESSION_RENEW_SECONDS = 0 turns the
    renewal off: sessions then last the limit from their last save.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        renew_every = getattr(settings, "SESSION_RENEW_SECONDS", 60)
        session = getattr(request, "session", None)
        # Only sessions the request read (a page checks the user), and signed in.
        if (
            not renew_every
            or session is None
            or not session.accessed
            or SESSION_KEY not in session
        ):
            return response
        step = max(1, min(renew_every, settings.SESSION_COOKIE_AGE // 10))
        now = int(time.time())
        renewed = session.get(LAST_RENEWAL, 0)
        if session.modified or not 0 <= now - renewed < step:
            session[LAST_RENEWAL] = now
        return response


# Password reset --------------------------------------------------------------


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Reset by the account's e-mail or its member record's e-mail.

    The link goes to the stored address that matched, never to the typed one.
    The page that follows is the same whether or not any account matched.
    """

    def get_users(self, email):
        accounts = (
            get_user_model()
            .objects.filter(
                Q(email__iexact=email) | Q(party_member__email__iexact=email),
                is_active=True,
            )
            .select_related("party_member")
        )
        for account in accounts:
            if not account.has_usable_password():
                continue
            member = getattr(account, "party_member", None)
            for address in (account.email, member.email if member else ""):
                if address and _unicode_ci_compare(email, address):
                    account.reset_address = address
                    yield account
                    break

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Compose the message here, send it from the worker (see module doc).

        The link in it travels through the broker, as every task's arguments.
        If the broker cannot be reached the message is sent here, late rather
        than lost.
        """
        from reviews import background

        subject = "".join(loader.render_to_string(subject_template_name, context))
        message = {
            "subject": " ".join(subject.split()),
            "body": loader.render_to_string(email_template_name, context),
            "from_email": from_email,
            "to": [context["user"].reset_address],
        }
        if html_email_template_name is not None:
            message["html"] = loader.render_to_string(html_email_template_name, context)
        background.start(
            "reviews.tasks.send_mail_task",
            message,
            on_unsent=lambda error: send_message(message),
        )


def send_message(message):
    """Send a message composed by `PasswordResetForm.send_mail`."""
    mail = EmailMultiAlternatives(
        message["subject"],
        message["body"],
        message["from_email"],
        message["to"],
    )
    if message.get("html"):
        mail.attach_alternative(message["html"], "text/html")
    mail.send()


def reset_limited(request, email):
    """Count a reset request; whether it is over the hour's limits (settings
    PASSWORD_RESET_PER_ADDRESS, PASSWORD_RESET_PER_CLIENT).

    Counted in the cache, so without it (Redis down) nothing is limited: the
    request is still answered. The typed address is kept only as a digest.
    """
    address = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
    return any(
        over_limit(f"password-reset:{kind}:{key}", limit, 3600)
        for kind, key, limit in (
            ("address", address, settings.PASSWORD_RESET_PER_ADDRESS),
            ("client", client_ip(request), settings.PASSWORD_RESET_PER_CLIENT),
        )
    )


def over_limit(key, limit, seconds):
    """Count one more request under `key`, for `seconds` from the first one;
    whether the count is now over `limit`."""
    cache.add(key, 0, seconds)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired just now, or the cache is unreachable
        return False
