"""SpreadsheetResource: a register's import and export, checked as a set.

The columns by their headers in the admin's language, the rows kept to the
importer's subtree, each row checked without a query once the file's
lookups are read.
"""

import datetime
import uuid
from operator import attrgetter, is_

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models
from django.db.models import Field as ModelField
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import NOT_PROVIDED, AutoFieldMixin
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils.encoding import force_str
from django.utils.html import conditional_escape
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.results import RowResult

from ..models import Organization
from .cells import CodeForeignKeyWidget, cell_text, marked_change, spreadsheet_widget
from .headers import Headers

BLANK_ROW_MESSAGE = _(
    "This row is empty, between rows with values: delete it from the file, or "
    "fill it in."
)
DUPLICATE_KEY_MESSAGE = _(
    "Rows %(first)s and %(row)s have the same %(column)s “%(key)s”; "
    "list each one only once."
)


OUTSIDE_MESSAGE = _(
    "“%(code)s” is outside the organizations you keep as committee staff."
)


NO_ORGANIZATION_MESSAGE = _("Name an organization you keep as committee staff.")


def cell_cleaner(widget):
    """A widget's clean as (value, None), or (None, message) for a ValueError.

    A widget that reads nothing but the cell (`cell_only`) cleans each value
    of a file's column once: most columns repeat a few values (a choice, yes
    or no, a date), and cleaning a choice or a yes/no cell translates its
    spellings (0.1 s of CPU for 5,000 rows). The cleaner is made for one
    file, in the language it is checked in.
    """

    def clean(value, row, kwargs):
        try:
            return widget.clean(value, row=row, **kwargs), None
        except ValueError as error:
            return None, force_str(error)

    if not getattr(widget, "cell_only", False):
        return clean
    cleaned = {}

    def clean_once(value, row, kwargs):
        # 1, 1.0 and True are equal keys, and clean to different values.
        key = (value.__class__, value)
        try:
            return cleaned[key]
        except KeyError:
            found = cleaned[key] = clean(value, row, kwargs)
            return found
        except TypeError:  # an unhashable value: no cell holds one
            return clean(value, row, kwargs)

    return clean_once


# Model fields whose check reads the value alone, not the instance.
VALUE_ONLY_CHECKS = {ModelField.validate, AutoFieldMixin.validate}


# A cell or value that failed its check in CheckedColumns.
FAILED = object()


