"""What the documents of a cycle show: the rating-result notification and the
summary report.
"""

from dataclasses import dataclass
from html import escape

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from organizations.models import Organization

from ... import statistics
from ...models import (
    Rating,
    RatingLevel,
    RemedyAction,
    Review,
    ReviewCycle,
    StepExemption,
)
from ...remedies import overdue_filter
from ...results import DECIDED_STATES
from .common import DocumentUnavailable, header_for

PREVIOUS_CYCLES = 4

# How the documents name each exemption (the documents are in Vietnamese
# whatever the requester's language).
EXEMPTION_LABELS = {
    StepExemption.Kind.NOT_SUBMITTED: "Không nộp bản kiểm điểm",
    StepExemption.Kind.MEETING_NOT_HELD: "Không tổ chức hội nghị kiểm điểm",
    StepExemption.Kind.NOT_RATED: "Không đánh giá, xếp loại",
}


@dataclass
class LevelCount:
    level: RatingLevel
    count: int = 0
    share: int = 0


def level_counts(levels, codes):
    """Subjects per level from their decided codes (None: not decided)."""
    counts = [LevelCount(level) for level in levels]
    total = len(codes)
    for row in counts:
        row.count = codes.count(row.level.code)
        row.share = statistics.share(row.count, total)
    return counts, total - sum(row.count for row in counts)


def load_cycle(cycle):
    return ReviewCycle.objects.select_related("regime", "superior__parent").get(
        pk=cycle.pk
    )


def notification_context(cycle, review, organization):
    if organization is None and review is not None:
        organization = review.organization
    cycle = load_cycle(cycle)
    if cycle.status not in DECIDED_STATES:
        raise DocumentUnavailable(
            _(
                "The rating-result notification can be produced only after the "
                "ratings are decided."
            )
        )
    levels = list(cycle.regime.levels.all())
    decisions = Rating.objects.filter(stage=Rating.Stage.DECISION).select_related(
        "level"
    )
    reviews = list(
        cycle.reviews.filter(organization__path__startswith=organization.path)
        .exclude(kind=Review.Kind.LEADERSHIP)
        .select_related("organization")
        .prefetch_related(
            Prefetch("ratings", queryset=decisions),
            Prefetch("exemptions", queryset=StepExemption.objects.unrated()),
        )
        .order_by("organization__path", "meeting_rank", "sort_key", "pk")
    )
    for row in reviews:
        found = list(row.ratings.all())
        row.decision = found[0] if found else None
        # Not rated on purpose, with the reason staff recorded.
        row.unrated = next(iter(row.exemptions.all()), None)
    own = next(
        (
            row
            for row in reviews
            if row.organization_id == organization.pk
            and row.kind == Review.Kind.ORGANIZATION
        ),
        None,
    )
    members = [row for row in reviews if row.kind == Review.Kind.INDIVIDUAL]
    subordinates = [
        row
        for row in reviews
        if row.kind == Review.Kind.ORGANIZATION and row is not own
    ]
    member_counts, members_unrated = level_counts(
        levels, [row.decision.level.code if row.decision else None for row in members]
    )
    return {
        "cycle": cycle,
        "organization": organization,
        "own": own,
        "members": members,
        "subordinates": subordinates,
        "member_counts": member_counts,
        "members_unrated": members_unrated,
        "members_exempt": sum(
            row.decision is None and row.unrated is not None for row in members
        ),
        "levels": levels,
        "header": header_for(cycle.superior, cycle, timezone.localdate(), code="TB"),
    }


# The summary's own words for the headings of statistics.CycleFigures.overall_rows.
SUMMARY_LABELS = {
    "grassroots": "Tổ chức cơ sở đảng",
    "cells": "Chi bộ trực thuộc",
    "members": "Đảng viên",
    "leaders": "Trong đó: cán bộ lãnh đạo, quản lý",
}


def with_summary_labels(rows):
    for row in rows:
        row.label = SUMMARY_LABELS[row.key]
    return rows


