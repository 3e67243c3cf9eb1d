"""The dashboard's tables write their figures as Django's localize() would."""

from django.test import SimpleTestCase, override_settings
from django.utils import translation
from django.utils.formats import localize
from django.utils.html import json_script
from django.utils.translation import gettext_lazy

from reviews.templatetags.dashboard import chart_data, figure_cells, whole_numbers

NUMBERS = [0, 7, -7, 999, 1000, -1000, 7708, 31000, 310000, 1234567, -9876543210]


class WholeNumberTests(SimpleTestCase):
    def assert_as_localize(self):
        write = whole_numbers()
        for number in [*NUMBERS, 12.5, True]:
            with self.subTest(number=number):
                self.assertEqual(write(number), localize(number))

    def test_each_language_as_localize(self):
        for language, thousands in (("vi", "7.708"), ("en", "7,708")):
            with self.subTest(language=language), translation.override(language):
                self.assert_as_localize()
                # The separators differ, so the comparison compares something.
                self.assertEqual(whole_numbers()(7708), thousands)

    @override_settings(USE_THOUSAND_SEPARATOR=False)
    def test_without_the_thousand_separator_as_localize(self):
        with translation.override("vi"):
            self.assert_as_localize()
            self.assertEqual(whole_numbers()(7708), "7708")

    def test_a_table_row_writes_its_counts_and_shares(self):
        cells = [
            {"count": 31000, "url": "/dashboard/list/?a=1&b=2", "percent": 100},
            {"count": 0, "url": "/dashboard/list/", "first": True},
        ]
        with translation.override("vi"):
            html = figure_cells(cells)
        self.assertEqual(
            html,
            '<td class="text-end text-nowrap"><a href="/dashboard/list/?a=1&amp;b=2">'
            '31.000</a> <span class="dashboard-percent">100%</span></td>'
            '<td class="text-end text-nowrap border-start">0</td>',
        )


class ChartDataTests(SimpleTestCase):
    def test_a_chart_is_written_as_json_script_writes_it(self):
        chart = {
            "labels": [
                "Chi bộ Tổ dân phố 1",
                "</script><b>&amp;",
                gettext_lazy("Total"),
            ],
            "data": [1, 2.5, None, True],
            "nested": {"a&b": ["<>", "'\"\\"]},
        }
        written = chart_data(chart, 'chart-"1"-data')
        self.assertEqual(written, json_script(chart, 'chart-"1"-data'))
        # The escapes are there: nothing in the JSON can close the script.
        self.assertNotIn("</script><b>", written)
        self.assertIn("\\u003C/script\\u003E\\u003Cb\\u003E\\u0026amp;", written)
