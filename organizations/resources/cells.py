"""The cells of a register's spreadsheet: the widgets that read and write each
column's values, the loader that reads the key column once, a preview cell.
"""

import datetime
import functools
import re

from django.conf import settings
from django.db import models
from django.db.models.lookups import In, Lookup
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext_lazy as _
from import_export import widgets
from import_export.instance_loaders import ModelInstanceLoader

from kontum_review.cells import without_csv_prefix
from kontum_review.vietnamese import fold

DATE_FORMAT = "%d/%m/%Y"


# A four-digit year: "01/05/80" would otherwise be read as the year 80.
DATE_PATTERN = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")


YES_SPELLINGS = {"1", "x", "co", "true", "yes"}


NO_SPELLINGS = {"", "0", "khong", "false", "no"}


# A column of choices or yes/no holds a few spellings, each folded once.
folded = functools.lru_cache(maxsize=1024)(fold)


def cell_text(value):
    """The text of a cell; Excel hands numbers typed into a cell over as numbers."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # A CSV export marks text that looks like a formula; read it back as it was.
    return without_csv_prefix(str(value).strip())


class TextWidget(widgets.Widget):
    cell_only = True  # its clean reads the cell alone (cell_cleaner)

    def clean(self, value, row=None, **kwargs):
        return cell_text(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class DayWidget(widgets.Widget):
    """Read dd/mm/yyyy text or a real Excel date; always write dd/mm/yyyy text."""

    cell_only = True  # its clean reads the cell alone (cell_cleaner)

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
            day, month, year = map(int, text.split("/"))
            try:
                return datetime.date(year, month, day)
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

    cell_only = True  # its clean reads the cell alone (cell_cleaner)

    def __init__(self, column):
        super().__init__()
        self.column = column

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = folded(cell_text(value))
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

    cell_only = True  # its clean reads the cell alone (cell_cleaner)

    def __init__(self, column, choices):
        super().__init__()
        self.column = column
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return ""
        try:
            return self.codes_by_spelling()[folded(text)]
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
        # Read once a widget: every cell of the column asks.
        if getattr(self, "spellings", None) is None:
            self.spellings = self.read_spellings()
        return self.spellings

    def read_spellings(self):
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
    """Look a row up by its code and say in Vietnamese when it is missing.

    An import reads every code of its file in one query first (`prefetch`);
    a code not found then is looked up again only after the import saved a row
    of the same model (`found`), as an organization file adds parents.
    """

    def __init__(self, model, missing_message):
        super().__init__(model, field="code")
        self.missing_message = missing_message
        self.by_code = None
        self.missing = set()

    def prefetch(self, codes):
        codes = {code for code in codes if code}
        self.by_code = self.model.objects.in_bulk(codes, field_name="code")
        self.missing = codes - self.by_code.keys()

    def forget(self):
        """Look every code up again, one query a row."""
        self.by_code = None
        self.missing = set()

    def found(self, instance):
        """Keep a row the import saved: a later row of the file may name it."""
        if self.by_code is not None:
            self.by_code[instance.code] = instance
            self.missing.discard(instance.code)

    def clean(self, value, row=None, **kwargs):
        code = cell_text(value)
        if self.by_code is not None and code in self.by_code:
            return self.by_code[code]
        try:
            if code in self.missing:
                raise self.model.DoesNotExist
            return super().clean(code, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(self.missing_message % {"code": code}) from None


class AnyOf(Lookup):
    """`column = ANY(%s)`, the values sent as one array, for a filter().

    A file's column as an IN list is one parameter a value: PostgreSQL took
    0.1 s to parse and plan the 5,000 card numbers of a file (and Django and
    psycopg 0.05 s of CPU to write them), against 0.01 s for one array.
    Other databases get the IN list.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def __init__(self, lhs, values):
        super().__init__(lhs, list(values))

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return compiler.compile(In(self.lhs, self.rhs))
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]


class KeyColumnLoader(ModelInstanceLoader):
    """import_export's CachedInstanceLoader, reading only the key column.

    The same rows in one query: those of the queryset whose key is one of the
    column's values. CachedInstanceLoader reads the key through tablib's
    `dict`, which copies every row of the file into a dict, twice.
    """

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        (name,) = resource.get_import_id_fields()
        self.pk_field = resource.fields[name]
        self.all_instances = {}
        column = self.pk_field.column_name
        checked = getattr(resource, "checked_columns", None)
        keys = checked and checked.values(self.pk_field.attribute)
        if keys is None:
            keys = [self.pk_field.clean({column: value}) for value in self.key_column()]
        if keys:
            column = models.F(self.pk_field.attribute)
            queryset = self.get_queryset().filter(AnyOf(column, keys))
            self.all_instances = {
                self.pk_field.get_value(instance): instance for instance in queryset
            }

    def key_column(self):
        headers = self.dataset.headers or []
        if not len(self.dataset) or self.pk_field.column_name not in headers:
            return []
        column = getattr(self.resource, "column", None)
        if column is not None:
            return column(self.dataset, self.pk_field)
        return self.dataset.get_col(headers.index(self.pk_field.column_name))

    def get_instance(self, row):
        if not self.all_instances:
            return None
        # The key its row's checks cleaned (SpreadsheetResource.row_key).
        keyed = getattr(self.resource, "keyed_row", None)
        if keyed is not None and keyed[0] is row:
            return self.all_instances.get(keyed[1])
        return self.all_instances.get(self.pk_field.clean(row))


def marked_change(before, after):
    """A preview cell: the new value, or the old one struck out and the new one."""
    if before == after or not (before or after):
        return conditional_escape(after or "")
    if not before:
        return format_html('<ins style="background:#e6ffe6;">{}</ins>', after)
    return format_html(
        '<del style="background:#ffe6e6;">{}</del>'
        '<ins style="background:#e6ffe6;">{}</ins>',
        before,
        after,
    )


def spreadsheet_widget(column, django_field):
    """The widget for a model field's column, or None to keep import_export's.

    `column` is how the widget's errors name the column ("Giới tính").
    """
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
