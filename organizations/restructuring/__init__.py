"""Restructuring the tree by decision: read the annex, preview, apply at once.

A decision's lines (merge, split, move, rename, close) are played on a copy of
the current tree held in memory (`Plan`), line after line, so every error is
found and named by its line before anything is written, and the preview shows
the tree and the members as they will be. Applying writes the plan in one
transaction.

The past is never rewritten. Cycles read the tree through the rows their
reviews point at (paths, names, kinds), so a row a cycle reviewed keeps its
place and name for ever: an organization that moves or is renamed, or sits
under one that does, continues as a new row (sharing the old row's lineage,
which the multi-year flags follow), and the old row is marked superseded and
closed the day before the decision takes effect. Members, posts and roles move
to the new rows; roles in organizations that end are removed and listed for
staff to re-assign.
"""

from .annex import OPERATION_HELP, AnnexError, read_annex, write_annex
from .applying import Refused, apply, refusals
from .operations import plan
from .tree import BELONGING, Plan

__all__ = [
    "BELONGING",
    "OPERATION_HELP",
    "AnnexError",
    "Plan",
    "Refused",
    "apply",
    "plan",
    "read_annex",
    "refusals",
    "write_annex",
]
