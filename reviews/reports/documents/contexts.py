"""Which context each document is built from (`context_for`), and its HTML."""

from django.template.loader import render_to_string

from .common import Kind
from .cycle_contexts import notification_context, summary_context
from .review_contexts import (
    collective_report_context,
    individual_form_context,
    minutes_context,
)

KINDS = (
    Kind.INDIVIDUAL_FORM,
    Kind.COLLECTIVE_REPORT,
    Kind.MINUTES,
    Kind.NOTIFICATION,
    Kind.SUMMARY,
)

TEMPLATES = {kind: f"reports/{kind}.html" for kind in KINDS}


def render_html(kind, cycle, review=None, organization=None):
    context = context_for(kind, cycle, review=review, organization=organization)
    return render_to_string(TEMPLATES[kind], context)


BUILDERS = {
    Kind.INDIVIDUAL_FORM: individual_form_context,
    Kind.COLLECTIVE_REPORT: collective_report_context,
    Kind.MINUTES: minutes_context,
    Kind.NOTIFICATION: notification_context,
    Kind.SUMMARY: summary_context,
}


def context_for(kind, cycle, review=None, organization=None):
    """Everything the document of `kind` shows, read in a fixed number of queries."""
    if kind not in BUILDERS:
        raise ValueError(f"Not a single document kind: {kind!r}")
    return BUILDERS[kind](cycle, review, organization)
