import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import SimpleTestCase, TestCase
from django.urls import reverse

CATALOGUE = Path(__file__).resolve().parents[2] / "api/locale/vi/LC_MESSAGES/django.po"


class SchemaTests(TestCase):
    def test_the_schema_validates_without_a_warning(self):
        output = StringIO()
        call_command(
            "spectacular", "--validate", "--fail-on-warn", stdout=output, stderr=output
        )
        self.assertIn("openapi: 3", output.getvalue())

    def test_the_served_schema_speaks_vietnamese(self):
        response = self.client.get(reverse("api:schema"), {"format": "json"})
        self.assertEqual(response.status_code, 200)
        schema = response.json()
        self.assertIn("Đọc cây tổ chức", schema["info"]["description"])
        summary = schema["paths"]["/api/v1/statistics/"]["get"]["summary"]
        self.assertEqual(summary, "Thống kê")

    def test_the_docs_page_uses_local_files_and_no_inline_code(self):
        response = self.client.get(reverse("api:docs"))
        page = response.content.decode()
        self.assertIn("/static/drf_spectacular_sidecar/swagger-ui-dist/", page)
        self.assertNotIn("<style", page)
        self.assertNotIn("<script>", page)
        self.assertNotIn("cdn", page.lower())


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext's msgfmt")
class CatalogueTests(SimpleTestCase):
    def test_every_string_is_translated_and_compiled(self):
        result = subprocess.run(
            ["msgfmt", "--check", "--statistics", "-o", "-", str(CATALOGUE)],
            capture_output=True,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn(b"untranslated", result.stderr)
        self.assertNotIn(b"fuzzy", result.stderr)
        self.assertEqual(result.stdout, CATALOGUE.with_suffix(".mo").read_bytes())
