"""Nothing of a published or locked cycle changes without an audited reopening.

The signals in reviews/signals.py call these before every save and delete of a
cycle's rows; bulk writes (QuerySet.update, bulk_create) send no signals, so
code that writes in bulk calls refuse_if_closed(cycle) itself.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from .models import (
    Assignment,
    Attendance,
    CarryOverItem,
    CycleExclusion,
    CyclePost,
    IndicatorValue,
    Meeting,
    MeetingItem,
    Rating,
    Review,
    ReviewCycle,
    StepExemption,
    Suggestion,
    SuggestionAnswer,
    SuggestionItem,
)

CLOSED_STATES = (ReviewCycle.Status.PUBLISHED, ReviewCycle.Status.LOCKED)

# How each guarded model reaches its cycle. Remedy actions and notices are not
# here: remedy plans are followed during the year after publication.
CYCLE_PATHS = {
    Review: "cycle",
    Rating: "review__cycle",
    CarryOverItem: "review__cycle",
    SuggestionAnswer: "review__cycle",
    Meeting: "review__cycle",
    StepExemption: "review__cycle",
    Attendance: "meeting__review__cycle",
    MeetingItem: "meeting__review__cycle",
    Suggestion: "cycle",
    SuggestionItem: "suggestion__cycle",
    Assignment: "cycle",
    CycleExclusion: "cycle",
    CyclePost: "cycle",
    IndicatorValue: "cycle",
}

_writes_allowed = ContextVar("closed_cycle_writes_allowed", default=False)


class CycleClosed(PermissionDenied):
    """A write to a published or locked cycle, refused (a 403 in a request)."""

    def __init__(self, cycle):
        super().__init__(
            _(
                "The cycle “%(cycle)s” is %(status)s: nothing in it may change "
                "unless committee staff reopen it with a reason."
            )
            % {"cycle": cycle.name, "status": cycle.get_status_display().lower()}
        )
        self.cycle = cycle


def is_closed(cycle):
    return cycle.status in CLOSED_STATES


def refuse_if_closed(cycle):
    if is_closed(cycle) and not _writes_allowed.get():
        raise CycleClosed(cycle)


@contextmanager
def closed_cycle_writes():
    """Let trusted code write into a closed cycle: a reopening, a history import."""
    token = _writes_allowed.set(True)
    try:
        yield
    finally:
        _writes_allowed.reset(token)


def writes_allowed():
    return _writes_allowed.get()


def cycles_of(instance):
    """The cycle a row points to and, once stored, the cycle it is stored under.

    Both count: moving a row out of a locked cycle changes that cycle too. The
    subqueries go by primary key, so this stays one cheap query per write.
    """
    model = type(instance)
    path = CYCLE_PATHS[model]
    name, _sep, rest = path.partition("__")
    field = model._meta.get_field(name)
    value = getattr(instance, field.attname)
    if rest:
        parents = field.related_model._base_manager.filter(pk=value)
        condition = Q(pk__in=parents.values(rest))
    else:
        condition = Q(pk=value)
    if not instance._state.adding and instance.pk is not None:
        stored = model._base_manager.filter(pk=instance.pk)
        condition |= Q(pk__in=stored.values(path))
    return ReviewCycle.objects.filter(condition)


def refuse_write(instance):
    """Refuse to save or delete a row that belongs to a closed cycle."""
    if _writes_allowed.get():
        return
    closed = cycles_of(instance).filter(status__in=CLOSED_STATES).first()
    if closed is not None:
        raise CycleClosed(closed)


def refuse_cycle_change(cycle):
    """A closed cycle itself only moves on from published to locked."""
    if _writes_allowed.get() or cycle._state.adding or cycle.pk is None:
        return
    stored = ReviewCycle.objects.filter(pk=cycle.pk).first()
    if stored is None or not is_closed(stored):
        return
    if stored.status == ReviewCycle.Status.PUBLISHED and (
        cycle.status == ReviewCycle.Status.LOCKED
    ):
        return
    raise CycleClosed(stored)
