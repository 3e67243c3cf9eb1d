import datetime
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

from django.test import SimpleTestCase, override_settings
from django.utils import timezone

from organizations.models import Organization
from reviews.models import (
    Attendance,
    CarryOverItem,
    FocusArea,
    Meeting,
    MeetingItem,
    Rating,
    RatingLevel,
    RemedyAction,
    ReportJob,
    Review,
    ReviewCycle,
    StepExemption,
    Suggestion,
    SuggestionAnswer,
    SuggestionItem,
)
from reviews.reports import documents
from tests.clicks import pdf_lines
from tests.personas import CyclePersonasTestCase

Kind = ReportJob.Kind
Stage = Rating.Stage
HOSTILE_IMAGE = '<img src="http://example.invalid/x.png">'
HOSTILE_FILE = "file:///etc/passwd"


def pdf_text(pdf):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        raw = subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    # A line break in the PDF is a space in the text it prints.
    return " ".join(raw.split())


def pdf_fonts(pdf):
    """(name, embedded) of every font in the PDF, as pdffonts lists them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        listing = subprocess.run(
            ["pdffonts", str(path)], check=True, capture_output=True, text=True
        ).stdout
    rows = listing.splitlines()[2:]
    # Columns from the right: emb sub uni object ID.
    return [(row.split()[0], row.split()[-5]) for row in rows if row.strip()]


class DocumentData(CyclePersonasTestCase):
    """The personas' cycle with answers, a meeting, decisions and remedies."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        levels = {level.code: level for level in cls.cycle.regime.levels.all()}
        cls.levels = levels
        now = timezone.now()
        review = cls.review_a
        review.party_post = "Phó Bí thư chi bộ"
        review.workplace = "Ủy ban nhân dân phường Quyết Thắng"
        review.answers = {
            "I-1": f"Giữ vững lập trường chính trị. {HOSTILE_IMAGE} {HOSTILE_FILE}",
            "I-2": "Hoàn thành tốt nhiệm vụ được giao.",
            "II": "Đôi lúc còn chậm báo cáo.",
            "VI": "Khắc phục việc chậm báo cáo.",
        }
        review.scores = {"A1": "6", "A2": "5", "B1": "35"}
        review.score_general = Decimal("27")
        review.score_tasks = Decimal("60")
        review.tasks_on_time_percent = Decimal("100")
        review.tasks_exceeding_percent = Decimal("20")
        review.shortcomings_remedied_percent = Decimal("100")
        review.self_rating = levels["HTTNV"]
        review.status = Review.Status.SUBMITTED
        review.submitted_at = timezone.make_aware(datetime.datetime(2026, 12, 5, 9))
        review.save()
        CarryOverItem.objects.create(
            review=review,
            number=1,
            text="Chậm nộp báo cáo tháng",
            answer="Đã nộp đúng hạn từ tháng 3.",
            outcome=CarryOverItem.Outcome.REMEDIED,
        )
        suggestion = Suggestion.objects.create(
            cycle=cls.cycle, member=cls.member_a, issued_on="2026-11-20"
        )
        item = SuggestionItem.objects.create(
            suggestion=suggestion,
            number=1,
            focus_area=FocusArea.objects.get(code="land-certificates"),
            text="Làm rõ việc chậm cấp giấy chứng nhận.",
        )
        SuggestionAnswer.objects.create(
            review=review, item=item, text="Đã giải quyết xong 12 hồ sơ tồn đọng."
        )

        collective = cls.collective_a
        collective.answers = {
            "I-1": "Chi bộ lãnh đạo hoàn thành nhiệm vụ chính trị.",
            "II": "Sinh hoạt chuyên đề chưa đều.",
        }
        collective.self_rating = levels["HTTNV"]
        collective.status = Review.Status.SUBMITTED
        collective.save()

        meeting = Meeting.objects.create(
            review=collective,
            held_on="2026-12-20",
            place="Hội trường tổ dân phố 1",
            chair="Nguyễn Văn Ân",
            recorder="Trần Thị Bình",
            superior_attendee="Đồng chí Phạm Quốc Hùng, Đảng ủy viên",
            status=Meeting.Status.DONE,
        )
        Attendance.objects.create(meeting=meeting, member=cls.member_a)
        Attendance.objects.create(
            meeting=meeting,
            member=cls.other_member_a,
            present=False,
            absence_reason="Đi công tác",
        )
        MeetingItem.objects.create(
            meeting=meeting,
            review=collective,
            order=1,
            comments="Tập thể đoàn kết.",
            votes={"HTTNV": 1},
            proposed_rating=levels["HTTNV"],
            recorded_at=now,
        )
        MeetingItem.objects.create(
            meeting=meeting,
            review=review,
            order=2,
            comments="Đồng chí Ân cần báo cáo đúng hạn hơn.",
            votes={"HTXSNV": 0, "HTTNV": 1},
            proposed_rating=levels["HTTNV"],
            recorded_at=now,
        )
        for subject in (review, collective):
            for stage in (Stage.SELF, Stage.MEETING, Stage.DECISION):
                Rating.objects.create(
                    review=subject, stage=stage, level=levels["HTTNV"], set_at=now
                )
        Rating.objects.filter(review=review, stage=Stage.DECISION).update(
            assessment="Đồng chí Ân hoàn thành tốt nhiệm vụ được giao."
        )
        RemedyAction.objects.create(
            review=review,
            number=1,
            shortcoming="Chậm báo cáo",
            content="Báo cáo đúng hạn",
            owner="Nguyễn Văn Ân",
            deadline=datetime.date(2020, 1, 1),
        )
        RemedyAction.objects.create(
            review=review,
            number=2,
            shortcoming="Chậm báo cáo",
            content="Lập lịch nhắc việc",
            owner="Nguyễn Văn Ân",
            deadline=datetime.date(2027, 6, 30),
            status=RemedyAction.Status.DONE,
        )
        earlier = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2025",
            year=2025,
            starts_on="2025-01-01",
            ends_on="2025-12-31",
            regime=cls.cycle.regime,
            superior=cls.committee,
            status=ReviewCycle.Status.DECIDED,
        )
        earlier_review = Review.objects.create(
            cycle=earlier,
            kind=Review.Kind.ORGANIZATION,
            organization=cls.cell_a,
            template=collective.template,
            subject_name=cls.cell_a.name,
        )
        Rating.objects.create(
            review=earlier_review,
            stage=Stage.DECISION,
            level=levels["HTXSNV"],
            set_at=now,
        )
        # The ratings are decided: the notification can be made.
        cls.cycle.status = ReviewCycle.Status.DECIDED
        cls.cycle.save()

    def render(self, kind, **subject):
        html = documents.render_html(kind, self.cycle, **subject)
        return documents.render_pdf(html, documents.BASE_URL)

    def subjects(self):
        return {
            Kind.INDIVIDUAL_FORM: {"review": self.review_a},
            Kind.COLLECTIVE_REPORT: {"organization": self.cell_a},
            Kind.MINUTES: {"organization": self.cell_a},
            Kind.NOTIFICATION: {"organization": self.cell_a},
            Kind.SUMMARY: {},
        }


