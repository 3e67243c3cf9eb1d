"""The dashboard's links and chart data: `{% load dashboard %}`.

Every chart and the table printed under it are built here from the same
numbers, so what the chart draws and what the table says cannot drift apart.
Nothing here queries the database.
"""

from django import template
from django.urls import reverse
from django.utils.formats import localize, number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..results import EXCELLENT_RUN, FAILING_RUN
from ..rules import EXCELLENT
from ..statistics import share

register = template.Library()

NOT_RATED = "-"
LATE_SHOWN = 10
# Groups listed at most; the others are read by opening an organization below.
QUOTA_SHOWN = 25


# Links ---------------------------------------------------------------------------


@register.simple_tag
def drill(scope, org=None, cycle=None, **params):
    """The list behind a figure, keeping the dashboard's filters.

    `{% drill scope subjects="members" level="HTXSNV" stage="decided" %}`;
    `org` and `cycle` take a unit or cycle (or its public id) for another
    subtree or year than the page's.
    """
    if org is not None:
        params["org"] = getattr(org, "public_id", org)
    if cycle is not None:
        params["cycle"] = getattr(cycle, "public_id", cycle)
    return f"{scope.list_path}?{scope.query(**params)}"


@register.simple_tag
def late_url(scope, unit, subjects, step):
    """The subjects of one late organization that have not done the step.

    The list reads an organization's whole subtree, while a step counts each
    organization's own subjects; for a grassroots organization's own review,
    "grassroots" leaves out the cells below it.
    """
    if subjects == "organizations" and unit.is_grassroots:
        subjects = "grassroots"
    return drill(scope, org=unit, subjects=subjects, step=step, missing=1)


@register.simple_tag
def tree_url(scope, unit):
    """The dashboard of an organization of the reader's tree (tree drill-down)."""
    return f"{scope.dashboard_path}?{scope.query(org=unit.public_id)}"


@register.simple_tag
def narrowed_url(name, scope, unit=None):
    """A page of the cycle (flags, overdue remedies) for `unit`, or for the
    organization the dashboard shows when it is not the reader's whole tree."""
    url = reverse(name, args=[scope.cycle.public_id])
    if unit is None and scope.root.pk != scope.top.pk:
        unit = scope.root
    return f"{url}?org={unit.public_id}" if unit is not None else url


@register.simple_tag
def page_url(scope, number):
    """Another page of the units table."""
    return f"{scope.dashboard_path}?{scope.query(units=number)}#units"


# Table cells ---------------------------------------------------------------------


def figure_cell(cell, first=False):
    """A table cell with one figure, linked to the list behind it, and its share.

    `cell` holds the count, and may hold the url and the percentage; `first`
    opens a group of columns. Tables of hundreds of figures build their cells
    here rather than through a template or a tag each; the figures are
    numbers, only the url needs escaping.
    """
    count, url = cell["count"], cell.get("url")
    content = localize(count)
    if count and url:
        content = f'<a href="{escape(url)}">{content}</a>'
    percent = cell.get("percent")
    if percent is not None:
        content += f' <span class="dashboard-percent">{localize(percent)}%</span>'
    edge = " border-start" if first else ""
    return mark_safe(f'<td class="text-end text-nowrap{edge}">{content}</td>')


@register.filter
def figure_cells(cells, undecided=True):
    """The figure_cell of each cell, the "not rated" one only if `undecided`."""
    return mark_safe(
        "".join(
            figure_cell(cell, cell.get("first", False))
            for cell in cells
            if undecided or cell.get("code") != NOT_RATED
        )
    )


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
def flag_runs():
    return {"excellent": EXCELLENT_RUN, "failing": FAILING_RUN}


# Charts and their tables -------------------------------------------------------


def stage_row(scope, subjects, stage, row, levels):
    """One stage of a distribution: counts, percentages and links per level."""
    total = row.total
    cells = [
        {
            "code": level.code,
            "count": row.counts.get(level.code, 0),
            "percent": share(row.counts.get(level.code, 0), total),
            "url": drill(scope, subjects=subjects, level=level.code, stage=stage),
        }
        for level in levels
    ]
    cells.append(
        {
            "code": NOT_RATED,
            "count": row.undecided,
            "percent": share(row.undecided, total),
            "url": drill(scope, subjects=subjects, level=NOT_RATED, stage=stage),
        }
    )
    return {
        "stage": stage,
        "label": _("Proposed") if stage == "proposed" else _("Decided"),
        "cells": cells,
        "total": total,
        "total_url": drill(scope, subjects=subjects),
    }


