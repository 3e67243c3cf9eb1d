"""The admin's shared parts: accent-free search, and the scope of every ModelAdmin.

The admin is scoped like the pages (ARCHITECTURE.md, "Every lookup is scoped to
the user"). A ModelAdmin declares two paths from its model, and `SubtreeAdmin`
does the rest:

- `scope`, for reading: a row is listed, opened, exported, offered by an
  autocomplete and shown in its history when the path leads to a row the end
  model's `visible_to(user)` returns ("" is the row itself: an organization,
  member, review or cycle; "review" its review; "organization" its
  organization). Any other row answers 404, as on the pages.
- `keeper`, for changing: a row is changed, deleted or saved only when the path
  leads to an organization the user keeps as committee staff, the subtree of
  one of their staff roles (`Organization.objects.kept_by`). "cycle__superior"
  means the staff of the cycle's committee, who run the cycle. An empty keeper
  leaves the rows read-only.

A form offers only organizations the user keeps, and rows along the keeper path
that lead to them; any other choice only what the user reads. A value a row
already holds stays selectable, so the top of one's subtree keeps its parent.
Account fields (`account_fields`: who holds a role, whose member record it is)
offer only the accounts the user manages (`manageable_users`).

Reference data shared by the whole tree (`ReferenceDataAdmin`) is read by every
admin user and changed by superusers or, for the lists committees extend, by
the staff of a superior Party committee. Superusers see and change everything.

What comes from the address or a post is checked before it is looked up
(`CheckedKeys`, `CheckedFormFields`): an id that is no key is a 404 or a
refusal with a message, never a 500 (tests/kontum_review/test_fuzz_admin.py).
"""

from .controls import (
    CheckedFormFields,
    CheckedKeys,
    FoldedSearchMixin,
    JSONTextField,
    KeysOnlyAutocompleteSelect,
    LabelledEditableColumns,
    LabelledSplitDateTime,
    boolean_icon,
    is_key,
)
from .reference import COMMITTEE_STAFF, SUPERUSERS, ReferenceDataAdmin, plain_year
from .rows import ReadOnlyAdmin, ScopedRowsAdmin, SubtreeAdmin, SubtreeInline
from .scopes import (
    ScopedChoices,
    allowed_choices,
    as_paths,
    autocomplete_source,
    end_model,
    keep_current_values,
    keeping_current_values,
    kept_by,
    manageable_users,
    reaching,
    readable_by,
    readable_users,
    superior_committee_staff,
)

__all__ = [
    "FoldedSearchMixin",
    "is_key",
    "KeysOnlyAutocompleteSelect",
    "JSONTextField",
    "boolean_icon",
    "LabelledSplitDateTime",
    "LabelledEditableColumns",
    "CheckedFormFields",
    "CheckedKeys",
    "as_paths",
    "end_model",
    "reaching",
    "readable_by",
    "kept_by",
    "readable_users",
    "manageable_users",
    "superior_committee_staff",
    "allowed_choices",
    "keep_current_values",
    "keeping_current_values",
    "ScopedChoices",
    "autocomplete_source",
    "ScopedRowsAdmin",
    "SubtreeAdmin",
    "SubtreeInline",
    "ReadOnlyAdmin",
    "ReferenceDataAdmin",
    "plain_year",
    "SUPERUSERS",
    "COMMITTEE_STAFF",
]
