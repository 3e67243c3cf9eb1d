"""A small world with one of every object in four places, for the permission matrix.

Thành ủy Kon Tum (TU) holds two wards: Quyết Thắng (P01) with cells A and B, and
Quang Trung (P02) with cell C. Another root committee, Huyện ủy Đắk Hà (HDH),
holds cell D, outside the city's tree. Each cell is a `Place` holding one object
of every kind the pages and the admin look up: its organization, a member, the
member's review in the committee's current cycle, the collective's review and
meeting, a suggestion, a remedy action, a rating and so on.

The personas hold roles in that tree: a member of A, the secretaries of A and B,
a leader of P01, the staff of P01 (a lower committee), the staff of TU and a
superuser. The city's cycle, each ward's own and Đắk Hà's are open (at the
self-review); the reviews of cells A to C are the city's cycle's.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone

from members.models import Post, PostKind
from organizations.models import OrganizationKind, Restructuring, Role
from reviews import services
from reviews.models import (
    Assignment,
    CarryOverItem,
    Conclusion,
    CycleExclusion,
    CycleJob,
    CyclePost,
    CycleReopening,
    Discipline,
    FocusArea,
    FocusIndicator,
    IndicatorValue,
    Notice,
    Rating,
    Regime,
    RemedyAction,
    ReportJob,
    ReviewCycle,
    StepExemption,
    Suggestion,
    SuggestionItem,
)

from .factories import MemberFactory, OrganizationFactory, UserFactory, grant

YEAR = 2026


@dataclass
class Place:
    """One cell and one object of every kind that belongs to it."""

    key: str
    org: object
    unit: object  # the committee the cell belongs to (a ward, or the root)
    member: object
    user: object  # the cell's secretary's account
    cycle: object  # the cycle its reviews belong to: its root committee's
    # The cycle the cycle pages are probed with: the city's for A and B, the
    # other ward's own cycle for C (one P01 has no part in), the district's for D.
    probe_cycle: object
    ward_cycle: object  # the cycle of the cell's own committee (ward or root)
    review: object = None
    collective: object = None
    meeting: object = None
    suggestion: object = None
    assignment: object = None
    exemption: object = None
    remedy: object = None
    carry_over: object = None
    rating: object = None
    discipline: object = None
    conclusion: object = None
    exclusion: object = None
    indicator_value: object = None
    cycle_post: object = None
    post: object = None
    role: object = None
    notice: object = None
    report_job: object = None
    cycle_job: object = None
    reopening: object = None


def staff_group():
    """The demo's "Ban Tổ chức" group: every permission of the three apps and
    of users (members/demo/people.py create_accounts)."""
    group, _ = Group.objects.get_or_create(name="Ban Tổ chức")
    group.permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label__in=["organizations", "members", "reviews"])
            | Q(content_type__app_label="auth", content_type__model="user")
        )
    )
    return group


def open_cycle(name, superior):
    cycle = ReviewCycle.objects.create(
        name=name,
        year=YEAR,
        starts_on=f"{YEAR}-01-01",
        ends_on=f"{YEAR}-12-31",
        regime=Regime.objects.get(code="qd366"),
        superior=superior,
        self_review_due=f"{YEAR}-12-15",
        meetings_due=f"{YEAR}-12-31",
        decision_due=f"{YEAR + 1}-01-20",
    )
    services.open_cycle(CycleJob.objects.create(cycle=cycle))
    cycle.status = ReviewCycle.Status.SELF_REVIEW
    cycle.save()
    return cycle


def ward_cycle(name, superior, staff):
    """A committee's own cycle, opened, with a reopening on record."""
    cycle = open_cycle(name, superior)
    reopening = CycleReopening.objects.create(
        cycle=cycle, from_status="published", reason="Sửa sai sót", reopened_by=staff
    )
    return cycle, cycle.jobs.get(), reopening


