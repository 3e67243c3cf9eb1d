import datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Member
from organizations.models import Organization, OrganizationKind
from reviews.models import (
    Assignment,
    Attendance,
    CarryOverItem,
    CycleExclusion,
    CycleJob,
    FocusArea,
    FormSection,
    FormTemplate,
    Meeting,
    MeetingItem,
    Regime,
    Review,
    ReviewCycle,
    Suggestion,
    SuggestionItem,
)

from .test_suggestion_list import make_organizations

WORKFLOW_MODELS = [
    FormTemplate,
    CycleJob,
    CycleExclusion,
    Review,
    CarryOverItem,
    Suggestion,
    Assignment,
    Meeting,
]


def make_rows(cycle, user, count):
    """`count` rows of every workflow model, each under a new organization."""
    start = Organization.objects.count()
    organizations = make_organizations(cycle.superior, count)
    members = []
    for n, organization in enumerate(organizations, start):
        member = Member(
            full_name=f"Nguyễn Văn An {n}",
            gender="male",
            date_of_birth=datetime.date(1980, 1, 1),
            card_number=f"8{n:07d}",
            admitted_on=datetime.date(2000, 1, 1),
            organization=organization,
        )
        member.refresh_keys()
        members.append(member)
    Member.objects.bulk_create(members)
    template = FormTemplate.objects.filter(regime=cycle.regime).first()
    templates = FormTemplate.objects.bulk_create(
        FormTemplate(
            regime=cycle.regime,
            cycle=cycle,
            code=f"T{n}",
            title=f"Mẫu {n}",
            audience=FormTemplate.Audience.OTHER,
        )
        for n in range(start, start + count)
    )
    FormSection.objects.bulk_create(
        FormSection(template=t, key="I", number="I", heading="Ưu điểm")
        for t in templates
    )
    CycleJob.objects.bulk_create(CycleJob(cycle=cycle) for _ in range(count))
    CycleExclusion.objects.bulk_create(
        CycleExclusion(
            cycle=cycle, member=m, organization_id=m.organization_id, reason="exempt"
        )
        for m in members
    )
    individuals = Review.objects.bulk_create(
        Review(
            cycle=cycle,
            kind=Review.Kind.INDIVIDUAL,
            organization_id=m.organization_id,
            member=m,
            template=template,
            subject_name=m.full_name,
        )
        for m in members
    )
    collectives = Review.objects.bulk_create(
        Review(
            cycle=cycle,
            kind=Review.Kind.ORGANIZATION,
            organization=o,
            template=template,
            subject_name=o.name,
        )
        for o in organizations
    )
    CarryOverItem.objects.bulk_create(
        CarryOverItem(review=r, number=1, text="Hạn chế") for r in individuals
    )
    area = FocusArea.objects.first()
    suggestions = Suggestion.objects.bulk_create(
        Suggestion(
            cycle=cycle, organization=o, issued_on=cycle.starts_on, issued_by=user
        )
        for o in organizations
    )
    SuggestionItem.objects.bulk_create(
        SuggestionItem(suggestion=s, number=1, focus_area=area, text="Gợi ý")
        for s in suggestions
    )
    Assignment.objects.bulk_create(
        Assignment(cycle=cycle, organization=o, assignee=user) for o in organizations
    )
    meetings = Meeting.objects.bulk_create(Meeting(review=r) for r in collectives)
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, member=member)
        for meeting, member in zip(meetings, members)
    )
    MeetingItem.objects.bulk_create(
        MeetingItem(meeting=meeting, review=review, order=0)
        for meeting, review in zip(meetings, collectives)
    )


def changelist(model):
    return reverse(f"admin:reviews_{model._meta.model_name}_changelist")


class WorkflowAdminTests(TestCase):
    """Each workflow changelist opens and runs the same queries at 20 and 300 rows."""

    @classmethod
    def setUpTestData(cls):
        cls.admin = get_user_model().objects.create_superuser("root", password="x")
        root = Organization(
            code="ROOT", name="Thành ủy", kind=OrganizationKind.SUPERIOR_COMMITTEE
        )
        root.save()
        cls.cycle = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2026",
            year=2026,
            starts_on="2026-01-01",
            ends_on="2026-12-31",
            regime=Regime.objects.get(code="qd366"),
            superior=root,
        )

    def setUp(self):
        self.client.force_login(self.admin)

    def count_queries(self, url):
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return len(queries)

    def test_changelists_do_not_fire_a_query_per_row(self):
        urls = [changelist(model) for model in WORKFLOW_MODELS]
        make_rows(self.cycle, self.admin, 20)
        small = {url: self.count_queries(url) for url in urls}
        make_rows(self.cycle, self.admin, 280)
        self.assertEqual(Meeting.objects.count(), 300)
        large = {url: self.count_queries(url) for url in urls}
        self.assertEqual(large, small)

    def test_change_pages_with_inlines_open(self):
        make_rows(self.cycle, self.admin, 1)
        for model in WORKFLOW_MODELS:
            obj = model.objects.order_by("pk").first()
            url = reverse(
                f"admin:reviews_{model._meta.model_name}_change", args=[obj.pk]
            )
            self.assertEqual(self.client.get(url).status_code, 200, url)

    def test_review_search_finds_the_subject(self):
        make_rows(self.cycle, self.admin, 3)
        start = Member.objects.order_by("pk").first().full_name
        response = self.client.get(changelist(Review), {"q": start})
        self.assertEqual(response.context["cl"].result_count, 1)

    def test_cycle_jobs_are_read_only(self):
        make_rows(self.cycle, self.admin, 1)
        job = CycleJob.objects.get()
        self.assertEqual(
            self.client.get(reverse("admin:reviews_cyclejob_add")).status_code, 403
        )
        url = reverse("admin:reviews_cyclejob_change", args=[job.pk])
        response = self.client.post(url, {"status": "done"})
        self.assertEqual(response.status_code, 403)
        job.refresh_from_db()
        self.assertEqual(job.status, CycleJob.Status.PENDING)
