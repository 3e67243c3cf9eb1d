"""Appraisal (thẩm định, đề xuất) and decision (quyết định) of ratings, per
comparison group (docs/process.md §1 steps 6–7 and §6).

Both pages list a group's subjects with their rating chain, the rules each
level breaks and the quota meter. An appraisal only warns; a decision is
re-checked by ratings.decide, all or nothing.
"""

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
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
from ..cycles.progress import require_cycle_reader
from ..models import Rating, ReviewCycle
from .forms import ActionForm, GroupQueryForm
from .page import (
    APPRAISING,
    DECIDING,
    Meter,
    Scope,
    Stage,
    acceptable,
    counted_levels,
    find_group,
    group_ratings,
    load_page,
)

REFUSALS_LISTED = 5
# Organizations' groups first; leaders after the collectives they lead.
GROUP_ORDER = ("superior", "type-", "cells-", "leadership", "members-", "leaders")

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
    if not deciding:
        return write(request, page, rows)
    # A head or leader whose collective is not decided yet cannot be decided:
    # left as the page proposed it, the row waits instead of refusing the rest.
    waiting = [row for row in rows if row.waiting and not row.form.has_changed()]
    rows = [row for row in rows if row not in waiting]
    saved = write(request, page, [decision_of(row, page.levels) for row in rows])
    if saved and waiting:
        messages.info(
            request,
            ngettext(
                "%(count)s subject waits for the decision on its collective and was "
                "left undecided: %(names)s.",
                "%(count)s subjects wait for the decisions on their collectives and "
                "were left undecided: %(names)s.",
                len(waiting),
            )
            % {
                "count": len(waiting),
                "names": "; ".join(
                    f"{row.review.subject_name} ({row.waiting})" for row in waiting
                ),
            },
        )
    return saved


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
