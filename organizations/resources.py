"""Spreadsheet columns for the admin import and export of the Party tree."""

import csv
import datetime
import functools
import hashlib
import io
import itertools
import json
import re
import zipfile

import openpyxl
import tablib
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.fields import NOT_PROVIDED
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.html import conditional_escape, format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV, XLSX
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import RowResult
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kontum_review.cells import csv_text, without_csv_prefix, write_text
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
OUTSIDE_MESSAGE = _(
    "“%(code)s” is outside the organizations you keep as committee staff."
)
NO_ORGANIZATION_MESSAGE = _("Name an organization you keep as committee staff.")
TOP_KIND_MESSAGE = _(
    "The kind of the organization at the top of your subtree is changed by the "
    "committee above."
)
COLUMN_WIDTH = (8, 60)  # fewest and most characters of an exported column


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
        keys = [self.pk_field.clean({column: value}) for value in self.key_column()]
        if keys:
            queryset = self.get_queryset().filter(
                **{f"{self.pk_field.attribute}__in": keys}
            )
            self.all_instances = {
                self.pk_field.get_value(instance): instance for instance in queryset
            }

    def key_column(self):
        headers = self.dataset.headers or []
        if not len(self.dataset) or self.pk_field.column_name not in headers:
            return []
        return self.dataset.get_col(headers.index(self.pk_field.column_name))

    def get_instance(self, row):
        if self.all_instances:
            return self.all_instances.get(self.pk_field.clean(row))
        return None


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


class TextXLSX(XLSX):
    """An .xlsx export whose text cells are never formulas."""

    def export_data(self, dataset, **kwargs):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Tablib Dataset"
        widths = {}
        rows = [dataset.headers or [], *dataset]
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                if value is None:
                    continue
                if isinstance(value, str):
                    cell = write_text(sheet, number, column, value)
                else:
                    cell = sheet.cell(row=number, column=column, value=value)
                if number == 1 and dataset.headers:
                    cell.font = Font(bold=True)
                widths[column] = max(widths.get(column, 0), len(str(value)))
        if dataset.headers:
            sheet.freeze_panes = "A2"
        fewest, most = COLUMN_WIDTH
        for column, width in widths.items():
            letter = get_column_letter(column)
            sheet.column_dimensions[letter].width = min(max(width, fewest), most)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


class TextCSV(CSV):
    """A CSV export whose fields that look like formulas start with a quote."""

    def export_data(self, dataset, **kwargs):
        escaped = tablib.Dataset(headers=dataset.headers)
        for row in dataset:
            escaped.append([csv_text(value) for value in row])
        return super().export_data(escaped, **kwargs)


# The admin exports in these formats in place of django-import-export's.
TEXT_FORMATS = {XLSX: TextXLSX, CSV: TextCSV}