def bar_chart_svg(title, bars, width=600, height=230):
    """A bar chart as inline SVG markup (WeasyPrint runs no JavaScript)."""
    top, bottom, left = 50, 40, 40
    plot_height = height - top - bottom
    highest = max((value for _label, value in bars), default=0) or 1
    slot = (width - left - 10) / max(len(bars), 1)
    bar_width = slot * 0.55
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * 0.26:.0f}mm" '
        f'height="{height * 0.26:.0f}mm" viewBox="0 0 {width} {height}" '
        'font-family="Liberation Serif, serif" font-size="15">',
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" '
        f'font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_height}" x2="{width - 10}" '
        f'y2="{top + plot_height}" stroke="#000" stroke-width="1"/>',
    ]
    for index, (label, value) in enumerate(bars):
        bar_height = plot_height * value / highest
        x = left + index * slot + (slot - bar_width) / 2
        y = top + plot_height - bar_height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" '
            f'height="{bar_height:.1f}" fill="#8b1a1a"/>'
        )
        parts.append(
            f'<text x="{x + bar_width / 2:.1f}" y="{y - 4:.1f}" '
            f'text-anchor="middle">{value}</text>'
        )
        parts.append(
            f'<text x="{x + bar_width / 2:.1f}" y="{top + plot_height + 20}" '
            f'text-anchor="middle">{escape(str(label))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def remedy_progress(cycle, today):
    done = RemedyAction.Status.DONE
    return RemedyAction.objects.filter(review__cycle=cycle).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status=RemedyAction.Status.OPEN)),
        in_progress=Count("pk", filter=Q(status=RemedyAction.Status.IN_PROGRESS)),
        done=Count("pk", filter=Q(status=done)),
        overdue=Count("pk", filter=overdue_filter(today)),
    )


def exemption_summary(cycle):
    """Exemptions of the cycle: a count per kind, and each one listed."""
    rows = list(
        StepExemption.objects.filter(review__cycle=cycle)
        .select_related("review__organization")
        .order_by("review__organization__path", "review__sort_key", "pk")
    )
    # In the order of the steps: forms, meetings, ratings.
    kinds = list(EXEMPTION_LABELS)
    rows.sort(key=lambda row: kinds.index(row.kind))
    for row in rows:
        row.label = EXEMPTION_LABELS[row.kind]
    counts = [
        (label, sum(1 for row in rows if row.kind == kind))
        for kind, label in EXEMPTION_LABELS.items()
    ]
    return {"rows": rows, "counts": counts, "total": len(rows)}


def summary_context(cycle, review, organization):
    """The BTV's summary: every figure comes from reviews/statistics/."""
    cycle = load_cycle(cycle)
    today = timezone.localdate()
    figures = statistics.CycleFigures(cycle, cycle.superior, today=today)
    levels = figures.levels
    previous = list(
        ReviewCycle.objects.filter(
            superior__in=Organization.objects.same_line_as(cycle.superior),
            period=cycle.period,
            starts_on__lt=cycle.starts_on,
        )
        .select_related("superior", "regime")
        .order_by("-starts_on")[:PREVIOUS_CYCLES]
    )
    overall = with_summary_labels(figures.overall_rows())
    earlier_rows = statistics.overall_history(previous, cycle.superior)
    history = [
        (earlier, with_summary_labels(earlier_rows[earlier.pk]))
        for earlier in reversed(previous)
    ]
    history.append((cycle, overall))
    decided = {d.key: d.decided for d in figures.distributions()}
    organizations = decided["organizations"]
    charts = [
        bar_chart_svg(
            "Tổ chức đảng theo mức xếp loại",
            [(level.code, organizations.counts.get(level.code, 0)) for level in levels],
        ),
        bar_chart_svg(
            "Đảng viên theo mức xếp loại",
            [
                (level.code, decided["members"].counts.get(level.code, 0))
                for level in levels
            ],
        ),
    ]
    return {
        "cycle": cycle,
        "levels": levels,
        "overall": [(row, row.cells(levels)) for row in overall],
        "by_type": [
            (row, row.cells(levels)) for row in figures.by_type("organizations")
        ],
        "members_by_type": [
            (row, row.cells(levels)) for row in figures.by_type("members")
        ],
        "history": [
            (earlier, [(row, row.cells(levels)) for row in rows])
            for earlier, rows in history
        ],
        "focus_areas": figures.focus_areas(),
        "remedies": remedy_progress(cycle, today),
        "exemptions": exemption_summary(cycle),
        "charts": charts,
        "header": header_for(cycle.superior, cycle, today, code="BC"),
    }
