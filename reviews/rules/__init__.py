"""Small pure rules of the review; each returns something a person can read.

meeting.py holds the rules of a review meeting (quorum, votes, order),
caps.py the capping rules of docs/process.md §6 with the level codes and
Finding, scoring.py the points rule and the regime's bands. Every name is
imported from here (`from reviews import rules`), as before the split.
"""

from .caps import (
    EXCELLENT,
    FAIL,
    GOOD,
    ORDER,
    PASS,
    Finding,
    collective_discipline,
    conclusion,
    discipline,
    head,
    leader_unit,
    quota,
    quota_allowed,
    unit_targets,
)
from .meeting import meeting_rank, proposed_level, quorum_reached, vote_errors
from .scoring import Bands, RegimeIncomplete, points, points_verdict

__all__ = [
    "EXCELLENT",
    "GOOD",
    "PASS",
    "FAIL",
    "ORDER",
    "Finding",
    "quota_allowed",
    "quota",
    "discipline",
    "head",
    "collective_discipline",
    "unit_targets",
    "leader_unit",
    "conclusion",
    "quorum_reached",
    "proposed_level",
    "vote_errors",
    "meeting_rank",
    "RegimeIncomplete",
    "Bands",
    "points",
    "points_verdict",
]
