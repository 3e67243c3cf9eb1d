"""The documents' HTML read by expat (reviews/reports/documents/tree.py) and
rendered with the collector paused: the same tree and the same PDF, byte for
byte, as WeasyPrint's own parser and user agent stylesheet give."""

import gc
import threading
from unittest import mock

import tinyhtml5
import weasyprint
from django.test import SimpleTestCase

from reviews.reports import documents
from reviews.reports.documents import pdf
from reviews.reports.documents.tree import document_tree
from tests.reviews.test_report_documents import DocumentData, Kind, pdf_text


def outline(root):
    """Every element's tag, attributes, text and tail, in document order."""
    return [
        (element.tag, sorted(element.attrib.items()), element.text, element.tail)
        for element in root.iter()
    ]


def html5_tree(html):
    return tinyhtml5.parse(html, namespace_html_elements=False)


def weasyprint_pdf(html):
    """The PDF as WeasyPrint makes it of any HTML: tinyhtml5, its whole UA sheet."""
    font_config, sheets = pdf.stylesheets()
    document = weasyprint.HTML(
        string=html, base_url=pdf.BASE_URL, url_fetcher=pdf.safe_url_fetcher
    )
    return document.write_pdf(stylesheets=sheets, font_config=font_config)


PAGE = (
    '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
    "<title>T</title>\n</head>\n<body>\n{}\n</body>\n</html>\n"
)


class DocumentTreeTests(DocumentData):
    def test_each_document_is_read_as_the_html5_parser_reads_it(self):
        for kind, subject in self.subjects().items():
            html = documents.render_html(kind, self.cycle, **subject)
            with self.subTest(kind=kind):
                root = document_tree(html)
                if kind == Kind.SUMMARY:
                    # Its charts are inline SVG: left to the HTML5 parser.
                    self.assertIsNone(root)
                    continue
                self.assertIsNotNone(root)
                self.assertEqual(outline(root), outline(html5_tree(html)))

    def test_each_pdf_is_the_one_weasyprint_makes_byte_for_byte(self):
        for kind, subject in self.subjects().items():
            html = documents.render_html(kind, self.cycle, **subject)
            with self.subTest(kind=kind):
                self.assertEqual(documents.render_pdf(html), weasyprint_pdf(html))

    def test_a_hostile_answer_is_read_as_text(self):
        html = documents.render_html(
            Kind.INDIVIDUAL_FORM, self.cycle, review=self.review_a
        )
        root = document_tree(html)
        self.assertFalse(any(element.tag == "img" for element in root.iter()))
        text = pdf_text(documents.render_pdf(html))
        self.assertIn('<img src="http://example.invalid/x.png">', text)