def fill(place, staff, indicator, area):
    """One object of every kind in the place's cell, in its committee's cycle."""
    cycle, member = place.cycle, place.member
    place.review = cycle.reviews.get(member=member)
    place.collective = cycle.reviews.get(organization=place.org, kind="organization")
    place.meeting = services.ensure_meeting(place.collective)
    place.suggestion = Suggestion.objects.create(
        cycle=cycle, member=member, issued_on=f"{YEAR}-11-20", issued_by=staff
    )
    SuggestionItem.objects.create(
        suggestion=place.suggestion, number=1, focus_area=area, text="Đất đai"
    )
    place.assignment = Assignment.objects.create(
        cycle=cycle, organization=place.org, assignee=place.user
    )
    place.exemption = StepExemption.objects.create(
        review=place.review,
        kind=StepExemption.Kind.NOT_SUBMITTED,
        reason="Ốm dài ngày",
        recorded_by=staff,
    )
    place.remedy = RemedyAction.objects.create(
        review=place.review,
        number=1,
        shortcoming="Chậm nộp đảng phí",
        content="Nộp đúng hạn",
        owner=member.full_name,
        deadline=datetime.date(YEAR + 1, 6, 30),
    )
    place.carry_over = CarryOverItem.objects.create(
        review=place.review, number=1, text="Chậm nộp báo cáo"
    )
    place.rating = Rating.objects.create(
        review=place.review,
        stage=Rating.Stage.SELF,
        level=cycle.regime.levels.get(code="HTTNV"),
        set_by=place.user,
        set_at=timezone.now(),
    )
    place.discipline = Discipline.objects.create(
        member=member, form="reprimand", decided_on=f"{YEAR}-03-01"
    )
    place.conclusion = Conclusion.objects.create(
        member=member, kind="example", concluded_on=f"{YEAR}-04-01"
    )
    excluded = MemberFactory(full_name="Phạm Văn Hòa", organization=place.org)
    place.exclusion = CycleExclusion.objects.create(
        cycle=cycle, member=excluded, organization=place.org, reason="transfer"
    )
    place.indicator_value = IndicatorValue.objects.create(
        indicator=indicator, cycle=cycle, organization=place.org, target=1, actual=1
    )
    place.cycle_post = CyclePost.objects.create(
        cycle=cycle, review=place.review, organization=place.org, kind="secretary"
    )
    place.post = Post.objects.create(
        member=member, organization=place.org, kind=PostKind.DEPUTY
    )
    place.role = place.user.party_roles.get(organization=place.org)
    place.notice = Notice.objects.create(
        user=place.user, review=place.review, text="Đã công bố kết quả"
    )
    place.report_job = ReportJob.objects.create(
        kind=ReportJob.Kind.INDIVIDUAL_FORM,
        cycle=cycle,
        review=place.review,
        requested_by=place.user,
        status=ReportJob.Status.DONE,
        input_hash=f"matrix-{place.key}",
    )
    place.report_job.file.save(f"matrix-{place.key}.pdf", ContentFile(b"%PDF-1.4\n"))


