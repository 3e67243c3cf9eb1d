"""The Party office documents of a cycle as HTML, and their PDF (process.md §5, §7).

Everything a document shows is read in a fixed number of queries by
`context_for`; the templates under templates/reports/ only lay it out, and
user text goes through Django's auto-escaping. WeasyPrint reads nothing but the
app's own static files and the Liberation fonts (`safe_url_fetcher`).
"""

import posixpath
import threading
import unicodedata
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.db.models import Count, Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from organizations.models import Organization, OrganizationKind

from .. import rules, statistics
from ..forms.review import addressed_items
from ..models import (
    FormSection,
    Meeting,
    MeetingItem,
    Rating,
    RatingLevel,
    RemedyAction,
    ReportJob,
    Review,
    ReviewCycle,
    StepExemption,
)
from ..remedies import overdue_filter
from ..results import DECIDED_STATES, PUBLISHED_STATES

Kind = ReportJob.Kind
KINDS = (
    Kind.INDIVIDUAL_FORM,
    Kind.COLLECTIVE_REPORT,
    Kind.MINUTES,
    Kind.NOTIFICATION,
    Kind.SUMMARY,
)
TEMPLATES = {kind: f"reports/{kind}.html" for kind in KINDS}

FONTS_DIR = Path("/usr/share/fonts/truetype/liberation2")
# Relative URLs in the templates ({% static %}) resolve against this, so the
# fetcher sees file:///static/... and maps it through the staticfiles finders.
BASE_URL = "file:///"
STYLESHEET_URL = "file:///static/reports/document.css"
PREVIOUS_CYCLES = 4
MIME_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}
# Committee words in front of a place name: "Thành ủy Kon Tum" → "Kon Tum".
PLACE_PREFIXES = (
    "đảng ủy phường",
    "đảng ủy xã",
    "đảng ủy thị trấn",
    "đảng bộ phường",
    "đảng bộ xã",
    "đảng bộ thành phố",
    "đảng bộ tỉnh",
    "thành ủy",
    "tỉnh ủy",
    "huyện ủy",
    "thị ủy",
    "quận ủy",
    "đảng ủy",
    "đảng bộ",
    "chi bộ",
)
# The committee that issues a Party organization's documents (Hướng dẫn
# 36-HD/VPTW): "Đảng bộ thành phố Kon Tum" issues as "Thành ủy Kon Tum",
# "Đảng bộ phường Quyết Thắng" as "Đảng ủy phường Quyết Thắng"; a cell issues as
# itself. The first match wins.
COMMITTEE_PREFIXES = (
    ("đảng bộ tỉnh ", "Tỉnh ủy "),
    ("đảng bộ thành phố ", "Thành ủy "),
    ("đảng bộ huyện ", "Huyện ủy "),
    ("đảng bộ thị xã ", "Thị ủy "),
    ("đảng bộ quận ", "Quận ủy "),
    ("đảng bộ ", "Đảng ủy "),
)
# How the documents name each exemption (the documents are in Vietnamese
# whatever the requester's language).
EXEMPTION_LABELS = {
    StepExemption.Kind.NOT_SUBMITTED: "Không nộp bản kiểm điểm",
    StepExemption.Kind.MEETING_NOT_HELD: "Không tổ chức hội nghị kiểm điểm",
    StepExemption.Kind.NOT_RATED: "Không đánh giá, xếp loại",
}


class DocumentUnavailable(Exception):
    """The data a document needs does not exist (yet); the message says what."""


# Fetching ----------------------------------------------------------------------


