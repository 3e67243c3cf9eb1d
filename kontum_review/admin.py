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

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin import options as admin_options
from django.contrib.admin import widgets as admin_widgets
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.forms.fields import InvalidJSONInput
from django.http import Http404
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kontum_review.vietnamese import fold
from organizations.models import Organization, OrganizationKind, Role


class FoldedSearchMixin:
    """Search the stored accent-free key, so "nguyen van an" finds "Nguyễn Văn Ân"."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, fold(search_term))


def is_key(field, value):
    """Whether `value` can be looked up as `field` (an id, a UUID)."""
    try:
        field.get_prep_value(field.to_python(value))
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    return True


class KeysOnlyAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete looks the posted value up to show it again with
    the form's errors; a value that is no key ("abc" for an id) made that
    lookup a 500. Show again only the values that are keys."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        key = remote.model._meta.get_field(remote.field_name)
        return super().optgroups(name, [v for v in value if is_key(key, v)], attr)


class JSONTextField(forms.JSONField):
    """Django's JSON field, refusing as invalid a number too long for Python
    to read (more than 4,300 digits), which its parsing let through as a 500."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValueError:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from None

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except ValueError:
            return InvalidJSONInput(data)


# Django's admin, labelled ----------------------------------------------------
#
# Three of the admin's own controls speak English or nothing to a screen
# reader; each is mended here, where every admin module imports from. The
# labels of the autocomplete boxes are set in static/js/admin_labels.js.


def boolean_icon(value):
    """Django's yes/no icon, whose alt text reads "Có"/"Không", not "True"."""
    icon = {True: "yes", False: "no", None: "unknown"}[value]
    alt = {True: _("Yes"), False: _("No"), None: _("Unknown")}[value]
    return format_html(
        '<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), alt
    )


# Django's admin reads the icon from here at each use (its lists, read-only
# fields and the delete page); its own alt text is str(value).
admin_list._boolean_icon = boolean_icon


class LabelledSplitDateTime(admin_widgets.AdminSplitDateTime):
    """The admin's date and time inputs, each with its own label."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.widgets[0].attrs["aria-label"] = pgettext_lazy("input", "Date")
        self.widgets[1].attrs["aria-label"] = pgettext_lazy("input", "Time")


# ModelAdmins copy these defaults when they are registered, after this import.
admin_options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.DateTimeField]["widget"] = (
    LabelledSplitDateTime
)


class LabelledEditableColumns:
    """The inputs of a changelist's editable columns, named by their column."""

    def get_changelist_formset(self, request, **kwargs):
        formset = super().get_changelist_formset(request, **kwargs)
        for field in formset.form.base_fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))
        return formset


