"""The documents' fonts subset and deflated once for each set of glyphs
(reviews/reports/documents/fonts.py): every PDF the same, byte for byte, as
WeasyPrint's own embedding gives, whether its faces were cached or not."""

from unittest import mock

import weasyprint
from weasyprint.pdf.fonts import Font

from reviews.reports import documents
from reviews.reports.documents import fonts, pdf
from tests.reviews.test_document_tree import PAGE, weasyprint_pdf
from tests.reviews.test_report_documents import DocumentData, pdf_text


def cold_cache(size=256):
    """This thread's documents start again from an empty cache."""
    pdf.stylesheets()
    pdf.parsed.font_subsets = fonts.FontSubsets(size)
    return pdf.parsed.font_subsets


def subsetting():
    """Counts WeasyPrint's subsetting of a face (HarfBuzz)."""
    return mock.patch.object(
        Font, "_harfbuzz_subset", autospec=True, side_effect=Font._harfbuzz_subset
    )


class DocumentFontTests(DocumentData):
    def test_each_document_embeds_its_fonts_as_weasyprint_does_cold_and_warm(self):
        for kind, subject in self.subjects().items():
            html = documents.render_html(kind, self.cycle, **subject)
            with self.subTest(kind=kind):
                cache = cold_cache()
                expected = weasyprint_pdf(html)
                with subsetting() as subset:
                    self.assertEqual(documents.render_pdf(html), expected)
                self.assertGreaterEqual(subset.call_count, 2)
                self.assertEqual(len(cache.entries), subset.call_count)
                with subsetting() as subset:
                    self.assertEqual(documents.render_pdf(html), expected)
                subset.assert_not_called()

    def test_a_face_already_cut_for_other_glyphs_is_cut_again(self):
        cache = cold_cache()
        html = PAGE.format('<p class="empty">Nguyễn Văn A</p>')
        documents.render_pdf(html)
        known = len(cache.entries)
        other = PAGE.format('<p class="empty">Trần Thị Bích</p>')
        expected = weasyprint_pdf(other)
        with subsetting() as subset:
            self.assertEqual(documents.render_pdf(other), expected)
        self.assertEqual(subset.call_count, 1)
        self.assertEqual(len(cache.entries), known + 1)
        self.assertIn("Trần Thị Bích", pdf_text(documents.render_pdf(other)))

    def test_glyphs_no_font_has_and_fallback_faces_embed_as_weasyprint_does(self):
        cold_cache()
        # A private use character no font draws (WeasyPrint's .notdef path), a
        # Chinese name from a system face, and the same again from the cache.
        html = PAGE.format("<p>Lý \ue000 李小龍 <b>Đảng</b> <i>ủy</i></p>")
        expected = weasyprint_pdf(html)
        self.assertEqual(documents.render_pdf(html), expected)
        with subsetting() as subset:
            self.assertEqual(documents.render_pdf(html), expected)
        subset.assert_not_called()

    def test_other_weasyprint_documents_are_embedded_as_weasyprint_does(self):
        cache = cold_cache()
        html = PAGE.format("<p>Bản kiểm điểm</p>")
        with subsetting() as subset:
            weasyprint.HTML(string=html).write_pdf()
            weasyprint_pdf(html)
        self.assertEqual(subset.call_count, 2)
        self.assertEqual(len(cache.entries), 0)

    def test_uncompressed_or_whole_fonts_are_left_to_weasyprint(self):
        cache = cold_cache()
        html = PAGE.format("<p>Bản kiểm điểm</p>")
        font_config, sheets = pdf.stylesheets()
        for options in ({"uncompressed_pdf": True}, {"full_fonts": True}):
            with self.subTest(options=options):
                document = weasyprint.HTML(
                    string=html, url_fetcher=pdf.safe_url_fetcher
                )
                expected = document.write_pdf(
                    stylesheets=sheets, font_config=font_config, **options
                )
                with cache.used():
                    rendered = document.write_pdf(
                        stylesheets=sheets, font_config=font_config, **options
                    )
                self.assertEqual(rendered, expected)
                self.assertEqual(len(cache.entries), 0)

    def test_the_least_recently_used_subsets_are_let_go(self):
        cache = cold_cache(size=2)
        for name in ("An", "Bình", "Cường", "Dũng"):
            html = PAGE.format(f"<p>{name}</p>")
            self.assertEqual(documents.render_pdf(html), weasyprint_pdf(html))
            self.assertLessEqual(len(cache.entries), 2)
        self.assertEqual(len(cache.entries), 2)
