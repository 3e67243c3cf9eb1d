"""A read replica for the figures: the dashboard and the statistics read it.

With READ_REPLICA naming a database alias (DATABASE_REPLICA_URL sets one up
as "replica"), the queries run inside `reading()` go to that alias; every
other read, and every write, goes to "default". Only the figures read there:
a page that shows what its user just saved must not read a replica that lags.
A replica's lag would also be cached under the figures' newest version, so
figures read there are kept REPLICA_CACHE_SECONDS, not the usual quarter hour.

Without READ_REPLICA (the default) `reading()` changes nothing.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

_reading = ContextVar("kontum_replica_reading", default=False)


def alias():
    """The alias the figures read: the replica inside `reading()`, if there is one."""
    replica = getattr(settings, "READ_REPLICA", "")
    return replica if replica and _reading.get() else DEFAULT_DB_ALIAS


def in_use():
    return alias() != DEFAULT_DB_ALIAS


@contextmanager
def reading():
    """Send the reads inside to the replica (a no-op without one)."""
    token = _reading.set(True)
    try:
        yield alias()
    finally:
        _reading.reset(token)


class ReplicaRouter:
    """DATABASE_ROUTERS: reads inside `reading()` to the replica, the rest default."""

    def db_for_read(self, model, **hints):
        return alias() if in_use() else None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, **hints):
        # The replica follows the primary's schema by replication.
        return db != getattr(settings, "READ_REPLICA", "") or None
