"""The documents' lines drawn as they were shaped (reviews/reports/documents/
lines.py): every PDF the same, byte for byte, as WeasyPrint makes it when it
shapes each line again to draw it."""

from unittest import mock

import weasyprint
from weasyprint.formatting_structure import boxes

from reviews.reports import documents
from reviews.reports.documents import lines
from tests.reviews.test_document_tree import PAGE, weasyprint_pdf
from tests.reviews.test_report_documents import DocumentData, pdf_text

LONG = "Tự phê bình và phê bình nghiêm túc, thẳng thắn, chân thành. " * 40

# Texts a layout cannot be drawn from as it was shaped, and texts it can,
# beside each other on pages that break inside them.
HARD_TEXTS = f"""
<p class="pre">Dòng một\nDòng hai\r\nDòng ba</p>
<p>Đoạn một\u2029đoạn hai\u2028dòng hai\x85dòng ba</p>
<p class="pre">Cột\tmột\tvà\thai</p>
<p class="shy">Nghiêm\xadtúc nghiêm\xadtúc nghiêm\xadtúc nghiêm\xadtúc nghiêm\xadtúc
nghiêm\xadtúc nghiêm\xadtúc nghiêm\xadtúc nghiêm\xadtúc nghiêm\xadtúc</p>
<p>{"Khôngcókhoảngtrắng" * 12}</p>
<div class="clamp">Dòng một\nDòng hai\nDòng ba dài hơn một chút\nDòng bốn</div>
<div class="clamp">{LONG}</div>
<p class="cut">Một dòng quá dài bị cắt bớt ở cuối bằng dấu ba chấm {LONG}</p>
<p dir="rtl" lang="ar">النقد الذاتي والنقد</p>
<p><b>Đậm</b> <i>nghiêng</i> <b><i>đậm nghiêng</i></b> <span class="spaced">giãn chữ
giãn chữ</span> <span class="words">giãn từ giãn từ</span></p>
<table><thead><tr><th>Họ và tên</th><th>Xếp loại</th></tr></thead><tbody>
{"<tr><td>Nguyễn Văn A</td><td>Hoàn thành tốt nhiệm vụ</td></tr>" * 60}
</tbody></table>
<p>{LONG}</p>
"""

STYLE = """<style>
.pre { white-space: pre-wrap; }
.shy { hyphens: manual; width: 4cm; }
.cut { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.clamp { white-space: pre-wrap; line-clamp: 3; width: 5cm; }
.spaced { letter-spacing: 1pt; }
.words { word-spacing: 3pt; }
</style>"""


def reshaping():
    """Counts the layouts WeasyPrint makes again to draw them."""
    return mock.patch.object(
        lines, "weasyprint_reactivate", side_effect=lines.weasyprint_reactivate
    )


def laid_out(body):
    """A document laid out with its lines kept, and its text boxes' layouts."""
    with lines.lines_kept():
        document = weasyprint.HTML(string=PAGE.format(body)).render()
    return document, [
        box.pango_layout
        for box in document.pages[0]._page_box.descendants()
        if isinstance(box, boxes.TextBox) and box.text.strip()
    ]


class DocumentLinesTests(DocumentData):
    def test_each_document_is_drawn_as_weasyprint_draws_it(self):
        for kind, subject in self.subjects().items():
            html = documents.render_html(kind, self.cycle, **subject)
            with self.subTest(kind=kind):
                with reshaping() as made_again:
                    expected = weasyprint_pdf(html)
                drawn = made_again.call_count
                with reshaping() as made_again:
                    self.assertEqual(documents.render_pdf(html), expected)
                # Only the justified lines are shaped again.
                self.assertGreater(drawn, 20)
                self.assertLess(made_again.call_count, drawn / 2)

    def test_texts_drawn_otherwise_than_shaped_are_shaped_again(self):
        html = PAGE.format(HARD_TEXTS).replace("</head>", STYLE + "</head>")
        expected = weasyprint_pdf(html)
        rendered = documents.render_pdf(html)
        self.assertEqual(rendered, expected)
        text = pdf_text(rendered)
        for words in ("Dòng hai", "Cột", "النقد", "đậm nghiêng", "Hoàn thành tốt"):
            with self.subTest(words=words):
                self.assertIn(words, text)

    def test_a_layout_drawn_twice_is_made_again_the_second_time(self):
        document, [layout] = laid_out("<p>Bản kiểm điểm</p>")
        self.assertTrue(layout.kept)
        with lines.lines_kept(), reshaping() as made_again:
            first = document.write_pdf()
            second = document.write_pdf()
        self.assertEqual(made_again.call_count, 1)
        self.assertEqual(first, second)
        self.assertFalse(layout.kept)

    def test_a_layout_drawn_with_another_style_is_made_again(self):
        document, [plain, bold] = laid_out("<p>Bản kiểm điểm <b>Chi bộ</b></p>")
        with lines.lines_kept(), reshaping() as made_again:
            plain.reactivate(plain.style)
            bold.reactivate(plain.style)
        self.assertEqual(made_again.call_count, 1)
        self.assertEqual(made_again.call_args.args, (bold, plain.style))

    def test_other_weasyprint_documents_shape_each_line_again(self):
        html = PAGE.format("<p>Bản kiểm điểm</p><p>Chi bộ</p>")
        with reshaping() as made_again:
            weasyprint.HTML(string=html).write_pdf()
        self.assertEqual(made_again.call_count, 2)
        self.assertFalse(lines.keeping())
