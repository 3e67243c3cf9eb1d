"""Reading a decision's annex: its columns in English or Vietnamese, one
RestructuringLine per row."""

import csv
import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kontum_review.vietnamese import fold

from ..models import (
    Operation,
    RestructuringLine,
)
from ..resources import ImportRefused, cell_text, read_csv, read_workbook

# The annex's columns: the field, then the headers accepted for it (compared
# without accents or case; spaces and underscores alike).
COLUMNS = {
    "operation": ("operation", "thao tac", "nghiep vu", "hinh thuc"),
    "code": ("code", "ma", "ma to chuc"),
    "target_code": ("target_code", "ma dich", "ma to chuc nhan", "to chuc nhan"),
    "new_name": ("new_name", "ten moi"),
    "new_code": ("new_code", "ma moi"),
    "parent_code": ("parent_code", "ma cap tren", "ma to chuc cap tren"),
    "member_card": ("member_card", "so the", "so the dang vien", "so the dang"),
    "keeps_flags": ("keeps_flags", "ke thua xep loai", "giu xep loai"),
}
REQUIRED_COLUMNS = ("operation", "code")
OPERATION_WORDS = {
    Operation.MERGE: ("merge", "hop nhat", "sap nhap"),
    Operation.SPLIT: ("split", "chia tach", "tach"),
    Operation.MOVE: ("move", "chuyen", "dieu chuyen"),
    Operation.RENAME: ("rename", "doi ten"),
    Operation.CLOSE: ("close", "giai the"),
}
YES_WORDS = ("1", "x", "yes", "true", "co", "y")
NO_WORDS = ("", "0", "no", "false", "khong", "n")


def header_key(text):
    return fold(str(text or "")).replace("_", " ").strip()


HEADER_FIELDS = {
    header_key(header): name for name, headers in COLUMNS.items() for header in headers
}
OPERATIONS = {
    header_key(word): operation
    for operation, words in OPERATION_WORDS.items()
    for word in words
}


class AnnexError(Exception):
    """An annex that cannot be read at all (not a line's mistake)."""


# Reading the annex ------------------------------------------------------------------


def read_annex(name, data):
    """The lines of an annex file (.xlsx or .csv) as unsaved RestructuringLines.

    Returns (lines, errors): errors are (line number, message) for cells that
    cannot be read; line numbers are the spreadsheet's row numbers.
    """
    try:
        rows = annex_rows(name, data)
    except ImportRefused as refused:
        raise AnnexError(refused.message) from None
    headers = [header_key(header) for header in rows.headers or []]
    columns = {}
    for index, header in enumerate(headers):
        if header in HEADER_FIELDS:
            columns.setdefault(HEADER_FIELDS[header], index)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise AnnexError(
            _(
                "The annex has no column %(columns)s. The first row names the "
                "columns: operation, code, target_code, new_name, new_code, "
                "parent_code, member_card (Vietnamese names are accepted too)."
            )
            % {"columns": ", ".join(missing)}
        )
    lines, errors = [], []
    for offset, row in enumerate(rows, start=2):
        values = {name: cell_text(row[index]) for name, index in columns.items()}
        if not any(values.values()):
            continue
        line, problems = line_from(offset, values)
        lines.append(line)
        errors.extend((offset, problem) for problem in problems)
    if not lines:
        raise AnnexError(_("The annex has no lines."))
    return lines, errors


def annex_rows(name, data):
    if name.lower().endswith(".xlsx"):
        try:
            return read_workbook(data)
        except ImportRefused:
            raise
        except Exception:
            raise AnnexError(
                _("The file could not be read as an Excel workbook (.xlsx).")
            ) from None
    if name.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise AnnexError(
                _("The CSV file is not in UTF-8; save it as CSV UTF-8.")
            ) from None
        try:
            return read_csv(text)
        except (csv.Error, ValueError):
            raise AnnexError(_("The file could not be read as CSV.")) from None
    raise AnnexError(_("Upload the annex as an Excel workbook (.xlsx) or CSV file."))


def line_from(number, values):
    """An unsaved line from a row's texts, and what could not be read."""
    problems = []
    operation = OPERATIONS.get(header_key(values.get("operation")))
    if operation is None:
        problems.append(
            _("Unknown operation “%(value)s”: use merge, split, move, rename or close.")
            % {"value": values.get("operation", "")}
        )
    keeps = header_key(values.get("keeps_flags"))
    if keeps not in YES_WORDS + NO_WORDS:
        problems.append(
            _("“%(value)s” is not yes or no.") % {"value": values["keeps_flags"]}
        )
    line = RestructuringLine(
        number=number,
        operation=operation or "",
        keeps_flags=keeps in YES_WORDS,
        **{
            name: values.get(name, "")[
                : RestructuringLine._meta.get_field(name).max_length
            ]
            for name in (
                "code",
                "target_code",
                "new_name",
                "new_code",
                "parent_code",
                "member_card",
            )
        },
    )
    return line, problems


def write_annex(lines):
    """The lines as a CSV annex, as read_annex reads it (for the example file)."""
    output = io.StringIO()
    writer = csv.writer(output)
    names = list(COLUMNS)
    writer.writerow(names)
    for line in lines:
        writer.writerow(
            [
                ("x" if line.keeps_flags else "")
                if name == "keeps_flags"
                else getattr(line, name)
                for name in names
            ]
        )
    return output.getvalue()


OPERATION_HELP = gettext_lazy(
    "merge: the organization (code) joins the target (target_code, or a new "
    "one: new_code, new_name, parent_code); split: members of the organization "
    "go, by card number (member_card), to the parts (target_code or new_code "
    "and new_name); move: the organization goes under parent_code; rename: "
    "new_name and/or new_code; close: the organization ends, its members go to "
    "target_code."
)
