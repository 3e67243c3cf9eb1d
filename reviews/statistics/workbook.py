"""The statistics tables of a cycle as an .xlsx workbook, one sheet per table.

Percentages are stored as whole numbers (number format `0`, "(%)" in the
header), the very numbers `LevelRow.cells()` gives the page, so a cell read
back equals what the page shows; a fraction would print the same but read back
as 0.33 where the page says 33.

Every text cell goes through `write_text` (kontum_review/cells.py): openpyxl
turns a string starting with "=" into a formula, and Excel or LibreOffice may
evaluate a cell someone edits that starts with "+", "-" or "@", so text from
users (names of organizations, types, levels, the cycle) is always written as a
string.
"""

import io
import re
import unicodedata

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from kontum_review.cells import write_text

from .tables import LevelRow

SHEET_NAME_LENGTH = 31
# Excel refuses these in a sheet name, and a name that starts or ends with "'".
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# "History" is reserved by Excel for its change log.
RESERVED_SHEET_NAMES = {"history"}
# Tables whose rows overlap (members include leaders; organizations and members
# mix), so a sum of their rows would count nothing real.
UNSUMMED_TABLES = {"levels"}

TITLE_ROW, SUBTITLE_ROW, TABLE_TITLE_ROW = 1, 2, 3
HEADER_ROW = 5  # a blank line, then two header rows
FIRST_DATA_ROW = HEADER_ROW + 2

COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0"
LABEL_WIDTH = (24, 60)  # fewest and most characters of the first column
NUMBER_WIDTH = 11
WIDE_WIDTH = 14

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
LABEL_ALIGNMENT = Alignment(vertical="center", wrap_text=True)


def write_number(sheet, row, column, value, number_format):
    cell = sheet.cell(row=row, column=column, value=int(value))
    cell.number_format = number_format
    return cell


def sheet_names(titles):
    """A valid sheet name per title: at most 31 characters, unique in any case."""
    taken = set(RESERVED_SHEET_NAMES)
    names = []
    for position, title in enumerate(titles, start=1):
        base = unicodedata.normalize("NFC", ILLEGAL_CHARACTERS_RE.sub("", title))
        base = SHEET_NAME_FORBIDDEN.sub(" ", base)
        base = " ".join(base.split()).strip("'").strip()
        base = base or _("Table %(number)s") % {"number": position}
        name, copy = base[:SHEET_NAME_LENGTH].rstrip(), 1
        while name.casefold() in taken:
            copy += 1
            suffix = f" ({copy})"
            name = base[: SHEET_NAME_LENGTH - len(suffix)].rstrip() + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def total_row(rows):
    """The "Total" line: counts summed over the rows, shares of the sum."""
    total = LevelRow(_("Total"))
    for row in rows:
        for code, number in row.counts.items():
            total.add(code, number)
        total.undecided += row.undecided
    return total


def write_header(sheet, table, levels):
    top, bottom = HEADER_ROW, HEADER_ROW + 1
    columns = [(table.row_heading, 1)]
    for level in levels:
        columns.append((f"{level.code}\n{level.name}", 2))
    columns += [(_("Not decided"), 1), (_("Total number"), 1)]
    column = 1
    for heading, span in columns:
        write_text(sheet, top, column, heading)
        if span == 2:
            write_text(sheet, bottom, column, _("Number"))
            write_text(sheet, bottom, column + 1, _("Share (%)"))
            sheet.merge_cells(
                start_row=top,
                start_column=column,
                end_row=top,
                end_column=column + 1,
            )
        else:
            sheet.merge_cells(
                start_row=top, start_column=column, end_row=bottom, end_column=column
            )
        column += span
    for row in sheet.iter_rows(min_row=top, max_row=bottom, max_col=column - 1):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = HEADER_ALIGNMENT
            cell.fill = HEADER_FILL
            cell.border = BORDER
    return column - 1


def write_row(sheet, number, row, levels, bold=False):
    cells = [write_text(sheet, number, 1, row.label)]
    column = 2
    for count, percent in row.cells(levels):
        cells.append(write_number(sheet, number, column, count, COUNT_FORMAT))
        cells.append(write_number(sheet, number, column + 1, percent, PERCENT_FORMAT))
        column += 2
    cells.append(write_number(sheet, number, column, row.undecided, COUNT_FORMAT))
    cells.append(write_number(sheet, number, column + 1, row.total, COUNT_FORMAT))
    cells[0].alignment = LABEL_ALIGNMENT
    for cell in cells:
        cell.border = BORDER
        if bold:
            cell.font = Font(bold=True)


def fill_sheet(sheet, *, title, subtitle, table, levels):
    write_text(sheet, TITLE_ROW, 1, title).font = Font(bold=True, size=13)
    write_text(sheet, SUBTITLE_ROW, 1, subtitle).font = Font(italic=True)
    write_text(sheet, TABLE_TITLE_ROW, 1, table.title).font = Font(bold=True)
    last_column = write_header(sheet, table, levels)
    number = FIRST_DATA_ROW
    for row in table.rows:
        write_row(sheet, number, row, levels)
        number += 1
    if table.key not in UNSUMMED_TABLES:
        write_row(sheet, number, total_row(table.rows), levels, bold=True)

    longest = max(
        [len(str(table.row_heading)), *(len(str(row.label)) for row in table.rows)]
    )
    fewest, most = LABEL_WIDTH
    sheet.column_dimensions["A"].width = min(max(longest + 2, fewest), most)
    for column in range(2, last_column + 1):
        wide = column >= last_column - 1
        width = WIDE_WIDTH if wide else NUMBER_WIDTH
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[HEADER_ROW].height = 64

    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=2)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW + 1}"
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def statistics_workbook(*, title, subtitle, tables, levels):
    """The tables as an .xlsx file: a sheet each, in the order given."""
    tables, levels = list(tables), list(levels)
    workbook = Workbook()
    workbook.properties.title = ILLEGAL_CHARACTERS_RE.sub("", str(title))
    if tables:
        # The default sheet goes, so it cannot clash with a table's name.
        workbook.remove(workbook.active)
    else:
        workbook.active.title = _("Statistics")
        write_text(workbook.active, TITLE_ROW, 1, title).font = Font(bold=True)
        write_text(workbook.active, SUBTITLE_ROW, 1, subtitle)
    names = sheet_names([str(table.title) for table in tables])
    for table, name in zip(tables, names):
        sheet = workbook.create_sheet(title=name)
        fill_sheet(sheet, title=title, subtitle=subtitle, table=table, levels=levels)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