class SpreadsheetResource(resources.ModelResource):
    """Columns as people type them in Excel, and each key at most once a file.

    Imported by committee staff (the admin passes the user), a file reaches
    only the rows and organizations they keep: `kept_path` leads from a row to
    its organization, and each of `kept_fields` must name an organization they
    keep, unless it is the one the row already had (the top of their subtree
    keeps its parent). Superusers, and imports with no user, reach everything.
    """

    kept_path = None
    kept_fields = ()
    # Related rows read with the rows a file may update (the preview shows them).
    related = ()

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
        self.importer = kwargs.get("user")
        if dataset.headers:
            # A header as staff write it ("Số thẻ đảng viên", "so the dang vien")
            # names the same column as its field ("card_number").
            dataset.headers = self.columns_of_headers(dataset.headers)
        self.first_row_by_key = {}
        self.prepare_fields()
        self.before_reads(dataset, **kwargs)
        for field in self.import_fields:
            if isinstance(field.widget, CodeForeignKeyWidget):
                field.widget.prefetch(map(cell_text, self.column(dataset, field)))

    # Headers ---------------------------------------------------------------

    @classmethod
    def header_of(cls, field):
        """The column's header as staff read it: its model field's name, in the
        active language ("Số thẻ đảng viên"); the column name if none."""
        try:
            name = cls._meta.model._meta.get_field(field.attribute).verbose_name
        except (FieldDoesNotExist, TypeError):
            return field.column_name
        return capfirst(name)

    def get_export_headers(self, selected_fields=None):
        return [
            force_str(self.header_of(field))
            for field in self.get_export_fields(selected_fields)
            if field
        ]

    def columns_by_header(self):
        """{folded header: column name}: each column is named by its field
        ("card_number") or by its header in Vietnamese or in English, with or
        without accents, in any case."""
        columns = {}
        for field in self.get_import_fields():
            for language in ("en", settings.LANGUAGE_CODE):
                with translation.override(language):
                    columns[fold(force_str(self.header_of(field)))] = field.column_name
            columns[fold(field.column_name)] = field.column_name
        return columns

    def columns_of_headers(self, headers):
        """The column names a file's first row stands for; an unknown header
        is kept as written (the import form names it)."""
        columns = self.columns_by_header()
        return [columns.get(fold(cell_text(h)), cell_text(h)) for h in headers]

    def prepare_fields(self):
        """Read the import fields once a file, and the attributes they store."""
        self.import_fields = None
        self.import_fields = self.get_import_fields()
        self.cell_field_list = None
        model_fields = self._meta.model._meta
        self.stored_attnames = []
        for field in self.import_fields:
            try:
                attname = model_fields.get_field(field.attribute).attname
            except FieldDoesNotExist:
                continue
            self.stored_attnames.append(attname)

    def before_reads(self, dataset, **kwargs):
        """Called in before_import before the file's rows are looked up."""

    def get_import_fields(self):
        # Asked for every row; the fields are the same for the whole file.
        fields = getattr(self, "import_fields", None)
        return super().get_import_fields() if fields is None else fields

    def cell_fields(self):
        """(field, attribute, column, clean, default) of the import fields that
        Field.save would set from a cell with nothing but its widget, or None
        for one import_field must save (a readonly or many-to-many field, a
        path through related rows, a field class of its own). Read once a file.
        """
        if getattr(self, "cell_field_list", None) is None:
            self.cell_field_list = [
                (
                    field,
                    field.attribute,
                    field.column_name,
                    field.widget.clean,
                    field.default,
                )
                if type(field) is fields.Field
                and field.attribute
                and "__" not in field.attribute
                and not field.readonly
                and field.saves_null_values
                and not isinstance(field.widget, widgets.ManyToManyWidget)
                else (field, None, None, None, None)
                for field in self.get_import_fields()
            ]
        return self.cell_field_list

    def import_fields_of_row(self, instance, row, **kwargs):
        """import_export's import_instance, in one loop a row.

        The same cells set the same attributes with the same errors: each
        field's widget cleans its cell, an empty value takes the field's
        default, and a ValueError is the field's error. Only the calls of
        Field.save and Field.clean a cell are left out: 0.25 s of CPU for
        5,000 rows of 17 columns.
        """
        errors = {}
        empty = fields.Field.empty_values
        for field, attribute, column, clean, default in self.cell_fields():
            if attribute is None:
                if isinstance(field.widget, widgets.ManyToManyWidget):
                    continue
                try:
                    self.import_field(field, instance, row, **kwargs)
                except ValueError as error:
                    errors[field.attribute] = ValidationError(
                        force_str(error), code="invalid"
                    )
                continue
            if column not in row:
                continue
            try:
                value = clean(row[column], row=row, **kwargs)
            except ValueError as error:
                errors[attribute] = ValidationError(force_str(error), code="invalid")
                continue
            if value in empty and default is not NOT_PROVIDED:
                value = default() if callable(default) else default
            setattr(instance, attribute, value)
        if errors:
            raise ValidationError(errors)

    def column(self, dataset, field):
        """The values of a field's column as read, or none without the column."""
        headers = dataset.headers or []
        if field.column_name not in headers:
            return []
        return dataset.get_col(headers.index(field.column_name))

    def column_values(self, dataset, name):
        """The cleaned values of a field's column, leaving out unreadable ones."""
        field = self.fields[name]
        values = []
        for value in self.column(dataset, field):
            try:
                values.append(field.widget.clean(value))
            except ValueError:
                continue
        return values

    def before_import_row(self, row, row_number=None, **kwargs):
        # The second row with a key would silently overwrite the first one.
        super().before_import_row(row, row_number=row_number, **kwargs)
        # An import job counts its rows (organizations/tasks.py).
        if kwargs.get("progress") is not None:
            kwargs["progress"](row_number)
        (key_name,) = self.get_import_id_fields()
        key = self.fields[key_name].clean(row)
        if not key:
            return
        first = self.first_row_by_key.setdefault(key, row_number)
        if first != row_number:
            values = {"first": first, "row": row_number, "column": key_name, "key": key}
            raise ValidationError({key_name: DUPLICATE_KEY_MESSAGE % values})

    def kept_organizations(self):
        """The organizations the importing user keeps, or None for no limit."""
        user = getattr(self, "importer", None)
        if user is None or user.is_superuser:
            return None
        return Organization.objects.kept_by(user)

    def keeps(self, organization_id):
        """Whether the importing user keeps the organization (True for no limit).

        The ids are read once a file; an organization the file itself added
        is looked up.
        """
        if not hasattr(self, "kept_id_set"):
            kept = self.kept_organizations()
            ids = None if kept is None else set(kept.values_list("pk", flat=True))
            self.kept_id_set = ids
        if self.kept_id_set is None or organization_id in self.kept_id_set:
            return True
        kept = self.kept_organizations().filter(pk=organization_id).exists()
        if kept:
            self.kept_id_set.add(organization_id)
        return kept

    def kept_queryset(self):
        """Rows a file may update: an outside row's key is refused as taken."""
        queryset = super().get_queryset()
        kept = self.kept_organizations()
        if kept is None or self.kept_path is None:
            return queryset
        lookup = f"{self.kept_path}__in" if self.kept_path else "pk__in"
        return queryset.filter(**{lookup: kept.values("pk")})

    def get_queryset(self):
        return self.kept_queryset().select_related(*self.related)

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        instance.stored_organizations = {
            name: None if new else getattr(instance, f"{name}_id")
            for name in self.kept_fields
        }
        if self._meta.skip_diff:
            # Compared with the row's values instead of a deep copy (skip_row).
            instance.stored_values = None
            if not new:
                instance.stored_values = {
                    name: getattr(instance, name) for name in self.stored_attnames
                }
            self.shown = None
            if kwargs.get("dry_run"):
                self.shown = (instance, None if new else self.export_row(instance))

    def export_row(self, instance):
        return [field.export(instance) for field in self.import_fields]

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not self._meta.skip_diff:
            return super().skip_row(instance, original, row, import_validation_errors)
        stored = getattr(instance, "stored_values", None)
        if not self._meta.skip_unchanged or stored is None or import_validation_errors:
            return False
        return all(getattr(instance, name) == value for name, value in stored.items())

    def after_import_row(self, row, row_result, **kwargs):
        """Show the preview's rows, their changes marked, without a deep diff."""
        super().after_import_row(row, row_result, **kwargs)
        shown, self.shown = getattr(self, "shown", None), None
        if shown is None or row_result.import_type == RowResult.IMPORT_TYPE_SKIP:
            if shown is not None:
                row_result.diff = [conditional_escape(v) for v in shown[1]]
            return
        instance, before = shown
        after = self.export_row(instance)
        before = before or [None] * len(after)
        row_result.diff = [marked_change(old, new) for old, new in zip(before, after)]

    def validate_instance(
        self, instance, import_validation_errors=None, validate_unique=True
    ):
        """Check a row with no query when the file is written in bulk.

        Related rows come from the file's lookups (CodeForeignKeyWidget), and
        keys and constraints are checked against what was read for the whole
        file (`set_errors`).
        """
        if not self._meta.use_bulk:
            return super().validate_instance(
                instance, import_validation_errors, validate_unique
            )
        errors = dict(import_validation_errors or {})
        related = [
            field.name
            for field in self._meta.model._meta.concrete_fields
            if field.is_relation
        ]
        if self._meta.clean_model_instances:
            try:
                instance.full_clean(
                    exclude={*errors, *related},
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        for name, messages in self.set_errors(instance).items():
            errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        return None

    def set_errors(self, instance):
        """{field name: [message]} of a valid row against the file and the database."""
        return {}

    def import_instance(self, instance, row, **kwargs):
        self.import_fields_of_row(instance, row, **kwargs)
        if self.kept_organizations() is None:
            return
        errors = {}
        stored = getattr(instance, "stored_organizations", {})
        for name in self.kept_fields:
            current = getattr(instance, f"{name}_id")
            if current is not None and current == stored.get(name):
                continue
            if current is None:
                if instance.pk is None or stored.get(name) is not None:
                    errors[name] = NO_ORGANIZATION_MESSAGE
            elif not self.keeps(current):
                code = getattr(instance, name).code
                errors[name] = OUTSIDE_MESSAGE % {"code": code}
        if errors:
            raise ValidationError(errors)


class OrganizationResource(SpreadsheetResource):
    kept_path = ""
    kept_fields = ["parent"]
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

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        instance.stored_kind = None if new else instance.kind
        instance.stored_path = instance.path

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        parents = self.fields["parent"].widget
        if instance.stored_path and instance.path != instance.stored_path:
            # A moved subtree leaves the paths read for the file stale.
            parents.forget()
        else:
            parents.found(instance)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if instance.pk is None or instance.kind == instance.stored_kind:
            return
        # The admin shows the kind of the top read-only (organizations/admin.py).
        if not self.keeps(instance.stored_organizations["parent"]):
            raise ValidationError({"kind": TOP_KIND_MESSAGE})

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


# Import limits (settings with these defaults). A file is refused before any
# row is read when it is larger than IMPORT_MAX_BYTES, or, for an .xlsx
# workbook, when its zip declares more than IMPORT_MAX_UNPACKED_BYTES or one
# of its parts shrinks more than IMPORT_MAX_ZIP_RATIO times: Python's zipfile
# never inflates a part past its declared size, so the declared sizes bound
# what openpyxl can read. Rows past IMPORT_MAX_ROWS are never loaded.
IMPORT_LIMITS = {
    "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
    "IMPORT_MAX_ROWS": 20_000,
    "IMPORT_MAX_UNPACKED_BYTES": 100 * 1024 * 1024,
    "IMPORT_MAX_ZIP_RATIO": 100,
    "IMPORT_BACKGROUND_ROWS": 500,
}
# Parts smaller than this are never too compressed to read.
RATIO_FLOOR = 1024 * 1024
# No register has this many columns; a sheet claiming more is padded no further.
MAX_COLUMNS = 100


def import_limit(name):
    return getattr(settings, name, IMPORT_LIMITS[name])


class ImportRefused(Exception):
    """A file outside the import limits; its message is for the person."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def megabytes(size):
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def read_upload(upload):
    """The bytes of an uploaded file, refused unread when it is too large."""
    if upload.size > import_limit("IMPORT_MAX_BYTES"):
        raise too_large(upload.size)
    return b"".join(upload.chunks())


def too_large(size):
    message = _(
        "The file is %(size)s MB; files of at most %(limit)s MB are imported. "
        "Split it into several files."
    )
    limit = import_limit("IMPORT_MAX_BYTES")
    return ImportRefused(message % {"size": megabytes(size), "limit": megabytes(limit)})


def check_workbook_zip(data):
    """Refuse an .xlsx whose parts would unpack too large, from the zip's directory."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = archive.infolist()
    unpacked = sum(part.file_size for part in parts)
    ratio = import_limit("IMPORT_MAX_ZIP_RATIO")
    squeezed = any(
        part.file_size > RATIO_FLOOR
        and part.file_size > ratio * max(part.compress_size, 1)
        for part in parts
    )
    if squeezed or unpacked > import_limit("IMPORT_MAX_UNPACKED_BYTES"):
        raise ImportRefused(
            _(
                "The workbook would unpack to %(size)s MB, far more than its rows "
                "need; it is not imported. Copy the rows into a new workbook, or "
                "save them as CSV UTF-8."
            )
            % {"size": megabytes(unpacked)}
        )


def too_many_rows():
    limit = import_limit("IMPORT_MAX_ROWS")
    return ImportRefused(
        _(
            "The file has more than %(limit)s rows; split it into files of at "
            "most %(limit)s rows."
        )
        % {"limit": f"{limit:,}".replace(",", ".")}
    )


def read_workbook(data):
    """The first sheet as import_export reads it, stopping past the row limit."""
    check_workbook_zip(data)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = book.active.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        headers = list(next(rows, ()))
        while headers and headers[-1] is None:
            headers.pop()
        dataset = tablib.Dataset(headers=headers)
        width = len(headers)
        ignore_blanks = getattr(
            settings, "IMPORT_EXPORT_IMPORT_IGNORE_BLANK_LINES", False
        )
        limit = import_limit("IMPORT_MAX_ROWS")
        for row in rows:
            values = list(row[:width]) + [None] * (width - len(row))
            if ignore_blanks and all(value is None for value in values):
                continue
            if len(dataset) >= limit:
                raise too_many_rows()
            dataset.append(values)
    finally:
        book.close()
    return dataset


def read_csv(text):
    """A CSV's rows, counted before tablib loads them."""
    limit = import_limit("IMPORT_MAX_ROWS")
    records = (row for row in csv.reader(io.StringIO(text)) if row)
    # The header and at most `limit` rows.
    if sum(1 for _row in itertools.islice(records, limit + 2)) > limit + 1:
        raise too_many_rows()
    return tablib.import_set(text, format="csv")


# A file is parsed once: its preview, its confirm and its job read the rows
# parsed first, kept in the cache under the hash of the file's bytes (so they
# are the rows of exactly those bytes) as JSON, for as long as a person takes
# to confirm. Without the cache, or past this, the file is parsed again.
PARSED_SECONDS = 60 * 60
# Rows that take more than this as JSON are parsed again rather than kept.
PARSED_MAX_BYTES = 16 * 1024 * 1024
PARSED_TYPES = {
    "datetime": datetime.datetime,
    "date": datetime.date,
    "time": datetime.time,
}


def parsed_key(kind, data):
    if isinstance(data, str):
        data = data.encode()
    return f"import-rows:{kind}:{hashlib.sha256(data).hexdigest()}"


def encode_cell(value):
    for name, kind in PARSED_TYPES.items():
        if isinstance(value, kind):
            return {name: value.isoformat()}
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(type(value).__name__)


def decode_cell(mapping):
    ((name, text),) = mapping.items()
    return PARSED_TYPES[name].fromisoformat(text)


def remember_rows(key, dataset):
    try:
        rows = json.dumps([dataset.headers, *dataset], default=encode_cell)
    except TypeError:
        return  # a cell JSON does not keep; the file is parsed each time
    if len(rows) <= PARSED_MAX_BYTES:
        cache.set(key, rows, PARSED_SECONDS)


def recall_rows(key):
    rows = cache.get(key)
    if rows is None:
        return None
    headers, *rows = json.loads(rows, object_hook=decode_cell)
    if len(rows) > import_limit("IMPORT_MAX_ROWS"):
        raise too_many_rows()
    dataset = tablib.Dataset(headers=headers)
    dataset.extend(rows)
    return dataset


class ParsedOnce:
    """Read an import's rows once per file, within the limits (ImportRefused
    past them); `parse` reads the bytes."""

    def create_dataset(self, in_stream):
        if len(in_stream) > import_limit("IMPORT_MAX_BYTES"):
            raise too_large(len(in_stream))
        key = parsed_key(self.get_title(), in_stream)
        dataset = recall_rows(key)
        if dataset is None:
            dataset = self.parse(in_stream)
            remember_rows(key, dataset)
        # The rows' source, exactly these bytes: a preview of them is kept
        # under it for their confirm (members/resources.py).
        dataset.source_key = key
        return dataset


class LimitedXLSX(ParsedOnce, XLSX):
    """Read an .xlsx import within the limits."""

    def parse(self, in_stream):
        return read_workbook(in_stream)


class LimitedCSV(ParsedOnce, CSV):
    """Read a CSV import within the limits."""

    def parse(self, in_stream):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig")
        return read_csv(in_stream)


# The admin imports in these formats in place of django-import-export's.
LIMITED_FORMATS = {XLSX: LimitedXLSX, CSV: LimitedCSV}
IMPORT_FORMATS_BY_NAME = {"xlsx": LimitedXLSX, "csv": LimitedCSV}
