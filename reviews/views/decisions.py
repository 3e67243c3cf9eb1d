"""Appraisal (thẩm định, đề xuất) and decision (quyết định) of ratings, per
comparison group (docs/process.md §1 steps 6–7 and §6).

Both pages list a group's subjects with their rating chain, the rules each
level breaks and the quota meter. An appraisal only warns; a decision is
re-checked by ratings.decide, all or nothing.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from organizations.models import Organization

from .. import ratings, rules
from ..access import get_cycle, is_cycle_staff
from ..forms.decisions import ActionForm, GroupQueryForm, RatingRowForm
from ..forms.fields import typed_value
from ..models import Rating, ReviewCycle
from .cycles import require_cycle_reader

PAGE_SIZE = 100
REFUSALS_LISTED = 5
Stage = Rating.Stage
Status = ReviewCycle.Status
PROPOSALS = (Stage.SELF, Stage.MEETING, Stage.APPRAISAL)
# Organizations' groups first; leaders after the collectives they lead.
GROUP_ORDER = ("type-", "cells-", "leadership", "members-", "leaders")


@dataclass(frozen=True)
class Step:
    stage: str
    url_name: str
    template: str
    open_states: tuple
    # The stages whose latest level counts on the quota meter.
    counted: tuple


DECIDING = Step(
    Stage.DECISION,
    "reviews:decide",
    "decide",
    (Status.APPRAISAL, Status.DECIDED),
    (Stage.DECISION,),
)
APPRAISING = Step(
    Stage.APPRAISAL,
    "reviews:appraise",
    "appraise",
    (Status.MEETINGS, Status.APPRAISAL),
    PROPOSALS,
)


@dataclass
class Scope:
    """Organizations whose subjects the user sees and rates; None means all."""

    visible: set | None
    managed: set | None

    def sees(self, review):
        return self.visible is None or review.organization_id in self.visible

    def rates(self, review):
        return self.managed is None or review.organization_id in self.managed

    @property
    def writes(self):
        return self.managed is None or bool(self.managed)


@dataclass
class Meter:
    """HTXSNV allowed (a share of HTTNV, rounded down) against HTXSNV used."""

    percent: Decimal
    good: int
    excellent: int
    base_good: int = 0
    base_excellent: int = 0

    @property
    def allowed(self):
        return rules.quota_allowed(self.good, self.percent)

    @property
    def over(self):
        return self.excellent > self.allowed

    @property
    def scale(self):
        return max(self.allowed, self.excellent, 1)

    @property
    def percent_hundredths(self):
        return int(self.percent * 100)


@dataclass
class Row:
    review: object
    chain: list
    previous: Rating | None
    current: Rating | None
    form: RatingRowForm | None
    highlighted: bool
    caps: list = field(default_factory=list)
    waiting: str | None = None
    errors: list = field(default_factory=list)
    # [(exemption, reason)] of a subject exempted from rating: no level.
    exemptions: list = field(default_factory=list)
    # The score the points rule reads, where it comes from, and the rule's
    # verdict for it (the highest level it allows); None without points.
    score: Decimal | None = None
    score_source: str = ""
    verdict: rules.Finding | None = None
    verdict_broken: bool = False

    @property
    def suggested(self):
        """The proposal the select offers when nothing is recorded at this stage."""
        if self.form is None or self.current is not None:
            return None
        return self.previous

    @property
    def level(self):
        """The level the row stands at: as typed, else as recorded."""
        if self.exemptions:
            return ""
        if self.form is not None:
            value = self.form["level"].value()
            return value if value in rules.ORDER else ""
        shown = self.current or self.previous
        return shown.level.code if shown else ""


# Views -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def decide(request, public_id):
    cycle = get_cycle(request.user, public_id)
    runs = require_cycle_reader(request.user, cycle)
    scope = (
        Scope(None, None)
        if runs
        else Scope(visible_organizations(request, cycle), set())
    )
    return group_view(request, cycle, scope, DECIDING)


@login_required
@require_http_methods(["GET", "POST"])
def appraise(request, public_id):
    cycle = get_cycle(request.user, public_id)
    if is_cycle_staff(request.user, cycle):
        scope = Scope(None, None)
    else:
        organizations = Organization.objects.subtree_of(cycle.superior)
        scope = Scope(
            visible_organizations(request, cycle),
            set(organizations.editable_by(request.user).values_list("pk", flat=True)),
        )
        if not scope.visible:
            raise PermissionDenied
    return group_view(request, cycle, scope, APPRAISING)


def group_view(request, cycle, scope, step):
    if request.method == "POST" and not scope.writes:
        raise PermissionDenied
    query = GroupQueryForm(request.GET)
    if not query.is_valid():
        raise Http404
    groups = ratings.comparison_groups(cycle)
    group = find_group(groups, query.cleaned_data)
    if group is None:
        if request.method == "POST":
            raise Http404
        return render_group_list(request, cycle, scope, step, groups)
    data = request.POST if request.method == "POST" else None
    page = load_page(cycle, scope, step, group, query.cleaned_data, data)
    if request.method == "POST" and save(request, page):
        return redirect(request.get_full_path())
    return render(request, f"reviews/{step.template}.html", page_context(page))


# The group list --------------------------------------------------------------


def render_group_list(request, cycle, scope, step, groups):
    percent = cycle.regime.quota_percent
    by_review = group_ratings(cycle.reviews.values("pk"))
    exempt = ratings.unrated_exemptions(cycle)
    counted = counted_levels(by_review, step, exempt)
    summaries = []
    for group in sorted(groups.values(), key=group_rank):
        shown = [r for r in group.reviews if scope.sees(r)]
        if not shown:
            continue
        codes = Counter(counted[r.pk] for r in group.reviews if r.pk in counted)
        unrated = sum(r.pk in exempt for r in shown)
        summaries.append(
            {
                "group": group,
                "subjects": len(shown),
                "done": sum(
                    step.stage in by_review.get(r.pk, ())
                    for r in shown
                    if r.pk not in exempt
                ),
                "unrated": unrated,
                "complete": sum(
                    r.pk in exempt or step.stage in by_review.get(r.pk, ())
                    for r in shown
                )
                == len(shown),
                "meter": Meter(percent, codes[rules.GOOD], codes[rules.EXCELLENT]),
            }
        )
    if not summaries and scope.visible is not None:
        raise PermissionDenied
    return render(
        request,
        f"reviews/{step.template}_groups.html",
        {
            "cycle": cycle,
            "step": step,
            "summaries": summaries,
            "over": sum(s["meter"].over for s in summaries),
            "closed_note": None
            if cycle.status in step.open_states
            else closed_note(cycle, step),
        },
    )


def group_rank(group):
    return next(
        (i for i, prefix in enumerate(GROUP_ORDER) if group.key.startswith(prefix)),
        len(GROUP_ORDER),
    )


# One group's page ------------------------------------------------------------


@dataclass
class Page:
    cycle: ReviewCycle
    step: Step
    group: ratings.Group
    paginated: object
    rows: list
    levels: list
    meter: Meter
    quota: object
    open: bool
    accept_count: int
    group_ratings: dict
    exemptions: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    incomplete: str = ""


def load_page(cycle, scope, step, group, query, data=None):
    reviews = [r for r in group.reviews if scope.sees(r)]
    if not reviews:
        raise Http404
    paginated = Paginator(reviews, PAGE_SIZE).get_page(page_number(reviews, query))
    shown = group.load(paginated.object_list)
    prefetch_related_objects(
        shown,
        Prefetch("ratings", queryset=Rating.objects.select_related("level", "set_by")),
    )
    book = ratings.RuleBook(cycle, shown, stage=step.stage)
    levels = list(book.levels.values())
    is_open = cycle.status in step.open_states
    exempt = ratings.unrated_exemptions(cycle)
    rows = [
        build_row(
            review,
            step,
            levels,
            cycle,
            scope,
            data,
            is_open,
            query["subject"],
            exempt.get(review.pk, []),
        )
        for review in shown
    ]
    for row in rows:
        add_caps(row, book, step)
    by_review = group_ratings([r.pk for r in group.reviews])
    counted = counted_levels(by_review, step, exempt)
    meter, counts = quota_meter(cycle, group, rows, counted)
    return Page(
        cycle=cycle,
        step=step,
        group=group,
        paginated=paginated,
        rows=rows,
        levels=levels,
        meter=meter,
        quota=ratings.quota_finding(group, counts, meter.percent),
        open=is_open,
        accept_count=len(acceptable(group, by_review, exempt)),
        group_ratings=by_review,
        exemptions=exempt,
        incomplete=book.incomplete,
    )


def page_number(reviews, query):
    """The page asked for, or the one that shows the subject asked for."""
    subject = query["subject"]
    if not subject:
        return query["page"]
    position = next((i for i, r in enumerate(reviews) if r.public_id == subject), None)
    if position is None:
        raise Http404
    return position // PAGE_SIZE + 1


def quota_meter(cycle, group, rows, counted):
    """The meter and the levels counted: as typed on the page, else as recorded.

    The rest (`base`) is what the page's script adds to the selects it counts.
    """
    typed = {row.review.pk: row.level for row in rows if row.form is not None}
    base = Counter(
        counted[r.pk] for r in group.reviews if r.pk not in typed and r.pk in counted
    )
    codes = base + Counter(level for level in typed.values() if level)
    meter = Meter(
        cycle.regime.quota_percent,
        codes[rules.GOOD],
        codes[rules.EXCELLENT],
        base[rules.GOOD],
        base[rules.EXCELLENT],
    )
    return meter, codes


def build_row(
    review, step, levels, cycle, scope, data, is_open, subject, exemptions=()
):
    by_stage = {rating.stage: rating for rating in review.ratings.all()}
    current = by_stage.get(step.stage)
    previous = ratings.previous_rating(review, step.stage, by_stage)
    decided = step.stage != Stage.DECISION and Stage.DECISION in by_stage
    form = None
    writable = is_open and scope.rates(review) and scope.writes
    # A subject exempted from rating is shown with the exemption, not a select.
    if writable and not decided and not exemptions:
        form = RatingRowForm(
            data,
            review=review,
            stage=step.stage,
            levels=levels,
            previous=previous,
            current=current,
            overridable=cycle.regime.overridable_rules or (),
            uses_points=cycle.regime.uses_points,
            score=ratings.chain_score(review, by_stage, upto=step.stage)[0],
        )
    return Row(
        review=review,
        chain=[
            {
                "stage": stage,
                "label": Stage(stage).label,
                "rating": by_stage.get(stage),
                "votes": votes(by_stage.get(stage), levels),
            }
            for stage in ratings.STAGES
        ],
        previous=previous,
        current=current,
        form=form,
        highlighted=review.public_id == subject,
        exemptions=list(exemptions),
    )


def votes(rating, levels):
    if rating is None or not rating.votes:
        return []
    return [(level, rating.votes.get(level.code, 0)) for level in levels]


def add_caps(row, book, step):
    """The rules that cap the subject, each marked broken by the row's level.

    The points rule reads the score ratings.decide reads: the latest of the
    chain (ratings.chain_score), or on the appraisal form the score typed.
    """
    if row.exemptions:
        return
    by_stage = {link["stage"]: link["rating"] for link in row.chain if link["rating"]}
    score, source = ratings.chain_score(row.review, by_stage)
    if step.stage == Stage.APPRAISAL and row.form is not None:
        typed = score_value(row.form)
        if typed is not None:
            score, source = typed, Stage.APPRAISAL
        else:
            score, source = ratings.chain_score(row.review, by_stage, Stage.MEETING)
    level = row.level
    row.caps = [
        (finding, bool(level) and finding.broken_by(level))
        for finding in book.findings(row.review, stage_score=score)
    ]
    row.verdict = book.points_verdict(row.review, score)
    if row.verdict is not None:
        row.score = score
        row.score_source = (
            _("the self-score of the form")
            if source == ratings.SCORE_OF_FORM
            else Stage(source).label
        )
        row.verdict_broken = bool(level) and row.verdict.broken_by(level)
    if step.stage == Stage.DECISION:
        row.waiting = book.collective_waiting(row.review)


def score_value(form):
    """The score typed on the row, as far as its field accepts it."""
    if "score" not in form.fields:
        return None
    return typed_value(form["score"])


def group_ratings(review_ids):
    """Every rating of the given reviews: {review pk: {stage: (level pk, code)}}."""
    found = {}
    rows = Rating.objects.filter(review__in=review_ids).values_list(
        "review_id", "stage", "level_id", "level__code"
    )
    for review_id, stage, level_id, code in rows:
        found.setdefault(review_id, {})[stage] = (level_id, code)
    return found


def counted_levels(by_review, step, exempt=()):
    """The level each subject counts with on the meter: its latest counted stage.

    Subjects exempted from rating (`exempt`) never count.
    """
    counted = {}
    for review_id, stages in by_review.items():
        if review_id in exempt:
            continue
        latest = [stage for stage in step.counted if stage in stages]
        if latest:
            counted[review_id] = stages[latest[-1]][1]
    return counted


def acceptable(group, by_review, exempt=()):
    """Undecided subjects with a proposal, and the level of their latest proposal.

    Subjects exempted from rating (`exempt`) need no decision.
    """
    found = []
    for review in group.reviews:
        if review.pk in exempt:
            continue
        stages = by_review.get(review.pk, {})
        proposals = [stage for stage in PROPOSALS if stage in stages]
        if Stage.DECISION not in stages and proposals:
            found.append((review, stages[proposals[-1]][0]))
    return found


def find_group(groups, query):
    if query["group"]:
        group = groups.get(query["group"])
        if group is None:
            raise Http404
        return group
    if query["subject"]:
        for group in groups.values():
            if any(r.public_id == query["subject"] for r in group.reviews):
                return group
        raise Http404
    return None


def page_context(page):
    rows = page.rows
    return {
        "cycle": page.cycle,
        "step": page.step,
        "group": page.group,
        "page": page,
        "rows": rows,
        "meter": page.meter,
        "editable": any(row.form is not None for row in rows),
        "has_row_errors": any(
            row.errors or (row.form and row.form.errors) for row in rows
        ),
        "closed_note": None if page.open else closed_note(page.cycle, page.step),
        "overridable": page.cycle.regime.overridable_rules,
        "uses_points": page.cycle.regime.uses_points,
    }


def closed_note(cycle, step):
    if step.stage == Stage.DECISION:
        return _(
            "The cycle is at the step “%(status)s”: ratings are decided only while "
            "it is in appraisal, or decided and not yet published."
        ) % {"status": cycle.get_status_display()}
    return _(
        "The cycle is at the step “%(status)s”: ratings are appraised only during "
        "the review meetings and the appraisal."
    ) % {"status": cycle.get_status_display()}


def visible_organizations(request, cycle):
    organizations = Organization.objects.subtree_of(cycle.superior)
    return set(organizations.visible_to(request.user).values_list("pk", flat=True))


# Saving ------------------------------------------------------------------------


def save(request, page):
    """Write what the page posts; True when saved, else the errors are on it."""
    action = ActionForm(request.POST)
    if not page.open:
        page.errors.append(closed_note(page.cycle, page.step))
        return False
    if not action.is_valid():
        page.errors.append(_("Choose whether to save or to accept the proposals."))
        return False
    if refuse_exempt(page, request.POST):
        return False
    deciding = page.step.stage == Stage.DECISION
    if deciding and action.cleaned_data["action"] == "accept":
        return accept(request, page)
    rows = changed(page)
    if rows is None:
        return False
    if deciding:
        return write(request, page, [decision_of(row, page.levels) for row in rows])
    return write(request, page, rows)


def refuse_exempt(page, data):
    """Refuse a level posted for a subject exempted from rating; True if any."""
    refused = False
    for row in page.rows:
        if row.exemptions and data.get(f"r{row.review.public_id.hex}-level"):
            row.errors.append(ratings.exempt_refusal(row.review, row.exemptions))
            refused = True
    return refused


def changed(page):
    """The rows the page would write, or None when a row's input is invalid."""
    forms = [row.form for row in page.rows if row.form is not None]
    # Every row is validated, so that every error shows at once.
    valid = [form.is_valid() for form in forms]
    if not all(valid):
        return None
    return [row for row in page.rows if row.form is not None and row.form.is_change()]


