"""The dashboard's tags: `{% load dashboard %}`.

The links and the charts with their tables are built in reviews/dashboard/charts.py
and registered here; the table cells and the small arithmetic of the templates
are defined here. Nothing here queries the database.
"""

import html
import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.formats import get_format, localize, number_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..dashboard.charts import (
    NOT_RATED,
    by_type,
    distribution,
    drill,
    late_url,
    narrowed_url,
    page_url,
    tree_url,
    trend,
    type_drill,
)
from ..results import EXCELLENT_RUN, FAILING_RUN
from ..rules import EXCELLENT
from ..statistics import share

register = template.Library()

LATE_SHOWN = 10
# Groups listed at most; the others are read by opening an organization below.
QUOTA_SHOWN = 25

for tag in (
    drill,
    late_url,
    tree_url,
    narrowed_url,
    page_url,
    distribution,
    by_type,
    trend,
):
    register.simple_tag(tag)


@register.filter
def chart_data(chart, element_id):
    """A chart's figures as json_script writes them, for dashboard.js.

    json_script escapes <, > and & with str.translate, which took 0.3 ms on
    each chart's few kilobytes of JSON (2.3 ms a dashboard); replacing the
    three characters writes the same in a hundredth of the time.
    """
    text = json.dumps(chart, cls=DjangoJSONEncoder)
    text = text.replace("&", "\\u0026").replace("<", "\\u003C").replace(">", "\\u003E")
    return format_html(
        '<script id="{}" type="application/json">{}</script>',
        element_id,
        mark_safe(text),
    )


# Table cells ---------------------------------------------------------------------


def whole_numbers():
    """A function writing a whole number as localize() does in the active
    language. A table's hundreds of figures read its separator once, where
    localize() reads three formats a number (a sixth of the dashboard's
    layout); anything else, and other groupings, go to localize()."""
    separator = get_format("THOUSAND_SEPARATOR")
    if not settings.USE_THOUSAND_SEPARATOR or get_format("NUMBER_GROUPING") != 3:
        return localize

    def write(number):
        if type(number) is int:
            return f"{number:,}".replace(",", separator)
        return localize(number)

    return write


def figure_cell(cell, first=False, write=localize):
    """A table cell with one figure, linked to the list behind it, and its
    share, as HTML (a str: figure_cells marks the row's cells safe).

    `cell` holds the count, and may hold the url and the percentage; `first`
    opens a group of columns; `write` writes a number (whole_numbers()).
    Tables of hundreds of figures build their cells here rather than through
    a template or a tag each; the figures are numbers, only the url needs
    escaping.
    """
    count, url = cell["count"], cell.get("url")
    content = write(count)
    if count and url:
        content = f'<a href="{html.escape(url)}">{content}</a>'
    percent = cell.get("percent")
    if percent is not None:
        content += f' <span class="dashboard-percent">{write(percent)}%</span>'
    edge = " border-start" if first else ""
    return f'<td class="text-end text-nowrap{edge}">{content}</td>'


@register.filter
def figure_cells(cells, undecided=True):
    """The figure_cell of each cell, the "not rated" one only if `undecided`:
    safe HTML, marked so once for the row."""
    write = whole_numbers()
    return mark_safe(
        "".join(
            figure_cell(cell, cell.get("first", False), write)
            for cell in cells
            if undecided or cell.get("code") != NOT_RATED
        )
    )


@register.filter
def trend_cells(cells):
    """A published cycle's cells of a trend table: each level's share to one
    decimal, as floatformat:1 writes it, and its number linked to its list."""
    write = whole_numbers()
    point = get_format("DECIMAL_SEPARATOR")
    written = []
    for cell in cells:
        count, percent = cell["count"], cell["percent"]
        # The share is rounded to one decimal already (charts.one_decimal).
        share = f"{percent:.1f}".replace(".", point)
        number = (
            f'<a href="{html.escape(cell["url"])}">{write(count)}</a>' if count else "0"
        )
        written.append(
            f'<td class="text-end text-nowrap">{share}% '
            f'<span class="dashboard-percent">({number})</span></td>'
        )
    return mark_safe("".join(written))


