"""From a document's HTML to its PDF with WeasyPrint, which reads nothing but
the app's own static files and the Liberation fonts (`safe_url_fetcher`).
"""

import functools
import gc
import posixpath
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import cssselect2
import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from kontum_review.collector import collector_paused

from .fonts import FontSubsets, install_font_subsets
from .lines import install_kept_lines, lines_kept
from .tree import UA_STYLESHEET, document_tree

install_font_subsets()
install_kept_lines()

FONTS_DIR = Path("/usr/share/fonts/truetype/liberation2")

# Relative URLs in the templates ({% static %}) resolve against this, so the
# fetcher sees file:///static/... and maps it through the staticfiles finders.
BASE_URL = "file:///"

STYLESHEET_URL = "file:///static/reports/document.css"

MIME_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


class SafeURLFetcher(URLFetcher):
    """Serve the app's static files and the Liberation fonts; refuse anything else.

    A member's text is escaped, so it never becomes markup; this is the second
    wall: even a URL that reached WeasyPrint is neither fetched nor read.
    """

    def fetch(self, url, headers=None):
        path = self.local_path(url)
        return URLFetcherResponse(
            path.as_uri(),
            path.read_bytes(),
            {"Content-Type": MIME_TYPES.get(path.suffix.lower(), "")},
        )

    def local_path(self, url):
        static_url = settings.STATIC_URL
        if "://" in static_url and url.startswith(static_url):
            return self.found(url[len(static_url) :])
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"Refused to fetch {url!r}: not a static file.")
        path = unquote(parts.path)
        static_prefix = "/" + static_url.strip("/") + "/"
        if path.startswith(static_prefix):
            return self.found(path[len(static_prefix) :])
        resolved = Path(path).resolve()
        inside = any(resolved.is_relative_to(root) for root in allowed_roots())
        if inside and resolved.is_file():
            return resolved
        raise ValueError(f"Refused to fetch {url!r}: outside the static files.")

    @staticmethod
    def found(relative):
        relative = unquote(relative.split("?")[0].split("#")[0])
        if posixpath.normpath(relative) != relative or relative.startswith("/"):
            raise ValueError(f"Refused to fetch static file {relative!r}.")
        try:
            path = finders.find(relative)
        except SuspiciousFileOperation as error:
            raise ValueError(f"Refused to fetch static file {relative!r}.") from error
        if not path:
            raise ValueError(f"No static file {relative!r}.")
        return Path(path)


def allowed_roots():
    roots = [
        Path(entry[1] if isinstance(entry, (list, tuple)) else entry).resolve()
        for entry in settings.STATICFILES_DIRS
    ]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    roots.append(FONTS_DIR.resolve())
    return roots


safe_url_fetcher = SafeURLFetcher()


def page_css():
    """The @page rule: A4, REPORT_MARGINS_MM, page numbers from page 2 at the top."""
    top, bottom, left, right = getattr(settings, "REPORT_MARGINS_MM", (20, 20, 30, 15))
    return (
        "@page { size: A4 portrait; "
        f"margin: {top}mm {right}mm {bottom}mm {left}mm; "
        "@top-center { content: counter(page); vertical-align: middle; "
        'font-family: "Liberation Serif", serif; '
        "font-size: 14pt; } }\n"
        "@page :first { @top-center { content: none; } }\n"
    )


# Parsing document.css and loading its four fonts cost as much as laying out a
# form, so they are done once and reused, with the fonts' subsets (`FontSubsets`).
# Once per thread: Pango and Fontconfig objects must not be shared between
# threads (the embedded default renders in threads of the web process).
parsed = threading.local()


def stylesheets():
    """The fonts and the stylesheets of every document, parsed once per thread."""
    page = page_css()
    if getattr(parsed, "page", None) != page:
        font_config = FontConfiguration()
        parsed.font_subsets = FontSubsets()
        parsed.sheets = (
            font_config,
            [
                weasyprint.CSS(
                    url=STYLESHEET_URL,
                    url_fetcher=safe_url_fetcher,
                    font_config=font_config,
                ),
                weasyprint.CSS(string=page, font_config=font_config),
            ],
        )
        parsed.page = page
    return parsed.sheets


class DocumentHTML(weasyprint.HTML):
    """A document's HTML, read by expat where `document_tree` can, and styled
    with the user agent rules of the tags it holds; else as WeasyPrint reads
    any HTML. The attributes set are those HTML.__init__ sets (WeasyPrint 70).
    """

    def __init__(self, html, base_url, url_fetcher):
        root = document_tree(html)
        self.read_by_expat = root is not None
        if root is None:
            super().__init__(string=html, base_url=base_url, url_fetcher=url_fetcher)
            return
        # Without a <base> (not among the tags read), the base URL is given.
        self.base_url = base_url
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(
            root, content_language=None
        )
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms=False):
        if self.read_by_expat and not forms:
            return [user_agent_stylesheet()]
        return super()._ua_stylesheets(forms)


@functools.cache
def user_agent_stylesheet():
    """The user agent rules of the templates' tags, parsed once per process
    (as WeasyPrint's own: a stylesheet without fonts is shared by threads)."""
    return weasyprint.CSS(string=UA_STYLESHEET)


def render_pdf(html, base_url=BASE_URL):
    """The PDF of a rendered document; pass BASE_URL so {% static %} URLs resolve.

    WeasyPrint makes some 200,000 short-lived objects a form, 16,000 of them
    in reference cycles: the cyclic collector, left running, walked them a
    hundred times a form and the whole process now and then (19 ms a form on
    average). Paused while it renders, it then collects the young objects once
    (3.5 ms), so that the document's garbage goes with it. Its fonts are
    embedded from the thread's subsets (`fonts.py`), its lines drawn as they
    were shaped (`lines.py`).
    """
    font_config, sheets = stylesheets()
    with collector_paused(), parsed.font_subsets.used(), lines_kept():
        document = DocumentHTML(html, base_url or BASE_URL, safe_url_fetcher)
        pdf = document.write_pdf(stylesheets=sheets, font_config=font_config)
        del document
    gc.collect(0)
    return pdf