def build(world):
    """Set the world's organizations, personas and places as attributes of
    `world` (a TestCase class, from setUpTestData)."""
    w = world
    w.city = OrganizationFactory(
        code="TU",
        name="Thành ủy Kon Tum",
        kind=OrganizationKind.SUPERIOR_COMMITTEE,
        org_type=None,
    )
    w.ward = OrganizationFactory(
        code="P01",
        name="Đảng bộ phường Quyết Thắng",
        kind=OrganizationKind.GRASSROOTS_COMMITTEE,
        parent=w.city,
    )
    w.other_ward = OrganizationFactory(
        code="P02",
        name="Đảng bộ phường Quang Trung",
        kind=OrganizationKind.GRASSROOTS_COMMITTEE,
        parent=w.city,
    )
    w.district = OrganizationFactory(
        code="HDH",
        name="Huyện ủy Đắk Hà",
        kind=OrganizationKind.SUPERIOR_COMMITTEE,
        org_type=None,
    )
    cells = {
        "A": OrganizationFactory(
            code="P01.A", name="Chi bộ Tổ dân phố 1", parent=w.ward
        ),
        "B": OrganizationFactory(
            code="P01.B", name="Chi bộ Tổ dân phố 2", parent=w.ward
        ),
        "C": OrganizationFactory(
            code="P02.C", name="Chi bộ Tổ dân phố 5", parent=w.other_ward
        ),
        "D": OrganizationFactory(
            code="HDH.D",
            name="Chi bộ Trường THCS Đắk Hà",
            kind=OrganizationKind.GRASSROOTS_CELL,
            parent=w.district,
        ),
    }
    units = {"A": w.ward, "B": w.ward, "C": w.other_ward, "D": w.district}

    group = staff_group()
    w.superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    w.staff = UserFactory(username="staff", is_staff=True)
    grant(w.staff, w.city, Role.Kind.STAFF)
    w.staff.groups.add(group)
    # Two draft decisions of the city: one to open, preview and apply (its line
    # names no organization, so applying is refused and changes nothing), one
    # to delete.
    w.restructuring, w.doomed_restructuring = (
        Restructuring.objects.create(
            number=number,
            signed_on=datetime.date(2026, 1, 1),
            issued_by="Ban Thường vụ Thành ủy",
            effective_on=datetime.date(2026, 1, 1),
            committee=w.city,
            created_by=w.staff,
        )
        for number in ("Số 1-QĐ/TU", "Số 2-QĐ/TU")
    )
    w.restructuring.lines.create(number=1, operation="close", code="KHONG-CO")
    w.ward_staff = UserFactory(username="ward_staff", is_staff=True)
    grant(w.ward_staff, w.ward, Role.Kind.STAFF)
    w.ward_staff.groups.add(group)
    w.leader = UserFactory(username="leader")
    grant(w.leader, w.ward, Role.Kind.LEADER)
    secretaries = {}
    for key, cell in cells.items():
        secretaries[key] = UserFactory(username=f"secretary_{key.lower()}")
        grant(secretaries[key], cell, Role.Kind.SECRETARY)
    w.secretary = secretaries["A"]
    w.other_secretary = secretaries["B"]
    w.member_user = UserFactory(username="member_a")
    grant(w.member_user, cells["A"], Role.Kind.MEMBER)

    members = {
        "A": MemberFactory(
            full_name="Nguyễn Văn Ân", organization=cells["A"], user=w.member_user
        ),
        "B": MemberFactory(full_name="Lê Đức Cường", organization=cells["B"]),
        "C": MemberFactory(full_name="Trần Thị Dung", organization=cells["C"]),
        "D": MemberFactory(full_name="Võ Văn Em", organization=cells["D"]),
    }
    w.other_member_a = MemberFactory(full_name="Trần Thị Bình", organization=cells["A"])
    MemberFactory(full_name="Hồ Thị Giang", organization=cells["D"])

    w.cycle = open_cycle(f"Kiểm điểm năm {YEAR}", w.city)
    ward_cycles = {
        w.ward: ward_cycle("Phường Quyết Thắng", w.ward, w.staff),
        w.other_ward: ward_cycle("Phường Quang Trung", w.other_ward, w.staff),
        w.district: ward_cycle("Đắk Hà", w.district, w.superuser),
    }
    w.district_cycle = ward_cycles[w.district][0]
    cycles = {"A": w.cycle, "B": w.cycle, "C": w.cycle, "D": w.district_cycle}
    probe_cycles = {**cycles, "C": ward_cycles[w.other_ward][0]}
    area = FocusArea.objects.create(code="matrix", name="Quản lý đất đai")
    indicator = FocusIndicator.objects.create(
        focus_area=area, code="matrix-1", name="Hồ sơ đất đai", unit="hồ sơ"
    )
    w.places = {}
    for key, cell in cells.items():
        own_cycle, job, reopening = ward_cycles[units[key]]
        place = Place(
            key=key,
            org=cell,
            unit=units[key],
            member=members[key],
            user=secretaries[key],
            cycle=cycles[key],
            probe_cycle=probe_cycles[key],
            ward_cycle=own_cycle,
            cycle_job=job,
            reopening=reopening,
        )
        fill(place, w.staff if key != "D" else w.superuser, indicator, area)
        w.places[key] = place
    w.area, w.indicator = area, indicator