class CheckedColumns:
    """A file's columns checked in bulk, each of its values once.

    A column is checked so when its widget reads the cell alone
    (`cell_only`), it sets a plain model attribute (no descriptor of its own)
    and an empty cell takes no default made anew for each row. Each value
    of such a column is cleaned by its widget, given the field's default when
    empty and, where the model's check of the field reads the value alone,
    checked as full_clean would; then each row's values are laid out for it.
    A row whose checked cells all passed sets them in one step
    (`set_cells`), and full_clean skips their fields for it (`set_checked`).
    A row with a failed cell, or that is not the file's (another caller's
    row), goes the way of every row before: each cell cleaned and checked
    on its own, so its errors are the same, in the same order.

    For 5,000 rows of 17 columns this saves about 85,000 calls of a widget
    and 60,000 of a model field's check, a third of the checking's CPU.
    """

    def __init__(self, resource, dataset, entries, model_checks):
        headers = list(dataset.headers or [])
        self.rows = len(dataset)
        model = resource._meta.model
        plain = {
            field.attname
            for field in model._meta.concrete_fields
            if not field.is_relation
            and not hasattr(type(getattr(model, field.attname, None)), "__set__")
        }
        checks = {} if model_checks is None else {c[1]: c for c in model_checks}
        self.names, self.model_names = [], []
        self.guard = None  # (column, its cells): a row given is the file's
        widget_columns, model_columns = [], []
        self.failed_rows, self.unchecked_rows = set(), set()
        self.entries = []  # cell fields left to each row
        for entry in entries:
            field, attribute, column, clean, default = entry
            if (
                attribute is None
                or column not in headers
                or not getattr(field.widget, "cell_only", False)
                or (default is not NOT_PROVIDED and callable(default))
                or attribute not in plain
            ):
                self.entries.append(entry)
                continue
            cells = resource.column(dataset, field)
            try:
                keys = [(cell.__class__, cell) for cell in cells]
                outcomes = dict.fromkeys(keys)
            except TypeError:  # an unhashable cell: no file holds one
                self.entries.append(entry)
                continue
            check = checks.get(attribute)
            for key in outcomes:
                outcomes[key] = self.outcome(key[1], field.widget, default, check)
            found = list(map(outcomes.__getitem__, keys))
            values = [outcome[0] for outcome in found]
            if any(outcome[0] is FAILED for outcome in outcomes.values()):
                self.failed_rows.update(
                    i for i, value in enumerate(values) if value is FAILED
                )
            self.names.append(attribute)
            widget_columns.append(values)
            if self.guard is None:
                self.guard = (column, cells)
            if check is None:
                continue
            if any(outcome[1] is FAILED for outcome in outcomes.values()):
                self.unchecked_rows.update(
                    i for i, outcome in enumerate(found) if outcome[1] is FAILED
                )
            self.model_names.append((check[0], attribute))
            model_columns.append([outcome[1] for outcome in found])
        self.checked_fields = frozenset(name for name, _attname in self.model_names)
        # The model's checks of the fields no checked column sets.
        self.other_checks = [
            c for c in resource.model_checks()[0] if c[0] not in self.checked_fields
        ]
        self.model_attnames = [attname for _name, attname in self.model_names]
        self.widget_rows = list(zip(*widget_columns)) if widget_columns else []
        self.model_rows = list(zip(*model_columns)) if model_columns else []

    @staticmethod
    def outcome(cell, widget, default, check):
        """(the widget's value, the model's value) of a cell; FAILED where
        the widget or the model's check refused it, or failed otherwise (the
        row's own check then says how)."""
        try:
            value = widget.clean(cell, row=None)
        except Exception:  # noqa: BLE001 - the row's check reports it
            return FAILED, FAILED
        if default is not NOT_PROVIDED and value in fields.Field.empty_values:
            value = default
        if check is None:
            return value, None
        _name, _attname, blank, empty, model_clean = check
        if (blank and value in empty) or isinstance(value, DatabaseDefault):
            return value, value
        try:
            checked, error_list = model_clean(value, None)
        except Exception:  # noqa: BLE001 - the row's check reports it
            return value, FAILED
        return value, (FAILED if error_list is not None else checked)

    def row_index(self, row, row_number):
        """The row's index in the file if its checked cells all passed."""
        if self.guard is None or row_number is None:
            return None
        index = row_number - 1
        column, cells = self.guard
        if not 0 <= index < self.rows or index in self.failed_rows:
            return None
        if row.get(column, FAILED) is not cells[index]:
            return None
        return index

    def value(self, row, row_number, attribute):
        """The widget's value of a row's checked cell, or FAILED."""
        if attribute not in self.names:
            return FAILED
        index = self.row_index(row, row_number)
        if index is None:
            return FAILED
        return self.widget_rows[index][self.names.index(attribute)]

    def values(self, attribute):
        """A checked column's values, or None if a cell of it failed."""
        if attribute not in self.names or not self.widget_rows:
            return None
        position = self.names.index(attribute)
        values = [row[position] for row in self.widget_rows]
        return None if any(value is FAILED for value in values) else values

    def set_cells(self, instance, index):
        instance.__dict__.update(zip(self.names, self.widget_rows[index]))
        instance.checked_row = index

    def set_checked(self, instance, exclude):
        """Set the model's values of the row's checked cells, or return False
        for full_clean to check them one by one."""
        index = instance.__dict__.get("checked_row")
        if index is None or index in self.unchecked_rows or not self.model_rows:
            return False
        if not self.checked_fields.isdisjoint(exclude):
            return False
        # Cells set since are checked as they now stand.
        state = instance.__dict__
        try:
            if not all(
                map(is_, map(state.__getitem__, self.names), self.widget_rows[index])
            ):
                return False
        except KeyError:
            return False
        state.update(zip(self.model_attnames, self.model_rows[index]))
        return True


def reads_value_only(field):
    """Whether a model field's clean reads the value alone, not the instance."""
    return (
        not field.is_relation
        and type(field).clean is ModelField.clean
        and type(field).validate in VALUE_ONLY_CHECKS
    )