class SafeURLFetcher(URLFetcher):
    """Serve the app's static files and the Liberation fonts; refuse anything else.

    A member's text is escaped, so it never becomes markup; this is the second
    wall: even a URL that reached WeasyPrint is neither fetched nor read.
    """

    def fetch(self, url, headers=None):
        path = self.local_path(url)
        return URLFetcherResponse(
            path.as_uri(),
            path.read_bytes(),
            {"Content-Type": MIME_TYPES.get(path.suffix.lower(), "")},
        )

    def local_path(self, url):
        static_url = settings.STATIC_URL
        if "://" in static_url and url.startswith(static_url):
            return self.found(url[len(static_url) :])
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"Refused to fetch {url!r}: not a static file.")
        path = unquote(parts.path)
        static_prefix = "/" + static_url.strip("/") + "/"
        if path.startswith(static_prefix):
            return self.found(path[len(static_prefix) :])
        resolved = Path(path).resolve()
        inside = any(resolved.is_relative_to(root) for root in allowed_roots())
        if inside and resolved.is_file():
            return resolved
        raise ValueError(f"Refused to fetch {url!r}: outside the static files.")

    @staticmethod
    def found(relative):
        relative = unquote(relative.split("?")[0].split("#")[0])
        if posixpath.normpath(relative) != relative or relative.startswith("/"):
            raise ValueError(f"Refused to fetch static file {relative!r}.")
        try:
            path = finders.find(relative)
        except SuspiciousFileOperation as error:
            raise ValueError(f"Refused to fetch static file {relative!r}.") from error
        if not path:
            raise ValueError(f"No static file {relative!r}.")
        return Path(path)


def allowed_roots():
    roots = [
        Path(entry[1] if isinstance(entry, (list, tuple)) else entry).resolve()
        for entry in settings.STATICFILES_DIRS
    ]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    roots.append(FONTS_DIR.resolve())
    return roots


safe_url_fetcher = SafeURLFetcher()


# Rendering ---------------------------------------------------------------------


def page_css():
    """The @page rule: A4, REPORT_MARGINS_MM, page numbers from page 2 at the top."""
    top, bottom, left, right = getattr(settings, "REPORT_MARGINS_MM", (20, 20, 30, 15))
    return (
        "@page { size: A4 portrait; "
        f"margin: {top}mm {right}mm {bottom}mm {left}mm; "
        "@top-center { content: counter(page); vertical-align: middle; "
        'font-family: "Liberation Serif", serif; '
        "font-size: 14pt; } }\n"
        "@page :first { @top-center { content: none; } }\n"
    )


def render_html(kind, cycle, review=None, organization=None):
    context = context_for(kind, cycle, review=review, organization=organization)
    return render_to_string(TEMPLATES[kind], context)


# Parsing document.css and loading its four fonts cost as much as laying out a
# form, so they are done once and reused. Once per thread: Pango and Fontconfig
# objects must not be shared between threads (the embedded default renders in
# threads of the web process).
parsed = threading.local()


def stylesheets():
    """The fonts and the stylesheets of every document, parsed once per thread."""
    page = page_css()
    if getattr(parsed, "page", None) != page:
        font_config = FontConfiguration()
        parsed.sheets = (
            font_config,
            [
                weasyprint.CSS(
                    url=STYLESHEET_URL,
                    url_fetcher=safe_url_fetcher,
                    font_config=font_config,
                ),
                weasyprint.CSS(string=page, font_config=font_config),
            ],
        )
        parsed.page = page
    return parsed.sheets


def render_pdf(html, base_url=BASE_URL):
    """The PDF of a rendered document; pass BASE_URL so {% static %} URLs resolve."""
    font_config, sheets = stylesheets()
    document = weasyprint.HTML(
        string=html, base_url=base_url or BASE_URL, url_fetcher=safe_url_fetcher
    )
    return document.write_pdf(stylesheets=sheets, font_config=font_config)


# The header and signatures -----------------------------------------------------


def place_of(name):
    """The place a committee sits, for "…, ngày … tháng … năm …"."""
    lowered = name.lower()
    for prefix in PLACE_PREFIXES:
        if lowered.startswith(prefix + " "):
            return name[len(prefix) :].strip()
    return name


def issuing_body(name):
    """The committee that signs for a Party organization of this name."""
    lowered = name.lower()
    for prefix, committee in COMMITTEE_PREFIXES:
        if lowered.startswith(prefix):
            return committee + name[len(prefix) :]
    return name


def abbreviation(name):
    """Initials of the body's first two words for "Số …-BC/TU": Thành ủy → TU."""
    initials = []
    for word in name.split()[:2]:
        letter = word[0].upper()
        if letter != "Đ":
            letter = unicodedata.normalize("NFD", letter)[0]
        initials.append(letter)
    return "".join(initials)


