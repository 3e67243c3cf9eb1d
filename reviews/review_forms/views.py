"""The review forms: a collective's report (Mẫu 01) and each member's review."""

import functools
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import access, ratings, reminders, services
from ..models import (
    EDITABLE_STATES,
    CarryOverItem,
    Rating,
    Review,
    SuggestionAnswer,
)
from .forms import (
    CONDITIONS,
    REQUIRED_TO_SUBMIT,
    ReturnForm,
    ReviewContent,
    ReviewForm,
    values_of,
)


@dataclass
class Conflict:
    """Someone saved since the user loaded the form: what they changed, or
    that the form was returned for rework meanwhile."""

    current: Review
    changes: list
    returned: bool = False


@login_required
@require_http_methods(["GET", "POST"])
def review_form(request, public_id):
    # A post writes from the row as read here, so it is held from the start.
    review = access.get_review(
        request.user, public_id, locked=request.method == "POST", reviews=reviews()
    )
    editable = access.can_edit_review(request.user, review)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    form = ReviewForm(request.POST or None, content=ReviewContent.load(review))
    if not form.is_bound or not form.is_valid():
        return render_form(request, form, editable)
    submitting = not request.htmx and form.cleaned_data["action"] == "submit"
    missing = form.missing() if submitting else []
    # A self-rating above what the self-score allows is not submitted either.
    refused = form.rating_above_score() if submitting else []
    changes = form.changes()
    if submitting and not missing and not refused:
        changes |= {"status": Review.Status.SUBMITTED, "submitted_at": timezone.now()}
    saved, conflict = save(request.user, form, changes)
    if conflict:
        form = rebound(form, conflict.current.version)
        return render_form(
            request, form, editable, conflict=conflict, saved=conflict.current
        )
    if request.htmx:
        # The warnings follow the self-rating as it is autosaved; the rules
        # read only the rating, the scores and their conditions.
        live = "self_rating" in form.fields and rated_differently(
            form.content.review, saved
        )
        return render(
            request,
            "reviews/_review_autosave.html",
            {
                "saved": saved,
                "live_warnings": live,
                "warnings": self_rating_warnings(form.content, saved) if live else [],
            },
        )
    if missing or refused:
        form = rebound(form, saved.version)
        for name, _label in missing:
            form.add_error(name, REQUIRED_TO_SUBMIT)
        for name, message in refused:
            form.add_error(name, message)
        return render_form(
            request, form, editable, missing=missing, refused=refused, saved=saved
        )
    if saved.is_submitted:
        messages.success(request, _("The form has been submitted."))
    else:
        messages.success(request, _("Draft saved."))
    return redirect("reviews:review", public_id=review.public_id)


@functools.cache
def reviews():
    """The form's review lookup, built once (as access.REVIEWS): what the form
    and its header read, with ReviewContent's annotations."""
    return Review.objects.select_related(
        "cycle__regime",
        "organization",
        "member",
        "template",
        "self_rating",
        "saved_by",
    ).annotate(**ReviewContent.annotations())


def render_form(
    request, form, editable, *, conflict=None, missing=(), refused=(), saved=None
):
    review = saved or form.content.review
    if request.htmx:
        return render(
            request,
            "reviews/_review_autosave.html",
            {"form": form, "conflict": conflict},
        )
    return render(
        request,
        "reviews/review_form.html",
        {
            "review": review,
            "form": form,
            "blocks": form.blocks(rendered=editable),
            "editable": editable,
            "cycle_open": review.cycle.status in EDITABLE_STATES,
            "conflict": conflict,
            "missing": missing,
            "refused": refused,
            "can_return": can_return(request.user, review),
            "return_form": ReturnForm(),
            "is_author": access.is_author(request.user, review),
            "warnings": self_rating_warnings(form.content, review, refused),
        },
    )


def self_rating_warnings(content, review, refused=()):
    """The reasons of the rules the saved self-rating breaks; they do not block.

    The points rule is left out while the self-score or its conditions are
    incomplete (the form lists what is missing) and when the submission was
    refused for it just now (the refusal says it already).
    """
    if review.self_rating_id is None:
        return []
    cycle = content.review.cycle
    book = ratings.RuleBook(
        cycle,
        [review],
        stage=Rating.Stage.SELF,
        leadership=ratings.Leadership(cycle, [review]),
    )
    codes = {level.pk: code for code, level in book.levels.items()}
    code = codes.get(review.self_rating_id)
    if code is None:
        return []
    scored = all(c.code in review.scores for c in content.criteria) and all(
        getattr(review, name) is not None for name, _label in CONDITIONS
    )
    check_points = scored and not any(name == "self_rating" for name, _m in refused)
    return [
        finding.reason
        for finding in book.findings(review)
        if finding.broken_by(code) and (finding.rule != "points" or check_points)
    ]


def rated_differently(before, after):
    """Whether a save changed what the self-rating's rules read."""
    return any(
        getattr(before, name) != getattr(after, name)
        for name in ("self_rating_id", "scores", *(name for name, _ in CONDITIONS))
    )