class ReportDocumentsTests(DocumentData):
    def assertPrinted(self, text, *expected):
        for string in expected:
            with self.subTest(string=string):
                self.assertIn(string, text)

    def test_every_document_has_the_party_header_and_embedded_fonts(self):
        for kind, subject in self.subjects().items():
            with self.subTest(kind=kind):
                pdf = self.render(kind, **subject)
                self.assertTrue(pdf.startswith(b"%PDF"))
                self.assertIn("ĐẢNG CỘNG SẢN VIỆT NAM", pdf_text(pdf))
                fonts = pdf_fonts(pdf)
                self.assertTrue(fonts)
                for name, embedded in fonts:
                    self.assertEqual(embedded, "yes", name)
                    self.assertIn("Liberation-Serif", name)

    def test_individual_form_prints_every_part_of_the_review(self):
        text = pdf_text(self.render(Kind.INDIVIDUAL_FORM, review=self.review_a))
        self.assertPrinted(
            text,
            "ĐẢNG BỘ PHƯỜNG QUYẾT THẮNG",
            "CHI BỘ TỔ DÂN PHỐ 1",
            "Kon Tum, ngày 05 tháng 12 năm 2026",
            "BẢN KIỂM ĐIỂM CÁ NHÂN",
            "Năm 2026",
            "Họ và tên: Nguyễn Văn Ân",
            "Ngày sinh: 01/05/1980",
            "Phó Bí thư chi bộ",
            "I. Ưu điểm, kết quả đạt được",
            "II. Hạn chế, khuyết điểm và nguyên nhân",
            "Đôi lúc còn chậm báo cáo.",
            "Chậm nộp báo cáo tháng",
            "Đã nộp đúng hạn từ tháng 3.",
            "Làm rõ việc chậm cấp giấy chứng nhận.",
            "Đã giải quyết xong 12 hồ sơ tồn đọng.",
            "Tổng điểm 100 87",
            "Đồng chí Ân cần báo cáo đúng hạn hơn.",
            "Hội nghị đề nghị xếp loại: Hoàn thành tốt nhiệm vụ",
            "NGƯỜI TỰ KIỂM ĐIỂM",
            "T/M CHI BỘ",
            "BÍ THƯ",
        )

    def test_the_decision_is_printed_only_once_the_results_are_published(self):
        # One file serves every reader, and before publication a member may not
        # see the decision.
        decided = pdf_text(self.render(Kind.INDIVIDUAL_FORM, review=self.review_a))
        self.cycle.status = ReviewCycle.Status.PUBLISHED
        self.cycle.save()

        published = pdf_text(self.render(Kind.INDIVIDUAL_FORM, review=self.review_a))

        assessment = "Đồng chí Ân hoàn thành tốt nhiệm vụ được giao."
        self.assertNotIn(assessment, decided)
        self.assertIn(assessment, published)

    def test_hostile_answer_is_printed_literally(self):
        text = pdf_text(self.render(Kind.INDIVIDUAL_FORM, review=self.review_a))
        self.assertIn(HOSTILE_IMAGE, text)
        self.assertIn(HOSTILE_FILE, text)

    def test_collective_report_has_its_title_signature_and_recipients(self):
        text = pdf_text(self.render(Kind.COLLECTIVE_REPORT, organization=self.cell_a))
        self.assertPrinted(
            text,
            "BÁO CÁO",
            "Kiểm điểm tập thể Chi bộ Tổ dân phố 1",
            "Số -BC/CB",
            "Chi bộ lãnh đạo hoàn thành nhiệm vụ chính trị.",
            "Sinh hoạt chuyên đề chưa đều.",
            "T/M CHI BỘ",
            "Nơi nhận:",
            "Đảng bộ phường Quyết Thắng (để báo cáo)",
        )

    def test_minutes_record_attendance_quorum_and_votes(self):
        text = pdf_text(self.render(Kind.MINUTES, organization=self.cell_a))
        self.assertPrinted(
            text,
            "BIÊN BẢN",
            "ngày 20 tháng 12 năm 2026",
            "Địa điểm: Hội trường tổ dân phố 1.",
            "Chủ trì hội nghị: đồng chí Nguyễn Văn Ân.",
            "Thư ký hội nghị: đồng chí Trần Thị Bình.",
            "Đồng chí Phạm Quốc Hùng, Đảng ủy viên",
            "được triệu tập: 2 đồng chí; có mặt: 1 đồng chí; vắng mặt: 1 đồng chí",
            "Trần Thị Bình Đi công tác",
            "chưa bảo đảm tỷ lệ",
            "1. Chi bộ Tổ dân phố 1",
            "2. Nguyễn Văn Ân",
            "Đồng chí Ân cần báo cáo đúng hạn hơn.",
            "Hội nghị đề nghị xếp loại: Hoàn thành tốt nhiệm vụ",
        )

    def test_notification_lists_decided_ratings_and_counts(self):
        text = pdf_text(self.render(Kind.NOTIFICATION, organization=self.cell_a))
        self.assertPrinted(
            text,
            "THÀNH ỦY KON TUM",
            "THÔNG BÁO",
            "kết quả đánh giá, xếp loại chất lượng năm 2026",
            "Chi bộ Tổ dân phố 1: Hoàn thành tốt nhiệm vụ.",
            "Nguyễn Văn Ân",
            "Trần Thị Bình",
            "Hoàn thành tốt nhiệm vụ 1 50",
            "Chưa xếp loại 1",
            "T/M BAN THƯỜNG VỤ",
        )

    def test_summary_reports_statistics_history_focus_areas_and_remedies(self):
        text = pdf_text(self.render(Kind.SUMMARY))
        self.assertPrinted(
            text,
            "THÀNH ỦY KON TUM",
            "Số -BC/TU",
            "BÁO CÁO",
            "tổng hợp kết quả kiểm điểm, đánh giá, xếp loại chất lượng",
            "HTXSNV – Hoàn thành xuất sắc nhiệm vụ",
            "Không hoàn thành nhiệm vụ",
            "Tổ chức đảng theo mức xếp loại",
            "Kiểm điểm năm 2025",
            "Chậm trễ, tồn đọng hồ sơ cấp giấy chứng nhận quyền sử dụng đất 0 0 1 1",
            "Đã hoàn thành Quá hạn 2 1 0 1 1",
            "T/M BAN THƯỜNG VỤ",
        )

    def test_stylesheet_and_fonts_are_read_through_the_fetcher(self):
        with self.assertNoLogs("weasyprint", level="WARNING"):
            self.render(Kind.INDIVIDUAL_FORM, review=self.review_a)

    def test_summary_chart_is_inline_svg(self):
        html = documents.render_html(Kind.SUMMARY, self.cycle)
        self.assertIn("<svg", html)
        self.assertNotIn("<script", html)

    def test_member_text_is_escaped_in_the_html(self):
        html = documents.render_html(Kind.INDIVIDUAL_FORM, self.cycle, self.review_a)
        self.assertNotIn(HOSTILE_IMAGE, html)
        self.assertIn("&lt;img src=&quot;http://example.invalid/x.png&quot;&gt;", html)

    def test_context_is_read_in_a_fixed_number_of_queries(self):
        expected = {
            Kind.INDIVIDUAL_FORM: 10,
            Kind.COLLECTIVE_REPORT: 11,
            Kind.MINUTES: 5,
            Kind.NOTIFICATION: 5,  # with the exemptions from rating
            Kind.SUMMARY: 10,
        }
        for kind, subject in self.subjects().items():
            with self.subTest(kind=kind), self.assertNumQueries(expected[kind]):
                documents.context_for(kind, self.cycle, **subject)

    def test_minutes_without_a_meeting_say_so(self):
        with self.assertRaises(documents.DocumentUnavailable):
            documents.context_for(Kind.MINUTES, self.cycle, organization=self.cell_b)


