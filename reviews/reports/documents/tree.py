"""A document's HTML read into the tree WeasyPrint's HTML parser would build,
by expat, and the user agent stylesheet of the tags it holds.

WeasyPrint parses HTML with tinyhtml5, an HTML5 parser in pure Python: 11 ms
of CPU for an individual form, about a twentieth of its PDF. The templates
write well-formed markup but for the void elements, so expat (C) reads the
same HTML in well under a millisecond once `<br>`, `<col>` and `<meta>` are
closed. `document_tree` then does what HTML5 parsing adds to such markup (a
table's rows go in a tbody, the whitespace after the body goes inside it) and
gives up, returning None, on anything it does not know: another tag or
attribute, a comment, an entity XML lacks, text that HTML5 would move out of a
table, a block inside a paragraph. The caller then parses with tinyhtml5 as
WeasyPrint does. tests/reviews/test_document_tree.py compares both trees and
both PDFs, byte for byte, for every kind of document. Member text reaches the
markup escaped by Django, so it never becomes a tag, a DTD or an entity.

`UA_STYLESHEET` holds the rules of WeasyPrint 70's html5_ua.css whose subject
is one of those tags, in their order, and none of the rules that every element
is matched against (`[hidden]`, `[dir]`, `::marker`, form fields ...): with
it a form's styles are computed in 4 ms less. It is used only for a tree
`document_tree` read, where none of the dropped rules can match.
"""

import re
import xml.etree.ElementTree as ElementTree

# The tags the document templates write (and the <br> of linebreaksbr), each
# with the children it may hold; anything else is left to the HTML5 parser.
# Paragraphs and headings hold phrasing only: HTML5 closes a paragraph where a
# block starts, which XML would keep inside it; a title holds text alone.
PHRASING = frozenset({"b", "br", "i", "span"})
FLOW = PHRASING | {"div", "h2", "h3", "p", "table"}
CHILDREN = {
    "head": frozenset({"meta", "title"}),
    "body": FLOW,
    "div": FLOW,
    "td": FLOW,
    "th": FLOW,
    "p": PHRASING,
    "h2": PHRASING,
    "h3": PHRASING,
    "b": PHRASING,
    "i": PHRASING,
    "span": PHRASING,
    "title": frozenset(),
    "br": frozenset(),
    "col": frozenset(),
    "meta": frozenset(),
    "table": frozenset({"colgroup", "thead", "tbody", "tr"}),
    "colgroup": frozenset({"col"}),
    "thead": frozenset({"tr"}),
    "tbody": frozenset({"tr"}),
    "tr": frozenset({"td", "th"}),
}
# HTML5 moves any text but whitespace out of these.
TABLE_PARTS = frozenset({"table", "colgroup", "thead", "tbody", "tr"})
VOID = frozenset({"br", "col", "meta"})
ATTRIBUTES = frozenset({"charset", "class", "colspan", "lang", "rowspan"})

VOID_TAG = re.compile(r"<(br|col|meta)(\s[^<>]*)?>")
# XML reads character references as they are; HTML5 maps some of them to
# other characters. Django escapes a quote as &#x27;.
REFERENCE = re.compile(r"&#(?!x27;)")
DOCTYPE = "<!DOCTYPE html>"
END = "</html>"


class Unknown(Exception):
    """Markup that HTML5 parsing might read otherwise than expat."""


def document_tree(html):
    """The root of `html` as tinyhtml5 would parse it, or None if unsure."""
    start = html.lstrip()
    end = html.rfind(END)
    after = html[end + len(END) :]
    markup = start[len(DOCTYPE) :]
    # A comment, CDATA, a declaration or a processing instruction: XML and
    # HTML5 read them otherwise.
    if (
        not start.startswith(DOCTYPE)
        or end < 0
        or after.strip()
        or "<!" in markup
        or "<?" in markup
        or REFERENCE.search(markup)
    ):
        return None
    xml = VOID_TAG.sub(r"<\1\2/>", markup)
    try:
        root = ElementTree.fromstring(xml)
        check(root)
    except (ElementTree.ParseError, Unknown):
        return None
    head, body = root
    root.text = root.tail = None
    # HTML5 puts the whitespace after </body> and after </html> in the body.
    trailing = (body.tail or "") + after
    body.tail = None
    if len(body):
        body[-1].tail = (body[-1].tail or "") + trailing
    else:
        body.text = (body.text or "") + trailing
    for table in root.iter("table"):
        wrap_rows(table)
    return root


