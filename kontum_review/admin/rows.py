"""ModelAdmins scoped to the rows a user reads and keeps (see the package
docstring)."""

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404

from ..formsets import BoundedInlineFormSet
from .controls import CheckedKeys
from .scopes import (
    ScopedChoices,
    allowed_choices,
    as_paths,
    autocomplete_source,
    keeping_current_values,
    kept_by,
    reaching,
    readable_by,
)

# Rows in scope ---------------------------------------------------------------


class ScopedRowsAdmin(CheckedKeys, ScopedChoices):
    """What every scoped ModelAdmin does with `read_condition`/`kept_condition`.

    Subclasses say which rows the user reads and which they may change, as Q
    objects on the model (None: all of them).
    """

    scopes_rows = True

    def read_condition(self, request):
        raise NotImplementedError

    def kept_condition(self, request):
        raise NotImplementedError

    def unrestricted(self, request):
        return request.user.is_superuser

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.unrestricted(request):
            return queryset
        return queryset.filter(self.read_condition(request))

    def kept(self, request, queryset):
        if self.unrestricted(request):
            return queryset
        return queryset.filter(self.kept_condition(request))

    def is_kept(self, request, obj):
        if self.unrestricted(request):
            return True
        cache = request.__dict__.setdefault("_kept_rows", {})
        key = (self.model._meta.label, obj.pk)
        if key not in cache:
            rows = self.model._default_manager.filter(pk=obj.pk)
            cache[key] = self.kept(request, rows).exists()
        return cache[key]

    # Changing

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self.is_kept(request, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self.is_kept(request, obj))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The choices keep a new row inside; this catches anything they miss.
        # The request's transaction rolls the save back.
        if not self.unrestricted(request):
            request.__dict__.get("_kept_rows", {}).pop(
                (self.model._meta.label, obj.pk), None
            )
            if not self.is_kept(request, obj):
                raise PermissionDenied

    def delete_queryset(self, request, queryset):
        if not self.unrestricted(request):
            kept = self.kept(request, queryset).values("pk")
            if queryset.exclude(pk__in=kept).exists():
                raise PermissionDenied
        super().delete_queryset(request, queryset)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if self.unrestricted(request):
            return form
        return keeping_current_values(form)

    # Reading

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Outside the user's scope or deleted: a 404, as the pages answer.
        raise Http404

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history falls back to the last record of a row it cannot
        # find, which would show rows outside the scope: only superusers see
        # the history of a deleted row.
        outside = not self.unrestricted(request) and (
            self.get_object(request, unquote(object_id)) is None
        )
        if outside:
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None and not self.unrestricted(request):
            raise Http404
        # The version page saves whatever is posted, with the view permission
        # alone: a revert must be allowed and the row changeable.
        if request.method == "POST" and (
            obj is None
            or self.revert_disabled(request, obj)
            or not self.has_change_permission(request, obj)
        ):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        source = (
            None
            if self.unrestricted(request)
            else autocomplete_source(request, self.admin_site)
        )
        if source is not None:
            owner, field = source
            queryset = allowed_choices(
                request, self.admin_site, owner, field, queryset, read=False
            )
        return queryset, may_have_duplicates

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if self.unrestricted(request):
            return filters
        return [self.only_reachable(entry) for entry in filters]

    def only_reachable(self, entry):
        """A filter on a related row lists only the rows the changelist reaches."""
        if not isinstance(entry, str):
            return entry
        try:
            field = get_fields_from_path(self.model, entry)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return entry
        if field.is_relation and (field.many_to_one or field.one_to_one):
            return (entry, admin.RelatedOnlyFieldListFilter)
        return entry

    def get_valid_export_item_pks(self, request):
        # django-import-export checks the rows an export action names against
        # these; its own answer is every row of the table.
        return self.get_queryset(request).values_list("pk", flat=True)


class SubtreeAdmin(ScopedRowsAdmin):
    """A ModelAdmin scoped by paths from its model (see the module's doc)."""

    scope = "organization"

    def read_condition(self, request):
        return reaching(self.model, as_paths(self.scope), readable_by(request.user))

    def kept_condition(self, request):
        return reaching(self.model, as_paths(self.keeper), kept_by(request.user))


class SubtreeInline(ScopedChoices):
    """An inline whose rows change with the row they belong to.

    With a `keeper`, it lists only the rows the user keeps: an inline formset
    saves every row it shows, so the others are left out rather than shown.
    """

    formset = BoundedInlineFormSet

    def parent_allows(self, request, obj):
        parent = self.admin_site._registry.get(self.parent_model)
        if parent is None:
            return True
        if obj is None:
            return parent.has_add_permission(request)
        return parent.has_change_permission(request, obj)

    def has_add_permission(self, request, obj):
        return self.parent_allows(request, obj) and super().has_add_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return self.parent_allows(request, obj) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return self.parent_allows(request, obj) and super().has_delete_permission(
            request, obj
        )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.keeper is None or request.user.is_superuser:
            return queryset
        return queryset.filter(
            reaching(self.model, as_paths(self.keeper), kept_by(request.user))
        )

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if not request.user.is_superuser:
            formset.form = keeping_current_values(formset.form)
        return formset


class ReadOnlyAdmin:
    """Rows only the app writes (ratings, jobs, audit trails): read, never
    added, changed or deleted in the admin; history stays viewable."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
