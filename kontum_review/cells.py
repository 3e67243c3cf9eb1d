"""Spreadsheet cells whose text is never read as a formula.

openpyxl turns a string starting with "=" into a formula, and Excel or
LibreOffice may evaluate a cell someone edits, or a CSV field, that starts with
"+", "-", "@", a tab or a line break. Text from users (names of organizations
and members, notes) goes out as text: the statistics workbook
(reviews/statistics/workbook.py) and the admin exports (organizations/resources/)
write it through these helpers.
"""

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A CSV field has no text type: the quote Excel reads as "this is text".
CSV_TEXT_PREFIX = "'"


def looks_like_formula(text):
    return isinstance(text, str) and text.startswith(FORMULA_STARTS)


def write_text(sheet, row, column, value):
    """Write `value` as a string cell, never a formula, and return the cell."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    # XML reads a bare "\r" back as "\n" anyway; say so rather than differ.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cell = sheet.cell(row=row, column=column)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        # Keeps it text when someone edits the cell in Excel.
        cell.quotePrefix = True
    return cell


def csv_text(value):
    """A CSV field that a spreadsheet shows as text, never evaluates."""
    return CSV_TEXT_PREFIX + value if looks_like_formula(value) else value


def without_csv_prefix(text):
    """Undo `csv_text` when a file written by it is read back."""
    if text.startswith(CSV_TEXT_PREFIX) and looks_like_formula(text[1:]):
        return text[1:]
    return text