def check(root):
    if root.tag != "html" or [child.tag for child in root] != ["head", "body"]:
        raise Unknown(root.tag)
    if not blank(root.text) or not blank(root[0].tail):
        raise Unknown("text outside the head and body")
    for element in root.iter():
        if not ATTRIBUTES.issuperset(element.attrib):
            raise Unknown(f"an attribute of {element.tag}")
        if element is root:
            continue
        allowed = CHILDREN.get(element.tag)
        if allowed is None or any(child.tag not in allowed for child in element):
            raise Unknown(element.tag)
        if element.tag in VOID and element.text:
            raise Unknown(element.tag)
        if element.tag in TABLE_PARTS and not (
            blank(element.text) and all(blank(child.tail) for child in element)
        ):
            raise Unknown(f"text in {element.tag}")
        tags = {child.tag for child in element}
        if element.tag == "table" and "tr" in tags and len(tags) > 1:
            raise Unknown("rows beside row groups")
        if element.tag == "head" and not blank(element.text):
            raise Unknown("text in the head")


def wrap_rows(table):
    """HTML5 puts the rows of a table without row groups in a tbody."""
    if len(table) and table[0].tag == "tr":
        body = ElementTree.SubElement(table, "tbody")
        rows = list(table)[:-1]
        for row in rows:
            table.remove(row)
        body.extend(rows)


def blank(text):
    return not text or not text.strip()


UA_STYLESHEET = """
head, meta, title { display: none }
body, div, h2, h3, html, p { display: block }
table { display: table }
colgroup { display: table-column-group }
col { display: table-column }
thead { display: table-header-group }
tbody { display: table-row-group }
tr { display: table-row }
td, th { display: table-cell }
p { margin-top: 1em; margin-bottom: 1em }
body { margin: 8px }
h2 { margin-top: .83em; margin-bottom: .83em }
h3 { margin-top: 1em; margin-bottom: 1em }
table { border-spacing: 2px; border-collapse: separate }
td, th { padding: 1px }
thead, tbody, table > tr { vertical-align: middle }
tr, td, th { vertical-align: inherit }
html { color-scheme: light }
i { font-style: italic }
b, th { font-weight: bold }
h2 { font-size: 1.5em; font-weight: bold }
h3 { font-size: 1.17em; font-weight: bold }
table, td, th { border-color: gray }
thead, tbody, tr { border-color: inherit }
br::before { content: "\\A"; white-space: pre-line }
table { text-indent: initial }
table { box-sizing: border-box }
h2 { bookmark-level: 2 }
h3 { bookmark-level: 3 }
h2, h3 { bookmark-label: content(text) }
h2, h3 { hyphens: manual; break-after: avoid; break-inside: avoid }
@page {
  margin: 75px;
  @footnote            { margin-top: 1em }
  @top-left-corner     { text-align: right;  vertical-align: middle }
  @top-left            { text-align: left;   vertical-align: middle }
  @top-center          { text-align: center; vertical-align: middle }
  @top-right           { text-align: right;  vertical-align: middle }
  @top-right-corner    { text-align: left;   vertical-align: middle }
  @left-top            { text-align: center; vertical-align: top    }
  @left-middle         { text-align: center; vertical-align: middle }
  @left-bottom         { text-align: center; vertical-align: bottom }
  @right-top           { text-align: center; vertical-align: top    }
  @right-middle        { text-align: center; vertical-align: middle }
  @right-bottom        { text-align: center; vertical-align: bottom }
  @bottom-left-corner  { text-align: right;  vertical-align: middle }
  @bottom-left         { text-align: left;   vertical-align: middle }
  @bottom-center       { text-align: center; vertical-align: middle }
  @bottom-right        { text-align: right;  vertical-align: middle }
  @bottom-right-corner { text-align: left;   vertical-align: middle }
}
"""
