import io
import re
import zipfile
from types import SimpleNamespace

import openpyxl
from django.test import SimpleTestCase
from django.utils import translation

from reviews.statistics import LevelRow, Table
from reviews.statistics.workbook import statistics_workbook

LEVELS = [
    SimpleNamespace(code="HTXSNV", name="Hoàn thành xuất sắc nhiệm vụ"),
    SimpleNamespace(code="HTTNV", name="Hoàn thành tốt nhiệm vụ"),
    SimpleNamespace(code="HTNV", name="Hoàn thành nhiệm vụ"),
    SimpleNamespace(code="KHTNV", name="Không hoàn thành nhiệm vụ"),
]
FIRST_DATA_ROW = 7
DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
]


def by_type_rows():
    return [
        LevelRow("Doanh nghiệp", {"HTXSNV": 1, "HTTNV": 1, "HTNV": 1}, undecided=0),
        LevelRow("Xã, phường", {"HTXSNV": 2, "HTTNV": 5, "KHTNV": 1}, undecided=3),
        LevelRow("Trường học", {"HTTNV": 7}, undecided=0),
    ]


def build(tables, title="Thống kê xếp loại", subtitle="Kỳ 2026 — Đảng bộ tỉnh"):
    data = statistics_workbook(
        title=title, subtitle=subtitle, tables=tables, levels=LEVELS
    )
    return data, openpyxl.load_workbook(io.BytesIO(data))


def table(rows, key="organizations-by-type", title="Tổ chức đảng theo loại hình"):
    return Table(key, title, "Loại hình", rows)


def data_rows(sheet, count):
    return list(
        sheet.iter_rows(
            min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW + count - 1, values_only=True
        )
    )


