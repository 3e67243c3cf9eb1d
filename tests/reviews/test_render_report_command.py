import tempfile
from pathlib import Path

from django.core.management import CommandError, call_command

from reviews.models import ReviewCycle

from ..personas import CyclePersonasTestCase


class RenderReportCommandTests(CyclePersonasTestCase):
    def setUp(self):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.output = Path(folder.name) / "out.pdf"

    def render(self, kind, subject, cycle="2026"):
        call_command(
            "render_report", kind, subject, "--cycle", cycle, "-o", str(self.output)
        )
        return self.output.read_bytes()

    def test_writes_a_members_form_by_card_number(self):
        content = self.render("individual_form", self.member_a.card_number)
        self.assertTrue(content.startswith(b"%PDF"))

    def test_writes_an_organizations_notification_by_its_code(self):
        self.cycle.status = ReviewCycle.Status.DECIDED
        self.cycle.save()
        content = self.render("notification", "P01.A", str(self.cycle.public_id))
        self.assertTrue(content.startswith(b"%PDF"))

    def test_notification_before_the_decision_is_an_error(self):
        with self.assertRaisesMessage(CommandError, "quyết định xếp loại"):
            self.render("notification", "P01.A")
        self.assertFalse(self.output.exists())

    def test_writes_the_summary_for_the_superior_committee(self):
        self.assertTrue(self.render("summary", "TU").startswith(b"%PDF"))

    def test_unknown_kind_names_the_kinds(self):
        with self.assertRaisesMessage(CommandError, "individual_form"):
            self.render("letter", "TU")

    def test_unknown_member_is_an_error(self):
        with self.assertRaisesMessage(CommandError, "99999999"):
            self.render("individual_form", "99999999")

    def test_unknown_organization_is_an_error(self):
        with self.assertRaisesMessage(CommandError, "XX.9"):
            self.render("notification", "XX.9")

    def test_summary_of_a_cell_is_an_error(self):
        with self.assertRaisesMessage(CommandError, "TU"):
            self.render("summary", "P01.A")

    def test_unknown_cycle_is_an_error(self):
        for cycle in ("1999", "not-a-uuid"):
            with (
                self.subTest(cycle=cycle),
                self.assertRaisesMessage(CommandError, cycle),
            ):
                self.render("summary", "TU", cycle)
        self.assertFalse(self.output.exists())
