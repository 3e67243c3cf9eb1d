"""The current cycle's days and moments, and the bulk update its forms and
meetings share."""

import datetime
from dataclasses import dataclass
from functools import lru_cache

from django.utils import timezone

from .. import bulk


@dataclass
class Timeline:
    """The current cycle's days: forms written from `first`, self-review closed
    on `closed`, meetings held until `last` (never after yesterday, if it can)."""

    first: datetime.date
    closed: datetime.date
    last: datetime.date


def current_timeline(cycle, today):
    day = datetime.timedelta(days=1)
    first = (cycle.guidance_issued_on or datetime.date(cycle.year, 11, 20)) + day
    last = min(cycle.meetings_due or cycle.ends_on, today - day)
    # Seeded before the guidance is out: the dates lie in the coming weeks.
    last = max(last, first + 9 * day)
    closed = first + datetime.timedelta(days=(last - first).days * 3 // 5)
    return Timeline(first, closed, last)


@lru_cache(maxsize=4096)
def moment(day, hour, minute=0):
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(hour, minute))
    )


def update_rows(model, rows, fields):
    """Write `fields` of each row: the values bulk_update would write, without
    its CASE per field and row, which on SQLite grows with the square of the
    batch (see bulk.update)."""
    bulk.update_objects(model, rows, fields)
