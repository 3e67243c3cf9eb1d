"""Committee staff decide a comparison group in Chromium, with the quota meter."""

from django.urls import reverse
from playwright.sync_api import expect

from organizations.models import OrganizationKind, Role
from reviews import ratings, services
from reviews.models import CycleJob, Rating, RatingLevel, Regime, ReviewCycle

from ..browser import BrowserTestCase
from ..factories import (
    MemberFactory,
    OrganizationFactory,
    UserFactory,
    grant,
    reseed_reference_data,
)

DESKTOP = {"width": 1280, "height": 900}
SCREENSHOT = "/tmp/decide.png"
GIVEN_NAMES = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Khánh",
    "Long",
    "Minh",
    "Nam",
    "Tâm",
)


class BrowserDecideTests(BrowserTestCase):
    def setUp(self):
        # The flush between browser tests empties the tables data migrations fill.
        reseed_reference_data()
        self.build_group()

        self.open_page(viewport=DESKTOP, locale="vi-VN")

    def build_group(self):
        """Ten members of one ward; their meeting proposed 8 HTTNV and 2 HTNV."""
        committee = OrganizationFactory(
            code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        self.ward = OrganizationFactory(
            code="P01",
            name="Đảng bộ phường Quyết Thắng",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=committee,
        )
        cell = OrganizationFactory(
            code="P01.A", name="Chi bộ Tổ dân phố 1", parent=self.ward
        )
        for given in GIVEN_NAMES:
            MemberFactory(full_name=f"Nguyễn Văn {given}", organization=cell)
        self.staff = UserFactory(username="btc", first_name="Ban Tổ chức")
        grant(self.staff, committee, Role.Kind.STAFF)
        self.cycle = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2024",
            year=2024,
            starts_on="2024-01-01",
            ends_on="2024-12-31",
            regime=Regime.objects.get(code="qd124"),
            superior=committee,
        )
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.APPRAISAL
        )
        self.cycle.refresh_from_db()
        self.members = list(
            self.cycle.reviews.individuals().order_by("organization__path", "sort_key")
        )
        levels = {
            level.code: level
            for level in RatingLevel.objects.filter(regime__code="qd124")
        }
        for position, review in enumerate(self.members):
            code = "HTNV" if position >= 8 else "HTTNV"
            ratings.record_rating(
                review,
                Rating.Stage.MEETING,
                levels[code],
                self.staff,
                votes={code: 7, "HTXSNV": 1},
            )

    def row(self, review):
        return self.page.locator(f"#subject-{review.public_id}")

    def choose(self, review, code, reason=""):
        prefix = f"r{review.public_id.hex}"
        self.page.select_option(f'select[name="{prefix}-level"]', code)
        self.page.fill(f'textarea[name="{prefix}-reason"]', reason)

    def expect_meter(self, allowed, good, used):
        meter = self.page.locator("[data-quota-meter]")
        expect(meter.locator("[data-meter-allowed]")).to_have_text(str(allowed))
        expect(meter.locator("[data-meter-good]")).to_have_text(str(good))
        expect(meter.locator("[data-meter-used]")).to_have_text(str(used))

    def test_staff_decide_a_group_within_the_quota(self):
        page = self.page
        self.log_in("btc")
        url = reverse("reviews:decide", args=[self.cycle.public_id])
        page.goto(f"{self.live_server_url}{url}")
        page.get_by_role(
            "link", name="Đảng viên thuộc Đảng bộ phường Quyết Thắng"
        ).click()

        meter = page.locator("[data-quota-meter]")
        self.expect_meter(allowed=1, good=8, used=0)
        expect(meter.locator("[data-meter-within]")).to_be_visible()
        expect(page.locator("#quota-meter")).to_have_attribute("value", "0")

        first, second = self.members[:2]
        self.choose(first, "HTXSNV", "Thành tích nổi bật trong công tác dân vận")
        self.choose(second, "HTXSNV", "Hoàn thành vượt mức các chỉ tiêu")

        # The script counts the selects: 2 HTXSNV, 6 HTTNV, so 1 allowed.
        self.expect_meter(allowed=1, good=6, used=2)
        expect(meter.locator("[data-meter-over]")).to_be_visible()
        expect(self.row(second).locator("[data-quota-row-warning]")).to_be_visible()

        page.locator("button[name=action][value=save]").click()

        expect(self.row(first).get_by_role("alert")).to_contain_text("Chỉ tiêu")
        expect(self.row(first).get_by_role("alert")).to_contain_text("2/10")
        expect(
            page.locator(f'select[name="r{second.public_id.hex}-level"]')
        ).to_have_value("HTXSNV")
        page.screenshot(path=SCREENSHOT)
        self.assertFalse(Rating.objects.filter(stage="decision").exists())

        self.choose(second, "HTTNV")
        self.expect_meter(allowed=1, good=7, used=1)
        expect(meter.locator("[data-meter-within]")).to_be_visible()
        page.locator("button[name=action][value=save]").click()

        expect(page.locator("main .alert-success")).to_be_visible()
        expect(self.row(first).locator(".decision-chain")).to_contain_text(
            "Ban Tổ chức"
        )
        decided = dict(
            Rating.objects.filter(stage="decision").values_list(
                "review_id", "level__code"
            )
        )
        self.assertEqual(len(decided), 10)
        self.assertEqual(decided[first.pk], "HTXSNV")
        self.assertEqual(list(decided.values()).count("HTXSNV"), 1)
        self.assertEqual(
            Rating.objects.get(review=first, stage="decision").reason,
            "Thành tích nổi bật trong công tác dân vận",
        )
        self.assertEqual(self.errors, [])