def quick_check(field):
    """A test of values that field.clean(value, instance) returns unchanged,
    without error, for a text, date, yes/no or UUID field with no checks of
    its own; None for any other field. A value the test does not pass is
    cleaned by field.clean, which gives its errors. (A field that is not
    editable skips Django's validate(): its choices and blank are not read.)

    Django's clean of a text runs its maximum length and NUL checks through
    its validators one call at a time: 5,000 rows have some 30,000 values no
    other row shares (names, card numbers, keys), 0.1 s of CPU.
    """
    kind = type(field)
    if (
        kind.clean is not ModelField.clean
        or kind.validate is not ModelField.validate
        or kind.run_validators is not ModelField.run_validators
    ):
        return None
    validators = field.validators
    editable = field.editable
    if kind.to_python is models.CharField.to_python:
        limits = []
        for validator in validators:
            if type(validator) is ProhibitNullCharactersValidator:
                continue
            if type(validator) is not MaxLengthValidator:
                return None
            if type(validator.limit_value) is not int:
                return None
            limits.append(validator.limit_value)
        limit = min(limits, default=None)
        keys = None
        if editable and field.choices is not None:
            keys = {key for key, _label in field.flatchoices}
            if not all(type(key) is str for key in keys):
                return None
        empty_passes = field.blank or not editable

        def passes_text(value):
            if type(value) is not str:
                return False
            if not value:
                return empty_passes
            return (
                (keys is None or value in keys)
                and (limit is None or len(value) <= limit)
                and "\x00" not in value
            )

        return passes_text
    if validators or (editable and field.choices is not None):
        return None
    exact = {
        models.DateField.to_python: datetime.date,
        models.BooleanField.to_python: bool,
        models.UUIDField.to_python: uuid.UUID,
    }.get(kind.to_python)
    if exact is None:
        return None
    return lambda value: type(value) is exact


def field_cleaner(field):
    """A model field's clean(value, instance) as (value, None), or (None,
    [errors]); each value cleaned once a file where the field's check reads
    the value alone (a choice, a date, a text's length; not a relation)."""

    def clean(value, instance):
        try:
            return field.clean(value, instance), None
        except ValidationError as error:
            return None, error.error_list

    clean.by_value = False
    if not reads_value_only(field):
        return clean
    cleaned = {}
    passes = quick_check(field)

    def clean_once(value, instance):
        if passes is not None and passes(value):
            return value, None
        key = (value.__class__, value)
        try:
            return cleaned[key]
        except KeyError:
            found = cleaned[key] = clean(value, instance)
            return found
        except TypeError:  # an unhashable value (a JSON field's)
            return clean(value, instance)

    clean_once.by_value = True
    return clean_once


def instance_maker(model):
    """A function making a new instance of `model` as model() does, without
    Django's walk through the arguments it was not given: each field takes
    its default, made anew where Django makes it anew (a callable default, a
    database default) and the same value otherwise, as Django gives it.

    model() itself where it would do more: a model's own __init__, receivers
    of its init signals, or a field whose attribute sets more than its value.
    Half the cost of a new member's instance (0.05 s for 2,500).
    """
    if model.__init__ is not Model.__init__ or any(
        signal.has_listeners(model) for signal in (pre_init, post_init)
    ):
        return model
    constants, made = {}, []
    for field in model._meta.concrete_fields:
        if field.column is None or field.generated:
            continue
        setter = getattr(type(model.__dict__.get(field.attname)), "__set__", None)
        if setter is not None and setter is not ForeignKeyDeferredAttribute.__set__:
            return model
        if field.has_db_default() or (field.has_default() and callable(field.default)):
            made.append((field.attname, field.get_default))
            constants[field.attname] = None  # in its place, as model() sets it
        else:
            constants[field.attname] = field.get_default()

    def make():
        instance = Model.__new__(model)
        instance._state = ModelState()
        state = instance.__dict__
        state.update(constants)
        for attname, default in made:
            state[attname] = default()
        return instance

    return make


