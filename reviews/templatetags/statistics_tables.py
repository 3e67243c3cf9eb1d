"""The statistics tables' cells, for templates that cannot pass arguments."""

from django import template

from ..statistics.workbook import UNSUMMED_TABLES, total_row

register = template.Library()


@register.filter
def row_cells(row, levels):
    """(count, share) per level: `{% for n, share in row|row_cells:levels %}`."""
    return row.cells(levels)


@register.filter
def table_total(table):
    """The table's total line as the .xlsx writes it; None where rows overlap."""
    if table.key in UNSUMMED_TABLES:
        return None
    return total_row(table.rows)


@register.filter
def rating_level(levels, code):
    """The level of `code` from a {code: RatingLevel} dict, or None."""
    return levels.get(code) if code else None
