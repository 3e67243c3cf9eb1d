"""The organization pickers in Chromium: typed without accents, chosen by keyboard.

The new-suggestion page's single picker and the assignment page's multiple one
(organizations/widgets.py, static/js/pickers.js).
"""

import datetime
import re

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from organizations.models import OrganizationKind, Role
from reviews.models import Assignment, FocusArea, Regime, ReviewCycle, Suggestion

from ..browser import BrowserTestCase
from ..factories import OrganizationFactory, UserFactory, grant, reseed_reference_data

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = "/tmp/pickers-{width}.png"
# Three communes, each with a "Chi bộ Thôn 1": only the parent tells them apart.
COMMUNES = [
    ("QT", "Đảng bộ phường Quyết Thắng", 2),
    ("TL", "Đảng bộ phường Thắng Lợi", 2),
    ("DC", "Đảng bộ xã Đắk Cấm", 3),
]


class BrowserPickerTests(BrowserTestCase):
    def setUp(self):
        # The flush between browser tests empties the tables data migrations fill.
        reseed_reference_data()
        self.committee = OrganizationFactory(
            code="TU",
            name="Thành ủy Kon Tum",
            kind=OrganizationKind.SUPERIOR_COMMITTEE,
            org_type=None,
        )
        self.cells = {}
        for code, name, cell_count in COMMUNES:
            commune = OrganizationFactory(
                code=code,
                name=name,
                kind=OrganizationKind.GRASSROOTS_COMMITTEE,
                parent=self.committee,
            )
            for number in range(1, cell_count + 1):
                self.cells[code, number] = OrganizationFactory(
                    code=f"{code}.{'ABC'[number - 1]}",
                    name=f"Chi bộ Thôn {number}",
                    parent=commune,
                )
        self.staff = UserFactory(username="btc", first_name="Ban Tổ chức")
        grant(self.staff, self.committee, Role.Kind.STAFF)
        year = timezone.localdate().year
        # A draft: suggestions can be issued, on any day of the year.
        self.cycle = ReviewCycle.objects.create(
            name=f"Kiểm điểm năm {year}",
            year=year,
            starts_on=datetime.date(year, 1, 1),
            ends_on=datetime.date(year, 12, 31),
            regime=Regime.objects.get(code="qd366"),
            superior=self.committee,
        )

    def picker(self, label):
        """Tom Select's input, found by the field's label as a screen reader would."""
        control = self.page.get_by_role("combobox", name=label, exact=True)
        expect(control).to_have_count(1)
        return control

    def options(self, field):
        return self.page.locator(f"#id_{field}-ts-dropdown .option")

    def test_an_unaccented_search_finds_the_organization_and_the_keyboard_issues(self):
        page = self.open_page(viewport=DESKTOP, locale="vi-VN")
        self.log_in("btc")
        page.goto(
            self.live_server_url
            + reverse("reviews:suggestion_create", args=[self.cycle.public_id])
        )
        control = self.picker("Tổ chức đảng")
        # The label now names Tom Select's input, and clicking it focuses it.
        expect(control).to_have_id("id_organization-ts-control")
        # The select it hides, now unlabelled, leaves the accessibility tree.
        expect(page.locator("#id_organization")).to_have_attribute(
            "aria-hidden", "true"
        )
        page.locator("label[for=id_organization-ts-control]").click()
        expect(control).to_be_focused()
        # Tom Select answers a click on the label a tick later (its focus()
        # sets a timeout) and then empties the box: keys sent before that are
        # lost ("uyet thang"). Nobody types that fast; the test waits for the
        # "focus" class that answer gives the picker.
        wrapper = control.locator("xpath=ancestor::div[contains(@class, 'ts-wrapper')]")
        expect(wrapper).to_have_class(re.compile(r"\bfocus\b"))

        # Typed into the control itself, once it is ready for keys.
        control.press_sequentially("quyet thang")
        expect(control).to_have_value("quyet thang")
        options = self.options("organization")
        # The commune itself first, then its cells, each named with its parent.
        expect(options).to_have_text(
            [
                "Đảng bộ phường Quyết Thắng",
                "— Chi bộ Thôn 1 – Đảng bộ phường Quyết Thắng",
                "— Chi bộ Thôn 2 – Đảng bộ phường Quyết Thắng",
            ]
        )
        expect(control).to_have_attribute("aria-expanded", "true")
        page.screenshot(path=SCREENSHOTS.format(width=DESKTOP["width"]))

        # "Thôn 1" of Quyết Thắng, not of Thắng Lợi or Đắk Cấm; đ and Đ are d.
        page.keyboard.press("Control+a")
        page.keyboard.type("thon 1 quyet")
        expect(options).to_have_text(["— Chi bộ Thôn 1 – Đảng bộ phường Quyết Thắng"])
        page.keyboard.press("Control+a")
        page.keyboard.type("dak cam")
        expect(options).to_have_count(4)
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        active = page.locator("#id_organization-ts-dropdown .option.active")
        expect(active).to_have_text("— Chi bộ Thôn 2 – Đảng bộ xã Đắk Cấm")
        expect(control).to_have_attribute(
            "aria-activedescendant", active.get_attribute("id")
        )
        page.keyboard.press("Enter")
        chosen = self.cells["DC", 2]
        expect(page.locator("#id_organization")).to_have_value(str(chosen.public_id))
        expect(page.locator("#id_organization-ts-control")).to_have_attribute(
            "aria-expanded", "false"
        )
        expect(page.locator("#div_id_organization .ts-control .item")).to_have_text(
            "Chi bộ Thôn 2 – Đảng bộ xã Đắk Cấm"
        )

        area = FocusArea.objects.filter(active=True).first()
        page.select_option("#id_items-0-focus_area", str(area.pk))
        page.fill(
            "#id_items-0-text", "Làm rõ trách nhiệm về tiến độ giải phóng mặt bằng"
        )
        page.get_by_role("button", name="Gửi gợi ý kiểm điểm").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/cycles/{self.cycle.public_id}/suggestions/")

        suggestion = Suggestion.objects.get(cycle=self.cycle)
        self.assertEqual(suggestion.organization, chosen)
        self.assertEqual(self.errors, [])

    def test_on_a_phone_several_are_chosen_by_keyboard(self):
        page = self.open_page(viewport=PHONE, locale="vi-VN", has_touch=True)
        self.log_in("btc")
        page.goto(
            self.live_server_url
            + reverse("reviews:assignment_list", args=[self.cycle.public_id])
        )
        page.select_option("#id_assignee", label="Ban Tổ chức (btc)")
        control = self.picker("Tổ chức đảng*")
        expect(page.locator("#id_organizations_helptext")).to_have_text(
            "Gõ một phần tên hoặc mã (có thể gõ không dấu) rồi chọn một hoặc "
            "nhiều tổ chức."
        )
        control.focus()
        page.keyboard.type("thon 1")
        options = self.options("organizations")
        expect(options).to_have_count(3)
        page.keyboard.press("Enter")
        # The search stays for the next match, the one chosen drops out of it.
        expect(options).to_have_count(2)
        page.keyboard.press("Enter")
        page.keyboard.type("quyet")
        expect(options).to_have_text(
            [
                "Đảng bộ phường Quyết Thắng",
                "— Chi bộ Thôn 2 – Đảng bộ phường Quyết Thắng",
            ]
        )
        # Nothing sticks out of a 390 px screen, even with the list open.
        width = page.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, PHONE["width"])
        page.screenshot(path=SCREENSHOTS.format(width=PHONE["width"]))
        page.keyboard.press("Escape")

        with page.expect_navigation():
            page.get_by_role("button", name="Phân công", exact=True).click()
        self.assertEqual(
            set(
                Assignment.objects.filter(cycle=self.cycle).values_list(
                    "organization", flat=True
                )
            ),
            {self.cells["QT", 1].pk, self.cells["TL", 1].pk},
        )
        self.assertEqual(self.errors, [])
