"""Spreadsheet columns for the admin import and export of the Party tree."""

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from kontum_review.vietnamese import fold

from .models import Organization, OrganizationType

DATE_FORMAT = "%d/%m/%Y"
# A four-digit year: "01/05/80" would otherwise be read as the year 80.
DATE_PATTERN = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
YES_SPELLINGS = {"1", "x", "co", "true", "yes"}
NO_SPELLINGS = {"", "0", "khong", "false", "no"}
DUPLICATE_KEY_MESSAGE = _(
    "Rows %(first)s and %(row)s have the same %(column)s “%(key)s”; "
    "list each one only once."
)


def cell_text(value):
    """The text of a cell; Excel hands numbers typed into a cell over as numbers."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class TextWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return cell_text(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class DayWidget(widgets.Widget):
    """Read dd/mm/yyyy text or a real Excel date; always write dd/mm/yyyy text."""

    def __init__(self, column):
        super().__init__()
        self.column = column

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = cell_text(value)
        if not text:
            return None
        if DATE_PATTERN.fullmatch(text):
            try:
                return datetime.datetime.strptime(text, DATE_FORMAT).date()
            except ValueError:
                pass  # 31/02/1980 matches the pattern but is no day.
        raise ValueError(
            _(
                "“%(value)s” in column %(column)s is not a date: write it as "
                "dd/mm/yyyy, for example 02/09/1975."
            )
            % {"value": text, "column": self.column}
        )

    def render(self, value, obj=None, **kwargs):
        return value.strftime(DATE_FORMAT) if value else ""


class YesNoWidget(widgets.Widget):
    """Read 1/0, có/không, x, true/false; write the word for yes or no."""

    def __init__(self, column):
        super().__init__()
        self.column = column

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = fold(cell_text(value))
        if text in YES_SPELLINGS or text == fold(str(_("Yes"))):
            return True
        if text in NO_SPELLINGS or text == fold(str(_("No"))):
            return False
        raise ValueError(
            _("“%(value)s” in column %(column)s is not yes or no: write 1 or 0.")
            % {"value": cell_text(value), "column": self.column}
        )

    def render(self, value, obj=None, **kwargs):
        return str(_("Yes") if value else _("No"))


class ChoiceWidget(widgets.Widget):
    """Read a choice's code or its label in any site language; write the label."""

    def __init__(self, column, choices):
        super().__init__()
        self.column = column
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return ""
        try:
            return self.codes_by_spelling()[fold(text)]
        except KeyError:
            allowed = ", ".join(str(label) for _code, label in self.choices)
            raise ValueError(
                _(
                    "“%(value)s” is not allowed in column %(column)s. "
                    "Allowed values: %(allowed)s."
                )
                % {"value": text, "column": self.column, "allowed": allowed}
            ) from None

    def codes_by_spelling(self):
        # A file exported under one language must import under the other.
        spellings = {}
        for code, label in self.choices:
            spellings[fold(code)] = code
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    spellings[fold(str(label))] = code
        return spellings

    def render(self, value, obj=None, **kwargs):
        return str(dict(self.choices).get(value, value or ""))


class CodeForeignKeyWidget(widgets.ForeignKeyWidget):
    """Look a row up by its code and say in Vietnamese when it is missing."""

    def __init__(self, model, missing_message):
        super().__init__(model, field="code")
        self.missing_message = missing_message

    def clean(self, value, row=None, **kwargs):
        code = cell_text(value)
        try:
            return super().clean(code, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(self.missing_message % {"code": code}) from None


def spreadsheet_widget(column, django_field):
    """The widget for a model field's column, or None to keep import_export's."""
    if django_field.choices:
        return ChoiceWidget(column, django_field.flatchoices)
    if isinstance(django_field, models.DateTimeField):
        return None
    if isinstance(django_field, models.DateField):
        return DayWidget(column)
    if isinstance(django_field, models.BooleanField):
        return YesNoWidget(column)
    if isinstance(django_field, models.CharField):
        return TextWidget()
    return None


class SpreadsheetResource(resources.ModelResource):
    """Columns as people type them in Excel, and each key at most once a file."""

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        widget = spreadsheet_widget(field_name, django_field)
        if widget is None:
            return super().field_from_django_field(field_name, django_field, readonly)
        return cls.DEFAULT_RESOURCE_FIELD(
            attribute=field_name,
            column_name=field_name,
            widget=widget,
            readonly=readonly,
            default=django_field.default,
        )

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        if dataset.headers:
            # Stray spaces around a column name would silently drop the column.
            dataset.headers = [cell_text(header) for header in dataset.headers]
        self.first_row_by_key = {}

    def before_import_row(self, row, row_number=None, **kwargs):
        # The second row with a key would silently overwrite the first one.
        super().before_import_row(row, row_number=row_number, **kwargs)
        (key_name,) = self.get_import_id_fields()
        key = self.fields[key_name].clean(row)
        if not key:
            return
        first = self.first_row_by_key.setdefault(key, row_number)
        if first != row_number:
            values = {"first": first, "row": row_number, "column": key_name, "key": key}
            raise ValidationError({key_name: DUPLICATE_KEY_MESSAGE % values})


class OrganizationResource(SpreadsheetResource):
    org_type = fields.Field(
        attribute="org_type",
        column_name="org_type",
        widget=CodeForeignKeyWidget(
            OrganizationType, _("There is no organization type with code “%(code)s”.")
        ),
    )
    parent = fields.Field(
        attribute="parent",
        column_name="parent",
        widget=CodeForeignKeyWidget(
            Organization, _("There is no parent organization with code “%(code)s”.")
        ),
    )

    class Meta:
        model = Organization
        import_id_fields = ["code"]
        fields = [
            "code",
            "name",
            "kind",
            "org_type",
            "parent",
            "active_from",
            "active_until",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
