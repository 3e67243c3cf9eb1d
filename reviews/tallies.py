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

The exemptions' tally (ExemptionTally, migration 0019) is kept like the
remedy tally, by triggers on the exemptions and on a review that moves. The
members' runs at the ends of the scale (MemberRun, migration 0018) are kept
likewise by triggers on the reviews and on a cycle whose year changes.

The triggers see every write, whatever made it. Only a bulk load that bypassed
them (a restore with triggers disabled) can leave a tally behind its rows:
`manage.py recount_tallies --check` says whether any cycle differs, and
without --check rebuilds them.
"""

from collections import Counter, defaultdict

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Count

from .models import (
    LEVEL_CODES,
    ExemptionTally,
    MemberRun,
    RemedyAction,
    RemedyTally,
    Review,
    ReviewTally,
    StepExemption,
)

KEY = (
    "organization_id",
    "kind",
    "is_leader",
    "status",
    "proposed_code",
    "decided_code",
)


def grouped(rows):
    """Rows whose last value is a number: Counter of the rest → number."""
    return Counter({row[:-1]: row[-1] for row in rows})


def held(tally, cycle_id, key, using):
    """The cycle's groups as `tally` holds them (empty groups left out)."""
    rows = tally.objects.using(using).filter(cycle_id=cycle_id).exclude(number=0)
    return grouped(rows.values_list(*key, "number"))


def counted(cycle_id, using=DEFAULT_DB_ALIAS):
    """The cycle's groups counted from its reviews: Counter of key → number."""
    rows = (
        Review.objects.using(using)
        .filter(cycle_id=cycle_id)
        .order_by()
        .values_list(*KEY)
        .annotate(number=Count("*"))
    )
    return grouped(rows)


def tallied(cycle_id, using=DEFAULT_DB_ALIAS):
    """The cycle's groups as the tally holds them (empty groups left out)."""
    return held(ReviewTally, cycle_id, KEY, using)


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
    return grouped(rows)


def remedies_tallied(cycle_id, using=DEFAULT_DB_ALIAS):
    """The same groups as the remedy tally holds them (empty groups left out)."""
    return held(RemedyTally, cycle_id, REMEDY_KEY, using)


def remedy_differences(cycle_id, using=DEFAULT_DB_ALIAS):
    """Groups whose remedy tally differs from the count: key → (tallied, counted)."""
    return unequal(remedies_tallied(cycle_id, using), remedies_counted(cycle_id, using))


EXEMPTION_KEY = ("organization_id", "kind", "review_kind")


def exemptions_counted(cycle_id, using=DEFAULT_DB_ALIAS):
    """The cycle's exemptions counted per organization, kind and kind of review."""
    rows = (
        StepExemption.objects.using(using)
        .filter(review__cycle_id=cycle_id)
        .order_by()
        .values_list("review__organization_id", "kind", "review__kind")
        .annotate(number=Count("*"))
    )
    return grouped(rows)


def exemptions_tallied(cycle_id, using=DEFAULT_DB_ALIAS):
    """The same groups as the exemption tally holds them (empty groups left out)."""
    return held(ExemptionTally, cycle_id, EXEMPTION_KEY, using)


def exemption_differences(cycle_id, using=DEFAULT_DB_ALIAS):
    """Groups whose exemption tally differs from the count: key → (tallied, counted)."""
    return unequal(
        exemptions_tallied(cycle_id, using), exemptions_counted(cycle_id, using)
    )


# The ends of the scale, HTXSNV and KHTNV (rules.EXCELLENT and rules.FAIL).
RUN_CODES = (LEVEL_CODES[0], LEVEL_CODES[-1])
SHORTEST_RUN = 2  # results.FAILING_RUN, the shortest run the flags look for


def runs_counted(using=DEFAULT_DB_ALIAS):
    """Each member review at an end of the scale in a run of two years or more,
    counted from the reviews: review id → (cycle, member, organization, level,
    years).

    Counted here in Python, apart from the triggers' SQL, so that each checks
    the other: a year's review continues the run when the member was decided
    the same level in some cycle of the year before.
    """
    reviews = list(
        Review.objects.using(using)
        .filter(member__isnull=False, decided_code__in=RUN_CODES)
        .values_list(
            "pk",
            "cycle_id",
            "member_id",
            "organization_id",
            "decided_code",
            "cycle__year",
        )
    )
    years = defaultdict(set)
    for _pk, _cycle, member, _organization, code, year in reviews:
        years[member, code].add(year)
    found = {}
    for pk, cycle, member, organization, code, year in reviews:
        run = 1
        while year - run in years[member, code]:
            run += 1
        if run >= SHORTEST_RUN:
            found[pk] = (cycle, member, organization, code, run)
    return found


def runs_kept(using=DEFAULT_DB_ALIAS):
    """The same as the triggers keep them."""
    rows = MemberRun.objects.using(using).values_list(
        "review_id", "cycle_id", "member_id", "organization_id", "decided_code", "years"
    )
    return {pk: tuple(rest) for pk, *rest in rows}


def run_differences(using=DEFAULT_DB_ALIAS):
    """Reviews whose kept run differs from the count: id → (kept, counted)."""
    kept, counted_runs = runs_kept(using), runs_counted(using)
    return {
        pk: (kept.get(pk), counted_runs.get(pk))
        for pk in kept.keys() | counted_runs.keys()
        if kept.get(pk) != counted_runs.get(pk)
    }


@transaction.atomic
def rebuild_runs():
    """Count the members' runs again from their reviews."""
    # Holds off writers of the decisions at the ends of the scale while it counts.
    at_ends = Review.objects.filter(member__isnull=False, decided_code__in=RUN_CODES)
    list(at_ends.select_for_update().values("pk"))
    MemberRun.objects.all().delete()
    MemberRun.objects.bulk_create(
        MemberRun(
            review_id=pk,
            cycle_id=cycle,
            member_id=member,
            organization_id=organization,
            decided_code=code,
            years=n,
        )
        for pk, (cycle, member, organization, code, n) in runs_counted().items()
    )


@transaction.atomic
def rebuild(cycle_id):
    """Count the cycle's tallies again from its reviews, remedy actions and
    exemptions."""
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
    list(
        StepExemption.objects.filter(review__cycle_id=cycle_id)
        .select_for_update(of=("self",))
        .values("pk")
    )
    ExemptionTally.objects.filter(cycle_id=cycle_id).delete()
    ExemptionTally.objects.bulk_create(
        ExemptionTally(
            cycle_id=cycle_id, **dict(zip(EXEMPTION_KEY, key, strict=True)), number=n
        )
        for key, n in exemptions_counted(cycle_id).items()
    )
