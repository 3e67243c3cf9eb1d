"""A whole year through the pages, as the people who run it click through it.

Staff create and open the cycle; members and secretaries fill every form, one
member never hands hers in and the secretary records why; every meeting is
recorded; the appraisal is proposed and every comparison group decided; the
results are published; remedy plans are written; every document comes from its
own button; and next year's cycle, created and opened from the pages, asks in
section III about what this year left open. Every step a person does goes
through the page that offers it; the ORM only builds the world and checks it.
"""

import datetime
import re

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from organizations.models import OrganizationKind, Role
from reviews.models import (
    Rating,
    RemedyAction,
    Review,
    ReviewCycle,
    StepExemption,
)

from ..clicks import click_report_button, pdf_text, zip_entries
from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from ..pages import find_form, links, submit
from .year_pages import YearThroughPages, assert_in_section_three

Status = ReviewCycle.Status
EXCUSE = "Ốm dài ngày, điều trị tại bệnh viện"


class WholeYearTests(YearThroughPages, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.committee = OrganizationFactory(
            code="TU",
            name="Thành ủy Kon Tum",
            kind=OrganizationKind.SUPERIOR_COMMITTEE,
            org_type=None,
        )
        cls.ward = OrganizationFactory(
            code="P01",
            name="Đảng bộ phường Quyết Thắng",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=cls.committee,
        )
        cls.cell_a = OrganizationFactory(
            code="P01.A", name="Chi bộ Tổ dân phố 1", parent=cls.ward
        )
        cls.cell_b = OrganizationFactory(
            code="P01.B", name="Chi bộ Tổ dân phố 2", parent=cls.ward
        )
        cls.school = OrganizationFactory(
            code="TH01",
            name="Chi bộ Trường Tiểu học Lê Lợi",
            kind=OrganizationKind.GRASSROOTS_CELL,
            parent=cls.committee,
        )
        cls.staff = UserFactory(username="staff", is_staff=True)
        grant(cls.staff, cls.committee, Role.Kind.STAFF)
        cls.secretaries = {}
        for organization in (cls.ward, cls.cell_a, cls.cell_b, cls.school):
            user = UserFactory(username=f"secretary_{organization.code}")
            grant(user, organization, Role.Kind.SECRETARY)
            cls.secretaries[organization.pk] = user
        cls.leader = UserFactory(username="leader")
        grant(cls.leader, cls.committee, Role.Kind.LEADER)
        cls.member_user = UserFactory(username="member")

        def member(name, organization, **fields):
            return MemberFactory(full_name=name, organization=organization, **fields)

        cls.ward_secretary = member(
            "Phạm Văn Hải",
            cls.cell_a,
            party_post="Bí thư Đảng ủy phường",
            is_leader=True,
        )
        member("Võ Thị Dung", cls.cell_a, party_post="Bí thư chi bộ")
        cls.member_a = member("Nguyễn Văn Ân", cls.cell_a, user=cls.member_user)
        cls.absent = member("Lê Thị Cúc", cls.cell_a)
        member("Trần Văn Bảo", cls.cell_b, party_post="Bí thư chi bộ")
        member("Đặng Thị Bích", cls.cell_b)
        member("Hoàng Văn Chiến", cls.cell_b)
        member("Ngô Thị Lan", cls.school, party_post="Bí thư chi bộ")
        member("Bùi Văn Minh", cls.school)
        member("Đỗ Thị Nga", cls.school)
        member("Lý Văn Miễn", cls.cell_b, status=Member.Status.EXEMPT)

    def test_a_whole_year_through_the_pages(self):
        cycle = self.create_and_open_cycle()
        self.fill_every_form(cycle)
        self.excuse_the_absent_member(cycle)
        self.move(cycle, Status.MEETINGS)
        self.record_every_meeting(cycle)
        self.move(cycle, Status.APPRAISAL)
        self.appraise_and_decide_every_group(cycle)
        self.assertEqual(
            Rating.objects.filter(review__cycle=cycle, stage="decision").count(),
            cycle.reviews.count() - 1,  # all but the member who did not review
        )
        self.move(cycle, Status.DECIDED)
        self.request_every_document(cycle, published=False)
        self.move(cycle, Status.PUBLISHED)
        self.leaders_read_the_results(cycle)
        self.write_remedy_plans(cycle)
        self.request_every_document(cycle, published=True)
        self.next_year_asks_about_the_open_remedies(cycle)

    # Opening -------------------------------------------------------------------

    def create_and_open_cycle(self):
        self.client.force_login(self.staff)
        cycles = self.client.get(reverse("reviews:cycle_list"))
        create = next(link for link in links(cycles, reverse("reviews:cycle_create")))
        page = self.client.get(create)
        year = timezone.localdate().year
        response = submit(
            self.client,
            page,
            action="",
            data={
                "self_review_due": f"{year}-12-15",
                "meetings_due": f"{year}-12-31",
                "decision_due": f"{year + 1}-01-20",
            },
        )
        self.assertEqual(response.status_code, 302, response.content[:3000])
        cycle = ReviewCycle.objects.get(superior=self.committee, year=year)
        self.assertEqual(cycle.status, Status.DRAFT)
        self.move(cycle, Status.SELF_REVIEW)
        self.assertEqual(
            cycle.reviews.individuals().count(), Member.objects.count() - 1
        )
        return cycle

    # Self-review ---------------------------------------------------------------

    def fill_every_form(self, cycle):
        """Members fill their own form, secretaries the others and the reports."""
        for review in cycle.reviews.select_related("organization", "member"):
            if review.member_id == self.absent.pk:
                continue
            user = self.author_of(review)
            self.client.force_login(user)
            url = reverse("reviews:review", args=[review.public_id])
            page = self.client.get(url)
            self.assertEqual(page.status_code, 200)
            response = submit(
                self.client,
                page,
                button="submit",
                data=self.answers(page, review),
            )
            self.assertEqual(response.status_code, 302, self.blockers(response))
            review.refresh_from_db()
            self.assertEqual(review.status, Review.Status.SUBMITTED, review)

    def author_of(self, review):
        if review.member_id == self.member_a.pk:
            return self.member_user
        organization = review.organization
        if review.kind == Review.Kind.LEADERSHIP:
            return self.staff
        return self.secretaries[organization.pk]

    def answers(self, page, review):
        """What a person types into every box of the form."""
        form = find_form(page, button="submit")
        data = {}
        scores = [name for name, _value in form.fields if name.startswith("score_")]
        for name, value in form.fields:
            if name.startswith("text_") and not value:
                data[name] = f"Nội dung {name} của {review.subject_name}."
        for name in scores:
            data[name] = ""
        # 26 of 30 general points, 62 of 70 for tasks: 88, "good" (HTTNV).
        general = [n for n in scores if n.startswith("score_A")]
        tasks = [n for n in scores if n.startswith("score_B")]
        self.spread(data, general, 26, page)
        self.spread(data, tasks, 62, page)
        data["self_rating"] = self.level_value(page, "HTTNV")
        for name, _value in form.fields:
            if name.startswith("cond_"):
                data[name] = 100 if name != "cond_tasks_exceeding_percent" else 20
        return data

    def spread(self, data, names, total, page):
        maxima = [self.maximum(page, name) for name in names]
        left = total
        for name, most in zip(names, maxima):
            points = min(most, left)
            data[name] = points
            left -= points
        self.assertEqual(left, 0, f"{total} points do not fit in {names}.")

    def maximum(self, page, name):
        found = re.search(
            rf'name="{name}"[^>]*max="(\d+)"|max="(\d+)"[^>]*name="{name}"',
            page.content.decode(),
        )
        return int(found.group(1) or found.group(2))

    def level_value(self, page, code):
        html = page.content.decode()
        select = re.search(r'<select name="self_rating".*?</select>', html, re.S)
        option = re.search(rf'<option value="(\d+)"[^>]*>[^<]*{code}', select.group(0))
        if option is None:
            option = re.search(
                r'<option value="(\d+)"[^>]*>\s*Hoàn thành tốt', select.group(0)
            )
        return option.group(1)

    def excuse_the_absent_member(self, cycle):
        """The cell's secretary records why one member never handed her form in."""
        secretary = self.secretaries[self.cell_a.pk]
        self.client.force_login(secretary)
        checklist = self.client.get(
            reverse("reviews:checklist", args=[cycle.public_id, self.cell_a.public_id])
        )
        exemptions = next(
            link
            for link in links(
                checklist, reverse("reviews:exemptions", args=[cycle.public_id])
            )
        )
        page = self.client.get(exemptions.replace("&amp;", "&"))
        review = cycle.reviews.get(member=self.absent)
        self.assertContains(page, self.absent.full_name)
        response = submit(
            self.client,
            page,
            action="",
            data={"reviews": str(review.public_id), "reason": EXCUSE},
        )
        self.assertEqual(response.status_code, 302, self.blockers(response))
        exemption = StepExemption.objects.get(review=review)
        self.assertEqual(exemption.kind, StepExemption.Kind.NOT_SUBMITTED)
        self.assertEqual(exemption.recorded_by, secretary)

    # Meetings ------------------------------------------------------------------

    def record_every_meeting(self, cycle):
        for review in cycle.reviews.collectives().order_by("organization__path"):
            user = self.staff if review.kind == Review.Kind.LEADERSHIP else None
            self.record_meeting(
                cycle, review, user or self.secretaries[review.organization_id]
            )

    # Documents -----------------------------------------------------------------

    def request_every_document(self, cycle, published):
        """Every document from its own button, by the person who would press it."""
        review_a = cycle.reviews.get(member=self.member_a)
        collective_a = cycle.reviews.get(organization=self.cell_a, kind="organization")
        leadership = cycle.reviews.get(kind=Review.Kind.LEADERSHIP)
        secretary_a = self.secretaries[self.cell_a.pk]
        review_url = reverse("reviews:review", args=[review_a.public_id])
        checklist = reverse(
            "reviews:checklist", args=[cycle.public_id, self.cell_a.public_id]
        )
        results = reverse(
            "reviews:organization_results",
            args=[cycle.public_id, self.cell_a.public_id],
        )
        overview = reverse("reviews:cycle", args=[cycle.public_id])
        notifier = secretary_a if published else self.staff
        wanted = [
            (self.member_user, review_url, "individual_form", "BẢN KIỂM ĐIỂM CÁ NHÂN"),
            (
                secretary_a,
                reverse("reviews:review", args=[collective_a.public_id]),
                "collective_report",
                f"BÁO CÁO Kiểm điểm tập thể {self.cell_a.name} năm {cycle.year}",
            ),
            (
                secretary_a,
                reverse("reviews:meeting", args=[collective_a.public_id]),
                "minutes",
                "BIÊN BẢN",
            ),
            (
                self.staff,
                reverse("reviews:meeting", args=[leadership.public_id]),
                "minutes",
                "BIÊN BẢN",
            ),
            # Before publication only staff and leaders see the decisions.
            (notifier, results, "notification", "THÔNG BÁO"),
            (
                self.staff,
                overview,
                "summary",
                "BÁO CÁO tổng hợp kết quả kiểm điểm, đánh giá, xếp loại chất lượng "
                f"tổ chức đảng và đảng viên năm {cycle.year}",
            ),
        ]
        for user, page_url, kind, title in wanted:
            self.client.force_login(user)
            _job, content = click_report_button(self.client, page_url, kind)
            self.assertTrue(content.startswith(b"%PDF"), (kind, page_url))
            text = pdf_text(content)
            self.assertIn(title, text, (kind, page_url))
            self.assertIn(str(cycle.year), text, kind)
        self.assertPdfNames(collective_a, leadership, cycle)
        self.client.force_login(secretary_a)
        _job, content = click_report_button(
            self.client, checklist, "organization_forms"
        )
        entries = zip_entries(content)
        self.assertEqual(
            len(entries), cycle.reviews.filter(organization=self.cell_a).count() - 1
        )
        self.client.force_login(self.staff)
        _job, content = click_report_button(self.client, overview, "cycle_documents")
        entries = zip_entries(content)
        self.assertGreater(len(entries), cycle.reviews.count())
        minutes = [name for name in entries if "bien-ban" in name]
        self.assertEqual(len(minutes), cycle.reviews.collectives().count())
        for name in minutes:
            self.assertIn("BIÊN BẢN", pdf_text(entries[name]))
        if published:
            # The member reads the published result in the notification too.
            self.assertIn(self.member_a.full_name, pdf_text(self.notification(cycle)))

    def assertPdfNames(self, collective, leadership, cycle):
        """The two meetings' minutes are two documents, each of its own meeting."""
        self.client.force_login(self.staff)
        texts = []
        for review in (collective, leadership):
            url = reverse("reviews:meeting", args=[review.public_id])
            _job, content = click_report_button(self.client, url, "minutes")
            texts.append(pdf_text(content))
        self.assertIn(self.cell_a.name.upper(), texts[0].upper())
        self.assertNotEqual(texts[0], texts[1])

    def notification(self, cycle):
        self.client.force_login(self.staff)
        results = reverse(
            "reviews:organization_results",
            args=[cycle.public_id, self.cell_a.public_id],
        )
        return click_report_button(self.client, results, "notification")[1]

    def leaders_read_the_results(self, cycle):
        """The leader's dashboard counts every decision and the excused member."""
        self.client.force_login(self.leader)
        response = self.client.get(reverse("dashboard"), {"cycle": cycle.public_id})
        figures = response.context["figures"]
        members = next(d for d in figures["distributions"] if d.key == "members")
        # The member who did not review is counted, as not rated.
        self.assertEqual(
            sum(members.decided.counts.values()),
            cycle.reviews.individuals().count() - 1,
        )
        self.assertEqual(members.decided.undecided, 1)
        exemptions = {row["kind"]: row for row in figures["exemptions"]}
        self.assertEqual(exemptions[StepExemption.Kind.NOT_SUBMITTED]["members"], 1)

    # Remedies and next year ----------------------------------------------------

    def write_remedy_plans(self, cycle):
        """The cell and one member each plan an action for what they fell short in."""
        collective_a = cycle.reviews.get(organization=self.cell_a, kind="organization")
        review_a = cycle.reviews.get(member=self.member_a)
        deadline = datetime.date(cycle.year + 1, 6, 30)
        secretary_a = self.secretaries[self.cell_a.pk]
        plans = [
            (
                secretary_a,
                collective_a,
                "Sinh hoạt chi bộ chưa đều",
            ),
            (self.member_user, review_a, "Chưa hoàn thành chỉ tiêu học tập"),
        ]
        for user, review, shortcoming in plans:
            self.client.force_login(user)
            page = self.client.get(
                reverse("reviews:remedy_plan", args=[review.public_id])
            )
            response = submit(
                self.client,
                page,
                action="#new-action",
                data={
                    "shortcoming": shortcoming,
                    "content": f"Khắc phục: {shortcoming.lower()}",
                    "owner": "Đồng chí Bí thư chi bộ",
                    "deadline": deadline.isoformat(),
                },
            )
            self.assertEqual(response.status_code, 302, self.blockers(response))
            self.assertTrue(
                RemedyAction.objects.filter(review=review, shortcoming=shortcoming)
            )

    def next_year_asks_about_the_open_remedies(self, cycle):
        """Next year's cycle, from the pages, asks in section III of the forms, on
        the page and in the PDF, about this year's open actions."""
        following = self.create_next_cycle(cycle)
        self.assertEqual(following.regime, cycle.regime)
        self.move(following, Status.SELF_REVIEW)
        assert_in_section_three(
            self,
            following.reviews.get(member=self.member_a),
            self.member_user,
            "Chưa hoàn thành chỉ tiêu học tập",
        )
        assert_in_section_three(
            self,
            following.reviews.get(organization=self.cell_a, kind="organization"),
            self.secretaries[self.cell_a.pk],
            "Sinh hoạt chi bộ chưa đều",
        )
