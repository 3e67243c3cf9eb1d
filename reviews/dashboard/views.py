"""The leaders' dashboard, the statistics tables and the lists behind each figure.

Staff and leaders read the subtree of their role within a cycle's tree: a
role at or above the cycle's committee reads the whole tree. Everyone else
gets 404. Filters come from the query string through a form; a bad value is
reported and the page falls back to the defaults.
"""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kontum_review.collector import collector_paused

from .. import statistics
from ..counting import step_filter, subject_filter
from ..models import Review
from ..statistics.workbook import statistics_workbook
from ..templatetags.dashboard import place_names
from .forms import DrillDownForm
from .scope import read_scope

LIST_PAGE_SIZE = 50
UNITS_PAGE_SIZE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def breadcrumbs(scope, ancestors):
    """The path from the reader's top organization down to the chosen one."""
    if scope.root.pk == scope.top.pk:
        return []
    return [unit for unit in ancestors if unit.path.startswith(scope.top.path)]


@login_required
@require_GET
def dashboard(request):
    scope = read_scope(request)
    key, cycles = statistics.dashboard_key(
        scope.cycle,
        scope.root,
        scope.org_type,
        scope.show_decisions,
        top=scope.top,
        cycles=scope.cycles,
    )
    units_page = request.GET.get("units", "")
    units_page = units_page if units_page.isdigit() else "1"
    # The figures laid out: the same for every reader of this key, page and
    # language, and as current as the figures' key itself.
    html_key = statistics.cache_key(
        (*key, units_page, get_language()), "statistics:dashboard-html:"
    )
    parts = cache.get(html_key)
    if parts is None:
        # The figures and their layout make tens of thousands of small objects
        # that all go at the end of the request: the cyclic collector, paused
        # meanwhile, finds none of them left to walk (organizations/tasks.py).
        with collector_paused():
            parts = dashboard_parts(scope, key, cycles, units_page)
        cache.set(html_key, parts, statistics.cache_seconds())
    return render(
        request,
        "reviews/dashboard.html",
        {
            "scope": scope,
            "cycle": scope.cycle,
            "crumbs_html": mark_safe(parts["crumbs"]),
            "figures_html": mark_safe(parts["figures"]),
            "today": timezone.localdate(),
        },
    )


# The dashboard's sections in the page's order, and those laid out from the
# figures counted from the review rows, while the server answers the rest.
SECTIONS = (
    "progress",
    "ratings",
    "trend",
    "types",
    "units",
    "quota",
    "focus",
    "remedies",
    "flags",
)
# Not the progress: its table of work closed undone reads the exemptions,
# which come with the rest.
COUNTED_SECTIONS = ("ratings", "types", "units")


def dashboard_parts(scope, key, cycles, units_page):
    """The dashboard's figures laid out: its breadcrumbs and its sections, as HTML.

    The sections that read only the figures counted from the review rows are
    laid out while PostgreSQL answers the queries of the others
    (statistics.dashboard_figures, `meanwhile`): reading those waits for
    them all.
    """
    context = {"scope": scope, "cycle": scope.cycle}
    sections = {}

    def lay_out(figures, names):
        if "figures" not in context:
            context.update(
                levels=figures["levels"],
                units=Paginator(figures["units"], UNITS_PAGE_SIZE).get_page(units_page),
                places=place_names(figures["units"]),
            )
        context["figures"] = figures
        for name in names:
            if name not in sections:
                sections[name] = render_to_string(
                    f"reviews/_dashboard_{name}.html", context
                )

    figures = statistics.dashboard_figures(
        scope.cycle,
        scope.root,
        scope.org_type,
        scope.show_decisions,
        top=scope.top,
        cycles=cycles,
        key=key,
        # The page is cached by the view; another page of units reads them again.
        store=False,
        meanwhile=lambda counted: lay_out(counted, COUNTED_SECTIONS),
    )
    lay_out(figures, SECTIONS)
    crumbs = render_to_string(
        "reviews/_dashboard_crumbs.html",
        context | {"crumbs": breadcrumbs(scope, figures["ancestors"])},
    )
    return {
        "crumbs": crumbs,
        "figures": "".join(f"\n{sections[name]}" for name in SECTIONS) + "\n",
    }


