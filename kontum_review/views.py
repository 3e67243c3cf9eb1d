from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from members.models import Member
from organizations.models import TREE_ROLE_KINDS, Role


@login_required
def home(request):
    """Send each user to where their work is: the tree, or their own record."""
    user = request.user
    if (
        user.is_superuser
        or Role.objects.filter(user=user, kind__in=TREE_ROLE_KINDS).exists()
    ):
        return redirect("organizations:list")
    member = Member.objects.filter(user=user).only("public_id").first()
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