class WorkbookNumbersTests(SimpleTestCase):
    def test_counts_and_shares_equal_the_rows(self):
        rows = by_type_rows()
        _, workbook = build([table(rows)])
        sheet = workbook.worksheets[0]
        for row, values in zip(rows, data_rows(sheet, len(rows)), strict=True):
            expected = [row.label]
            for count, percent in row.cells(LEVELS):
                expected += [count, percent]
            expected += [row.undecided, row.total]
            self.assertEqual(list(values), expected)
        # 2 of 11 is 18%, the page's whole number, not a fraction.
        self.assertEqual(sheet.cell(FIRST_DATA_ROW + 1, 3).value, 18)
        self.assertEqual(sheet.cell(FIRST_DATA_ROW + 1, 3).number_format, "0")

    def test_total_row_sums_the_columns(self):
        rows = by_type_rows()
        with translation.override("en"):
            _, workbook = build([table(rows)])
        sheet = workbook.worksheets[0]
        *body, total = data_rows(sheet, len(rows) + 1)
        self.assertEqual(total[0], "Total")
        grand_total = sum(values[-1] for values in body)
        self.assertEqual(grand_total, 21)
        self.assertEqual(total[-1], grand_total)
        self.assertEqual(total[-2], sum(values[-2] for values in body))
        for count_column in range(1, 1 + 2 * len(LEVELS), 2):
            column_sum = sum(values[count_column] for values in body)
            self.assertEqual(total[count_column], column_sum)
            self.assertEqual(
                total[count_column + 1], round(100 * column_sum / grand_total)
            )
        self.assertTrue(sheet.cell(FIRST_DATA_ROW + len(rows), 1).font.b)

    def test_empty_table_has_a_zero_total(self):
        _, workbook = build([table([])])
        sheet = workbook.worksheets[0]
        values = next(sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
        self.assertEqual(values[1:], (0,) * (2 * len(LEVELS) + 2))

    def test_overlapping_rows_are_not_summed(self):
        rows = [
            LevelRow("Đảng viên", {"HTTNV": 10}),
            LevelRow("Trong đó lãnh đạo, quản lý", {"HTTNV": 2}),
        ]
        _, workbook = build([table(rows, key="levels", title="Xếp loại")])
        sheet = workbook.worksheets[0]
        self.assertEqual(sheet.max_row, FIRST_DATA_ROW + 1)
        self.assertEqual(sheet.cell(sheet.max_row, 1).value, rows[-1].label)


class WorkbookLayoutTests(SimpleTestCase):
    def test_title_subtitle_and_header(self):
        with translation.override("en"):
            _, workbook = build([table(by_type_rows())])
        sheet = workbook.worksheets[0]
        self.assertEqual(sheet["A1"].value, "Thống kê xếp loại")
        self.assertTrue(sheet["A1"].font.b)
        self.assertEqual(sheet["A2"].value, "Kỳ 2026 — Đảng bộ tỉnh")
        self.assertEqual(sheet["A3"].value, "Tổ chức đảng theo loại hình")
        self.assertEqual(sheet["A5"].value, "Loại hình")
        self.assertEqual(sheet["B5"].value, "HTXSNV\nHoàn thành xuất sắc nhiệm vụ")
        self.assertEqual(sheet["H5"].value, "KHTNV\nKhông hoàn thành nhiệm vụ")
        self.assertEqual(
            [sheet["B6"].value, sheet["C6"].value], ["Number", "Share (%)"]
        )
        self.assertEqual(
            [sheet["J5"].value, sheet["K5"].value], ["Not decided", "Total number"]
        )
        merged = {str(cells) for cells in sheet.merged_cells.ranges}
        self.assertTrue({"A5:A6", "B5:C5", "H5:I5", "J5:J6", "K5:K6"} <= merged)
        self.assertTrue(sheet["B5"].alignment.wrap_text)

    def test_frozen_below_the_header_and_printed_on_a4_landscape(self):
        _, workbook = build([table(by_type_rows())])
        sheet = workbook.worksheets[0]
        self.assertEqual(sheet.freeze_panes, "B7")
        self.assertEqual(sheet.page_setup.orientation, "landscape")
        self.assertEqual(int(sheet.page_setup.paperSize), int(sheet.PAPERSIZE_A4))
        self.assertEqual(int(sheet.page_setup.fitToWidth), 1)
        self.assertTrue(sheet.sheet_properties.pageSetUpPr.fitToPage)
        self.assertGreaterEqual(sheet.column_dimensions["A"].width, 24)


class FormulaInjectionTests(SimpleTestCase):
    def test_user_text_comes_back_as_text(self):
        rows = [LevelRow(label, {"HTTNV": 1}) for label in DANGEROUS]
        levels_table = Table("organizations-by-unit", "=1+1", "@heading", rows)
        data = statistics_workbook(
            title="=cmd|' /C calc'!A0",
            subtitle="-Kỳ 2026",
            tables=[levels_table],
            levels=[SimpleNamespace(code="=HTTNV", name="+tốt")],
        )
        sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
        texts = {
            "A1": "=cmd|' /C calc'!A0",
            "A2": "-Kỳ 2026",
            "A3": "=1+1",
            "A5": "@heading",
            "B5": "=HTTNV\n+tốt",
        }
        for row, label in enumerate(DANGEROUS, start=FIRST_DATA_ROW):
            # A cell's line break is "\n"; a carriage return becomes one.
            texts[f"A{row}"] = label.replace("\r", "\n")
        for address, text in texts.items():
            with self.subTest(address=address):
                self.assertEqual(sheet[address].data_type, "s")
                self.assertEqual(sheet[address].value, text)
                self.assertTrue(sheet[address].quotePrefix)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/"):
                    xml = archive.read(name).decode()
                    self.assertIsNone(re.search(r"<f[\s>/]", xml), name)

    def test_control_characters_are_dropped_not_fatal(self):
        rows = [LevelRow("Chi bộ\x01 A\x1f", {"HTTNV": 1})]
        _, workbook = build([table(rows)])
        self.assertEqual(workbook.worksheets[0]["A7"].value, "Chi bộ A")


class SheetNameTests(SimpleTestCase):
    def test_names_are_valid_and_unique(self):
        long_title = "Đảng viên theo đơn vị trực thuộc của Đảng bộ tỉnh Kon Tum"
        titles = [
            long_title,
            long_title + " (năm sau)",
            "Tỷ lệ [HTXSNV]: 20%? a/b\\c*",
            "tỷ lệ  HTXSNV   20%  a b c",
            "'Trích'",
            "[]:*?",
            "History",
        ]
        _, workbook = build([table(by_type_rows(), title=t) for t in titles])
        names = workbook.sheetnames
        self.assertEqual(len(names), len(titles))
        self.assertEqual(len({name.casefold() for name in names}), len(titles))
        for name in names:
            with self.subTest(name=name):
                self.assertTrue(0 < len(name) <= 31)
                self.assertIsNone(re.search(r"[\[\]:*?/\\]", name))
                self.assertFalse(name.startswith("'") or name.endswith("'"))
        self.assertEqual(names[0], long_title[:31].rstrip())
        self.assertTrue(names[1].endswith("(2)"))
        self.assertEqual(names[2], "Tỷ lệ HTXSNV 20% a b c")
        self.assertEqual(names[3], "tỷ lệ HTXSNV 20% a b c (2)")
        self.assertEqual(names[4], "Trích")
        self.assertNotEqual(names[6].casefold(), "history")
        # The full title stays on the sheet even when its name is cut short.
        self.assertEqual(workbook.worksheets[0]["A3"].value, long_title)