def rebound(form, version):
    """The same input, now carrying the current version so a re-save can pass."""
    data = form.data.copy()
    data["version"] = str(version)
    form = ReviewForm(data, content=form.content)
    form.is_valid()
    return form


def save(user, form, changes):
    """Write the form: (saved review, None), or (None, Conflict) if it went stale.

    A stale save is retried once when the other save changed nothing this one
    would undo, e.g. an autosave racing the Save button with the same text. A
    return for rework since the form was opened is never undone so: the user
    reads its comment first (a second tab or a late click would submit the
    returned form again, unchanged).
    """
    version = form.cleaned_data["version"]
    try:
        return write(user, form, changes, version), None
    except services.StaleVersion as stale:
        current = stale.current
    if returned_since(form.content, version, current):
        return None, Conflict(current, [], returned=True)
    started = started_values(form.content, version)
    changed = form.conflicts(values_of(form.content, current, None, None), started)
    if changed:
        return None, Conflict(current, changed)
    try:
        return write(user, form, changes, current.version), None
    except services.StaleVersion as stale:
        return None, Conflict(stale.current, [])


# No savepoint of its own: the request is atomic (ATOMIC_REQUESTS), and a stale
# version is refused by save_review before anything is written.
def write(user, form, changes, version):
    saved = services.save_review(
        form.content.review,
        changes,
        version,
        user,
        suggestion_answers=form.suggestion_answers(),
    )
    for item, (answer, outcome) in form.carry_over_answers().items():
        if (item.answer, item.outcome) != (answer, outcome):
            item.answer, item.outcome = answer, outcome
            item.save(update_fields=["answer", "outcome"])
    if saved.is_submitted:
        services.settle_carry_over(saved, user)
        if saved.self_rating:
            ratings.record_rating(
                saved,
                Rating.Stage.SELF,
                saved.self_rating,
                user,
                score=saved.score_total,
            )
    return saved


def returned_since(content, version, current):
    """Whether the review was returned for rework after `version`: a return
    is a saved version whose status turned to returned."""
    if current.status != Review.Status.RETURNED:
        return False
    saves = (
        content.review.history.filter(version__gte=version)
        .order_by("history_date", "history_id")
        .values_list("version", "status")
    )
    before = None
    for saved_version, status in saves:
        turned = status == Review.Status.RETURNED and before != status
        if turned and saved_version > version:
            return True
        before = status
    return False


def started_values(content, version):
    """The answers as they stood at `version`, from the history; None if unknown."""
    history = content.review.history.all()
    record = history.filter(version=version).order_by("-history_date").first()
    # Reviews are bulk-created without a history row; version 0 is an empty form.
    if record is None and version != 0:
        return None
    next_save = (
        history.filter(version__gt=version)
        .order_by("history_date")
        .values_list("history_date", flat=True)
        .first()
    )
    if next_save is None:
        return None
    # Section III and IV rows are written just after the review row of a save.
    before = {"review_id": content.review.pk, "history_date__lt": next_save}
    order = ("history_date", "history_id")
    suggestion_texts = dict(
        SuggestionAnswer.history.filter(**before)
        .order_by(*order)
        .values_list("item_id", "text")
    )
    carry_states = {
        item_id: (answer, outcome)
        for item_id, answer, outcome in CarryOverItem.history.filter(**before)
        .order_by(*order)
        .values_list("id", "answer", "outcome")
    }
    return values_of(content, record, suggestion_texts, carry_states)


def can_return(user, review):
    """A submitted member's form may go back for rework while the cycle is open."""
    return (
        review.kind == Review.Kind.INDIVIDUAL
        and review.is_submitted
        and review.cycle.status in EDITABLE_STATES
        and access.manages_review(user, review)
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_return(request, public_id):
    review = access.get_review(request.user, public_id)
    access.require_manager(request.user, review)
    returnable = can_return(request.user, review)
    form = ReturnForm(request.POST or None)
    if form.is_valid():
        comment = form.cleaned_data["comment"]
        if returnable and return_review(review, comment, request.user):
            review.refresh_from_db()
            reminders.tell_returned(review)
            messages.success(request, _("The form has been returned for rework."))
            return redirect("reviews:review", public_id=review.public_id)
        if returnable:
            # Returned or changed since the page was opened; otherwise the page
            # already says why nothing can be returned.
            form.add_error(
                None,
                _("Only a submitted individual review can be returned for rework."),
            )
    return render(
        request,
        "reviews/review_return.html",
        {"review": review, "form": form, "returnable": returnable},
    )


@transaction.atomic
def return_review(review, comment, user):
    locked = Review.objects.select_for_update().get(pk=review.pk)
    if not locked.is_submitted:
        return False
    locked.status = Review.Status.RETURNED
    locked.return_comment = comment
    # A new version, so a form opened before the return cannot overwrite it.
    locked.version += 1
    locked._history_user = user
    locked.save(update_fields=["status", "return_comment", "version"])
    return True