class CheckedFormFields:
    """Form fields that refuse what Django's would fail on, for admins and
    inlines: `KeysOnlyAutocompleteSelect` and `JSONTextField`."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.JSONField):
            kwargs.setdefault("form_class", JSONTextField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        autocomplete = self.get_autocomplete_fields(request)
        if "widget" not in kwargs and db_field.name in autocomplete:
            kwargs["widget"] = KeysOnlyAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CheckedKeys:
    """Ids from the address or a post are checked before they are looked up.

    django-simple-history's history pages and Django's admin actions look up
    the ids they are given as they come, and an id that is no key ("abc")
    made a 500: such a history page is a 404, and such a selection is
    refused with a message, as an empty one is. An empty `_to_field` in the
    address names no field: the row is looked up by its key.
    """

    def get_object(self, request, object_id, from_field=None):
        return super().get_object(request, object_id, from_field or None)

    def history_view(self, request, object_id, extra_context=None):
        if not is_key(self.model._meta.pk, unquote(object_id)):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        manager = self.model._meta.simple_history_manager_attribute
        version_key = getattr(self.model, manager).model._meta.pk
        if not (
            is_key(self.model._meta.pk, unquote(object_id))
            and is_key(version_key, version_id)
        ):
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(is_key(self.model._meta.pk, value) for value in selected):
            message = _(
                "The selection names items that are not in this list. No items "
                "have been changed."
            )
            self.message_user(request, message, messages.WARNING)
            return None
        return super().response_action(request, queryset)


# Scopes ----------------------------------------------------------------------


def as_paths(value):
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def end_model(model, path):
    for name in filter(None, path.split("__")):
        model = model._meta.get_field(name).related_model
    return model


def reaching(model, paths, allowed):
    """Rows of `model` whose path, any of `paths`, ends in `allowed(end model)`."""
    condition = Q(pk__in=[])
    for path in paths:
        lookup = f"{path}__in" if path else "pk__in"
        condition |= Q(**{lookup: allowed(end_model(model, path)).values("pk")})
    return condition


def readable_by(user):
    """What a user reads of a model: its `visible_to`, as the pages."""
    return lambda model: model._default_manager.visible_to(user)


def kept_by(user):
    def allowed(model):
        if model is not Organization:
            raise TypeError(f"A keeper path must end at an organization, not {model}.")
        return Organization.objects.kept_by(user)

    return allowed


def readable_users(user):
    """Accounts a user sees: people with a role or a member record in what they
    read, accounts tied to nothing yet (never an admin's), and their own."""
    users = get_user_model()._default_manager.all()
    if user.is_superuser:
        return users
    organizations = Organization.objects.visible_to(user).values("pk")
    role_inside = Role.objects.filter(
        user=OuterRef("pk"), organization__in=organizations
    )
    any_role = Role.objects.filter(user=OuterRef("pk"))
    unattached = ~Q(Exists(any_role)) & Q(party_member__isnull=True, is_staff=False)
    return users.filter(
        Q(pk=user.pk)
        | Q(is_superuser=False)
        & (
            Q(Exists(role_inside))
            | Q(party_member__organization__in=organizations)
            | unattached
        )
    )


def manageable_users(user):
    """Accounts a user may change, and give roles or member records to.

    Committee staff manage the accounts of people whose roles and member record
    all lie in the subtrees they keep, accounts tied to nothing yet, and their
    own. Never a superuser's or another admin's (is_staff): granting those is
    the superusers' (the admin's staff status, permissions and groups too).
    """
    users = get_user_model()._default_manager.all()
    if user.is_superuser:
        return users
    kept = Organization.objects.kept_by(user).values("pk")
    role_outside = Role.objects.filter(user=OuterRef("pk")).exclude(
        organization__in=kept
    )
    return users.filter(
        Q(pk=user.pk)
        | Q(is_superuser=False, is_staff=False)
        & ~Q(Exists(role_outside))
        & (Q(party_member__isnull=True) | Q(party_member__organization__in=kept))
    )


def superior_committee_staff(request):
    """Whether the user is staff of a superior Party committee (cached per request)."""
    if not hasattr(request, "_superior_committee_staff"):
        request._superior_committee_staff = Role.objects.filter(
            user=request.user,
            kind=Role.Kind.STAFF,
            organization__kind=OrganizationKind.SUPERIOR_COMMITTEE,
        ).exists()
    return request._superior_committee_staff


# Choices on forms ------------------------------------------------------------


def allowed_choices(request, admin_site, owner, db_field, queryset, read=True):
    """The rows a field of `owner`'s forms may point at (see the module's doc).

    `owner` is the ModelAdmin or inline whose form it is; `read` also narrows the
    choices to what the related model's admin lists.
    """
    user = request.user
    if user.is_superuser:
        return queryset
    related = db_field.related_model
    rests = [
        path.partition("__")[2]
        for path in as_paths(getattr(owner, "keeper", None))
        if path.partition("__")[0] == db_field.name
    ]
    if rests:
        return queryset.filter(reaching(related, rests, kept_by(user)))
    if related is Organization:
        return queryset.filter(pk__in=Organization.objects.kept_by(user).values("pk"))
    if db_field.name in getattr(owner, "account_fields", ()):
        return queryset.filter(pk__in=manageable_users(user).values("pk"))
    related_admin = admin_site._registry.get(related)
    if read and getattr(related_admin, "scopes_rows", False):
        return queryset.filter(pk__in=related_admin.get_queryset(request).values("pk"))
    return queryset


def keep_current_values(form):
    """Let a row keep what it already points at, even where it is not offered."""
    instance = getattr(form, "instance", None)
    if instance is None or instance.pk is None:
        return
    for name, field in form.fields.items():
        if not isinstance(field, ModelChoiceField) or isinstance(
            field, ModelMultipleChoiceField
        ):
            continue
        try:
            model_field = instance._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not (model_field.many_to_one or model_field.one_to_one):
            continue
        current = getattr(instance, model_field.attname, None)
        if current is None:
            continue
        manager = field.queryset.model._default_manager
        key = field.to_field_name or "pk"
        field.queryset = field.queryset | manager.filter(**{key: current})


def keeping_current_values(form_class):
    class Form(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            keep_current_values(self)

    Form.__name__ = form_class.__name__
    Form.__qualname__ = form_class.__qualname__
    return Form


class ScopedChoices(CheckedFormFields):
    """Foreign-key choices narrowed by `allowed_choices`, for admins and inlines."""

    keeper = None
    account_fields = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            using = kwargs.get("using")
            queryset = kwargs.get("queryset")
            if queryset is None:
                queryset = self.get_field_queryset(using, db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.using(using)
            kwargs["queryset"] = allowed_choices(
                request, self.admin_site, self, db_field, queryset
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def autocomplete_source(request, admin_site):
    """(owner, field) a request of the admin's autocomplete fills, or None."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "autocomplete":
        return None
    try:
        model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        field = model._meta.get_field(request.GET["field_name"])
    except (KeyError, LookupError, FieldDoesNotExist):
        return None
    owner = admin_site._registry.get(model)
    if owner is None:  # a model edited only inline
        inlines = (
            inline
            for model_admin in admin_site._registry.values()
            for inline in model_admin.inlines
            if inline.model is model
        )
        owner = next(inlines, None)
    return owner, field


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
