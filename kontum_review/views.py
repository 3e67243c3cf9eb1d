from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from members.models import Member
from organizations.models import Role
from reviews.models import Review, ReviewCycle


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
