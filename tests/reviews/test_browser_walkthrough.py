"""The year's review in Chromium: a secretary's and a member's walk through it."""

import datetime
import re

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from organizations.models import OrganizationKind, Role
from reviews import services
from reviews.models import (
    CycleJob,
    FocusArea,
    FormSection,
    Meeting,
    RatingLevel,
    Regime,
    Review,
    ReviewCycle,
    Suggestion,
    SuggestionItem,
)

from ..browser import BrowserTestCase
from ..factories import (
    MemberFactory,
    OrganizationFactory,
    UserFactory,
    grant,
    reseed_reference_data,
)

DESKTOP = {"width": 1280, "height": 900}
# The "Saved at 14:05" the autosave puts in the status line, in any language.
SAVED_AT = re.compile(r"\d{1,2}:\d{2}")
SUBMITTED_BADGE = re.compile(r"\btext-bg-success\b")
EXPLANATION = "Chi bộ đã lập danh sách quần chúng ưu tú và giao người giúp đỡ."


class BrowserWalkthroughTests(BrowserTestCase):
    def setUp(self):
        # The flush between browser tests empties the tables data migrations fill.
        reseed_reference_data()
        self.build_cell_a()
        self.open_cycle()

        self.open_page(viewport=DESKTOP, locale="vi-VN")

    def build_cell_a(self):
        self.committee = OrganizationFactory(
            code="TU",
            name="Thành ủy Kon Tum",
            kind=OrganizationKind.SUPERIOR_COMMITTEE,
            org_type=None,
        )
        self.ward = OrganizationFactory(
            code="P01",
            name="Đảng bộ phường Quyết Thắng",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=self.committee,
        )
        self.cell_a = OrganizationFactory(
            code="P01.A", name="Chi bộ Tổ dân phố 1", parent=self.ward
        )
        self.secretary = UserFactory(username="secretary_a")
        grant(self.secretary, self.cell_a, Role.Kind.SECRETARY)
        self.member_user = UserFactory(username="member_a")

        self.head = MemberFactory(
            full_name="Phạm Văn Hải",
            organization=self.cell_a,
            party_post="Bí thư chi bộ",
        )
        self.member_a = MemberFactory(
            full_name="Nguyễn Văn Ân", organization=self.cell_a, user=self.member_user
        )
        self.binh = MemberFactory(full_name="Trần Thị Bình", organization=self.cell_a)
        self.absentee = MemberFactory(full_name="Lê Thị Cúc", organization=self.cell_a)

    def open_cycle(self):
        self.cycle = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2026",
            year=2026,
            starts_on=datetime.date(2026, 1, 1),
            ends_on=datetime.date(2026, 12, 31),
            regime=Regime.objects.get(code="qd366"),
            superior=self.committee,
            self_review_due=datetime.date(2026, 12, 15),
            meetings_due=datetime.date(2026, 12, 31),
            decision_due=datetime.date(2027, 1, 20),
        )
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        self.cycle.status = ReviewCycle.Status.SELF_REVIEW
        self.cycle.save()
        self.collective = self.cycle.reviews.get(
            organization=self.cell_a, kind=Review.Kind.ORGANIZATION
        )
        self.own_review = self.cycle.reviews.get(member=self.member_a)
        suggestion = Suggestion.objects.create(
            cycle=self.cycle, organization=self.cell_a, issued_on=self.cycle.starts_on
        )
        self.suggestion_item = SuggestionItem.objects.create(
            suggestion=suggestion,
            number=1,
            focus_area=FocusArea.objects.get(code="member-recruitment"),
            text="Làm rõ vì sao năm qua chi bộ không kết nạp được đảng viên mới.",
        )
        self.levels = {
            level.code: level
            for level in RatingLevel.objects.filter(regime=self.cycle.regime)
        }

    def url(self, name, *args):
        return f"{self.live_server_url}{reverse(name, args=args)}"

    def fill_review(self, review, level_code):
        """Every section a submitted form needs, as its author types it."""
        page, form = self.page, self.page.locator("#review-form")
        for section in review.template.sections.all():
            if section.kind in (FormSection.Kind.TEXT, FormSection.Kind.CARRY_OVER):
                form.locator(f'[name="text_{section.key}"]').fill(
                    f"Nội dung mục {section.number} của {review.subject_name}."
                )
        for criterion in review.template.criteria.all():
            form.locator(f'[name="score_{criterion.code}"]').fill(
                str(criterion.max_points - 1)
            )
        for name, value in (
            ("tasks_on_time_percent", "100"),
            ("tasks_exceeding_percent", "30"),
            ("shortcomings_remedied_percent", "100"),
        ):
            form.locator(f'[name="cond_{name}"]').fill(value)
        form.locator('select[name="self_rating"]').select_option(
            str(self.levels[level_code].pk)
        )
        page.keyboard.press("Tab")

    def screenshot(self, name):
        # Hiding the caret writes inline styles, which an htmx swap then copies
        # and the CSP refuses: leave the caret alone.
        self.page.screenshot(
            path=f"/tmp/walk_{name}.png", full_page=True, caret="initial"
        )

    def submit_review(self, review, screenshot):
        page = self.page
        expect(page.locator("#review-form .htmx-request")).to_have_count(0)
        self.screenshot(screenshot)
        page.locator("#review-form button[name=action][value=submit]").click()
        expect(page.locator("#review-form")).to_have_count(0)
        self.assertEqual(page.url, self.url("reviews:review", review.public_id))
        expect(page.locator("main textarea, main input[name^=score_]")).to_have_count(0)
        expect(page.locator("main header .badge")).to_have_class(SUBMITTED_BADGE)
        review.refresh_from_db()
        self.assertEqual(review.status, Review.Status.SUBMITTED)

    # Walks ---------------------------------------------------------------

    def test_secretary_submits_the_cell_report_and_records_its_meeting(self):
        page = self.page
        checklist = self.url(
            "reviews:checklist", self.cycle.public_id, self.cell_a.public_id
        )
        self.log_in("secretary_a")
        page.wait_for_url(checklist)
        self.screenshot("checklist")

        report = reverse("reviews:review", args=[self.collective.public_id])
        page.locator(f'main a[href="{report}"]').first.click()
        page.wait_for_url(f"{self.live_server_url}{report}")
        self.fill_review(self.collective, "HTXSNV")
        answer = page.locator(f'[name="suggestion_{self.suggestion_item.pk}"]')
        answer.fill(EXPLANATION)
        page.keyboard.press("Tab")
        self.submit_review(self.collective, "form")
        expect(page.locator("#section-IV")).to_contain_text(EXPLANATION)
        self.assertEqual(self.collective.suggestion_answers.get().text, EXPLANATION)
        self.assertEqual(self.collective.self_rating.code, "HTXSNV")
        # fill_review gives every criterion one point less than its maximum.
        criteria = self.collective.template.criteria.all()
        self.assertEqual(
            (self.collective.score_general, self.collective.score_tasks),
            tuple(
                sum(c.max_points - 1 for c in criteria if c.group == group)
                for group in "AB"
            ),
        )

        # The members hand in their own forms meanwhile: a meeting reviews a
        # subject once the form is submitted.
        self.cycle.reviews.individuals().update(
            status=Review.Status.SUBMITTED, submitted_at=timezone.now()
        )
        page.goto(checklist)
        meeting = reverse("reviews:meeting", args=[self.collective.public_id])
        page.locator(f'main a[href="{meeting}"]').click()
        page.wait_for_url(f"{self.live_server_url}{meeting}")
        self.hold_meeting()

        # Collective first, then the head and the members, each after the other.
        votes = {"HTXSNV": 2, "HTTNV": 1}, {"HTTNV": 3}, {"HTXSNV": 1, "HTNV": 2}
        subjects = page.locator("#meeting-subjects > [id^=subject-]")
        expect(subjects).to_have_count(5)
        for order in range(5):
            self.record_subject(order, votes[min(order, 2)])
        self.screenshot("meeting_recorded")
        finish = page.locator("button[name=action][value=finish]")
        expect(finish).to_be_enabled()
        finish.click()
        expect(finish).to_have_count(0)
        self.screenshot("meeting")

        held = Meeting.objects.get(review=self.collective)
        self.assertEqual(held.status, Meeting.Status.DONE)
        self.assertEqual(held.held_on, datetime.date(2026, 12, 5))
        proposed = [
            (item.review.member, item.proposed_rating.code)
            for item in held.items.select_related(
                "review__member", "proposed_rating"
            ).order_by("order")
        ]
        self.assertEqual(proposed[:2], [(None, "HTXSNV"), (self.head, "HTTNV")])
        self.assertCountEqual(
            proposed[2:],
            [(member, "HTNV") for member in (self.member_a, self.binh, self.absentee)],
        )
        absent = held.attendance.get(present=False)
        self.assertEqual(
            (absent.member, absent.absence_reason), (self.absentee, "Đi công tác")
        )
        self.assertEqual(self.errors, [])

    def hold_meeting(self):
        """The date, people and attendance, one member away on business."""
        page = self.page
        page.fill("#id_held_on", "2026-12-05")
        page.fill("#id_place", "Nhà văn hóa tổ dân phố 1")
        page.fill("#id_chair", "Phạm Văn Hải")
        page.fill("#id_recorder", "Trần Thị Bình")
        row = page.locator("[data-attendance-row]").filter(has_text="Lê Thị Cúc")
        live = page.locator("[data-quorum-live]")
        expect(live).to_be_hidden()
        row.locator("[data-attendance=present]").uncheck()
        # The quorum as ticked, counted as the boxes change, before saving.
        called = page.locator("[data-attendance=present]").count()
        expect(live).to_have_text(
            f"Đang đánh dấu: {called - 1}/{called} có mặt — đủ số lượng theo "
            "quy định. Hãy lưu để ghi nhận."
        )
        row.locator("input[name$=absence_reason]").fill("Đi công tác")
        page.locator("button[name=action][value=details]").click()
        expect(page.locator("#subject-0 form")).to_be_visible()
        expect(page.locator("[data-quorum-live]")).to_be_hidden()

    def record_subject(self, order, votes):
        page = self.page
        form = page.locator(f"#subject-{order} form")
        form.locator(f'[name="subject-{order}-comments"]').fill(
            f"Góp ý cho đối tượng thứ {order + 1}."
        )
        for code, count in votes.items():
            form.locator(f'[name="subject-{order}-votes_{code}"]').fill(str(count))
        form.locator("button[type=submit]").click()
        expect(page.locator(f"#subject-{order} form")).to_have_count(0)

    def test_member_fills_and_submits_their_own_form(self):
        page = self.page
        own_form = self.url("reviews:review", self.own_review.public_id)
        self.log_in("member_a")
        page.wait_for_url(own_form)

        first = page.locator('#review-form [name="text_I-1"]')
        first.fill("Giữ vững lập trường, tư tưởng chính trị.")
        page.keyboard.press("Tab")
        expect(page.locator("#autosave-status")).to_have_text(SAVED_AT)
        self.own_review.refresh_from_db()
        self.assertEqual(self.own_review.status, Review.Status.DRAFT)
        self.assertEqual(
            self.own_review.answers["I-1"], "Giữ vững lập trường, tư tưởng chính trị."
        )

        self.fill_review(self.own_review, "HTTNV")
        self.submit_review(self.own_review, "member_form")
        self.assertEqual(self.own_review.self_rating.code, "HTTNV")
        self.assertEqual(self.own_review.saved_by, self.member_user)
        self.assertEqual(self.errors, [])
