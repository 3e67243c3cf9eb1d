"""The documents' lines of text drawn as they were shaped, not shaped again.

WeasyPrint breaks a text box's lines with a Pango layout, then lets the layout
go (`Layout.deactivate`) and makes it again to draw the page
(`Layout.reactivate`): a new Pango context and layout, and the text shaped by
HarfBuzz a second time. That keeps a book's memory low. A form is three pages,
and its lines drawn from the layouts that broke them are the same PDF, byte
for byte (tests/reviews/test_document_lines.py), for about 5% less CPU (a
wrapped line is shaped twice while its line is broken, and the drawing's
shaping was a third).

While `render_pdf` renders (`lines_kept()`), a layout let go after its line
was broken is kept as it is, and drawn from, except:

- a text with a paragraph separator: WeasyPrint draws a line in Pango's
  single paragraph mode, which lays such a text out again. Every other text
  is set in that mode from the start, where it changes nothing and spares
  the second shaping;
- a justified line: its spaces are widened when it is drawn, so its text is
  set again with them;
- a layout drawn with another style than it was laid out with.

Once drawn, a layout is let go as WeasyPrint does; drawn a second time (boxes
copied share their layout), it is made again.

WeasyPrint 70 has no hook for this: `install_kept_lines()` wraps three
methods of its `Layout`, and the wrappers do what WeasyPrint does unless the
thread renders within `lines_kept()`.
"""

import contextlib
import threading

from weasyprint.text.ffi import pango
from weasyprint.text.line_break import Layout

PARAGRAPH_SEPARATORS = ("\n", "\r", "\x85", "\u2028", "\u2029")

weasyprint_set_text = Layout.set_text
weasyprint_deactivate = Layout.deactivate
weasyprint_reactivate = Layout.reactivate

rendering = threading.local()


@contextlib.contextmanager
def lines_kept():
    """Within it, this thread's documents draw the lines as they were shaped."""
    rendering.keep = True
    try:
        yield
    finally:
        rendering.keep = False


def keeping():
    return getattr(rendering, "keep", False)


def set_text(self, text, justify=False):
    # Once drawing, the mode is WeasyPrint's (an ellipsis sets the text again).
    if keeping() and not getattr(self, "drawn", False):
        self.one_paragraph = not any(mark in text for mark in PARAGRAPH_SEPARATORS)
        # Before the text, so that Pango lays it out once, in the mode drawn.
        pango.pango_layout_set_single_paragraph_mode(self.layout, self.one_paragraph)
    weasyprint_set_text(self, text, justify)


def deactivate(self):
    if (
        keeping()
        and not getattr(self, "drawn", False)
        and getattr(self, "one_paragraph", False)
        and not self.justification_spacing
    ):
        self.kept = True
        return
    self.kept = False
    weasyprint_deactivate(self)


def reactivate(self, style):
    self.drawn = True
    if getattr(self, "kept", False) and style is self.style:
        return
    weasyprint_reactivate(self, style)


def install_kept_lines():
    """Wrap WeasyPrint's layouts; the wrappers defer to it unless used."""
    Layout.set_text = set_text
    Layout.deactivate = deactivate
    Layout.reactivate = reactivate
