"""The dashboard's links and its charts with the table printed under each,
for the `dashboard` tag library (templatetags/dashboard.py), which registers
them as tags.

Every chart and the table printed under it are built here from the same
numbers, so what the chart draws and what the table says cannot drift apart.
Nothing here queries the database.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from ..lists import narrowing
from ..statistics import share

# Links ---------------------------------------------------------------------------

NOT_RATED = "-"


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


def late_url(scope, unit, subjects, step):
    """The subjects of one late organization that have not done the step.

    The list reads an organization's whole subtree, while a step counts each
    organization's own subjects; for a grassroots organization's own review,
    "grassroots" leaves out the cells below it.
    """
    if subjects == "organizations" and unit.is_grassroots:
        subjects = "grassroots"
    return drill(scope, org=unit, subjects=subjects, step=step, missing=1)


def tree_url(scope, unit):
    """The dashboard of an organization of the reader's tree (tree drill-down)."""
    return f"{scope.dashboard_path}?{scope.query(org=unit.public_id)}"


def narrowed_url(name, scope, unit=None):
    """A page of the cycle (flags, overdue remedies) for `unit`, or for the
    organization the dashboard shows when it is not the reader's whole tree,
    of the dashboard's organization type if one is chosen."""
    url = reverse(name, args=[scope.cycle.public_id])
    if unit is None and scope.root.pk != scope.top.pk:
        unit = scope.root
    # The page lists what the figure counted: the dashboard's type too.
    query = narrowing(unit, scope.org_type)["query"]
    return f"{url}?{query}" if query else url


def page_url(scope, number):
    """Another page of the units table."""
    return f"{scope.dashboard_path}?{scope.query(units=number)}#units"


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
