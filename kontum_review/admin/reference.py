"""Reference data the whole tree shares: who reads and who changes it."""

from django.contrib import admin

from .controls import CheckedFormFields, CheckedKeys, LabelledEditableColumns
from .scopes import superior_committee_staff

# Reference data --------------------------------------------------------------

SUPERUSERS = "superusers"
COMMITTEE_STAFF = "committee staff"


class ReferenceDataAdmin(LabelledEditableColumns, CheckedFormFields, CheckedKeys):
    """Data the whole tree shares: every admin user with the view permission
    reads it; `changed_by` says who adds, changes and deletes it.

    SUPERUSERS: regimes and their levels, which every rule reads.
    COMMITTEE_STAFF: lists committees extend (organization types, focus areas
    and indicators): superusers and the staff of a superior Party committee,
    not the staff of a lower committee, whose change would reach the whole tree.
    """

    changed_by = SUPERUSERS

    def may_change_reference(self, request):
        if request.user.is_superuser:
            return True
        return self.changed_by == COMMITTEE_STAFF and superior_committee_staff(request)

    def has_add_permission(self, request, *args):
        return self.may_change_reference(request) and super().has_add_permission(
            request, *args
        )

    def has_change_permission(self, request, obj=None):
        return self.may_change_reference(request) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return self.may_change_reference(request) and super().has_delete_permission(
            request, obj
        )


def plain_year(model, name):
    """A list column showing the year field `name` as written, "2026": the
    admin groups every integer's thousands ("2.026")."""
    field = model._meta.get_field(name)

    @admin.display(description=field.verbose_name, ordering=name)
    def column(obj):
        value = getattr(obj, name)
        return "" if value is None else str(value)

    column.__name__ = f"{name}_as_written"
    return column
