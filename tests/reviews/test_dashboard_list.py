from collections import defaultdict
from dataclasses import dataclass

from django.core.cache import cache
from django.urls import reverse

from organizations.models import (
    GRASSROOTS_KINDS,
    Organization,
    OrganizationKind,
    OrganizationType,
    Role,
)
from reviews import services
from reviews.models import CycleJob, Meeting, Rating, RatingLevel, Review
from reviews.ratings import record_rating

from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from ..personas import CyclePersonasTestCase
from .test_results_organization import bulk_members

Stage = Rating.Stage
Kind = Review.Kind
Status = Review.Status

# The chain of each subject: (meeting, appraisal, decision) levels, None if not set.
COLLECTIVE_CHAINS = {
    "P01": ("HTTNV", None, "HTTNV"),
    "P01.A": ("HTXSNV", "HTTNV", "HTTNV"),
    "P01.B": ("HTNV", None, None),
    "X02": ("HTXSNV", None, "HTXSNV"),
    "X02.C": (None, "HTNV", "KHTNV"),
    "X02.D": (None, None, None),
}
MEMBER_CHAINS = {
    "Nguyễn Văn Ân": ("HTTNV", None, "HTTNV"),
    "Trần Thị Bình": (None, None, "HTXSNV"),
    "Phạm Văn Lãnh": (None, "HTTNV", "HTNV"),
    "Lê Đức Cường": ("HTNV", None, None),
    "Đinh Thị Cúc": (None, None, "HTTNV"),
    "Y Bôn": ("HTXSNV", None, "HTXSNV"),
    "A Thút": (None, None, None),
    "Rơ Châm Hiền": (None, None, "HTNV"),
    "Siu Hồng": ("HTTNV", None, None),
}
SUBMITTED = ["Nguyễn Văn Ân", "Trần Thị Bình", "Đinh Thị Cúc", "Y Bôn", "P01.A"]
RETURNED = ["Lê Đức Cường", "X02.C"]
# Members, leaders and collectives: a subject is counted under every heading it fits.
SUBJECT_TESTS = {
    "organizations": lambda f: f.kind == Kind.ORGANIZATION,
    "grassroots": lambda f: f.kind == Kind.ORGANIZATION and f.grassroots,
    "cells": lambda f: f.kind == Kind.ORGANIZATION and not f.grassroots,
    "leadership": lambda f: f.kind == Kind.LEADERSHIP,
    "members": lambda f: f.kind == Kind.INDIVIDUAL,
    "leaders": lambda f: f.kind == Kind.INDIVIDUAL and f.is_leader,
}


@dataclass
class Fact:
    """One review as a reader of the rows, not of reviews/statistics/, sees it."""

    pk: int
    name: str
    kind: str
    organization: Organization
    grassroots: bool
    type_code: str
    is_leader: bool
    status: str
    meeting: bool
    proposed: str
    decided: str

    def under(self, organization):
        return self.organization.path.startswith(organization.path)


def review_facts(cycle):
    """Every review of the cycle with its outcome, read from its ratings."""
    chain = defaultdict(dict)
    for rating in Rating.objects.filter(review__cycle=cycle).select_related("level"):
        chain[rating.review_id][rating.stage] = rating.level.code
    organizations = {
        o.pk: o for o in Organization.objects.select_related("org_type").all()
    }

    def grassroots_type(organization):
        while organization is not None:
            if organization.kind in GRASSROOTS_KINDS:
                return organization.org_type.code if organization.org_type else ""
            organization = organizations.get(organization.parent_id)
        return ""

    held = {
        (meeting.review.organization_id, meeting.review.kind): meeting.review_id
        for meeting in Meeting.objects.filter(
            review__cycle=cycle, status=Meeting.Status.DONE
        ).select_related("review")
    }
    facts = []
    for review in Review.objects.filter(cycle=cycle):
        # A member's meeting is the one of the collective of their organization.
        kind = Kind.ORGANIZATION if review.kind == Kind.INDIVIDUAL else review.kind
        organization = organizations[review.organization_id]
        stages = chain[review.pk]
        facts.append(
            Fact(
                pk=review.pk,
                name=review.subject_name,
                kind=review.kind,
                organization=organization,
                grassroots=organization.kind in GRASSROOTS_KINDS,
                type_code=grassroots_type(organization),
                is_leader=review.is_leader,
                status=review.status,
                meeting=(review.organization_id, kind) in held,
                proposed=stages.get(Stage.APPRAISAL) or stages.get(Stage.MEETING, ""),
                decided=stages.get(Stage.DECISION, ""),
            )
        )
    return facts


