"""What the pages read: the dashboard's figures and the statistics tables,
each from the cache while nothing counted has changed, and the cycles of the
trend."""

from django.core.cache import cache
from django.utils import timezone

from kontum_review import replica
from organizations.models import Organization

from ..models import ReviewCycle
from .caching import cache_key, cached, versions
from .figures import CycleFigures
from .queries import together

TREND_CYCLES = 5


def figures_key(kind, cycle, root, org_type, show_decisions, today, extra=()):
    return (
        kind,
        cycle.pk,
        root.pk,
        org_type.pk if org_type else "-",
        int(show_decisions),
        today.isoformat(),
        *extra,
    )


def dashboard_key(
    cycle, root, org_type=None, show_decisions=True, top=None, cycles=None
):
    """The cache key of a dashboard's figures: it changes with every counted write.

    `cycles` are the committee's cycles (any order; read if not given); the
    trend takes the last five of the cycle's period up to it.
    """
    top = top or root
    cycles = trend_cycles(cycle, cycles)
    key = figures_key(
        "dashboard",
        cycle,
        root,
        org_type,
        show_decisions,
        timezone.localdate(),
        (top.pk, *versions([c.pk for c in cycles])),
    )
    return key, cycles


def dashboard_figures(
    cycle,
    root,
    org_type=None,
    show_decisions=True,
    top=None,
    cycles=None,
    key=None,
    store=True,
    meanwhile=None,
):
    """Everything the dashboard shows, from the cache while nothing has changed.

    `store=False` reads the cache but does not fill it: for a caller that
    caches what it makes of the figures instead. `meanwhile`, where the
    figures are counted, is called with those counted from the review rows
    (the levels, the ancestors, the progress, the distributions, the figures
    by type and by unit) before the rest is read: the caller's work done
    while the server answers the queries sent ahead, which reading the first
    of them waits for, all of them (together()).
    """
    top = top or root
    today = timezone.localdate()
    if key is None:
        key, cycles = dashboard_key(cycle, root, org_type, show_decisions, top, cycles)
    else:
        cycles = trend_cycles(cycle, cycles)

    def compute():
        with replica.reading(), together():
            figures = CycleFigures(
                cycle, root, org_type, show_decisions, today, top, cycles
            )
            found = {
                "levels": figures.levels,
                "ancestors": figures.ancestors,
                "progress": figures.progress(),
                "distributions": figures.distributions(),
                "organizations_by_type": figures.by_type("organizations"),
                "members_by_type": figures.by_type("members"),
                "units": figures.by_unit(),
            }
            if meanwhile is not None:
                meanwhile(found)
            # The rest from the queries sent ahead.
            found |= {
                "quota": figures.quota_groups(),
                "focus_areas": figures.focus_areas(),
                "indicators": figures.indicators(),
                "remedies": figures.remedies(),
                "exemptions": figures.exemptions(),
                "flags": figures.flag_counts(cycles),
                "trend": figures.trend(root, cycles),
                # The whole tree's trend, beside a chosen organization's; not by
                # type: the type of organizations outside the chosen subtree is
                # not read.
                "trend_top": figures.trend(top, cycles)
                if top.pk != root.pk and org_type is None
                else None,
            }
        return found

    if store:
        return cached(key, compute)
    return cache.get(cache_key(key)) or compute()


def statistics_tables(cycle, root, org_type=None, show_decisions=True):
    """The tables a committee reports upward, cached like the dashboard."""
    today = timezone.localdate()
    key = figures_key(
        "tables", cycle, root, org_type, show_decisions, today, versions([cycle.pk])
    )

    def compute():
        with replica.reading():
            figures = CycleFigures(cycle, root, org_type, show_decisions, today)
            return {"levels": figures.levels, "tables": figures.tables()}

    return cached(key, compute)


def trend_cycles(cycle, cycles=None):
    """The committee's cycles of the same period up to this one, newest first.

    Drafts are left out, except the cycle itself.
    """
    # The committee's cycles before a restructuring replaced its row count too.
    line = cycle.superior.line
    if cycles is None:
        cycles = ReviewCycle.objects.filter(
            superior__in=Organization.objects.same_line_as(cycle.superior)
        ).select_related("superior")
    return sorted(
        (
            c
            for c in cycles
            if c.superior.line == line
            and c.period == cycle.period
            and c.starts_on <= cycle.starts_on
            and (c.status != ReviewCycle.Status.DRAFT or c.pk == cycle.pk)
        ),
        key=lambda c: c.starts_on,
        reverse=True,
    )[:TREND_CYCLES]