class DocumentTreeRefusalTests(SimpleTestCase):
    def test_the_rows_of_a_table_go_in_a_tbody_as_html5_puts_them(self):
        html = PAGE.format(
            '<table class="x">\n  <tr>\n    <td>a<br>b</td>\n  </tr>\n</table>'
        )
        root = document_tree(html)
        tags = ["html", "head", "meta", "title", "body", "table", "tbody"]
        tags += ["tr", "td", "br"]
        self.assertEqual([element.tag for element in root.iter()], tags)
        self.assertEqual(outline(root), outline(html5_tree(html)))

    def test_what_html5_might_read_otherwise_is_left_to_it(self):
        for body in (
            "<!-- a comment -->",
            "<p><![CDATA[text]]></p>",
            "<?php echo 1 ?>",
            "<p>a&nbsp;b</p>",
            "<p>&#128;</p>",
            "<p><div>a block in a paragraph</div></p>",
            "<p><b><div>a block in a paragraph</div></b></p>",
            "<div><tr><td>a row outside a table</td></tr></div>",
            "<table><tr><td>a</td></tr>text in a table</table>",
            "<table><thead><tr><th>a</th></tr></thead><tr><td>b</td></tr></table>",
            "<ul><li>a tag not in the templates</li></ul>",
            '<p dir="rtl">an attribute not in the templates</p>',
            '<p style="color: red">an attribute not in the templates</p>',
            "<h2><h3>a heading in a heading</h3></h2>",
            "<p>unclosed",
            "<br>text in a void element</br>",
        ):
            with self.subTest(body=body):
                self.assertIsNone(document_tree(PAGE.format(body)))
        self.assertIsNone(document_tree(PAGE.format("<p>a</p>") + "<p>after</p>"))
        self.assertIsNone(document_tree(PAGE.format("<p>a</p>")[16:]))

    def test_html_left_to_html5_renders_with_the_full_user_agent_sheet(self):
        html = PAGE.format("<ul><li>Một</li><li>Hai</li></ul>")
        document = pdf.DocumentHTML(html, pdf.BASE_URL, pdf.safe_url_fetcher)
        self.assertFalse(document.read_by_expat)
        rendered = documents.render_pdf(html)
        self.assertEqual(rendered, weasyprint_pdf(html))
        # The list's markers come from rules the small sheet leaves out.
        text = pdf_text(rendered)
        self.assertEqual(text.count("•"), 2, text)
        self.assertIn("Một", text)

    def test_the_small_user_agent_sheet_is_parsed_once(self):
        html = PAGE.format("<p>Một</p>")
        first = pdf.DocumentHTML(html, pdf.BASE_URL, pdf.safe_url_fetcher)
        second = pdf.DocumentHTML(html, pdf.BASE_URL, pdf.safe_url_fetcher)
        self.assertTrue(first.read_by_expat)
        (sheet,) = first._ua_stylesheets()
        self.assertIs(second._ua_stylesheets()[0], sheet)
        full = weasyprint.HTML(string=html)._ua_stylesheets(forms=True)
        self.assertEqual(first._ua_stylesheets(forms=True), full)


class CollectorTests(SimpleTestCase):
    def test_the_collector_is_paused_while_rendering_and_runs_after(self):
        seen = []
        write_pdf = pdf.DocumentHTML.write_pdf

        def watched(document, **options):
            seen.append(gc.isenabled())
            return write_pdf(document, **options)

        self.assertTrue(gc.isenabled())
        with (
            mock.patch.object(pdf.DocumentHTML, "write_pdf", watched),
            mock.patch.object(pdf.gc, "collect", wraps=gc.collect) as collect,
        ):
            rendered = documents.render_pdf(PAGE.format("<p>Một</p>"))
        self.assertEqual(seen, [False])
        self.assertTrue(gc.isenabled())
        collect.assert_called_once_with(0)
        self.assertIn("Một", pdf_text(rendered))

    def test_the_collector_runs_again_after_a_failure(self):
        with (
            mock.patch.object(pdf.DocumentHTML, "write_pdf", side_effect=OSError),
            self.assertRaises(OSError),
        ):
            documents.render_pdf(PAGE.format("<p>Một</p>"))
        self.assertTrue(gc.isenabled())


class StylesheetCacheTests(SimpleTestCase):
    def test_the_stylesheets_and_fonts_are_parsed_once_a_thread(self):
        first = pdf.stylesheets()
        with mock.patch.object(
            pdf.safe_url_fetcher, "fetch", wraps=pdf.safe_url_fetcher.fetch
        ) as fetch:
            rendered = documents.render_pdf(PAGE.format("<p>Một</p>"))
        self.assertIs(pdf.stylesheets(), first)
        # Neither document.css nor its fonts are read again for a document.
        self.assertEqual(fetch.call_count, 0)
        self.assertIn("Một", pdf_text(rendered))
        other = []
        thread = threading.Thread(target=lambda: other.append(pdf.stylesheets()))
        thread.start()
        thread.join()
        self.assertIsNot(other[0], first)
        self.assertIsNot(other[0][0], first[0])
