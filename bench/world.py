"""The demo world the page benches load: its database, seed and accounts.

Imported by bench/load.py and bench/pages.py after django.setup().
"""

import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from psycopg import sql

from members import demo
from members.models import Member
from organizations.models import Organization, OrganizationKind, Role
from reviews.models import Review, ReviewCycle

CELL_KINDS = (OrganizationKind.CELL, OrganizationKind.GRASSROOTS_CELL)
MEMBER_FORMS_PER_SECRETARY = 10


def create_database(url):
    """Create the database of `url` when it is missing."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("The page benches need PostgreSQL: give a postgres:// URL.")
    name = parts.path.lstrip("/")
    server = psycopg.connect(
        urlunsplit(parts._replace(path="/postgres")), autocommit=True
    )
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
                cursor.execute(create)
    finally:
        server.close()


def seed_once(members, *, grassroots=None, cells=None, log):
    """Migrate, and seed the demo of `members` unless the database holds it."""
    call_command("migrate", verbosity=0)
    if Organization.objects.exists():
        found = Member.objects.count()
        # The bench's own accounts link users to members, never add members.
        if found != members:
            sys.exit(
                f"The database holds a demo of {found} members, not {members}: "
                "drop it or give another --database-url."
            )
        log(f"Reusing the demo of {found} members.")
    else:
        log(f"Seeding the demo of {members} members...")
        demo.seed(members=members, grassroots=grassroots, cells=cells, log=log)
    # Fresh statistics and no dead rows, as autovacuum keeps them on a server
    # that has run a while: right after seeding the planner would guess and
    # scan, and where autovacuum is off (as on the machine of the README's
    # figures) the seed's and every earlier run's updated rows stay behind as
    # dead ones (234,000 in the reviews of a 31k demo after a few runs: the
    # pages then read through them).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def current_cycle():
    return ReviewCycle.objects.select_related("superior").latest("starts_on", "pk")


@transaction.atomic
def load_accounts(users, *, log):
    """Accounts for `users` people: secretaries of a cell each, and members.

    The current cycle goes back to self-review and each member's form to a
    draft, so that the member autosaves and the secretary may record the
    meeting. Running it again reuses the accounts.
    """
    cycle = current_cycle()
    if cycle.status != ReviewCycle.Status.SELF_REVIEW:
        log(f"Putting {cycle.name} back to self-review (bench database only).")
        ReviewCycle.objects.filter(pk=cycle.pk).update(
            status=ReviewCycle.Status.SELF_REVIEW
        )
    secretaries = max(1, users // 2)
    members = max(1, users - secretaries)
    cells = busy_cells(cycle, secretaries)
    password = make_password(demo.DEMO_PASSWORD)
    accounts = []
    for number, cell in enumerate(cells[:secretaries], 1):
        user = bench_user(f"bench-secretary-{number:03}", password)
        Role.objects.get_or_create(
            user=user, organization=cell, kind=Role.Kind.SECRETARY
        )
        accounts.append(secretary_account(user, cycle, cell))
    for number in range(1, members + 1):
        cell = cells[(number - 1) % len(cells)]
        user = bench_user(f"bench-member-{number:03}", password)
        review = own_draft(user, cycle, cell)
        accounts.append(
            {
                "kind": "member",
                "username": user.username,
                "form": reverse("reviews:review", args=[review.public_id]),
            }
        )
    return accounts


def busy_cells(cycle, wanted):
    """Cells with a collective form and a good number of members, largest first."""
    collectives = Review.objects.filter(
        cycle=cycle, kind=Review.Kind.ORGANIZATION
    ).values("organization")
    cells = list(
        Organization.objects.filter(kind__in=CELL_KINDS, pk__in=collectives)
        .order_by("path")
        .only("pk", "public_id", "path")
    )
    sizes = dict(
        Review.objects.filter(cycle=cycle, kind=Review.Kind.INDIVIDUAL)
        .values_list("organization")
        .annotate(Count("pk"))
    )
    cells = [cell for cell in cells if sizes.get(cell.pk, 0) >= 3]
    # Spread over the tree rather than the first cells of one committee.
    step = max(1, len(cells) // max(wanted, 1))
    return cells[::step] or cells


def bench_user(username, password):
    user, _created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": username, "password": password}
    )
    return user


def secretary_account(user, cycle, cell):
    reviews = Review.objects.filter(cycle=cycle, organization=cell)
    collective = reviews.get(kind=Review.Kind.ORGANIZATION)
    individuals = reviews.filter(kind=Review.Kind.INDIVIDUAL).order_by("pk")
    return {
        "kind": "secretary",
        "username": user.username,
        "checklist": reverse(
            "reviews:checklist", args=[cycle.public_id, cell.public_id]
        ),
        "collective_form": reverse("reviews:review", args=[collective.public_id]),
        "meeting": reverse("reviews:meeting", args=[collective.public_id]),
        "member_forms": [
            reverse("reviews:review", args=[public_id])
            for public_id in individuals.values_list("public_id", flat=True)[
                :MEMBER_FORMS_PER_SECRETARY
            ]
        ],
    }


def own_draft(user, cycle, cell):
    """The user's own form in `cell`, linked to a member and open as a draft."""
    review = Review.objects.filter(cycle=cycle, member__user=user).first()
    if review is None:
        review = (
            Review.objects.filter(
                cycle=cycle,
                organization=cell,
                kind=Review.Kind.INDIVIDUAL,
                member__user__isnull=True,
                exemptions__isnull=True,
            )
            .order_by("pk")
            .first()
        )
        if review is None:
            sys.exit(f"No member of {cell} is left for a bench account.")
        Member.objects.filter(pk=review.member_id).update(user=user)
        Role.objects.get_or_create(user=user, organization=cell, kind=Role.Kind.MEMBER)
    Review.objects.filter(pk=review.pk).update(
        status=Review.Status.DRAFT, submitted_at=None
    )
    return review