class SafeURLFetcherTests(SimpleTestCase):
    def test_network_urls_are_refused(self):
        for url in (
            "http://example.invalid/x.png",
            "https://example.invalid/static/reports/document.css",
            "ftp://example.invalid/x",
            "data:text/plain,hello",
        ):
            with self.subTest(url=url), self.assertRaises(ValueError):
                documents.safe_url_fetcher(url)

    def test_files_outside_the_static_files_are_refused(self):
        for url in (
            "file:///etc/passwd",
            "file:///static/../etc/passwd",
            "file:///static/reports/../../../../etc/passwd",
            "file:///usr/share/fonts/truetype/liberation2/../../../../etc/passwd",
            "file://example.invalid/static/reports/document.css",
        ):
            with self.subTest(url=url), self.assertRaises(ValueError):
                documents.safe_url_fetcher(url)

    def test_static_stylesheet_and_liberation_fonts_are_served(self):
        css = documents.safe_url_fetcher("file:///static/reports/document.css")
        self.assertIn(b"@font-face", css.read())
        self.assertEqual(css.content_type, "text/css")
        font = documents.safe_url_fetcher(
            "file:///usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
        )
        self.assertGreater(len(font.read()), 100_000)

    @override_settings(REPORT_MARGINS_MM=(25, 20, 35, 15))
    def test_page_rule_follows_the_configured_margins(self):
        css = documents.page_css()
        self.assertIn("size: A4 portrait", css)
        self.assertIn("margin: 25mm 15mm 20mm 35mm", css)
        self.assertIn("@page :first { @top-center { content: none; } }", css)


