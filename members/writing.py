"""Writing members in bulk: new rows, updated rows, and their history rows.

`insert_rows` and `update_rows` write members through members/bulk/; on
PostgreSQL `copy_to_history` has the database copy the written rows into the
history (INSERT … SELECT) where simple_history would build them one by one.
"""

from django.conf import settings
from django.db import connections
from django.utils import timezone

from . import bulk
from .models import Member

# Rows written by one statement; Django's bulk update grows with its square.
WRITE_BATCH = 500


def update_rows(members, fields):
    """Write `fields` of existing members in bulk (members/bulk/): Django's
    bulk_update sets each column to a CASE with one branch per row, which
    costs the square of the batch to build and to run (109 of 117 s for
    2,500 rows)."""
    if fields:
        bulk.update_objects(Member, members, fields)


def insert_rows(members):
    """Insert new members as bulk_create would, keys and all (members/bulk/):
    bulk_create had Django prepare each of a member's 20 values (0.15 s of
    CPU for 2,500 members)."""
    bulk.insert_keyed(Member, members)


# The columns simple_history adds to a model's own in its history table.
HISTORY_COLUMNS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
}


def history_copied(user):
    """Whether copy_to_history writes the members' history for `user`: on
    PostgreSQL, naming a user, while the history has no columns of its own."""
    history = Member.history.model
    own = {field.name for field in history._meta.concrete_fields} - HISTORY_COLUMNS
    tracked = {field.name for field in history.tracked_fields}
    vendor = connections[Member.objects.db].vendor
    return vendor == "postgresql" and user is not None and own == tracked


def copy_to_history(members, history_type, user, change_reason):
    """Write the history rows of saved `members` as their rows now stand.

    The database copies the rows (INSERT … SELECT), in the members' order,
    with the values bulk_history_create would give them: every tracked column
    as saved, `history_type`, the user, the change reason (None for a new
    member, "" for an update, as simple_history writes them) and the date,
    one for the batch. simple_history builds a historical instance a row and
    has Django compile each of its values: 0.4 s of CPU for 5,000 rows, and
    as long again sending them. Only where history_copied(user).
    """
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = Member.history.model
    connection = connections[Member.objects.db]
    quote = connection.ops.quote_name
    tracked = [field.name for field in history.tracked_fields]
    added = ["history_date", "history_change_reason", "history_type", "history_user"]
    columns = [quote(history._meta.get_field(name).column) for name in tracked + added]
    copied = [f"member.{quote(Member._meta.get_field(n).column)}" for n in tracked]
    key = quote(Member._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - names quoted
            f"SELECT {', '.join(copied)}, %s, %s, %s, %s "
            "FROM unnest(%s::bigint[]) WITH ORDINALITY AS written (pk, position) "
            f"JOIN {quote(Member._meta.db_table)} AS member "
            f"ON member.{key} = written.pk ORDER BY written.position",
            [
                timezone.now(),
                change_reason,
                history_type,
                user.pk,
                [member.pk for member in members],
            ],
        )