def on_behalf_of(organization):
    """The body a secretary signs for: "CHI BỘ" or "ĐẢNG ỦY"."""
    if organization.kind in (OrganizationKind.CELL, OrganizationKind.GRASSROOTS_CELL):
        return "CHI BỘ"
    if organization.kind == OrganizationKind.PARTY_GROUP:
        return "TỔ ĐẢNG"
    return "ĐẢNG ỦY"


@dataclass
class Header:
    """The two-column header of a Party document (Hướng dẫn 36-HD/VPTW).

    Left: the Party organization directly above (upright caps), the issuing body
    (bold caps), a star, the number; right: the Party's name over a rule, then
    place and date.
    """

    superior_name: str
    issuing_body: str
    place: str
    day: object
    number: str = ""


def header_for(organization, cycle, day, code=""):
    """The header of a document issued by `organization`'s committee (or cell)."""
    parent = organization.parent
    body = issuing_body(organization.name)
    # The office writes the number in by hand: keep the blank in front of it.
    blank = "\u00a0" * 8
    number = f"Số{blank}-{code}/{abbreviation(body)}" if code else ""
    return Header(
        superior_name=parent.name if parent else "",
        issuing_body=body,
        place=place_of(cycle.superior.name),
        day=day,
        number=number,
    )


def local_day(moment):
    return timezone.localdate(moment) if moment else timezone.localdate()


# Reviews: individual form and collective report --------------------------------


@dataclass
class SectionBlock:
    section: FormSection
    text: str = ""
    items: list = field(default_factory=list)
    group_heading: str = ""


def load_review(review_id):
    ratings = Rating.objects.select_related("level", "set_by").order_by("set_at")
    return (
        Review.objects.select_related(
            "cycle__regime",
            "cycle__superior",
            "template",
            "organization__parent",
            "member",
            "self_rating",
        )
        .prefetch_related(
            "template__sections",
            "template__criteria",
            "carry_over_items",
            Prefetch("ratings", queryset=ratings),
        )
        .get(pk=review_id)
    )


def section_blocks(review, suggestion_items, suggestion_texts):
    blocks = []
    opened_group = False
    for section in review.template.sections.all():
        block = SectionBlock(section, text=review.answers.get(section.key, ""))
        if section.kind == FormSection.Kind.CARRY_OVER:
            block.items = list(review.carry_over_items.all())
        elif section.kind == FormSection.Kind.SUGGESTIONS:
            block.items = [
                (item, suggestion_texts.get(item.pk, "")) for item in suggestion_items
            ]
        if section.number.startswith("I.") and not opened_group:
            opened_group = True
            block.group_heading = "I. Ưu điểm, kết quả đạt được"
        blocks.append(block)
    return blocks


def score_rows(review):
    rows = {"A": [], "B": []}
    for criterion in review.template.criteria.all():
        points = review.scores.get(criterion.code)
        rows.setdefault(criterion.group, []).append((criterion, points))
    return rows


def head_name(cycle, organization):
    head = (
        Review.objects.filter(
            cycle=cycle,
            organization=organization,
            kind=Review.Kind.INDIVIDUAL,
            meeting_rank=Review.Rank.HEAD,
        )
        .values_list("subject_name", flat=True)
        .first()
    )
    return head or ""


