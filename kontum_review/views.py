import logging
from urllib.parse import urlsplit

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET, require_http_methods

from members.models import Member
from organizations.models import Role
from reviews.models import Review, ReviewCycle

from . import accounts

logger = logging.getLogger(__name__)


@login_required
def home(request):
    """Send each user to where their work is: the cycle, the checklist, their form."""
    user = request.user
    roles = list(
        Role.objects.filter(user=user)
        .order_by("organization__path")
        .values_list("kind", "organization__path", "organization__public_id")
    )
    kinds = {kind for kind, _path, _organization in roles}
    # Newest first, opened cycles before drafts.
    cycles = sorted(
        ReviewCycle.objects.visible_to(user)
        .select_related("superior")
        .order_by("-starts_on", "-pk"),
        key=lambda cycle: cycle.status == ReviewCycle.Status.DRAFT,
    )
    if user.is_superuser or Role.Kind.STAFF in kinds:
        # A cycle in progress first, then a draft to open, then finished ones.
        def step(cycle):
            if cycle.status == ReviewCycle.Status.DRAFT:
                return 1
            finished = (ReviewCycle.Status.PUBLISHED, ReviewCycle.Status.LOCKED)
            return 2 if cycle.status in finished else 0

        for cycle in sorted(cycles, key=step):
            if user.is_superuser or runs(cycle, roles):
                return redirect("reviews:cycle", public_id=cycle.public_id)
    elif Role.Kind.SECRETARY in kinds:
        for cycle in cycles:
            organization = role_in(cycle, roles, Role.Kind.SECRETARY)
            if organization and cycle.status != ReviewCycle.Status.DRAFT:
                return redirect(
                    "reviews:checklist",
                    public_id=cycle.public_id,
                    organization_id=organization,
                )
    elif Role.Kind.LEADER in kinds:
        for cycle in cycles:
            if role_in(cycle, roles, Role.Kind.LEADER):
                return redirect(f"{reverse('dashboard')}?cycle={cycle.public_id}")
    else:
        return member_home(request)
    return redirect("organizations:list")


def runs(cycle, roles):
    """Staff run the cycles of their committee and of those below it."""
    return any(
        kind == Role.Kind.STAFF and cycle.superior.path.startswith(path)
        for kind, path, _organization in roles
    )


def role_in(cycle, roles, role_kind):
    """The first organization of the cycle's tree where the user holds the role."""
    for kind, path, organization in roles:
        if kind == role_kind and path.startswith(cycle.superior.path):
            return organization
    return None


def member_home(request):
    """A member's own form in the newest opened cycle, else their record."""
    review = (
        Review.objects.individuals()
        .filter(member__user=request.user)
        .exclude(cycle__status=ReviewCycle.Status.DRAFT)
        .order_by("-cycle__starts_on", "-cycle__pk")
        .only("public_id")
        .first()
    )
    if review:
        return redirect("reviews:review", public_id=review.public_id)
    member = Member.objects.filter(user=request.user).only("public_id").first()
    if member:
        return redirect("members:detail", public_id=member.public_id)
    return render(request, "no_role.html")


def database_state():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        return {"ok": False, "error": error.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def redis_state():
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except redis.RedisError as error:
        return {"ok": False, "error": error.__class__.__name__}
    return {"ok": True}


@transaction.non_atomic_requests
@require_GET
@never_cache
def healthz(request):
    checks = {"database": database_state()}
    if settings.REDIS_URL:
        checks["redis"] = redis_state()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )


# Accounts --------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    """Reset by e-mail; the links point at SITE_URL when it is set.

    Without SITE_URL they use the request's host, which ALLOWED_HOSTS limits.
    """

    form_class = accounts.PasswordResetForm

    def form_valid(self, form):
        if accounts.reset_limited(self.request, form.cleaned_data["email"]):
            form.add_error(
                None,
                _(
                    "Too many requests to reset a password from here or for this "
                    "address. Wait an hour and try again, or ask the committee "
                    "staff to set a new password for you."
                ),
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        site = urlsplit(settings.SITE_URL) if settings.SITE_URL else None
        form.save(
            domain_override=site.netloc if site else None,
            use_https=site.scheme == "https" if site else self.request.is_secure(),
            token_generator=self.token_generator,
            from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            request=self.request,
            html_email_template_name=self.html_email_template_name,
            extra_email_context={
                "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            },
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the e-mailed link also lifts a lockout."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response


@login_required
@require_http_methods(["GET", "POST"])
def locked_accounts(request):
    """Committee staff lift the login lockouts of their subtree's accounts."""
    if not accounts.may_unlock(request.user):
        raise PermissionDenied
    if request.method == "POST":
        username = request.POST.get("username", "")
        if username not in accounts.unlockable(request.user, {username}):
            raise PermissionDenied
        axes_reset(username=username)
        logger.warning("%s lifted the login lockout of %s", request.user, username)
        messages.success(
            request,
            _("“%(username)s” can log in again.") % {"username": username},
        )
        return redirect("locked_accounts")
    lockouts = accounts.current_lockouts()
    allowed = accounts.unlockable(request.user, {row["username"] for row in lockouts})
    return render(
        request,
        "registration/locked_accounts.html",
        {
            "lockouts": [row for row in lockouts if row["username"] in allowed],
            "minutes": accounts.lockout_minutes(),
        },
    )


# Error pages -----------------------------------------------------------------


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a Vietnamese page that says to reload and try again."""
    return render(request, "403_csrf.html", status=403)


@requires_csrf_token
def bad_request(request, exception):
    """handler400: a body too large or malformed, in Vietnamese, with the menu.

    Django's own view renders without the request, so the page would lose the
    menu and the language; the body is never read again here. The body may be
    refused before the authentication middleware ran (the NUL check reads the
    form first): the user is then read from the session here.
    """
    if not hasattr(request, "user") and hasattr(request, "session"):
        request.user = SimpleLazyObject(lambda: get_user(request))
    return render(request, "400.html", status=400)


@requires_csrf_token
def server_error(request):
    """handler500: the Vietnamese page, with no database query.

    Plain context, no context processors: the user shows in the menu only if
    the request had already loaded them (a session or user query now could be
    what failed).
    """
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        user = AnonymousUser()
    context = {"request": request, "user": user, "csrf_token": get_token(request)}
    return HttpResponseServerError(loader.get_template("500.html").render(context))
