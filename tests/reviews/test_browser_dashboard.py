"""A leader reads the dashboard in Chromium: charts draw, a figure opens its list.

Chart.js is no part of the page: dashboard.js loads it once a chart is about to
scroll into view, after the tables, and each chart is drawn as it comes near.
"""

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
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
CHART_JS = "/static/vendor/chart.js/chart.umd.min.js"
# dashboard.js starts drawing this far ahead of the screen (AHEAD).
AHEAD_PX = 200
SCREENSHOT = "/tmp/dashboard.png"
# Cell A's members and their decisions; cell B's two last members are not decided.
CELL_A = {
    "Nguyễn Văn An": "HTXSNV",
    "Trần Thị Bình": "HTTNV",
    "Lê Văn Cường": "HTTNV",
    "Phạm Thị Dung": "HTTNV",
    "Hoàng Văn Em": "HTTNV",
    "Vũ Thị Giang": "HTNV",
}
CELL_B = {
    "Đặng Văn Hải": "HTTNV",
    "Bùi Thị Khánh": "HTTNV",
    "Đỗ Văn Long": None,
    "Ngô Thị Mai": None,
}
CHARTS = (
    "chart-ratings-organizations",
    "chart-ratings-members",
    "chart-trend-members",
    "chart-trend-organizations",
    "chart-types-organizations",
    "chart-types-members",
)
DRAWN = """ids => ids.map(id => {
    const chart = window.Chart && Chart.getChart(document.getElementById(id));
    return chart ? chart.config.type : null;
})"""
DRAWN_ONE = "id => Boolean(window.Chart && Chart.getChart(document.getElementById(id)))"
# Two frames and a task: whatever an IntersectionObserver saw has been handled.
SETTLED = """() => new Promise(done => requestAnimationFrame(
    () => requestAnimationFrame(() => setTimeout(done, 50))))"""
# The middle of one bar of a chart, in page coordinates.
BAR = """([id, dataset, index]) => {
    const chart = Chart.getChart(document.getElementById(id));
    const bar = chart.getDatasetMeta(dataset).data[index];
    const box = chart.canvas.getBoundingClientRect();
    return {x: box.left + bar.x, y: box.top + (bar.y + bar.base) / 2};
}"""