def review_context(review_id):
    review = load_review(review_id)
    cycle = review.cycle
    levels = list(cycle.regime.levels.all())
    items = list(addressed_items(review))
    texts = dict(review.suggestion_answers.values_list("item_id", "text"))
    meeting_item = (
        MeetingItem.objects.filter(review=review)
        .select_related("meeting", "proposed_rating")
        .first()
    )
    chain = {rating.stage: rating for rating in review.ratings.all()}
    # A form is one file for every reader, and before publication only staff
    # and leaders may see the decision: the forms print it once it is published.
    if cycle.status not in PUBLISHED_STATES:
        chain.pop(Rating.Stage.DECISION, None)
    stages = [
        (stage, chain.get(stage)) for stage in Rating.Stage.values if stage in chain
    ]
    votes = (
        [(level, meeting_item.votes.get(level.code, 0)) for level in levels]
        if meeting_item
        else []
    )
    return {
        "review": review,
        "cycle": cycle,
        "regime": cycle.regime,
        "levels": levels,
        "blocks": section_blocks(review, items, texts),
        "scores": score_rows(review) if cycle.regime.uses_points else None,
        "meeting_item": meeting_item,
        "votes": votes,
        "chain": stages,
        "decision": chain.get(Rating.Stage.DECISION),
        "signer_on_behalf": on_behalf_of(review.organization),
        "head_name": head_name(cycle, review.organization),
        "header": header_for(
            review.organization,
            cycle,
            local_day(review.submitted_at),
            code="BC" if review.is_collective else "",
        ),
    }


def collective_review_id(cycle, organization):
    found = (
        Review.objects.filter(
            cycle=cycle, organization=organization, kind=Review.Kind.ORGANIZATION
        )
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise DocumentUnavailable(
            _("%(organization)s has no collective review in this cycle.")
            % {"organization": organization}
        )
    return found


def individual_form_context(cycle, review, organization):
    if review is None or review.kind != Review.Kind.INDIVIDUAL:
        raise DocumentUnavailable(_("An individual form needs a member's review."))
    return review_context(review.pk)


def collective_report_context(cycle, review, organization):
    if review is not None and review.is_collective:
        return review_context(review.pk)
    return review_context(collective_review_id(cycle, organization))


# Minutes -------------------------------------------------------------------------


def minutes_context(cycle, review, organization):
    meetings = Meeting.objects.select_related(
        "review__organization__parent",
        "review__cycle__regime",
        "review__cycle__superior",
    )
    if review is not None and review.is_collective:
        meetings = meetings.filter(review=review)
    else:
        meetings = meetings.filter(
            review__cycle=cycle,
            review__organization=organization,
            review__kind=Review.Kind.ORGANIZATION,
        )
    meeting = meetings.first()
    if meeting is None:
        raise DocumentUnavailable(_("No review meeting is recorded for it yet."))
    cycle = meeting.review.cycle
    levels = list(cycle.regime.levels.all())
    attendance = list(
        meeting.attendance.select_related("member").order_by("member__sort_key")
    )
    unsubmitted = Prefetch(
        "review__exemptions",
        queryset=StepExemption.objects.filter(
            kind=StepExemption.Kind.NOT_SUBMITTED
        ).order_by("pk"),
        to_attr="unsubmitted",
    )
    # Printed by position: `order` starts at 0 in meetings of earlier releases.
    every_item = list(
        meeting.items.select_related("review", "proposed_rating")
        .prefetch_related(unsubmitted)
        .order_by("order", "pk")
    )
    # A subject closed without a form is not reviewed: named with the reason.
    not_submitted = [
        (item.review, item.review.unsubmitted[0])
        for item in every_item
        if item.review.unsubmitted
    ]
    items = [item for item in every_item if not item.review.unsubmitted]
    for item in items:
        item.vote_rows = [(level, item.votes.get(level.code, 0)) for level in levels]
    present = [row for row in attendance if row.present]
    organization = meeting.review.organization
    return {
        "meeting": meeting,
        "cycle": cycle,
        "organization": organization,
        "levels": levels,
        "present": present,
        "absent": [row for row in attendance if not row.present],
        "called": len(attendance),
        "quorum_percent": cycle.regime.quorum_percent,
        "quorum_reached": rules.quorum_reached(
            len(present), len(attendance), cycle.regime.quorum_percent
        ),
        "items": items,
        "not_submitted": not_submitted,
        "signer_on_behalf": on_behalf_of(organization),
        "header": header_for(
            organization, cycle, meeting.held_on or timezone.localdate(), code="BB"
        ),
    }


# Notification ------------------------------------------------------------------


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


# Summary -------------------------------------------------------------------------


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
    """The BTV's summary: every figure comes from reviews/statistics.py."""
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
