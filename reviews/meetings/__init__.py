"""The review meeting of a collective: its writes (`services`), the
secretary's forms (`forms`), its pages (`views`) and how a page is built
(`page`). The service names are re-exported here, so `meetings.ensure_meeting`
and `from reviews.meetings import ensure_meeting` keep working; the forms and
views are imported from their own modules.
"""

from .services import (
    LISTED_MISSING,
    RECORDING_STATES,
    Quorum,
    Refused,
    attendance_quorum,
    awaited,
    cycle_day_bounds,
    ensure_meeting,
    invited_members,
    load_attendance,
    load_items,
    load_levels,
    lock_meeting,
    refuse_if_done,
    refuse_unless_ready,
    repropose,
    save_meeting,
    stamp_of,
    subjects_of_meeting,
    write_details,
    write_finish,
    write_reopen,
    write_subject,
)

__all__ = [
    "LISTED_MISSING",
    "RECORDING_STATES",
    "Quorum",
    "Refused",
    "attendance_quorum",
    "awaited",
    "cycle_day_bounds",
    "ensure_meeting",
    "invited_members",
    "load_attendance",
    "load_items",
    "load_levels",
    "lock_meeting",
    "refuse_if_done",
    "refuse_unless_ready",
    "repropose",
    "save_meeting",
    "stamp_of",
    "subjects_of_meeting",
    "write_details",
    "write_finish",
    "write_reopen",
    "write_subject",
]