@login_required
@require_GET
def statistics_tables(request):
    scope = read_scope(request)
    found = statistics.statistics_tables(
        scope.cycle, scope.root, scope.org_type, scope.show_decisions
    )
    return render(
        request,
        "reviews/statistics_tables.html",
        {
            "scope": scope,
            "cycle": scope.cycle,
            "levels": found["levels"],
            "tables": found["tables"],
        },
    )


@login_required
@require_GET
def statistics_download(request):
    scope = read_scope(request)
    found = statistics.statistics_tables(
        scope.cycle, scope.root, scope.org_type, scope.show_decisions
    )
    subtitle = f"{scope.cycle.name} — {scope.root.name}"
    if scope.org_type is not None:
        subtitle += f" — {scope.org_type.name}"
    content = statistics_workbook(
        title=_("Statistics of the review and rating"),
        subtitle=subtitle,
        tables=found["tables"],
        levels=found["levels"],
    )
    response = HttpResponse(content, content_type=XLSX)
    name = slugify(f"thong-ke-{scope.cycle.year}-{scope.root.code}") or "thong-ke"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# The list behind a figure --------------------------------------------------------


def drill_down_reviews(scope, data):
    reviews = Review.objects.filter(
        cycle=scope.cycle, organization__path__startswith=scope.root.path
    )
    if scope.org_type is not None:
        tree, _ancestors = statistics.load_tree(scope.root)
        reviews = reviews.filter(
            organization_id__in=[
                pk for pk, unit in tree.items() if unit.type_id == scope.org_type.pk
            ]
        )
    reviews = reviews.filter(subject_filter(data.get("subjects")))
    level, stage = data.get("level"), data.get("stage") or "decided"
    if level:
        if stage == "decided" and not scope.show_decisions:
            reviews = reviews.none()
        code = "" if level == "-" else level
        field = "decided_code" if stage == "decided" else "proposed_code"
        reviews = reviews.filter(**{field: code})
    step = data.get("step")
    if step:
        if step == "decided" and not scope.show_decisions:
            reviews = reviews if data.get("missing") else reviews.none()
        else:
            done = step_filter(scope.cycle, step)
            reviews = (
                reviews.exclude(done) if data.get("missing") else reviews.filter(done)
            )
    return reviews.select_related("organization__parent", "member").order_by(
        "organization__path", "meeting_rank", "sort_key", "pk"
    )


@login_required
@require_GET
def drill_down(request):
    scope = read_scope(request, DrillDownForm)
    data = scope.form.cleaned_data
    page = Paginator(drill_down_reviews(scope, data), LIST_PAGE_SIZE).get_page(
        data.get("page")
    )
    levels = {level.code: level for level in scope.cycle.regime.levels.all()}
    return render(
        request,
        "reviews/dashboard_list.html",
        {
            "scope": scope,
            "cycle": scope.cycle,
            "page": page,
            "levels": levels,
            "described": describe(data, levels),
            "back": scope.query(),
            "page_query": scope.query(
                subjects=data.get("subjects"),
                level=data.get("level"),
                stage=data.get("stage"),
                step=data.get("step"),
                missing="1" if data.get("missing") else "",
            ),
        },
    )


def describe(data, levels):
    """What the list holds, in words, for its heading."""
    parts = [str(statistics.SUBJECTS.get(data.get("subjects"), _("All subjects")))]
    level = data.get("level")
    if level:
        found = levels.get(level)
        if found:
            label = f"{found.code} – {found.name}"
        else:
            label = _("not rated") if level == "-" else level
        stage = _("proposed") if data.get("stage") == "proposed" else _("decided")
        parts.append(f"{stage}: {label}")
    step = data.get("step")
    if step:
        label = str(statistics.STEP_LABELS[step]).lower()
        parts.append(_("not yet: %s") % label if data.get("missing") else label)
    return " — ".join(parts)
