"""The Party office documents of a cycle as HTML, and their PDF (process.md §5, §7).

Everything a document shows is read in a fixed number of queries by
`context_for`; the templates under templates/reports/ only lay it out, and
user text goes through Django's auto-escaping. WeasyPrint reads nothing but the
app's own static files and the Liberation fonts (`safe_url_fetcher`).

The package's modules, each importing only those before it: `common` (the
header, signatures and DocumentUnavailable), `tree` (the HTML read by expat and
the user agent rules of its tags), `pdf` (WeasyPrint and the safe fetcher),
`lookups` (the review documents' queries, compiled once per process),
`review_contexts` (individual form, collective report, minutes),
`cycle_contexts` (notification, summary) and `contexts` (`context_for`,
`render_html`). Every name is imported from `reviews.reports.documents`.
"""

from .common import (
    COMMITTEE_PREFIXES,
    PLACE_PREFIXES,
    DocumentUnavailable,
    Header,
    Kind,
    abbreviation,
    header_for,
    issuing_body,
    local_day,
    on_behalf_of,
    place_of,
)
from .contexts import BUILDERS, KINDS, TEMPLATES, context_for, render_html
from .cycle_contexts import (
    EXEMPTION_LABELS,
    PREVIOUS_CYCLES,
    SUMMARY_LABELS,
    LevelCount,
    bar_chart_svg,
    exemption_summary,
    level_counts,
    load_cycle,
    notification_context,
    remedy_progress,
    summary_context,
    with_summary_labels,
)
from .pdf import (
    BASE_URL,
    FONTS_DIR,
    MIME_TYPES,
    STYLESHEET_URL,
    SafeURLFetcher,
    allowed_roots,
    page_css,
    parsed,
    render_pdf,
    safe_url_fetcher,
    stylesheets,
)
from .review_contexts import (
    SectionBlock,
    collective_report_context,
    collective_review_id,
    head_name,
    individual_form_context,
    load_review,
    minutes_context,
    review_context,
    score_rows,
    section_blocks,
)

__all__ = [
    "BASE_URL",
    "BUILDERS",
    "COMMITTEE_PREFIXES",
    "DocumentUnavailable",
    "EXEMPTION_LABELS",
    "FONTS_DIR",
    "Header",
    "KINDS",
    "Kind",
    "LevelCount",
    "MIME_TYPES",
    "PLACE_PREFIXES",
    "PREVIOUS_CYCLES",
    "STYLESHEET_URL",
    "SUMMARY_LABELS",
    "SafeURLFetcher",
    "SectionBlock",
    "TEMPLATES",
    "abbreviation",
    "allowed_roots",
    "bar_chart_svg",
    "collective_report_context",
    "collective_review_id",
    "context_for",
    "exemption_summary",
    "head_name",
    "header_for",
    "individual_form_context",
    "issuing_body",
    "level_counts",
    "load_cycle",
    "load_review",
    "local_day",
    "minutes_context",
    "notification_context",
    "on_behalf_of",
    "page_css",
    "parsed",
    "place_of",
    "remedy_progress",
    "render_html",
    "render_pdf",
    "review_context",
    "safe_url_fetcher",
    "score_rows",
    "section_blocks",
    "stylesheets",
    "summary_context",
    "with_summary_labels",
]