class SpreadsheetResource(Headers, resources.ModelResource):
    """Columns as people type them in Excel, and each key at most once a file.

    Imported by committee staff (the admin passes the user), a file reaches
    only the rows and organizations they keep: `kept_path` leads from a row to
    its organization, and each of `kept_fields` must name an organization they
    keep, unless it is the one the row already had (the top of their subtree
    keeps its parent). Superusers, and imports with no user, reach everything.
    """

    kept_path = None
    kept_fields = ()
    # Whether the file's columns are checked in bulk (CheckedColumns).
    checks_columns = True
    # Related rows read with the rows a file may update (the preview shows them).
    related = ()

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        # Until a file names its columns, a cell's error names the column by
        # its header in the active language (before_import).
        widget = spreadsheet_widget(capfirst(django_field.verbose_name), django_field)
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
        self.headers_in_file = {}
        if dataset.headers:
            # A header as staff write it ("Số thẻ đảng viên", "so the dang vien")
            # names the same column as its field ("card_number").
            written = [cell_text(header) for header in dataset.headers]
            dataset.headers = self.columns_of_headers(dataset.headers)
            for column, header in zip(dataset.headers, written):
                self.headers_in_file.setdefault(column, header)
        self.file_headers = set(dataset.headers or ())
        self.first_row_by_key = {}
        self.make_instance = None
        self.prepare_fields()
        for field in self.import_fields:
            # A cell's error names its column as the file does.
            if hasattr(field.widget, "column"):
                field.widget.column = self.column_header(field)
        self.before_reads(dataset, **kwargs)
        for field in self.import_fields:
            if isinstance(field.widget, CodeForeignKeyWidget):
                field.widget.prefetch(map(cell_text, self.column(dataset, field)))
        self.checked_columns = None
        if self.checks_columns:
            model_checks = None
            if self._meta.use_bulk and self._meta.clean_model_instances:
                model_checks = [c for c in self.model_checks()[0] if c[4].by_value]
            self.checked_columns = CheckedColumns(
                self, dataset, self.cell_fields(), model_checks
            )

    def prepare_fields(self):
        """Read the import fields once a file, and the attributes they store."""
        self.import_fields = None
        self.import_fields = self.get_import_fields()
        self.cell_field_list = None
        self.model_cleaners = None
        model_fields = self._meta.model._meta
        self.stored_attnames = []
        for field in self.import_fields:
            try:
                attname = model_fields.get_field(field.attribute).attname
            except FieldDoesNotExist:
                continue
            self.stored_attnames.append(attname)
        names = self.stored_attnames
        # The stored values of a row, as a tuple (after_init_instance).
        self.read_stored = (
            (lambda instance: (attrgetter(*names)(instance),))
            if len(names) == 1
            else attrgetter(*names)
            if names
            else (lambda instance: ())
        )

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
                    cell_cleaner(field.widget),
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
        5,000 rows of 17 columns; and a value a column repeats is cleaned
        once (cell_cleaner).
        """
        errors = {}
        empty = fields.Field.empty_values
        entries = self.cell_fields()
        checked = getattr(self, "checked_columns", None)
        instance.checked_row = None
        if checked is not None:
            index = checked.row_index(row, kwargs.get("row_number"))
            if index is not None:
                checked.set_cells(instance, index)
                entries = checked.entries
        for field, attribute, column, clean, default in entries:
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
            value, message = clean(row[column], row, kwargs)
            if message is not None:
                errors[attribute] = ValidationError(message, code="invalid")
                continue
            if default is not NOT_PROVIDED and value in empty:
                value = default() if callable(default) else default
            setattr(instance, attribute, value)
        if errors:
            raise ValidationError(errors)

    def column(self, dataset, field):
        """The values of a field's column as read, or none without the column.

        The file's rows are turned into columns once (a file's checks read
        the key column five times, and every other column once): tablib
        reads each cell of a column through a call of its own.
        """
        headers = dataset.headers or []
        if field.column_name not in headers:
            return []
        read = getattr(self, "file_columns", None)
        if read is None or read[0] is not dataset or read[1] != headers:
            read = (dataset, list(headers), list(zip(*dataset)))
            self.file_columns = read
        columns = read[2]
        index = headers.index(field.column_name)
        return list(columns[index]) if index < len(columns) else []

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
        if all(value is None or str(value).strip() == "" for value in row.values()):
            raise ValidationError(str(BLANK_ROW_MESSAGE))
        (key_name,) = self.get_import_id_fields()
        key = self.row_key(row, row_number)
        if not key:
            return
        first = self.first_row_by_key.setdefault(key, row_number)
        if first != row_number:
            values = {
                "first": first,
                "row": row_number,
                "column": self.column_header(self.fields[key_name]),
                "key": key,
            }
            raise ValidationError({key_name: DUPLICATE_KEY_MESSAGE % values})

    def row_key(self, row, row_number):
        """The row's key as its field cleans it: from the checked columns
        when the row is the file's; kept for the row's lookup
        (KeyColumnLoader.get_instance)."""
        (key_name,) = self.get_import_id_fields()
        field = self.fields[key_name]
        checked = getattr(self, "checked_columns", None)
        key = FAILED
        if checked is not None:
            key = checked.value(row, row_number, field.attribute)
        if key is FAILED:
            key = field.clean(row)
        self.keyed_row = (row, key)
        return key

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        # The preview's columns, read by column name while the rows were
        # checked, headed as the file heads them.
        result.diff_headers = [
            force_str(self.column_header(field)) for field in self.get_import_fields()
        ]

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        error = row_result.validation_error
        if error is not None and hasattr(error, "error_dict"):
            # The preview and an import job list a row's errors under their
            # columns, named as in the file rather than by field ("card_number").
            by_column = {}
            for name, errors in error.error_dict.items():
                by_column.setdefault(self.error_label(name), []).extend(errors)
            row_result.validation_error = ValidationError(by_column)
        return row_result

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

    def init_instance(self, row=None):
        # Made for a file, with the receivers of the model's signals then.
        make = getattr(self, "make_instance", None)
        if make is None:
            make = self.make_instance = instance_maker(self._meta.model)
        return make()

    def get_queryset(self):
        queryset = self.kept_queryset()
        related = self.reads_related()
        # select_related() with no names would follow every foreign key.
        return queryset.select_related(*related) if related else queryset

    def reads_related(self):
        """The related rows read with the rows a file updates: those the
        preview shows, and those a row keeps when the file has no column
        for them. An import that sets them all from the file reads none
        (2,500 organizations built for nothing in a 5,000-row file)."""
        if getattr(self, "dry_run", True):
            return self.related
        headers = getattr(self, "file_headers", None) or ()
        fields = getattr(self, "import_fields", None) or self.get_import_fields()
        columns = {field.attribute: field.column_name for field in fields}
        return [name for name in self.related if columns.get(name) not in headers]

    def import_data_inner(self, dataset, dry_run, *args, **kwargs):
        self.dry_run = dry_run
        result = super().import_data_inner(dataset, dry_run, *args, **kwargs)
        # A refused row is shown as the file has it: an empty cell as empty,
        # not "None".
        for row in result.invalid_rows:
            row.values = tuple("" if value is None else value for value in row.values)
        return result

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
                instance.stored_values = dict(
                    zip(self.stored_attnames, self.read_stored(instance))
                )
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
        if self._meta.clean_model_instances:
            related = self.model_checks()[1]
            exclude = {*errors, *related} if errors else related
            errors = self.full_clean(instance, exclude, errors)
        for name, messages in self.set_errors(instance).items():
            errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        return None

    def full_clean(self, instance, exclude, errors):
        """`errors` with those of instance.full_clean(exclude, validate_unique=
        False, validate_constraints=False): the same fields checked, in the
        same order, with the same errors, then the model's clean(); only each
        field's clean of a value is remembered for the file (field_cleaner),
        0.1 s of CPU for 5,000 rows."""
        checks = self.model_checks()[0]
        checked = getattr(self, "checked_columns", None)
        if checked is not None and checked.set_checked(instance, exclude):
            checks = checked.other_checks
        for name, attname, blank, empty, clean in checks:
            if name in exclude:
                continue
            raw_value = getattr(instance, attname)
            if blank and raw_value in empty:
                continue
            if isinstance(raw_value, DatabaseDefault):
                continue
            value, error_list = clean(raw_value, instance)
            if error_list is None:
                setattr(instance, attname, value)
            else:
                errors.setdefault(name, []).extend(error_list)
        try:
            instance.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        return errors

    def model_checks(self):
        """([(name, attname, blank, empty values, cleaner)] of the model's
        fields as clean_fields reads them, {names of relations}); once a file."""
        if getattr(self, "model_cleaners", None) is None:
            meta = self._meta.model._meta
            self.model_cleaners = (
                [
                    (f.name, f.attname, f.blank, f.empty_values, field_cleaner(f))
                    for f in meta.fields
                    if not f.generated
                ],
                frozenset(f.name for f in meta.concrete_fields if f.is_relation),
            )
        return self.model_cleaners

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