class PlaceAndAbbreviationTests(SimpleTestCase):
    def test_place_drops_the_committee_words(self):
        self.assertEqual(documents.place_of("Thành ủy Kon Tum"), "Kon Tum")
        self.assertEqual(documents.place_of("Đảng ủy phường Kon Tum"), "Kon Tum")
        self.assertEqual(documents.place_of("Kon Tum"), "Kon Tum")

    def test_abbreviation_keeps_d_with_stroke(self):
        self.assertEqual(documents.abbreviation("Thành ủy Kon Tum"), "TU")
        self.assertEqual(documents.abbreviation("Đảng ủy phường"), "ĐU")


class RatingLevelNamesTests(DocumentData):
    def test_notification_names_a_member_not_rated_and_why(self):
        StepExemption.objects.create(
            review=self.cycle.reviews.get(member=self.other_member_a),
            kind=StepExemption.Kind.NOT_RATED,
            reason="Nghỉ ốm dài ngày",
            recorded_by=self.staff,
        )

        text = pdf_text(self.render(Kind.NOTIFICATION, organization=self.cell_a))

        self.assertIn("Không xếp loại (Nghỉ ốm dài ngày)", text)
        self.assertIn("Không xếp loại 1", text)
        self.assertNotIn("Chưa xếp loại", text)

    def test_the_form_of_a_member_not_rated_prints_why_once_published(self):
        review = self.cycle.reviews.get(member=self.other_member_a)
        Rating.objects.filter(review=review, stage=Rating.Stage.DECISION).delete()
        StepExemption.objects.create(
            review=review,
            kind=StepExemption.Kind.NOT_RATED,
            reason="Nghỉ ốm dài ngày",
            recorded_by=self.staff,
        )
        line = "Không đánh giá, xếp loại chất lượng. Lý do: Nghỉ ốm dài ngày"

        decided = pdf_text(self.render(Kind.INDIVIDUAL_FORM, review=review))
        self.cycle.status = ReviewCycle.Status.PUBLISHED
        self.cycle.save()
        published = pdf_text(self.render(Kind.INDIVIDUAL_FORM, review=review))

        self.assertNotIn(line, decided)
        self.assertIn(line, published)
        # A decided member's form is not touched.
        self.assertNotIn(
            "Lý do:", pdf_text(self.render(Kind.INDIVIDUAL_FORM, review=self.review_a))
        )

    def test_notification_prints_every_level_name(self):
        text = pdf_text(self.render(Kind.NOTIFICATION, organization=self.cell_a))
        for level in RatingLevel.objects.filter(regime=self.cycle.regime):
            with self.subTest(level=level.code):
                self.assertIn(level.name, text)


