"""The columns of a register's file by their headers, as staff write them.

A column is named in a file by its field ("card_number") or by its header in
Vietnamese or in English, with or without accents, in any case; exports write
the header in the active language, and an import error names the column as
the file headed it.
"""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.text import capfirst

from kontum_review.vietnamese import fold

from .cells import cell_text


class Headers:
    """The header side of SpreadsheetResource (an import_export resource)."""

    @classmethod
    def header_of(cls, field):
        """The column's header as staff read it: its model field's name, in the
        active language ("Số thẻ đảng viên"); the column name if none."""
        try:
            name = cls._meta.model._meta.get_field(field.attribute).verbose_name
        except (FieldDoesNotExist, TypeError):
            return field.column_name
        return capfirst(name)

    def column_header(self, field):
        """The column as an import error names it: by its header as the file
        wrote it ("Số thẻ đảng viên", "so the dang vien", "Party card number"),
        or as staff read it when the file named it by its field ("card_number")
        or has no such column."""
        written = getattr(self, "headers_in_file", {}).get(field.column_name)
        if written and fold(written) != fold(field.column_name):
            return written
        return self.header_of(field)

    def error_label(self, name):
        """What an error keyed by a field's name is shown under: its column."""
        if name == NON_FIELD_ERRORS:
            return name
        for field in self.get_import_fields():
            if field.attribute == name:
                return force_str(self.column_header(field))
        try:
            return force_str(
                capfirst(self._meta.model._meta.get_field(name).verbose_name)
            )
        except FieldDoesNotExist:
            return name

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