@register.simple_tag
def unit_rows(scope, units, levels):
    """The rows of the table by unit: forms submitted, then per level and in
    all for organizations and members, each figure linked to its list."""
    rows = []
    for entry in units:
        unit = entry["unit"]
        linked = unit.pk != scope.root.pk
        cells = []
        for subjects in ("organizations", "members"):
            row = entry[subjects]
            group = []
            if scope.show_decisions:
                for level in levels:
                    group.append(
                        unit_cell(
                            scope,
                            unit,
                            subjects,
                            row.counts.get(level.code, 0),
                            linked,
                            level=level.code,
                            stage="decided",
                        )
                    )
                group.append(
                    unit_cell(
                        scope,
                        unit,
                        subjects,
                        row.undecided,
                        linked,
                        level=NOT_RATED,
                        stage="decided",
                    )
                )
            group.append(unit_cell(scope, unit, subjects, row.total, linked))
            group[0]["first"] = True
            cells.extend(group)
        rows.append(
            {
                "unit": unit,
                "url": tree_url(scope, unit) if linked else "",
                "submitted": entry["submitted"],
                "forms": entry["forms"],
                "percent": share(entry["submitted"], entry["forms"]),
                "cells": cells,
            }
        )
    return rows


@register.simple_tag
def unit_table_rows(scope, units, levels):
    """The table by unit's rows (unit_rows) as HTML, as the template wrote
    them row by row: 25 rows of a dozen figures each cost the template more
    than the rest of the table. The names and links are escaped."""
    write = whole_numbers()
    # A literal {% translate %} is not escaped.
    itself = _("the organization itself")
    written = []
    for row in unit_rows(scope, units, levels):
        name = escape(row["unit"].name)
        if row["url"]:
            name = f'<a href="{escape(row["url"])}">{name}</a>'
        else:
            name += f' <span class="text-body-secondary small">({itself})</span>'
        forms = (
            f"{write(row['submitted'])} / {write(row['forms'])}"
            f' <span class="dashboard-percent">{write(row["percent"])}%</span>'
        )
        written.append(
            "\n        <tr>\n"
            f'          <th scope="row" class="fw-normal">{name}</th>\n'
            f'          <td class="text-end text-nowrap">{forms}</td>\n'
            f"          {figure_cells(row['cells'])}\n"
            "        </tr>\n        "
        )
    return mark_safe("".join(written))


def unit_cell(scope, unit, subjects, count, linked, **params):
    url = (
        drill(scope, org=unit, subjects=subjects, **params) if count and linked else ""
    )
    return {"count": count, "url": url, "first": False}


# Arithmetic ----------------------------------------------------------------------


@register.filter
def level_cells(row, levels):
    """(level, count, whole percent) per level of a LevelRow, in the regime's order."""
    return [
        (level, count, percent)
        for level, (count, percent) in zip(levels, row.cells(levels), strict=True)
    ]


@register.filter
def percent_of(part, whole):
    """A whole percentage, rounded as the committee's tables round it."""
    return share(part or 0, whole or 0)


@register.filter
def points(delta):
    """A change in percentage points with its sign: "+1,2", "−0,5", "0"."""
    if not delta:
        return "0"
    sign = "+" if delta > 0 else "\u2212"
    return sign + number_format(abs(delta), 1)


@register.filter
def meter_edge(allowed):
    """Where a quota meter turns red: just above the HTXSNV allowed.

    With low = high = allowed, a group allowed none (optimum = low = 0) would
    show over-use in the meter's middle colour instead of red.
    """
    return f"{allowed}.5"


@register.filter
def anyone(distributions):
    """Whether any heading of the distributions counts a subject."""
    return any(item.proposed.total for item in distributions)


@register.filter
def first_late(late):
    return late[:LATE_SHOWN]


@register.filter
def more_late(step):
    return max(step.late_count - len(step.late[:LATE_SHOWN]), 0)


