"""Saving a review form with optimistic versions: one conditional UPDATE that
checks the version and that the cycle is open, plus its history row."""

import copy

from django.db import transaction
from django.utils import timezone

from .. import guards, signals, statistics
from ..cycles.states import withdraw_exemptions
from ..models import Review, StepExemption, SuggestionAnswer


class StaleVersion(Exception):
    """Someone saved the form since this user loaded it."""

    def __init__(self, current):
        super().__init__("stale version")
        self.current = current


# What a save writes besides the changes it is given.
SAVE_STAMPS = ("status", "version", "saved_at", "saved_by")


def save_review(review, changes, version, user, *, suggestion_answers=None):
    """Write a draft if nobody saved since `version` (optimistic locking).

    One conditional UPDATE checks the version and that the cycle is open, and
    writes, so of two people saving the same version only the first wins.
    `review` is taken for the row at `version` (the form's view reads it under
    a row lock, so the history row copies the row as it stands); an instance at
    another version is read again.
    """
    # No savepoint of its own: a refusal writes nothing and is raised outside
    # the block, so the caller's transaction stays usable for a retry.
    with transaction.atomic(savepoint=False):
        saved = write_review(review, changes, version, user, suggestion_answers)
    if saved is None:
        refuse_save(review.pk, version)
    return saved


def write_review(review, changes, version, user, suggestion_answers):
    """The saved review, or None when the version or a closed cycle refuses it."""
    current = review
    if review.version != version:
        current = Review.objects.select_for_update().get(pk=review.pk)
        if current.version != version:
            return None
    saved = copy.copy(current)
    for field, value in changes.items():
        setattr(saved, field, value)
    if saved.status == Review.Status.NEW:
        saved.status = Review.Status.DRAFT
    saved.version = version + 1
    saved.saved_at = timezone.now()
    saved.saved_by = user
    # The pre_save guard of a save(), as a condition of the same statement.
    rows = Review.objects.filter(pk=review.pk, version=version)
    if not guards.writes_allowed():
        rows = rows.exclude(cycle__status__in=guards.CLOSED_STATES)
    names = dict.fromkeys((*changes, *SAVE_STAMPS))
    written = {name: getattr(saved, name) for name in names}
    if not rows.update(**written):
        return None
    # What post_save would do: the history row, and the statistics' cache
    # dropped only when a counted field changed (an autosave of the answers
    # leaves it).
    saved._history_user = user
    Review.history.bulk_history_create(
        [saved], update=True, default_user=user, default_change_reason=None
    )
    if statistics.counted_state(current) != statistics.counted_state(saved):
        signals.stale(saved.cycle_id)
    if saved.is_submitted:
        # Handed in after all: the form is no longer an exception of its step.
        withdraw_exemptions(saved, StepExemption.Kind.NOT_SUBMITTED, user)
    for item_id, text in (suggestion_answers or {}).items():
        SuggestionAnswer.objects.update_or_create(
            review=saved, item_id=item_id, defaults={"text": text}
        )
    return saved


def refuse_save(pk, version):
    """Say why the conditional UPDATE of save_review wrote nothing."""
    stored = Review.objects.select_related("cycle").get(pk=pk)
    if stored.version != version:
        raise StaleVersion(stored)
    raise guards.CycleClosed(stored.cycle)