@register.simple_tag
def distribution(scope, item, levels):
    """Proposed against decided per level for one heading (grouped bars)."""
    stages = [stage_row(scope, item.key, "proposed", item.proposed, levels)]
    if scope.show_decisions:
        stages.append(stage_row(scope, item.key, "decided", item.decided, levels))
    chart = {
        "type": "bar",
        "labels": [level.code for level in levels],
        "titles": [f"{level.code} – {level.name}" for level in levels],
        "axis": _("Number of subjects"),
        "datasets": [
            {
                "key": stage["stage"],
                "label": str(stage["label"]),
                "data": [cell["count"] for cell in stage["cells"][:-1]],
                "percents": [cell["percent"] for cell in stage["cells"][:-1]],
                "links": [cell["url"] for cell in stage["cells"][:-1]],
            }
            for stage in stages
        ],
    }
    drawn = any(any(dataset["data"]) for dataset in chart["datasets"])
    return {"chart": chart, "stages": stages, "drawn": drawn}


@register.simple_tag
def by_type(scope, rows, levels, subjects):
    """Decided levels per organization type (stacked horizontal bars)."""
    undecided = any(row.undecided for row in rows)
    table = []
    for row in rows:
        code = row.key or None  # the type's code; none for "Other"
        cells = [
            {
                "code": level.code,
                "count": row.counts.get(level.code, 0),
                "percent": share(row.counts.get(level.code, 0), row.total),
                "url": type_drill(scope, code, subjects, level.code),
            }
            for level in levels
        ]
        cells.append(
            {
                "code": NOT_RATED,
                "count": row.undecided,
                "percent": share(row.undecided, row.total),
                "url": type_drill(scope, code, subjects, NOT_RATED),
            }
        )
        table.append(
            {
                "label": row.label,
                "cells": cells,
                "total": row.total,
                "url": type_drill(scope, code, subjects),
            }
        )
    shown = [level.code for level in levels] + ([NOT_RATED] if undecided else [])
    names = {level.code: level.code for level in levels} | {NOT_RATED: _("Not rated")}
    chart = {
        "type": "bar",
        "stacked": True,
        "horizontal": True,
        "labels": [line["label"] for line in table],
        "axis": _("Number of subjects"),
        "datasets": [
            {
                "key": code,
                "label": str(names[code]),
                "data": [line["cells"][position]["count"] for line in table],
                "percents": [line["cells"][position]["percent"] for line in table],
                "links": [line["cells"][position]["url"] for line in table],
            }
            for position, code in enumerate(shown)
        ],
    }
    return {"chart": chart, "rows": table, "undecided": undecided}


def type_drill(scope, type_code, subjects, level=None):
    """The list of one type's subjects; None for "Other" (no type to filter on)."""
    if type_code is None:
        return None
    params = {"type": type_code, "subjects": subjects}
    if level:
        params.update(level=level, stage="decided")
    return drill(scope, **params)


def one_decimal(count, total):
    return round(100 * count / total, 1) if total else 0.0


@register.simple_tag
def trend(scope, series, subjects, levels, org=None):
    """Each level's share per cycle (a line per level) and the change on last year.

    A cycle with nothing decided (or decisions not yet visible to the reader)
    has no shares rather than zeros, so its lines break instead of dropping.
    """
    rows = []
    for point in series:
        row = point.rows[subjects]
        published = bool(row.counts)
        rows.append(
            {
                "point": point,
                "published": published,
                "total": row.total,
                "undecided": row.undecided,
                "cells": [
                    {
                        "code": level.code,
                        "count": row.counts.get(level.code, 0),
                        "percent": one_decimal(row.counts.get(level.code, 0), row.total)
                        if published
                        else None,
                        "url": drill(
                            scope,
                            org=org,
                            cycle=point.public_id,
                            subjects=subjects,
                            level=level.code,
                            stage="decided",
                        ),
                    }
                    for level in levels
                ],
            }
        )
    change = None
    if len(rows) >= 2 and rows[-1]["published"] and rows[-2]["published"]:
        change = [
            {"level": level, "delta": round(now["percent"] - before["percent"], 1)}
            for level, now, before in zip(
                levels, rows[-1]["cells"], rows[-2]["cells"], strict=True
            )
        ]
    chart = {
        "type": "line",
        "percent": True,
        "labels": [str(row["point"].year) for row in rows],
        "titles": [row["point"].cycle_name for row in rows],
        "axis": _("Share of subjects (%)"),
        "datasets": [
            {
                "key": level.code,
                "label": level.code,
                "data": [row["cells"][position]["percent"] for row in rows],
                "counts": [row["cells"][position]["count"] for row in rows],
                "links": [row["cells"][position]["url"] for row in rows],
            }
            for position, level in enumerate(levels)
        ],
    }
    return {
        "chart": chart,
        "rows": rows,
        "change": change,
        "year": rows[-1]["point"].year if change else None,
        "year_before": rows[-2]["point"].year if change else None,
        "has_data": any(row["published"] for row in rows),
    }