def accepted(page):
    levels = {level.pk: level for level in page.levels}
    found = acceptable(page.group, page.group_ratings, page.exemptions)
    reviews = page.group.load([subject for subject, _level in found])
    # The rules and the chain read each review's ratings: once, not per review.
    prefetch_related_objects(
        reviews, Prefetch("ratings", queryset=Rating.objects.select_related("level"))
    )
    return [
        ratings.Decision(review, levels[level_id])
        for review, (_subject, level_id) in zip(reviews, found, strict=True)
    ]


def decision_of(row, levels):
    cleaned = row.form.cleaned_data
    return ratings.Decision(
        row.review,
        next(level for level in levels if level.code == cleaned["level"]),
        reason=cleaned["reason"],
        assessment=cleaned.get("assessment", ""),
        override_reason=cleaned.get("override_reason", ""),
    )


def accept(request, page):
    """Decide every proposal the rules allow; leave the others to a person.

    A proposal that breaks a rule (over the quota, above the collective, a
    disciplined member…) is never lowered for the person: it stays undecided,
    with the rule's reason on its row, and the others are decided at once.
    """
    proposals = accepted(page)
    refusals = {}
    # Leaving out a refused proposal can only free the others (a lower count
    # of HTXSNV, one subject fewer waiting): a few rounds settle it.
    while proposals:
        try:
            ratings.decide(page.cycle, page.group, proposals, request.user)
        except ratings.RatingRefused as refused:
            if None in refused.errors:
                spread_errors(page, refused.errors)
                return False
            refusals.update(refused.errors)
            proposals = [d for d in proposals if d.review.pk not in refused.errors]
            continue
        break
    if proposals:
        messages.success(
            request,
            ngettext(
                "%(count)s proposal accepted.",
                "%(count)s proposals accepted.",
                len(proposals),
            )
            % {"count": len(proposals)},
        )
    if not refusals:
        if not proposals:
            messages.info(request, _("No proposal is waiting for a decision."))
        return True
    reasons = [reason for found in refusals.values() for reason in found]
    listed = "; ".join(reasons[:REFUSALS_LISTED])
    if len(reasons) > REFUSALS_LISTED:
        listed += " …"
    messages.warning(
        request,
        ngettext(
            "%(count)s proposal breaks a rule and waits for your decision: %(reasons)s",
            "%(count)s proposals break a rule and wait for your decision: %(reasons)s",
            len(refusals),
        )
        % {"count": len(refusals), "reasons": listed},
    )
    return True


