"""The statistics of a cycle: one source of truth for every figure that goes up.

The dashboard, the statistics tables (page and .xlsx) and the summary PDF all
count from here. `CycleFigures` reads a subtree of one cycle from its tally
(a row per organization, kind of subject, status and rating, kept by the
database: reviews/tallies.py) and a few small queries; everything else is
arithmetic over those rows in Python, so the number of queries does not grow
with the tree.

The figures are cached per cycle, subtree and filter; any change to a rating,
a form's status, a meeting, a remedy action or the cycle itself bumps the
cycle's version (reviews/signals.py), so no one reads numbers older than the
last decision.

The parts, each importing only those before it: caching.py (versions and
cache keys), queries.py (the tree and the grouped review rows, sent ahead),
tables.py (the rows and tables the figures come in), quota.py and ahead.py
(parts of CycleFigures), figures.py (CycleFigures), pages.py (what the pages
read). Every name is imported from here (`from reviews import statistics`),
as before the split.
"""

from .ahead import FLAG_RUNS, REMEDIES_LISTED, AheadFigures
from .caching import (
    CACHE_SECONDS,
    COUNTED_REVIEW_FIELDS,
    TREE_KEY,
    bump,
    cache_key,
    cache_seconds,
    cached,
    counted_state,
    invalidate,
    invalidate_tree,
    missed,
    reachable,
    version_key,
    versions,
)
from .figures import LATE_LISTED, OTHER_TYPE, CycleFigures
from .pages import (
    TREND_CYCLES,
    dashboard_figures,
    dashboard_key,
    figures_key,
    statistics_tables,
    trend_cycles,
)
from .queries import (
    Prepared,
    Row,
    Sent,
    Unit,
    as_row,
    fetch,
    load_tree,
    of_type,
    prepare,
    read_reviews,
    read_tree,
    review_rows,
    send,
    send_reviews,
    send_tree,
    together,
)
from .quota import QuotaFigures
from .tables import (
    OVERALL,
    STEP_DEADLINES,
    STEP_LABELS,
    SUBJECTS,
    Distribution,
    LevelRow,
    Step,
    Table,
    TrendPoint,
    overall_history,
    overall_rows,
    share,
)

__all__ = [
    "CACHE_SECONDS",
    "COUNTED_REVIEW_FIELDS",
    "TREE_KEY",
    "bump",
    "cache_key",
    "cache_seconds",
    "cached",
    "counted_state",
    "invalidate",
    "invalidate_tree",
    "missed",
    "reachable",
    "version_key",
    "versions",
    "Unit",
    "fetch",
    "Sent",
    "Prepared",
    "prepare",
    "send",
    "together",
    "load_tree",
    "of_type",
    "send_tree",
    "read_tree",
    "Row",
    "send_reviews",
    "read_reviews",
    "review_rows",
    "as_row",
    "SUBJECTS",
    "share",
    "LevelRow",
    "OVERALL",
    "overall_rows",
    "overall_history",
    "Table",
    "Step",
    "STEP_LABELS",
    "STEP_DEADLINES",
    "Distribution",
    "TrendPoint",
    "QuotaFigures",
    "AheadFigures",
    "FLAG_RUNS",
    "REMEDIES_LISTED",
    "LATE_LISTED",
    "OTHER_TYPE",
    "CycleFigures",
    "TREND_CYCLES",
    "figures_key",
    "dashboard_key",
    "dashboard_figures",
    "statistics_tables",
    "trend_cycles",
]