class BrowserDashboardTests(BrowserTestCase):
    def setUp(self):
        # The flush between browser tests empties the tables data migrations fill.
        reseed_reference_data()
        self.build_cycle()

    def build_cycle(self):
        """A ward of two cells; most of their members and the cells are decided."""
        committee = OrganizationFactory(
            code="TU",
            name="Thành ủy Kon Tum",
            kind=OrganizationKind.SUPERIOR_COMMITTEE,
            org_type=None,
        )
        self.ward = OrganizationFactory(
            code="P01",
            name="Đảng bộ phường Quyết Thắng",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=committee,
        )
        cells = {
            "P01.A": ("Chi bộ Tổ dân phố 1", CELL_A),
            "P01.B": ("Chi bộ Tổ dân phố 2", CELL_B),
        }
        for code, (name, members) in cells.items():
            cell = OrganizationFactory(code=code, name=name, parent=self.ward)
            for full_name in members:
                MemberFactory(full_name=full_name, organization=cell)
        leader = UserFactory(username="leader", first_name="Thường trực")
        grant(leader, committee, Role.Kind.LEADER)
        self.cycle = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2025",
            year=2025,
            starts_on="2025-01-01",
            ends_on="2025-12-31",
            regime=Regime.objects.get(code="qd124"),
            superior=committee,
        )
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.DECIDED
        )
        levels = {
            level.code: level
            for level in RatingLevel.objects.filter(regime__code="qd124")
        }
        decided = {**CELL_A, **CELL_B}
        for review in self.cycle.reviews.select_related("member", "organization"):
            if review.member_id:
                code = decided[review.member.full_name]
            else:
                code = "HTXSNV" if review.organization.code == "P01.B" else "HTTNV"
            if code:
                ratings.record_rating(review, Rating.Stage.DECISION, levels[code], None)

    def open(self, **options):
        # No animation: a bar is where the chart says it is when it is clicked.
        options = {"viewport": DESKTOP, **options}
        page = self.open_page(locale="vi-VN", reduced_motion="reduce", **options)
        self.chart_requests = []
        page.on("request", self.record_chart_request)
        self.log_in("leader")
        page.goto(f"{self.live_server_url}/dashboard/")
        return page

    def record_chart_request(self, request):
        if CHART_JS in request.url:
            self.chart_requests.append(request.url)

    def open_dashboard(self):
        """The dashboard, scrolled down to every chart so that each is drawn."""
        page = self.open()
        for chart in CHARTS:
            page.locator(f"#{chart}").scroll_into_view_if_needed()
            page.wait_for_function(DRAWN_ONE, arg=chart)
        page.evaluate("() => window.scrollTo(0, 0)")
        return page

    def expect_list_of(self, names):
        rows = self.page.locator("#drill-down tbody tr")
        expect(rows).to_have_count(len(names))
        for name in names:
            expect(rows.filter(has_text=name)).to_have_count(1)

    def test_leader_sees_the_charts_and_opens_the_list_behind_a_figure(self):
        page = self.open_dashboard()

        self.assertEqual(
            page.evaluate(DRAWN, list(CHARTS)),
            ["bar", "bar", "line", "line", "bar", "bar"],
        )
        # The members' chart draws the decisions: HTXSNV, HTTNV, HTNV, KHTNV.
        decided = page.evaluate(
            "() => Chart.getChart(document.getElementById('chart-ratings-members'))"
            ".data.datasets[1].data"
        )
        self.assertEqual(decided, [1, 6, 1, 0])
        table = page.locator("#ratings-members-table")
        expect(table.locator("tr[data-stage=decided] td").last).to_have_text("10")
        page.screenshot(path=SCREENSHOT, full_page=True)

        table.locator("tr[data-stage=decided] td").nth(2).get_by_role("link").click()
        page.wait_for_url("**/dashboard/list/**")
        self.expect_list_of(["Vũ Thị Giang"])

        page.go_back()
        page.locator("#ratings-members-table tr[data-stage=decided]").wait_for()
        page.locator("#units").get_by_role("link", name=self.ward.name).click()
        page.wait_for_url(f"**org={self.ward.public_id}**")
        expect(page.locator(".breadcrumb")).to_contain_text("Thành ủy Kon Tum")
        expect(page.locator("h1")).to_contain_text(self.ward.name)
        self.assertEqual(self.errors, [])

    def test_a_bar_of_a_chart_opens_the_list_behind_it(self):
        page = self.open_dashboard()
        canvas = page.locator("#chart-ratings-members")
        canvas.scroll_into_view_if_needed()
        # The decided HTTNV bar (second dataset, second level).
        point = page.evaluate(BAR, ["chart-ratings-members", 1, 1])
        page.mouse.click(point["x"], point["y"])

        page.wait_for_url("**/dashboard/list/**")
        self.expect_list_of(
            [name for name, code in {**CELL_A, **CELL_B}.items() if code == "HTTNV"]
        )
        self.assertEqual(self.errors, [])

    def test_chart_js_waits_until_a_chart_is_about_to_be_seen(self):
        page = self.open(**PHONE)
        page.wait_for_load_state("load")
        page.evaluate(SETTLED)
        first, last = CHARTS[0], CHARTS[-1]
        # On a phone the first chart starts below the screen and its margin.
        top = page.evaluate(
            "id => document.getElementById(id).getBoundingClientRect().top", first
        )
        self.assertGreater(top, PHONE["viewport"]["height"] + AHEAD_PX)

        # The tables are there and whole; Chart.js is neither loaded nor asked for.
        table = page.locator("#ratings-members-table")
        expect(table.locator("tr[data-stage=decided] td").last).to_have_text("10")
        self.assertEqual(self.chart_requests, [])
        self.assertFalse(page.evaluate("() => 'Chart' in window"))

        with page.expect_request(f"**{CHART_JS}"):
            page.locator(f"#{first}").scroll_into_view_if_needed()
        page.wait_for_function(DRAWN_ONE, arg=first)
        self.assertEqual(len(self.chart_requests), 1)
        # A chart further down waits for its turn, then draws from the same script.
        self.assertFalse(page.evaluate(DRAWN_ONE, last))
        page.locator(f"#{last}").scroll_into_view_if_needed()
        page.wait_for_function(DRAWN_ONE, arg=last)
        self.assertEqual(len(self.chart_requests), 1)
        self.assertEqual(self.errors, [])

    def test_without_javascript_the_tables_stand_alone(self):
        page = self.open(java_script_enabled=False)
        page.wait_for_load_state("load")
        table = page.locator("#ratings-members-table")
        expect(table.locator("tr[data-stage=decided] td").last).to_have_text("10")
        # No empty chart boxes in the way, and no Chart.js fetched for nothing.
        expect(page.locator(".dashboard-chart").first).to_be_hidden()
        self.assertEqual(self.chart_requests, [])
        self.assertEqual(self.errors, [])
