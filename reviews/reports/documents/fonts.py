"""The documents' fonts, subset and deflated once for each set of glyphs.

WeasyPrint embeds each face a document uses cut down to the glyphs it draws:
HarfBuzz subsets the face twice, then the subset is deflated at level 9, about
1 ms a face. The italic and bold italic faces of a form draw the form's own
wording, the same glyphs in nearly every form (196 forms in 200), and many
regular and bold faces repeat too. `FontSubsets` keeps the subset and its
deflated bytes by the glyphs they hold, for the process's font configuration,
and hands them to the next document that needs the same glyphs: its PDF is
the same, byte for byte (tests/reviews/test_document_fonts.py).

WeasyPrint 70 has no hook for this: `generate_pdf` calls the module's
`build_fonts_dictionary`, which `install_font_subsets()` wraps. The wrapper
does nothing unless a thread renders through `FontSubsets.used()`
(`render_pdf`), so that any other WeasyPrint document is embedded as
WeasyPrint does it.
"""

import contextlib
import threading
import zlib
from collections import OrderedDict

import pydyf
import weasyprint.pdf

weasyprint_build_fonts_dictionary = weasyprint.pdf.build_fonts_dictionary

rendering = threading.local()


class FontSubsets:
    """Subset faces and their deflated bytes, the most recently used kept.

    A face is known by its description (WeasyPrint's `Font.hash`) and the size
    and glyph count of its file: the font configuration that found it is the
    cache's own, so a description names one file. A face whose embedding
    depends on more than its glyphs (a variable font, colour glyphs, a bitmap
    font) is embedded by WeasyPrint as usual.
    """

    def __init__(self, size=256):
        self.size = size
        self.entries = OrderedDict()

    @contextlib.contextmanager
    def used(self):
        """Within it, this thread's documents embed their fonts from the cache."""
        rendering.subsets = self
        try:
            yield
        finally:
            rendering.subsets = None

    def build(self, pdf, fonts, compress, subset, options):
        """WeasyPrint's `build_fonts_dictionary`, with the subsets kept."""
        if not (subset and compress):
            return weasyprint_build_fonts_dictionary(
                pdf, fonts, compress, subset, options
            )
        first_object = len(pdf.objects)
        hits, misses, cached_faces = [], [], []
        for font, glyphs in embedded_faces(fonts):
            key = self.key(font, glyphs, options)
            if key is None:
                continue
            entry = self.entries.get(key)
            if entry is None:
                misses.append((font, key))
            else:
                self.entries.move_to_end(key)
                font.file_content = entry[0]
                # Cleaned already: an attribute of the instance, not its class.
                font.clean = already_clean
                cached_faces.append(font)
                hits.append(entry)
        try:
            result = weasyprint_build_fonts_dictionary(
                pdf, fonts, compress, subset, options
            )
        finally:
            for font in cached_faces:
                del font.clean
        for font, key in misses:
            entry = (font.file_content, deflated(font.file_content))
            self.entries[key] = entry
            hits.append(entry)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        use_deflated(pdf.objects[first_object:], hits)
        return result

    @staticmethod
    def key(font, glyphs, options):
        if not glyphs or font.bitmap or font.png or font.svg or font.colr:
            return None
        if "fvar" in font.tables:
            return None
        return (
            font.hash,
            font.index,
            font.glyph_count,
            len(font.file_content),
            frozenset(glyphs),
            bool(font.missing),
            bool(options["hinting"]),
        )


def embedded_faces(fonts):
    """Each file's first font and the glyphs of all its fonts, as WeasyPrint
    subsets them (fonts used in PDF forms are embedded whole, not subset)."""
    faces = {}
    for font in fonts.values():
        faces.setdefault(font.hash, []).append(font)
    for same_file in faces.values():
        first = same_file[0]
        if first.used_in_forms:
            continue
        glyphs = set()
        for font in same_file:
            glyphs.update(font.to_unicode)
        yield first, glyphs


def already_clean(to_unicode, hinting):
    """A cached face's `clean`: its file is the subset already."""


def deflated(content):
    """The font file as pydyf deflates a stream (level 9)."""
    compressor = zlib.compressobj(level=9)
    return compressor.compress(content) + compressor.flush()


def use_deflated(objects, entries):
    """Give each font file stream its deflated bytes, so as not to deflate it
    again: the same dictionary (Length1, Filter, Length) and the same bytes."""
    by_content = {id(content): compressed for content, compressed in entries}
    for stream in objects:
        if not (isinstance(stream, pydyf.Stream) and stream.compress):
            continue
        if len(stream.stream) != 1 or id(stream.stream[0]) not in by_content:
            continue
        stream.stream = [by_content[id(stream.stream[0])]]
        stream.extra["Filter"] = "/FlateDecode"
        stream.compress = False


def build_fonts_dictionary(pdf, fonts, compress, subset, options):
    subsets = getattr(rendering, "subsets", None)
    if subsets is None:
        return weasyprint_build_fonts_dictionary(pdf, fonts, compress, subset, options)
    return subsets.build(pdf, fonts, compress, subset, options)


def install_font_subsets():
    """Wrap WeasyPrint's font embedding; the wrapper defers to it unless used."""
    weasyprint.pdf.build_fonts_dictionary = build_fonts_dictionary
