"""The read side of the results: final ratings, counts per level, quota use, flags.

levels.py holds one cycle's results (who sees decisions, each subject's
chain, counts per level, quota use), history.py the results across the years
(the flags) and those of an organization's predecessors. Every name is
imported from here (`from reviews import results`), as before the split.
"""

from .history import (
    EXCELLENT_RUN,
    FAILING_RUN,
    FLAG_YEARS,
    Flag,
    PredecessorResult,
    consecutive,
    flags,
    predecessor_results,
    predecessors,
    yearly_cycles,
)
from .levels import (
    BEFORE_DECISIONS,
    CHAIN,
    DECIDED_STATES,
    PUBLISHED_STATES,
    LevelCount,
    LevelTable,
    Outcome,
    QuotaUse,
    Stage,
    attach_chain,
    counts_by_organization,
    decisions_shown,
    grassroots_of,
    level_at,
    level_table,
    member_quota,
    subordinates,
    under,
    with_chain,
    with_outcome_code,
)

__all__ = [
    "Stage",
    "CHAIN",
    "PUBLISHED_STATES",
    "DECIDED_STATES",
    "BEFORE_DECISIONS",
    "decisions_shown",
    "with_chain",
    "Outcome",
    "attach_chain",
    "level_at",
    "with_outcome_code",
    "LevelCount",
    "LevelTable",
    "level_table",
    "counts_by_organization",
    "under",
    "subordinates",
    "QuotaUse",
    "grassroots_of",
    "member_quota",
    "EXCELLENT_RUN",
    "FAILING_RUN",
    "FLAG_YEARS",
    "Flag",
    "yearly_cycles",
    "consecutive",
    "flags",
    "PredecessorResult",
    "predecessors",
    "predecessor_results",
]