def header_of(pdf, count):
    """The first `count` lines of the first page, spaces made single."""
    return [" ".join(line.split()) for line in pdf_lines(pdf)][:count]


class DocumentHeaderTests(DocumentData):
    """Hướng dẫn 36-HD/VPTW: the Party organization above, the issuing body, a
    star and the number on the left; the Party's name, place and date on the
    right; then the document's type."""

    def test_each_documents_header_lines_in_order(self):
        party = ["ĐẢNG CỘNG SẢN VIỆT NAM"]
        cell = ["ĐẢNG BỘ PHƯỜNG QUYẾT THẮNG", "CHI BỘ TỔ DÂN PHỐ 1", "*"]
        committee = ["THÀNH ỦY KON TUM", "*"]
        today = timezone.localdate()
        dated = f"Kon Tum, ngày {today:%d} tháng {today:%m} năm {today:%Y}"
        expected = {
            Kind.INDIVIDUAL_FORM: (
                {"review": self.review_a},
                cell
                + party
                + ["Kon Tum, ngày 05 tháng 12 năm 2026", "BẢN KIỂM ĐIỂM CÁ NHÂN"],
            ),
            Kind.COLLECTIVE_REPORT: (
                {"organization": self.cell_a},
                [*cell, "Số -BC/CB", *party],
            ),
            Kind.MINUTES: (
                {"organization": self.cell_a},
                cell
                + ["Số -BB/CB"]
                + party
                + ["Kon Tum, ngày 20 tháng 12 năm 2026", "BIÊN BẢN"],
            ),
            Kind.NOTIFICATION: (
                {"organization": self.cell_a},
                committee + ["Số -TB/TU"] + party + [dated, "THÔNG BÁO"],
            ),
            Kind.SUMMARY: (
                {},
                committee + ["Số -BC/TU"] + party + [dated, "BÁO CÁO"],
            ),
        }
        for kind, (subject, lines) in expected.items():
            with self.subTest(kind=kind):
                pdf = self.render(kind, **subject)
                self.assertEqual(header_of(pdf, len(lines)), lines)

    def test_a_party_committee_issues_as_its_committee(self):
        pdf = self.render(Kind.COLLECTIVE_REPORT, organization=self.ward)
        self.assertEqual(
            header_of(pdf, 4),
            ["THÀNH ỦY KON TUM", "ĐẢNG ỦY PHƯỜNG QUYẾT THẮNG", "*", "Số -BC/ĐU"],
        )

    def test_signatures_and_recipients(self):
        signed = {
            Kind.COLLECTIVE_REPORT: ("T/M CHI BỘ", "Nơi nhận:"),
            Kind.NOTIFICATION: ("T/M BAN THƯỜNG VỤ", "Nơi nhận:"),
            Kind.SUMMARY: ("T/M BAN THƯỜNG VỤ", "Nơi nhận:"),
        }
        for kind, strings in signed.items():
            subject = self.subjects()[kind]
            text = pdf_text(self.render(kind, **subject))
            for string in strings:
                with self.subTest(kind=kind, string=string):
                    self.assertIn(string, text)

    def test_the_notification_speaks_for_the_standing_committee(self):
        text = pdf_text(self.render(Kind.NOTIFICATION, organization=self.cell_a))
        self.assertIn("Ban Thường vụ Thành ủy Kon Tum thông báo", text)


