"""Writing the Standing Committee's review suggestions: items appended to each
target's suggestion, numbered on under a lock."""

from django.db.models import Max
from simple_history.utils import bulk_create_with_history

from ..models import Suggestion, SuggestionItem


def append_items(cycle, field, targets, items, user, issued_on):
    """Add the items to each target's suggestion, created if needed, numbered on.

    The existing suggestions are locked so that two people appending at once
    cannot take the same item number.
    """
    existing = {
        getattr(suggestion, f"{field}_id"): suggestion
        for suggestion in Suggestion.objects.select_for_update().filter(
            cycle=cycle, **{f"{field}__in": targets}
        )
    }
    created = bulk_create_with_history(
        [
            Suggestion(cycle=cycle, issued_on=issued_on, issued_by=user, **{field: t})
            for t in targets
            if t.pk not in existing
        ],
        Suggestion,
        default_user=user,
    )
    last = dict(
        SuggestionItem.objects.filter(suggestion__in=list(existing.values()))
        .order_by()
        .values_list("suggestion")
        .annotate(Max("number"))
    )
    new_items = []
    for suggestion in [*existing.values(), *created]:
        number = last.get(suggestion.pk, 0)
        for focus_area, text in items:
            number += 1
            new_items.append(
                SuggestionItem(
                    suggestion=suggestion,
                    number=number,
                    focus_area=focus_area,
                    text=text,
                )
            )
    bulk_create_with_history(new_items, SuggestionItem, default_user=user)
    return [*existing.values(), *created]
