"""`{% status_badge status label %}`: a review's status as a coloured badge."""

import html

from django import template
from django.utils.safestring import mark_safe

from ..models import Review

register = template.Library()

# The colour of each status's badge; any other status is grey.
STATUS_COLOURS = {
    Review.Status.SUBMITTED: "text-bg-success",
    Review.Status.RETURNED: "text-bg-danger",
    Review.Status.DRAFT: "text-bg-warning",
}


@register.simple_tag
def status_badge(status, label):
    """The badge, written here rather than by an included template: the
    checklist writes one a row, and an include cost some 40 µs each."""
    colour = STATUS_COLOURS.get(status, "text-bg-secondary")
    return mark_safe(f'<span class="badge {colour}">{html.escape(str(label))}</span>')
