"""Click a page's document button as a browser would, and read the file back.

    job_page, content = click_report_button(client, page_url, "minutes")
    self.assertIn("BIÊN BẢN", pdf_text(content))

The page is loaded, the button's <form> (the one whose hidden `kind` input has
that value) is read out of the HTML, its hidden inputs (the CSRF token too) are
posted to its action, the redirect is followed to the job page, and the job
page's download link is fetched. In the tests the job renders inside the request
(JOBS_IN_THREAD = False); with a real worker the job page is polled
until it offers the download.
"""

import io
import subprocess
import tempfile
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from django.test import TestCase

WAIT_SECONDS = 60


class FormParser(HTMLParser):
    """Every <form> of a page: its method, action and hidden inputs; and links."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.links = []
        self.current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = {
                "method": (attrs.get("method") or "get").lower(),
                "action": attrs.get("action") or "",
                "inputs": {},
                "buttons": [],
            }
            self.forms.append(self.current)
        elif tag == "input" and self.current is not None:
            if (attrs.get("type") or "text").lower() == "hidden":
                self.current["inputs"][attrs.get("name")] = attrs.get("value") or ""
        elif tag == "button" and self.current is not None:
            self.current["buttons"].append(attrs)
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def parse(html):
    parser = FormParser()
    parser.feed(html)
    return parser


def report_forms(html, kind):
    """The forms on the page that request a document of `kind`."""
    return [form for form in parse(html).forms if form["inputs"].get("kind") == kind]


def report_button(html, kind):
    """The one form requesting `kind`; AssertionError if there is none or several."""
    found = report_forms(html, kind)
    if len(found) != 1:
        raise AssertionError(f"{len(found)} buttons for {kind!r} on the page.")
    form = found[0]
    if form["method"] != "post" or not form["action"]:
        raise AssertionError(f"The {kind!r} button's form is not a POST: {form}")
    if not form["buttons"]:
        raise AssertionError(f"The {kind!r} form has no button to press.")
    return form


def download_link(html):
    links = [link for link in parse(html).links if link.endswith("/download/")]
    return links[0] if links else None


def html_of(response):
    return response.content.decode()


def click_report_button(client, page_url, kind):
    """Press the `kind` document button on `page_url`: (job page response, file).

    The file is the PDF (or ZIP) the job page's download link returns.
    """
    page = client.get(page_url)
    if page.status_code != 200:
        raise AssertionError(f"{page_url} answered {page.status_code}.")
    form = report_button(html_of(page), kind)
    with TestCase.captureOnCommitCallbacks(execute=True):
        posted = client.post(form["action"], form["inputs"])
    if posted.status_code != 302:
        raise AssertionError(
            f"Posting the {kind!r} button answered {posted.status_code}."
        )
    job_url = posted["Location"]
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        job_page = client.get(job_url)
        if job_page.status_code != 200:
            raise AssertionError(
                f"The job page {job_url} answered {job_page.status_code}."
            )
        link = download_link(html_of(job_page))
        if link or "hx-trigger" not in html_of(job_page):
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"The job at {job_url} did not finish.")
        time.sleep(0.5)
    if link is None:
        raise AssertionError(f"No download on the job page:\n{html_of(job_page)}")
    download = client.get(link)
    if download.status_code != 200:
        raise AssertionError(f"The download {link} answered {download.status_code}.")
    return job_page, b"".join(download.streaming_content)


def pdf_text(pdf):
    """The PDF's text as `pdftotext -raw` prints it, whitespace made single spaces."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        raw = subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return " ".join(raw.split())


def pdf_lines(pdf, last_page=1):
    """The lines `pdftotext -raw` prints for the first pages, stripped."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        raw = subprocess.run(
            [
                "pdftotext",
                "-raw",
                "-enc",
                "UTF-8",
                "-l",
                str(last_page),
                str(path),
                "-",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return [line.strip() for line in raw.splitlines() if line.strip()]


def zip_entries(content):
    """The files of a ZIP download: {name: bytes}."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {name: archive.read(name) for name in archive.namelist()}
