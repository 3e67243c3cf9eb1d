"""The rollups the statistics read: how many reviews share organization, kind,
status and ratings (ReviewTally), and how many remedy actions an organization's
plans hold per status and deadline (RemedyTally).

`ReviewTally` holds, per cycle, one row for each group of reviews with the
same organization, kind, leadership, status, latest proposal and decision, and
how many there are: what the statistics grouped from the reviews table, kept
instead by triggers on that table (migration 0013) in the same transaction as
every write, so reading the figures costs O(organizations), not O(reviews).
The remedy tally is kept likewise by triggers on the actions (migration 0017),
and on the reviews for a review moved to another organization or cycle.

The triggers see every write, whatever made it. Only a bulk load that bypassed
them (a restore with triggers disabled) can leave a tally behind its rows:
`manage.py recount_tallies --check` says whether any cycle differs, and
without --check rebuilds them.
"""

from collections import Counter

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Count

from .models import RemedyAction, RemedyTally, Review, ReviewTally

KEY = (
    "organization_id",
    "kind",
    "is_leader",
    "status",
    "proposed_code",
    "decided_code",
)


def counted(cycle_id, using=DEFAULT_DB_ALIAS):
    """The cycle's groups counted from its reviews: Counter of key → number."""
    rows = (
        Review.objects.using(using)
        .filter(cycle_id=cycle_id)
        .order_by()
        .values_list(*KEY)
        .annotate(number=Count("*"))
    )
    return Counter({row[:-1]: row[-1] for row in rows})


def tallied(cycle_id, using=DEFAULT_DB_ALIAS):
    """The cycle's groups as the tally holds them (empty groups left out)."""
    rows = ReviewTally.objects.using(using).filter(cycle_id=cycle_id)
    rows = rows.exclude(number=0)
    return Counter({row[:-1]: row[-1] for row in rows.values_list(*KEY, "number")})


def unequal(found, expected):
    """The groups two Counters disagree on: key → (found, expected)."""
    return {
        key: (found[key], expected[key])
        for key in found.keys() | expected.keys()
        if found[key] != expected[key]
    }


def differences(cycle_id, using=DEFAULT_DB_ALIAS):
    """Groups whose tally differs from the count: key → (tallied, counted)."""
    return unequal(tallied(cycle_id, using), counted(cycle_id, using))


REMEDY_KEY = ("organization_id", "status", "deadline")


def remedies_counted(cycle_id, using=DEFAULT_DB_ALIAS):
    """The cycle's remedy actions counted per organization, status and deadline."""
    rows = (
        RemedyAction.objects.using(using)
        .filter(review__cycle_id=cycle_id)
        .order_by()
        .values_list("review__organization_id", "status", "deadline")
        .annotate(number=Count("*"))
    )
    return Counter({row[:-1]: row[-1] for row in rows})


def remedies_tallied(cycle_id, using=DEFAULT_DB_ALIAS):
    """The same groups as the remedy tally holds them (empty groups left out)."""
    rows = RemedyTally.objects.using(using).filter(cycle_id=cycle_id)
    rows = rows.exclude(number=0).values_list(*REMEDY_KEY, "number")
    return Counter({row[:-1]: row[-1] for row in rows})


def remedy_differences(cycle_id, using=DEFAULT_DB_ALIAS):
    """Groups whose remedy tally differs from the count: key → (tallied, counted)."""
    return unequal(remedies_tallied(cycle_id, using), remedies_counted(cycle_id, using))


@transaction.atomic
def rebuild(cycle_id):
    """Count the cycle's tallies again from its reviews and remedy actions."""
    # Holds off writers to the cycle's reviews while it counts.
    list(Review.objects.filter(cycle_id=cycle_id).select_for_update().values("pk"))
    ReviewTally.objects.filter(cycle_id=cycle_id).delete()
    ReviewTally.objects.bulk_create(
        ReviewTally(cycle_id=cycle_id, **dict(zip(KEY, key, strict=True)), number=n)
        for key, n in counted(cycle_id).items()
    )
    list(
        RemedyAction.objects.filter(review__cycle_id=cycle_id)
        .select_for_update(of=("self",))
        .values("pk")
    )
    RemedyTally.objects.filter(cycle_id=cycle_id).delete()
    RemedyTally.objects.bulk_create(
        RemedyTally(
            cycle_id=cycle_id, **dict(zip(REMEDY_KEY, key, strict=True)), number=n
        )
        for key, n in remedies_counted(cycle_id).items()
    )