def write(request, page, changes):
    """Decisions through ratings.decide, appraisals row by row; all or nothing."""
    if not changes:
        messages.info(request, _("Nothing to save: no level was changed."))
        return True
    try:
        if page.step.stage == Stage.DECISION:
            saved = ratings.decide(page.cycle, page.group, changes, request.user)
        else:
            saved = write_appraisals(page.cycle, changes, page.levels, request.user)
    except ratings.RatingRefused as refused:
        spread_errors(page, refused.errors)
        return False
    messages.success(request, _("%(count)s rating(s) saved.") % {"count": len(changes)})
    # An override may leave decided subjects out of line with the rules.
    for rating in saved:
        for note in getattr(rating, "out_of_line", ()):
            messages.warning(
                request,
                _("Overridden, now out of line: %(note)s") % {"note": note},
            )
    return True


@transaction.atomic
def write_appraisals(cycle, rows, levels, user):
    """Record each changed appraisal; one refusal leaves every row unwritten."""
    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.status not in APPRAISING.open_states:
        raise ratings.RatingRefused({None: [closed_note(cycle, APPRAISING)]})
    by_code = {level.code: level for level in levels}
    errors, saved = {}, []
    for row in rows:
        cleaned = row.form.cleaned_data
        details = {"reason": cleaned["reason"]}
        if "score" in cleaned:
            details["score"] = cleaned["score"]
        try:
            saved.append(
                ratings.record_rating(
                    row.review,
                    Stage.APPRAISAL,
                    by_code[cleaned["level"]],
                    user,
                    **details,
                )
            )
        except ratings.RatingRefused as refused:
            errors.update(refused.errors)
    if errors:
        raise ratings.RatingRefused(errors)
    return saved


def spread_errors(page, errors):
    """Put each refusal next to its subject; others at the top of the page."""
    rows = {row.review.pk: row for row in page.rows}
    for review_pk, messages_ in errors.items():
        row = rows.get(review_pk)
        if row is None:
            page.errors.extend(messages_)
        else:
            row.errors.extend(messages_)