class DashboardDataTestCase(CyclePersonasTestCase):
    """Two wards of the committee, their cells and members, proposed and decided."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.leader_member_a = MemberFactory(
            full_name="Phạm Văn Lãnh", organization=cls.cell_a, is_leader=True
        )
        cls.ward2 = OrganizationFactory(
            code="X02",
            name="Đảng bộ xã Ia Chim",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=cls.committee,
            org_type=OrganizationType.objects.get(code="xa"),
        )
        # Cells keep the factory's own type: they count under their ward's.
        cls.cell_c = OrganizationFactory(
            code="X02.C", name="Chi bộ thôn Kon Mơ Nay", parent=cls.ward2
        )
        cls.cell_d = OrganizationFactory(
            code="X02.D", name="Chi bộ thôn Plei Sar", parent=cls.ward2
        )
        for name, cell, leader in [
            ("Đinh Thị Cúc", cls.cell_c, False),
            ("Y Bôn", cls.cell_c, True),
            ("A Thút", cls.cell_c, False),
            ("Rơ Châm Hiền", cls.cell_d, False),
            ("Siu Hồng", cls.cell_d, False),
        ]:
            MemberFactory(full_name=name, organization=cell, is_leader=leader)
        cls.leader2 = UserFactory(username="leader_x02")
        grant(cls.leader2, cls.ward2, Role.Kind.LEADER)
        cls.other_committee = OrganizationFactory(
            code="TU2",
            name="Huyện ủy Đăk Hà",
            kind=OrganizationKind.SUPERIOR_COMMITTEE,
            org_type=None,
        )
        cls.outsider = UserFactory(username="staff_tu2")
        grant(cls.outsider, cls.other_committee, Role.Kind.STAFF)
        # The new organizations and members get their reviews.
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))
        cls.rate_everyone()

    @classmethod
    def rate_everyone(cls):
        levels = {
            level.code: level
            for level in RatingLevel.objects.filter(regime=cls.cycle.regime)
        }
        statuses = dict.fromkeys(SUBMITTED, Status.SUBMITTED)
        statuses.update(dict.fromkeys(RETURNED, Status.RETURNED))
        stages = (Stage.MEETING, Stage.APPRAISAL, Stage.DECISION)
        for review in cls.cycle.reviews.select_related("organization"):
            if review.kind == Kind.ORGANIZATION:
                label = review.organization.code
                codes = COLLECTIVE_CHAINS[label]
            elif review.kind == Kind.INDIVIDUAL:
                label = review.subject_name
                codes = MEMBER_CHAINS[label]
            else:
                label, codes = None, (None, None, "HTTNV")
            for stage, code in zip(stages, codes, strict=True):
                if code:
                    record_rating(
                        review, stage, levels[code], cls.staff, reason="Theo biên bản"
                    )
            if label in statuses:
                review.status = statuses[label]
                review.save(update_fields=["status"])
        reviews = cls.cycle.reviews.filter(kind=Kind.ORGANIZATION)
        Meeting.objects.create(
            review=reviews.get(organization=cls.cell_c), status=Meeting.Status.DONE
        )
        Meeting.objects.create(
            review=reviews.get(organization=cls.ward), status=Meeting.Status.DONE
        )
        Meeting.objects.create(review=reviews.get(organization=cls.cell_a))

    def setUp(self):
        # Rows a test adds are rolled back; figures cached from them are not.
        cache.clear()

    def facts(self):
        return review_facts(self.cycle)


class DrillDownTests(DashboardDataTestCase):
    def get(self, user, query=""):
        self.client.force_login(user)
        return self.client.get(f"{reverse('dashboard_list')}?{query}")

    def listed(self, response):
        page = response.context["page"]
        self.assertLessEqual(page.paginator.count, 50)  # all of them on one page
        return sorted(review.pk for review in page)

    def test_the_data_has_every_kind_of_subject(self):
        facts = self.facts()
        for subjects, check in SUBJECT_TESTS.items():
            with self.subTest(subjects=subjects):
                self.assertTrue([f for f in facts if check(f)])
        # The copies on the reviews follow the ratings (the statistics read them).
        copies = {
            review.pk: (review.proposed_code, review.decided_code)
            for review in Review.objects.filter(cycle=self.cycle)
        }
        self.assertEqual(copies, {f.pk: (f.proposed, f.decided) for f in facts})

    def test_each_list_holds_the_subjects_the_rows_say(self):
        ward2 = self.ward2.public_id
        cases = {
            "subjects=members&level=HTTNV&stage=decided": lambda f: (
                SUBJECT_TESTS["members"](f) and f.decided == "HTTNV"
            ),
            "subjects=organizations&level=-": lambda f: (
                SUBJECT_TESTS["organizations"](f) and not f.decided
            ),
            "subjects=cells&level=HTTNV&stage=proposed": lambda f: (
                SUBJECT_TESTS["cells"](f) and f.proposed == "HTTNV"
            ),
            "subjects=leaders&level=HTNV": lambda f: (
                SUBJECT_TESTS["leaders"](f) and f.decided == "HTNV"
            ),
            "subjects=grassroots&level=HTXSNV&stage=decided": lambda f: (
                SUBJECT_TESTS["grassroots"](f) and f.decided == "HTXSNV"
            ),
            "subjects=members&level=-&stage=proposed": lambda f: (
                SUBJECT_TESTS["members"](f) and not f.proposed
            ),
            "subjects=leadership": SUBJECT_TESTS["leadership"],
            "step=submitted&subjects=members": lambda f: (
                SUBJECT_TESTS["members"](f) and f.status == Status.SUBMITTED
            ),
            "step=submitted&missing=1&subjects=members": lambda f: (
                SUBJECT_TESTS["members"](f) and f.status != Status.SUBMITTED
            ),
            "step=returned": lambda f: f.status == Status.RETURNED,
            "step=meeting": lambda f: f.meeting,
            "step=meeting&missing=1&subjects=members": lambda f: (
                SUBJECT_TESTS["members"](f) and not f.meeting
            ),
            "step=proposed&subjects=organizations": lambda f: (
                SUBJECT_TESTS["organizations"](f) and f.proposed
            ),
            "step=decided&missing=1&subjects=organizations": lambda f: (
                SUBJECT_TESTS["organizations"](f) and not f.decided
            ),
            f"org={ward2}&subjects=members": lambda f: (
                SUBJECT_TESTS["members"](f) and f.under(self.ward2)
            ),
            "type=xa&subjects=members&level=HTXSNV": lambda f: (
                SUBJECT_TESTS["members"](f)
                and f.type_code == "xa"
                and f.decided == "HTXSNV"
            ),
            "": lambda f: True,
        }
        facts = self.facts()
        for query, check in cases.items():
            with self.subTest(query=query):
                expected = sorted(f.pk for f in facts if check(f))
                self.assertTrue(expected)
                response = self.get(self.staff, f"cycle={self.cycle.public_id}&{query}")
                self.assertEqual(response.status_code, 200)
                self.assertEqual(
                    response.context["page"].paginator.count, len(expected)
                )
                self.assertEqual(self.listed(response), expected)

    def test_rows_link_to_the_results_and_show_the_levels(self):
        response = self.get(self.staff, "subjects=cells&level=HTTNV&stage=proposed")
        self.assertContains(
            response,
            reverse(
                "reviews:organization_results",
                args=[self.cycle.public_id, self.cell_a.public_id],
            ),
        )
        response = self.get(self.staff, "subjects=leaders&level=HTNV")
        self.assertContains(
            response,
            reverse("reviews:person_results", args=[self.leader_member_a.public_id]),
        )
        self.assertContains(response, "Phạm Văn Lãnh")
        self.assertContains(response, '<abbr title="Hoàn thành nhiệm vụ">HTNV</abbr>')
        self.assertContains(response, f"{reverse('dashboard')}?cycle=")

    def test_a_leader_reads_only_the_own_ward(self):
        for user, ward, other in [
            (self.leader, self.ward, self.ward2),
            (self.leader2, self.ward2, self.ward),
        ]:
            with self.subTest(user=user.username):
                expected = sorted(f.pk for f in self.facts() if f.under(ward))
                response = self.get(user)
                self.assertEqual(self.listed(response), expected)
                response = self.get(user, "subjects=members&level=HTTNV")
                self.assertTrue(
                    all(
                        r.organization.path.startswith(ward.path)
                        for r in response.context["page"]
                    )
                )
                self.assertEqual(
                    self.get(user, f"org={other.public_id}").status_code, 404
                )
                cell = Organization.objects.filter(parent=other).first()
                self.assertEqual(
                    self.get(user, f"org={cell.public_id}").status_code, 404
                )

    def test_readers_without_a_staff_or_leader_role_get_404(self):
        for user in (
            self.secretary_a,
            self.secretary_b,
            self.member_user,
            self.outsider,
        ):
            with self.subTest(user=user.username):
                self.assertEqual(self.get(user).status_code, 404)
                query = f"cycle={self.cycle.public_id}&org={self.ward.public_id}"
                self.assertEqual(self.get(user, query).status_code, 404)

    def test_decisions_stay_hidden_from_ward_staff_before_publication(self):
        ward_staff = UserFactory(username="staff_p01")
        grant(ward_staff, self.ward, Role.Kind.STAFF)
        response = self.get(ward_staff, "subjects=members")
        self.assertFalse(response.context["scope"].show_decisions)
        self.assertEqual(
            self.listed(response),
            sorted(
                f.pk
                for f in self.facts()
                if SUBJECT_TESTS["members"](f) and f.under(self.ward)
            ),
        )
        self.assertContains(response, 'id="decisions-hidden"')
        self.assertNotContains(response, "Hoàn thành xuất sắc nhiệm vụ")  # decided only
        response = self.get(ward_staff, "subjects=members&level=HTTNV")
        self.assertEqual(response.context["page"].paginator.count, 0)
        # Not yet decided: every one of them, as far as this reader knows.
        response = self.get(ward_staff, "subjects=members&step=decided&missing=1")
        self.assertEqual(
            response.context["page"].paginator.count,
            len(
                [
                    f
                    for f in self.facts()
                    if f.kind == Kind.INDIVIDUAL and f.under(self.ward)
                ]
            ),
        )

    def test_bad_filters_give_the_page_with_a_vietnamese_error(self):
        facts = self.facts()
        everyone = len(facts)
        members = sum(1 for f in facts if SUBJECT_TESTS["members"](f))
        decided_good = sum(1 for f in facts if f.decided == "HTTNV")
        # The bad value is reported; the valid filters beside it still count.
        cases = {
            "cycle=not-a-uuid": ("Hãy chọn một lựa chọn hợp lệ.", everyone),
            "subjects=bogus": ("Hãy chọn một lựa chọn hợp lệ.", everyone),
            "stage=later&level=HTTNV": ("Hãy chọn một lựa chọn hợp lệ.", decided_good),
            "level=HTXSNVHTXSNV": ("Giá trị này chỉ có tối đa 10 kí tự", everyone),
            "subjects=members&page=abc": ("Nhập một số nguyên.", members),
            "page=0": ("Giá trị này phải lớn hơn hoặc bằng 1.", everyone),
        }
        for query, (error, expected) in cases.items():
            with self.subTest(query=query):
                response = self.get(self.staff, query)
                self.assertContains(response, error)
                self.assertContains(response, 'role="alert"')
                self.assertEqual(response.context["page"].paginator.count, expected)

    def test_odd_values_never_fail(self):
        for query in (
            "org=not-a-uuid",
            "type=nowhere",
            "step=bogus&missing=maybe",
            "page=999",
            "level=%3Cb%3E&subjects=members",
            "cycle=&org=&type=&level=&page=",
        ):
            with self.subTest(query=query):
                self.assertEqual(self.get(self.staff, query).status_code, 200)

    def test_an_empty_list_says_so(self):
        response = self.get(self.staff, "subjects=leaders&level=KHTNV")
        self.assertEqual(response.context["page"].paginator.count, 0)
        self.assertNotContains(response, 'id="drill-down"')
        self.assertContains(response, 'role="status"')

    def test_pages_keep_the_filters(self):
        bulk_members(self.cell_c, 55)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        query = f"cycle={self.cycle.public_id}&subjects=members&step=decided&missing=1"
        response = self.get(self.staff, query)
        page = response.context["page"]
        self.assertEqual(page.paginator.num_pages, 2)
        self.assertContains(response, f"?{query.replace('&', '&amp;')}&amp;page=2")
        second = self.get(self.staff, f"{query}&page=2").context["page"]
        self.assertEqual(second.number, 2)
        shown = [r.pk for r in page] + [r.pk for r in second]
        expected = [
            f.pk for f in self.facts() if f.kind == Kind.INDIVIDUAL and not f.decided
        ]
        self.assertEqual(sorted(shown), sorted(expected))


# A savepoint and its release (ATOMIC_REQUESTS), session, user, roles, cycles,
# types, roles for the decisions, count, levels, the page.
QUERIES = 11


class DrillDownQueryTests(DashboardDataTestCase):
    def assert_queries(self, query, number):
        self.client.force_login(self.staff)
        url = f"{reverse('dashboard_list')}?{query}"
        with self.assertNumQueries(number):
            response = self.client.get(url)
        return response.context["page"].paginator.count

    def test_query_count_does_not_grow_with_the_rows(self):
        queries = {
            f"cycle={self.cycle.public_id}&subjects=members": QUERIES,
            # The chosen organization, and the tree for the type.
            f"org={self.ward2.public_id}&type=xa&step=meeting&missing=1": QUERIES + 2,
        }
        small = [self.assert_queries(*pair) for pair in queries.items()]
        bulk_members(self.cell_d, 80)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        large = [self.assert_queries(*pair) for pair in queries.items()]
        self.assertEqual([n - 80 for n in large], small)