class IssuingBodyTests(SimpleTestCase):
    def test_a_party_organizations_committee_issues_its_documents(self):
        cases = {
            "Đảng bộ tỉnh Kon Tum": "Tỉnh ủy Kon Tum",
            "Đảng bộ thành phố Kon Tum": "Thành ủy Kon Tum",
            "Đảng bộ huyện Đăk Hà": "Huyện ủy Đăk Hà",
            "Đảng bộ phường Quyết Thắng": "Đảng ủy phường Quyết Thắng",
            "Đảng bộ Cơ quan Kho bạc Nhà nước thành phố": (
                "Đảng ủy Cơ quan Kho bạc Nhà nước thành phố"
            ),
            "Chi bộ Tổ dân phố 1": "Chi bộ Tổ dân phố 1",
            "Thành ủy Kon Tum": "Thành ủy Kon Tum",
        }
        for name, body in cases.items():
            with self.subTest(name=name):
                self.assertEqual(documents.issuing_body(name), body)

    def test_header_names_the_organization_above_then_the_committee(self):
        province = Organization(name="Đảng bộ tỉnh Kon Tum")
        city = Organization(name="Đảng bộ thành phố Kon Tum", parent=province)
        cycle = ReviewCycle(superior=city)
        header = documents.header_for(city, cycle, datetime.date(2026, 12, 5), "TB")
        self.assertEqual(header.superior_name, "Đảng bộ tỉnh Kon Tum")
        self.assertEqual(header.issuing_body, "Thành ủy Kon Tum")
        self.assertEqual(" ".join(header.number.split()), "Số -TB/TU")
        self.assertEqual(header.place, "Kon Tum")


