"""Refuse writes to closed cycles; keep the statistics in step with every write."""

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from organizations.models import Organization, OrganizationType

from . import guards, ratings, statistics
from .models import (
    CyclePost,
    FormSection,
    FormTemplate,
    IndicatorValue,
    Meeting,
    Rating,
    RatingLevel,
    RemedyAction,
    Review,
    ReviewCycle,
    ScoreCriterion,
    StepExemption,
    Suggestion,
    SuggestionAnswer,
    SuggestionItem,
)

# A cascade starting from one of these was checked where it started.
CHECKED_AT_ORIGIN = (ReviewCycle, *guards.CYCLE_PATHS)


def refuse_closed_save(sender, instance, raw=False, **kwargs):
    # Fixtures (loaddata) load history as it was, closed cycles included.
    if not raw:
        guards.refuse_write(instance)


def refuse_closed_delete(sender, instance, origin=None, **kwargs):
    origin_model = origin.model if isinstance(origin, QuerySet) else type(origin)
    cascaded = origin is not None and sender is not origin_model
    if not (cascaded and issubclass(origin_model, CHECKED_AT_ORIGIN)):
        guards.refuse_write(instance)


def refuse_closed_cycle_save(sender, instance, raw=False, **kwargs):
    if not raw:
        guards.refuse_cycle_change(instance)


def refuse_closed_cycle_delete(sender, instance, **kwargs):
    if guards.writes_allowed():
        return
    stored = ReviewCycle.objects.filter(pk=instance.pk).first()
    if stored is not None:
        guards.refuse_if_closed(stored)


def stale(cycle_id):
    """Drop the cycle's cached figures now and again once the write commits.

    The second time covers a reader who filled the cache from the old rows
    while the transaction was still open.
    """
    if cycle_id is None:
        return
    statistics.invalidate(cycle_id)
    transaction.on_commit(lambda: statistics.invalidate(cycle_id))


def cycle_id_of(instance):
    if isinstance(instance, ReviewCycle):
        return instance.pk
    if isinstance(instance, (Review, Suggestion, IndicatorValue)):
        return instance.cycle_id
    if isinstance(instance, SuggestionItem):
        return (
            Suggestion.objects.filter(pk=instance.suggestion_id)
            .values_list("cycle_id", flat=True)
            .first()
        )
    return (
        Review.objects.filter(pk=instance.review_id)
        .values_list("cycle_id", flat=True)
        .first()
    )


def rating_written(sender, instance, **kwargs):
    ratings.refresh_outcomes(Review.objects.filter(pk=instance.review_id))
    stale(cycle_id_of(instance))


def review_saved(sender, instance, update_fields=None, **kwargs):
    counted = statistics.COUNTED_REVIEW_FIELDS
    if update_fields is not None and not set(counted) & set(update_fields):
        return
    if getattr(instance, "statistics_unchanged", False):
        return
    stale(instance.cycle_id)


def counted_row_written(sender, instance, **kwargs):
    stale(cycle_id_of(instance))


def tree_changed(sender, instance, **kwargs):
    statistics.invalidate_tree()
    transaction.on_commit(statistics.invalidate_tree)


def connect_statistics():
    for signal in (post_save, post_delete):
        signal.connect(rating_written, sender=Rating, dispatch_uid=f"stats-{signal}")
        for model in (
            ReviewCycle,
            Meeting,
            RemedyAction,
            Suggestion,
            SuggestionItem,
            SuggestionAnswer,
            IndicatorValue,
            StepExemption,
            # The dashboard's quota groups of leaders follow the cycle's posts.
            CyclePost,
        ):
            signal.connect(
                counted_row_written,
                sender=model,
                dispatch_uid=f"stats-{model}-{signal}",
            )
        for model in (Organization, OrganizationType):
            signal.connect(
                tree_changed, sender=model, dispatch_uid=f"stats-{model}-{signal}"
            )
    post_save.connect(review_saved, sender=Review, dispatch_uid="stats-review")
    post_delete.connect(
        counted_row_written, sender=Review, dispatch_uid="stats-review-delete"
    )


def form_changed(sender, instance, **kwargs):
    """Move the template's changed_at on, so its cached parts are read again."""
    templates = FormTemplate.objects.all()
    # A regime's levels may serve a template of another regime (a cycle's
    # override); they change a few times a decade, so every template moves on.
    if not isinstance(instance, RatingLevel):
        templates = templates.filter(pk=instance.template_id)
    templates.update(changed_at=timezone.now())


def connect_form_templates():
    for signal in (post_save, post_delete):
        for model in (FormSection, ScoreCriterion, RatingLevel):
            signal.connect(
                form_changed, sender=model, dispatch_uid=f"form-{model}-{signal}"
            )


def connect():
    for model in guards.CYCLE_PATHS:
        pre_save.connect(
            refuse_closed_save, sender=model, dispatch_uid=f"closed-save-{model}"
        )
        pre_delete.connect(
            refuse_closed_delete, sender=model, dispatch_uid=f"closed-delete-{model}"
        )
    pre_save.connect(
        refuse_closed_cycle_save, sender=ReviewCycle, dispatch_uid="closed-cycle-save"
    )
    pre_delete.connect(
        refuse_closed_cycle_delete,
        sender=ReviewCycle,
        dispatch_uid="closed-cycle-delete",
    )
    connect_statistics()
    connect_form_templates()
