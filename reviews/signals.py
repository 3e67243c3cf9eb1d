"""Refuse, server-side, every save and delete of a published or locked cycle."""

from django.db.models import QuerySet
from django.db.models.signals import pre_delete, pre_save

from . import guards
from .models import ReviewCycle

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