class CarryOverSectionTests(DocumentData):
    """Section III when no action was left open by earlier reviews."""

    NOTHING_LEFT = (
        "Không còn hạn chế, khuyết điểm nào từ các kỳ kiểm điểm trước phải tiếp tục "
        "khắc phục."
    )

    def other_form_text(self, answers):
        review = self.cycle.reviews.get(member=self.other_member_a)
        review.answers = answers
        review.save()
        return pdf_text(self.render(Kind.INDIVIDUAL_FORM, review=review))

    def section_three(self, text):
        start = text.index("III. ")
        return text[start : text.index("IV. ", start)]

    def test_without_an_answer_it_says_nothing_is_left_once(self):
        part = self.section_three(self.other_form_text({}))
        self.assertEqual(part.count(self.NOTHING_LEFT), 1)
        self.assertNotIn("được chỉ ra ở các kỳ kiểm điểm trước.", part)

    def test_the_subjects_own_account_is_printed_alone(self):
        account = "Các hạn chế năm trước đã được khắc phục xong."
        part = self.section_three(self.other_form_text({"III": account}))
        self.assertIn(account, part)
        self.assertNotIn("Không còn hạn chế", part)
        self.assertNotIn("Không có hạn chế", part)

    def test_open_items_are_printed_with_their_outcome(self):
        part = self.section_three(
            pdf_text(self.render(Kind.INDIVIDUAL_FORM, review=self.review_a))
        )
        self.assertIn("1. Chậm nộp báo cáo tháng", part)
        self.assertIn("Đã nộp đúng hạn từ tháng 3. — Đã khắc phục.", part)
        self.assertNotIn(self.NOTHING_LEFT, part)


