"""Loading the reviews and ratings in one transaction as a restore does
(`loading`): the tally's triggers off, plain indexes and foreign keys dropped,
then all of it put back and every cycle's tally counted again once.
"""

from contextlib import contextmanager

from django.db import DatabaseError, transaction

from reviews import tallies
from reviews.models import Rating, Review, ReviewTally

from .writes import connection_for, quoted

# The triggers of migration reviews 0013 that keep ReviewTally.
TALLY_TRIGGERS = (
    "reviews_tally_insert",
    "reviews_tally_update",
    "reviews_tally_delete",
)


@contextmanager
def loading():
    """Load the reviews and ratings as a restore does: rows first, then what
    checks and indexes them, once.

    The review tally's triggers (migration reviews 0013) group every
    statement's rows into the tally; a seed writes each review several times
    (opened, submitted, rated), and an UPDATE of a whole cycle joins its old
    and new rows, spilling to disk. Every such write also touched the ten
    plain indexes of the reviews table, and queued a lookup per row and
    foreign key. Here, on PostgreSQL, the triggers are off and the plain
    indexes and foreign keys of the reviews and ratings tables dropped for the
    transaction (ALTER TABLE holds the tables until the commit, so nothing
    else reads or writes them meanwhile). Before it ends the foreign keys are
    added again, which checks every row against them in one pass; the indexes
    are created again from their own definitions; every cycle's tally is
    counted again, as `manage.py recount_tallies` counts; and the triggers
    come back on. The unique indexes stay, so uniqueness is checked as the
    rows come. Where this cannot be done (not PostgreSQL, not the tables'
    owner, not in a transaction) the triggers, indexes and keys simply do
    their work.
    """
    connection = connection_for(Review)
    paused, restore = False, []
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with _no_pending(connection):
            try:
                with transaction.atomic(using=connection.alias):
                    _set_triggers(connection, "DISABLE")
                    restore = _drop_foreign_keys(connection, Review, Rating)
                    restore += _drop_indexes(connection, Review, Rating)
            except DatabaseError:  # not the owner: all of it was rolled back
                restore = []
            else:
                paused = True
    yield
    if paused:
        # Never left undone: a failure here fails the seed and rolls it back.
        with _no_pending(connection), connection.cursor() as cursor:
            for statement in restore:
                cursor.execute(statement)
            recount_tallies(connection)
            _set_triggers(connection, "ENABLE")


@contextmanager
def _no_pending(connection):
    """ALTER TABLE and CREATE INDEX refuse a table with checks still pending:
    the foreign keys are deferred to the commit. Check them now, and defer
    them again after."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _drop_foreign_keys(connection, *models):
    """Drop the foreign keys of these tables; return the statements that add
    them again, which check every row at once (a join) rather than each row
    as it comes."""
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT tab.relname, con.conname, pg_get_constraintdef(con.oid)
            FROM pg_constraint AS con
            JOIN pg_class AS tab ON tab.oid = con.conrelid
            WHERE con.contype = 'f' AND tab.relname = ANY(%s)
              AND pg_table_is_visible(tab.oid)
            ORDER BY tab.relname, con.conname
            """,
            [tables],
        )
        found = cursor.fetchall()
        for table, name, _definition in found:
            cursor.execute(
                f"ALTER TABLE {quoted(table)} DROP CONSTRAINT {quoted(name)}"
            )
    return [
        f"ALTER TABLE {quoted(table)} ADD CONSTRAINT {quoted(name)} {definition}"
        for table, name, definition in found
    ]


def _drop_indexes(connection, *models):
    """Drop the indexes of these tables that back no constraint and enforce
    nothing (not unique); return the statements that create them again."""
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT index.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index AS i
            JOIN pg_class AS index ON index.oid = i.indexrelid
            JOIN pg_class AS tab ON tab.oid = i.indrelid
            WHERE tab.relname = ANY(%s)
              AND pg_table_is_visible(tab.oid)
              AND NOT i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (
                  SELECT 1 FROM pg_constraint WHERE conindid = i.indexrelid
              )
            ORDER BY index.relname
            """,
            [tables],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {quoted(name)}")
    return [definition for _name, definition in found]


def _set_triggers(connection, action):
    table = quoted(Review._meta.db_table)
    with connection.cursor() as cursor:
        for name in TALLY_TRIGGERS:
            cursor.execute(f"ALTER TABLE {table} {action} TRIGGER {quoted(name)}")


def recount_tallies(connection):
    """Every cycle's tally counted from its reviews, in one statement each way
    (tallies.rebuild, for a table this transaction holds)."""
    key = ", ".join(quoted(column) for column in ("cycle_id", *tallies.KEY))
    tally, reviews = (
        quoted(ReviewTally._meta.db_table),
        quoted(Review._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {tally}")
        cursor.execute(
            f"INSERT INTO {tally} ({key}, number) "
            f"SELECT {key}, COUNT(*) FROM {reviews} GROUP BY {key} ORDER BY {key}"
        )