@register.simple_tag
def place_names(units):
    """Names of the organizations right below the root, by id.

    A cell's name ("Chi bộ Tổ dân phố 1") repeats across wards; the name of
    the unit it lies under tells them apart.
    """
    return {entry["unit"].pk: entry["unit"].name for entry in units}


@register.filter
def place_of(unit, names):
    """The name of the grassroots organization a cell lies under, if not itself."""
    if unit.grassroots_id in (None, unit.pk):
        return ""
    return names.get(unit.grassroots_id, "")


@register.simple_tag
def quota_split(groups):
    """The groups to show at once (all over quota, then the fullest) and the rest."""
    over = sum(1 for group in groups if group.over)
    shown = groups[:QUOTA_SHOWN]
    return {
        "shown": shown,
        "over": over,
        "rest": len(groups) - len(shown),
        "rest_over": over - sum(1 for group in shown if group.over),
    }


@register.simple_tag
def quota_url(scope, group):
    """The list of a comparison group's HTXSNV, where the list can hold exactly it.

    Not for provisional groups (they count proposals), nor a grassroots
    organization's members (the group leaves its leaders out), nor the leaders
    of one post and level (the list holds every leader).
    """
    if group.provisional or not group.excellent:
        return ""
    if group.subjects == "cells" and group.place is not None:
        return drill(
            scope, org=group.place, subjects="cells", level=EXCELLENT, stage="decided"
        )
    if group.subjects == "type" and group.type_code:
        return type_drill(scope, group.type_code, "grassroots", EXCELLENT)
    if group.subjects in ("leaders", "leadership") and not getattr(
        group, "partial", False
    ):
        return drill(scope, subjects=group.subjects, level=EXCELLENT, stage="decided")
    return ""


@register.simple_tag
def quota_rows(scope, groups):
    """The rows of the quota table, one per comparison group, as HTML.

    Built here rather than by a template: a row's two dozen tags, filters
    and numbers written one by one (a third of the figures on the page)
    cost more than the rest of the table. The group's name and the links
    are escaped; the numbers are written as the template wrote them.
    """
    write = whole_numbers()
    # The words outside the f-strings, where makemessages (xgettext) finds them.
    over_text, provisional_text = _("Over the quota"), _("Provisional")
    over_badge = f'<span class="badge text-bg-danger">{escape(over_text)}</span>'
    provisional_badge = (
        f'<span class="badge text-bg-secondary">{escape(provisional_text)}</span>'
    )
    used_of = _("%(used)s used of %(allowed)s allowed")
    rows = []
    for group in groups:
        over, excellent, allowed = group.over, group.excellent, group.allowed
        name = escape(group.group)
        if group.place and group.place.pk != scope.root.pk:
            name = f'<a href="{escape(tree_url(scope, group.place))}">{name}</a>'
        url = quota_url(scope, group)
        used = write(excellent)
        if url:
            used = f'<a href="{escape(url)}">{used}</a>'
        edge = meter_edge(allowed)
        label = used_of % {"used": write(excellent), "allowed": write(allowed)}
        row_class = ' class="table-danger dashboard-over"' if over else ""
        rows.append(
            f"<tr{row_class}>"
            f'<th scope="row" class="fw-normal">{name}'
            f"{' ' + over_badge if over else ''}"
            f"{' ' + provisional_badge if group.provisional else ''}</th>"
            f'<td class="text-end">{write(group.good)}</td>'
            f'<td class="text-end">{write(allowed)}</td>'
            f'<td class="text-end fw-semibold">{used}</td>'
            f'<td><meter class="dashboard-meter" min="0" max="{group.scale}"'
            f' low="{edge}" high="{edge}" optimum="0" value="{excellent}"'
            f' aria-label="{label}">{write(excellent)} / {write(allowed)}</meter>'
            "</td></tr>"
        )
    return mark_safe("\n".join(rows))


@register.simple_tag
def flag_runs():
    return {"excellent": EXCELLENT_RUN, "failing": FAILING_RUN}
