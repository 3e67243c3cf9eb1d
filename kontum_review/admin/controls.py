"""The admin's controls mended: accent-free search, keys checked before a
look-up, labels for screen readers."""

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin import options as admin_options
from django.contrib.admin import widgets as admin_widgets
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput
from django.http import Http404
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kontum_review.vietnamese import fold


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
    """The inputs of a changelist's editable columns, named by their column.

    A page shows at most `list_max_show_all` rows, so a post claiming more
    builds no more forms than that (Django's own bound is 2,000).
    """

    def get_changelist_formset(self, request, **kwargs):
        most = max(self.list_per_page, self.list_max_show_all)
        kwargs.setdefault("max_num", most)
        kwargs.setdefault("absolute_max", most)
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
