import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import SimpleTestCase
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = [
    ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po",
    ROOT / "locale" / "vendor" / "vi" / "LC_MESSAGES" / "django.po",
]


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext's msgfmt")
class CatalogueTests(SimpleTestCase):
    def test_every_string_is_translated(self):
        for po in CATALOGUES:
            result = subprocess.run(
                ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
                capture_output=True,
                text=True,
            )
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertNotIn("untranslated", result.stderr, po)
            self.assertNotIn("fuzzy", result.stderr, po)

    def test_compiled_catalogues_are_current(self):
        for po in CATALOGUES:
            compiled = subprocess.run(
                ["msgfmt", "--check-format", "-o", "-", str(po)],
                capture_output=True,
                check=True,
            ).stdout
            self.assertEqual(compiled, po.with_suffix(".mo").read_bytes(), po)


class VietnameseInterfaceTests(SimpleTestCase):
    def test_model_names_are_vietnamese(self):
        from members.models import Member
        from organizations.models import Organization

        with translation.override("vi"):
            self.assertEqual(str(Member._meta.verbose_name_plural), "Đảng viên")
            self.assertEqual(
                str(Organization._meta.verbose_name_plural), "Tổ chức đảng"
            )
            self.assertEqual(
                str(Member._meta.get_field("card_number").verbose_name),
                "Số thẻ đảng viên",
            )

    def test_third_party_admin_screens_are_vietnamese(self):
        with translation.override("vi"):
            self.assertEqual(translation.gettext("Import"), "Nhập dữ liệu")
            self.assertEqual(translation.gettext("History"), "Lịch sử")
