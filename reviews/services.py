"""Workflows of the review cycle that write several models or enqueue work.

Each part lives in its own module; this one names them all, so that callers
may keep writing `services.open_cycle`:

- `cycles.scope`: the organizations and forms a cycle reviews;
- `cycles.states`: the state machine, what each step waits for, exemptions;
- `cycles.opening`: the opening job that creates the reviews;
- `cycles.carry_over`: remedy actions carried into the next cycle;
- `review_forms.services`: saving a form with optimistic versions;
- `meetings`: a collective's meeting, its subjects and its record.
"""

from .cycles.carry_over import carry_over_open_actions, settle_carry_over
from .cycles.opening import (
    BATCH,
    beat,
    copy_posts,
    create_collective_reviews,
    meeting_rank_in,
    open_cycle,
    posts_held,
    request_cycle_opening,
)
from .cycles.scope import (
    grassroots_of,
    review_cell,
    scope_organizations,
    select_template,
)
from .cycles.states import (
    NEXT_STATUS,
    STEP_EXEMPTIONS,
    TRANSITION_LABELS,
    Status,
    TransitionRefused,
    blockers,
    exemption_step,
    more_line,
    move_cycle,
    record_exemptions,
    refuse_unless_next,
    undecided_reviews,
    unheld_meetings,
    unsubmitted_reviews,
    withdraw_exemption,
    withdraw_exemptions,
)
from .meetings import (
    cycle_day_bounds,
    ensure_meeting,
    invited_members,
    subjects_of_meeting,
)
from .review_forms.services import (
    SAVE_STAMPS,
    StaleVersion,
    refuse_save,
    save_review,
    write_review,
)

__all__ = [
    "BATCH",
    "NEXT_STATUS",
    "SAVE_STAMPS",
    "STEP_EXEMPTIONS",
    "TRANSITION_LABELS",
    "StaleVersion",
    "Status",
    "TransitionRefused",
    "beat",
    "blockers",
    "carry_over_open_actions",
    "copy_posts",
    "create_collective_reviews",
    "cycle_day_bounds",
    "ensure_meeting",
    "exemption_step",
    "grassroots_of",
    "invited_members",
    "meeting_rank_in",
    "more_line",
    "move_cycle",
    "open_cycle",
    "posts_held",
    "record_exemptions",
    "refuse_save",
    "refuse_unless_next",
    "request_cycle_opening",
    "review_cell",
    "save_review",
    "scope_organizations",
    "select_template",
    "settle_carry_over",
    "subjects_of_meeting",
    "undecided_reviews",
    "unheld_meetings",
    "unsubmitted_reviews",
    "withdraw_exemption",
    "withdraw_exemptions",
    "write_review",
]
