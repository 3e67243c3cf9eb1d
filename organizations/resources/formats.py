"""The spreadsheet formats: exports whose text is never a formula, and imports
refused past the file limits and parsed once per file (the rows kept in the
cache under the hash of the file's bytes).
"""

import csv
import datetime
import hashlib
import io
import itertools
import json
import zipfile

import openpyxl
import tablib
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from import_export.formats.base_formats import CSV, XLSX
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kontum_review.cells import csv_text, write_text
from kontum_review.nul_characters import NUL

COLUMN_WIDTH = (8, 60)  # fewest and most characters of an exported column


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
        # Blank rows are kept only before a row with values, so that the rows
        # keep their numbers; a sheet formatted far below its last row (a
        # whole column given a style) is read to its last row with values.
        blanks = 0
        for row in rows:
            values = list(row[:width]) + [None] * (width - len(row))
            if all(value is None for value in values):
                blanks += 0 if ignore_blanks else 1
                continue
            if len(dataset) + blanks >= limit:
                raise too_many_rows()
            for _blank in range(blanks):
                dataset.append([None] * width)
            blanks = 0
            dataset.append(values)
    finally:
        book.close()
    return dataset


def read_csv(text):
    """A CSV's rows, counted before tablib loads them.

    NUL characters are dropped, as from posted fields (kontum_review/
    nul_characters.py): PostgreSQL can neither store nor compare them. (A
    workbook holds none: XML cannot carry one.)
    """
    text = text.replace(NUL, "")
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
    past them); `parse` reads the bytes. Rows parsed are kept for the next
    step unless `remember` is false (an import job's, the last step)."""

    def create_dataset(self, in_stream, remember=True):
        if len(in_stream) > import_limit("IMPORT_MAX_BYTES"):
            raise too_large(len(in_stream))
        key = parsed_key(self.get_title(), in_stream)
        dataset = recall_rows(key)
        if dataset is None:
            dataset = self.parse(in_stream)
            if remember:
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