class MinutesDetailTests(DocumentData):
    def minutes(self):
        return pdf_text(self.render(Kind.MINUTES, organization=self.cell_a))

    def test_known_times_are_printed(self):
        Meeting.objects.filter(review=self.collective_a).update(
            starts_at=datetime.time(7, 30), ends_at=datetime.time(11, 5)
        )
        text = self.minutes()
        self.assertIn(
            "Thời gian: bắt đầu vào hồi 7 giờ 30 phút, ngày 20 tháng 12 năm 2026.",
            text,
        )
        self.assertIn("Hội nghị kết thúc vào hồi 11 giờ 05 phút cùng ngày.", text)
        self.assertNotIn("……", text)

    def test_unknown_times_are_left_blank_to_fill_in(self):
        text = self.minutes()
        self.assertIn("bắt đầu vào hồi …… giờ …… phút, ngày 20 tháng 12 năm 2026", text)
        self.assertIn("kết thúc vào hồi …… giờ …… phút cùng ngày", text)

    def test_subjects_are_numbered_from_one_whatever_their_order(self):
        meeting = Meeting.objects.get(review=self.collective_a)
        for position, item in enumerate(meeting.items.order_by("order")):
            MeetingItem.objects.filter(pk=item.pk).update(order=position)
        text = self.minutes()
        self.assertIn(
            "TT Tập thể, cá nhân được kiểm điểm 1 Chi bộ Tổ dân phố 1 2", text
        )
        self.assertIn("1. Chi bộ Tổ dân phố 1", text)
        self.assertIn("2. Nguyễn Văn Ân", text)
        self.assertNotIn("0 Chi bộ Tổ dân phố 1", text)

    def test_a_member_exempted_from_submitting_is_named_with_the_reason(self):
        meeting = Meeting.objects.get(review=self.collective_a)
        other = self.cycle.reviews.get(member=self.other_member_a)
        MeetingItem.objects.create(meeting=meeting, review=other, order=3)
        StepExemption.objects.create(
            review=other,
            kind=StepExemption.Kind.NOT_SUBMITTED,
            reason="Ốm dài ngày, đang điều trị tại bệnh viện",
            recorded_by=self.staff,
        )
        text = self.minutes()
        self.assertIn(
            "Đồng chí Trần Thị Bình không nộp bản kiểm điểm, lý do: Ốm dài ngày, "
            "đang điều trị tại bệnh viện; hội nghị không kiểm điểm đồng chí.",
            text,
        )
        self.assertNotIn("3. Trần Thị Bình", text)
        self.assertNotIn("3 Trần Thị Bình", text)
        self.assertIn("2. Nguyễn Văn Ân", text)


class SummaryExemptionTests(DocumentData):
    HEADING = "7. Các trường hợp khép lại khi chưa thực hiện"

    def summary(self):
        return pdf_text(self.render(Kind.SUMMARY))

    def test_none_says_so(self):
        text = self.summary()
        self.assertIn(f"{self.HEADING} Không có.", text)

    def test_exemptions_are_counted_per_kind_and_listed(self):
        other = self.cycle.reviews.get(member=self.other_member_a)
        StepExemption.objects.create(
            review=other,
            kind=StepExemption.Kind.NOT_SUBMITTED,
            reason="Ốm nằm viện",
            recorded_by=self.staff,
        )
        StepExemption.objects.create(
            review=self.cycle.reviews.get(member=self.member_b),
            kind=StepExemption.Kind.NOT_RATED,
            reason="Đang chuyển sinh hoạt",
            recorded_by=self.staff,
        )
        text = self.summary()
        part = text[text.index(self.HEADING) :]
        self.assertIn(
            "Không nộp bản kiểm điểm 1 Không tổ chức hội nghị kiểm điểm 0 "
            "Không đánh giá, xếp loại 1 Tổng số 2",
            part,
        )
        self.assertIn(
            "1 Trần Thị Bình Chi bộ Tổ dân phố 1 Không nộp bản kiểm điểm Ốm nằm viện",
            part,
        )
        self.assertIn(
            "2 Lê Đức Cường Chi bộ Tổ dân phố 2 Không đánh giá, xếp loại "
            "Đang chuyển sinh hoạt",
            part,
        )
        self.assertNotIn("Không có.", part)


class NotificationBeforeDecisionTests(DocumentData):
    def test_the_notification_needs_decided_ratings(self):
        for status in (
            ReviewCycle.Status.SELF_REVIEW,
            ReviewCycle.Status.MEETINGS,
            ReviewCycle.Status.APPRAISAL,
        ):
            ReviewCycle.objects.filter(pk=self.cycle.pk).update(status=status)
            self.cycle.refresh_from_db()
            with (
                self.subTest(status=status),
                self.assertRaises(documents.DocumentUnavailable),
            ):
                documents.context_for(
                    Kind.NOTIFICATION, self.cycle, organization=self.cell_a
                )
