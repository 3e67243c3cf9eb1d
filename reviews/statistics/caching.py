"""The statistics' cache: the version of each cycle and of the tree, bumped by
every counted write (reviews/signals.py), and the figures kept under keys
that carry those versions, so no one reads numbers older than the last
decision."""

import time

from django.conf import settings
from django.core.cache import cache

from ..models import Review

CACHE_SECONDS = 15 * 60


# The review fields the statistics count: a save that changes none of them (an
# autosave of the answers) leaves the cached figures as they are.
COUNTED_REVIEW_FIELDS = ("status", "kind", "organization", "is_leader", "cycle")


def counted_state(review):
    """What the statistics count of a review, to compare before and after a save."""
    fields = (Review._meta.get_field(name) for name in COUNTED_REVIEW_FIELDS)
    return tuple(getattr(review, field.attname) for field in fields)


def version_key(cycle_id):
    return f"statistics:cycle:{cycle_id}"


TREE_KEY = "statistics:tree"


# Version bumps the cache did not take (Redis unreachable): this process bumps
# them again once the cache answers, before it reads a version. Another process
# may read the old figures until then, for CACHE_SECONDS at most.
missed = set()


def reachable():
    return getattr(cache, "reachable", True)


def bump(key):
    try:
        cache.incr(key)
    except ValueError:
        # A fresh start never reuses a number an evicted version once had.
        cache.set(key, time.time_ns(), None)
    if reachable():
        missed.discard(key)
    else:
        missed.add(key)


def invalidate(cycle_id):
    """Make every cached figure of the cycle stale (call after bulk writes too)."""
    bump(version_key(cycle_id))


def invalidate_tree():
    bump(TREE_KEY)


def versions(cycle_ids):
    """The current version of each cycle and of the tree, from one cache call.

    With the cache unreachable every version reads 0 and nothing is stored: the
    figures are computed for each request.
    """
    for key in list(missed):
        if reachable():
            bump(key)
    keys = [version_key(pk) for pk in cycle_ids] + [TREE_KEY]
    found = cache.get_many(keys)
    missing = {key: time.time_ns() for key in keys if key not in found}
    if missing:
        for key, value in missing.items():
            cache.add(key, value, None)
        found.update(cache.get_many(list(missing)))
    return tuple(found.get(key, 0) for key in keys)


def cache_key(key_parts, prefix="statistics:figures:"):
    return prefix + ":".join(str(part) for part in key_parts)


def cached(key_parts, compute):
    key = cache_key(key_parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, cache_seconds())
    return value


def cache_seconds():
    """How long figures are kept: shorter when they are read from a replica."""
    if settings.READ_REPLICA:
        return settings.REPLICA_CACHE_SECONDS
    return CACHE_SECONDS
