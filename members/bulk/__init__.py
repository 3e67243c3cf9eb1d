"""Bulk writes for the demo generator and the register's imports: COPY on
PostgreSQL, the ORM elsewhere.

A province-size demo writes millions of rows. Built as model instances and
sent through bulk_create, most of the time went to Django preparing each value
of each instance; COPY takes the values as they are. Every function here
writes what the ORM would (the same columns, defaults and order, so the same
keys), and falls back to the ORM on SQLite, where the demo stays small.

The package's modules: `writes` (COPY inserts and updates, the reviews'
outcomes) and `restoring` (`loading`, a load with the checks paused), which
imports `writes`. Every name is imported from `members.bulk`.
"""

from .restoring import TALLY_TRIGGERS, loading, recount_tallies
from .writes import (
    BATCH,
    analyze,
    connection_for,
    insert,
    insert_keyed,
    insert_objects,
    quoted,
    refresh_outcomes,
    update,
    update_objects,
    uses_copy,
)

__all__ = [
    "BATCH",
    "TALLY_TRIGGERS",
    "analyze",
    "connection_for",
    "insert",
    "insert_keyed",
    "insert_objects",
    "loading",
    "quoted",
    "recount_tallies",
    "refresh_outcomes",
    "update",
    "update_objects",
    "uses_copy",
]
