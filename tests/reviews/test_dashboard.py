import datetime
import gc
from unittest import mock

from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organizations.models import OrganizationKind, OrganizationType, Role
from reviews import ratings, services, statistics
from reviews.dashboard import views as dashboard_views
from reviews.dashboard.charts import narrowed_url
from reviews.dashboard.scope import (
    encode_pairs,
    readable_cycles,
    reader_roles,
    scope_lookups,
)
from reviews.models import CycleJob, Rating, RemedyAction, Review, ReviewCycle
from reviews.statistics.queries import sums_in_database
from reviews.templatetags.dashboard import unit_table_rows

from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from ..personas import CyclePersonasTestCase

URL = reverse("dashboard")
# The table by unit's rows as the template wrote them, before unit_table_rows.
TEMPLATE_UNIT_ROWS = Template(
    "{% load i18n dashboard %}{% unit_rows scope units levels as rows %}"
    "{% for row in rows %}\n"
    "        <tr>\n"
    '          <th scope="row" class="fw-normal">{% if row.url %}'
    '<a href="{{ row.url }}">{{ row.unit.name }}</a>{% else %}{{ row.unit.name }}'
    ' <span class="text-body-secondary small">'
    '({% translate "the organization itself" %})</span>{% endif %}</th>\n'
    '          <td class="text-end text-nowrap">{{ row.submitted }} / '
    '{{ row.forms }} <span class="dashboard-percent">{{ row.percent }}%</span>'
    "</td>\n"
    "          {{ row.cells|figure_cells }}\n"
    "        </tr>\n"
    "        {% endfor %}"
)
Stage = Rating.Stage


def rate(review, code, stage=Stage.DECISION):
    level = review.cycle.regime.levels.get(code=code)
    ratings.record_rating(review, stage, level, None, reason="Theo biểu quyết")


class DashboardTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_ward = OrganizationFactory(
            code="P02",
            name="Đảng bộ phường Quang Trung",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=cls.committee,
        )
        cls.other_cell = OrganizationFactory(
            code="P02.A", name="Chi bộ Tổ dân phố 5", parent=cls.other_ward
        )
        cls.far_member = MemberFactory(
            full_name="Phạm Văn Xa", organization=cls.other_cell
        )
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))

    def get(self, user, **params):
        self.client.force_login(user)
        return self.client.get(URL, params)

    def members(self, response):
        return next(
            d
            for d in response.context["figures"]["distributions"]
            if d.key == "members"
        )

    def test_staff_see_the_whole_tree(self):
        response = self.get(self.staff)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["scope"].root, self.committee)
        self.assertEqual(
            self.members(response).decided.total,
            self.cycle.reviews.individuals().count(),
        )

    def test_a_leader_sees_only_their_subtree(self):
        response = self.get(self.leader)
        self.assertEqual(response.context["scope"].root, self.ward)
        in_ward = self.cycle.reviews.individuals().filter(
            organization__path__startswith=self.ward.path
        )
        self.assertEqual(self.members(response).decided.total, in_ward.count())
        self.assertNotContains(response, self.other_ward.name)

    def test_a_leader_asking_for_another_subtree_gets_404(self):
        response = self.get(self.leader, org=self.other_ward.public_id)
        self.assertEqual(response.status_code, 404)
        response = self.get(self.leader, org=self.committee.public_id)
        self.assertEqual(response.status_code, 404)

    def test_secretaries_members_and_outsiders_get_404(self):
        for user in (self.secretary_a, self.member_user, UserFactory(username="x")):
            with self.subTest(user.username):
                self.assertEqual(self.get(user).status_code, 404)

    def test_a_leader_of_another_committee_gets_404(self):
        elsewhere = OrganizationFactory(
            code="TU2", name="Thị ủy khác", kind=OrganizationKind.SUPERIOR_COMMITTEE
        )
        user = UserFactory(username="elsewhere")
        grant(user, elsewhere, Role.Kind.LEADER)
        self.assertEqual(self.get(user).status_code, 404)

    def test_drill_down_to_an_organization_counts_its_subtree(self):
        response = self.get(self.staff, org=self.cell_a.public_id)
        self.assertEqual(response.context["scope"].root, self.cell_a)
        self.assertEqual(
            self.members(response).decided.total,
            self.cycle.reviews.individuals().filter(organization=self.cell_a).count(),
        )
        crumbs = [unit.pk for unit in response.context["crumbs"]]
        self.assertEqual(crumbs, [self.committee.pk, self.ward.pk])

    def test_decided_figures_equal_the_rating_rows(self):
        reviews = list(self.cycle.reviews.individuals().order_by("pk"))
        for review, code in zip(reviews, ["HTXSNV", "HTTNV", "HTTNV"], strict=False):
            rate(review, code)
        response = self.get(self.staff)
        expected = {}
        for rating in Rating.objects.filter(
            stage=Stage.DECISION, review__kind=Review.Kind.INDIVIDUAL
        ).select_related("level"):
            expected[rating.level.code] = expected.get(rating.level.code, 0) + 1
        self.assertEqual(self.members(response).decided.counts, expected)

    def test_each_units_figure_links_to_the_list_behind_it(self):
        for review in self.cycle.reviews.individuals():
            rate(review, "HTTNV")
        response = self.get(self.staff)
        scope = response.context["scope"]
        html = response.content.decode()
        for unit in (self.ward, self.other_ward):
            members = self.cycle.reviews.individuals().filter(
                organization__path__startswith=unit.path
            )
            decided = Rating.objects.filter(
                review__in=members, stage=Stage.DECISION, level__code="HTTNV"
            ).count()
            self.assertGreater(decided, 0)
            url = (
                reverse("dashboard_list")
                + "?"
                + scope.query(
                    subjects="members",
                    level="HTTNV",
                    stage="decided",
                    org=unit.public_id,
                )
            )
            self.assertInHTML(f'<a href="{url}">{decided}</a>', html)
            total = (
                reverse("dashboard_list")
                + "?"
                + scope.query(subjects="members", org=unit.public_id)
            )
            self.assertInHTML(f'<a href="{total}">{members.count()}</a>', html)

    def test_remedy_figures_open_the_overdue_list_of_their_organization(self):
        review = self.cycle.reviews.individuals().filter(organization=self.cell_a)[0]
        RemedyAction.objects.create(
            review=review,
            number=1,
            shortcoming="Chưa gương mẫu",
            content="Sửa chữa",
            owner="Bí thư",
            deadline=timezone.localdate() - datetime.timedelta(days=1),
        )
        overdue = reverse("reviews:remedies_overdue", args=[self.cycle.public_id])
        response = self.get(self.staff)
        self.assertContains(response, f'href="{overdue}"')
        # The organization's row opens its own part of the list.
        self.assertContains(
            response, f'href="{overdue}?org={self.cell_a.public_id}#overdue-title"'
        )
        # A chosen organization's dashboard keeps it on the list it opens.
        response = self.get(self.staff, org=self.ward.public_id)
        self.assertContains(response, f'href="{overdue}?org={self.ward.public_id}"')
        self.client.force_login(self.staff)
        listed = self.client.get(overdue, {"org": self.ward.public_id})
        self.assertEqual(
            [row["review__organization__name"] for row in listed.context["counts"]],
            [self.cell_a.name],
        )

    def test_a_type_no_organization_below_has_shows_empty_figures(self):
        from organizations.models import OrganizationType

        other_type = OrganizationType.objects.exclude(pk=self.ward.org_type_id)[0]
        # The ward's subtree holds no organization of the other type: the
        # trend's query had no organization to ask about (it answered 500).
        response = self.get(self.staff, org=self.ward.public_id, type=other_type.code)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.context["scope"].form.errors)
        members = self.members(response)
        self.assertEqual((members.proposed.total, members.decided.total), (0, 0))

    def test_a_type_filter_carries_to_the_overdue_and_flags_lists(self):
        from organizations.models import OrganizationType

        other_type = OrganizationType.objects.exclude(pk=self.ward.org_type_id)[0]
        self.other_ward.org_type = other_type
        self.other_ward.save()
        late = timezone.localdate() - datetime.timedelta(days=1)
        for cell, count in ((self.cell_a, 1), (self.other_cell, 2)):
            review = self.cycle.reviews.individuals().filter(organization=cell)[0]
            for number in range(1, count + 1):
                RemedyAction.objects.create(
                    review=review,
                    number=number,
                    shortcoming="Chưa gương mẫu",
                    content="Sửa chữa",
                    owner="Bí thư",
                    deadline=late,
                )
        cache.clear()
        overdue = reverse("reviews:remedies_overdue", args=[self.cycle.public_id])
        flags = reverse("reviews:flags", args=[self.cycle.public_id])
        for org_type, cell, count in (
            (other_type, self.other_cell, 2),
            (self.ward.org_type, self.cell_a, 1),
        ):
            with self.subTest(org_type.code):
                response = self.get(self.staff, type=org_type.code)
                remedies = response.context["figures"]["remedies"]["totals"]
                self.assertEqual(remedies["overdue"], count)
                # The lists behind the figures keep the type, and count as it does.
                self.assertContains(response, f'href="{overdue}?type={org_type.code}"')
                # (The flags section links only when there are flags to show.)
                self.assertEqual(
                    narrowed_url("reviews:flags", response.context["scope"]),
                    f"{flags}?type={org_type.code}",
                )
                listed = self.client.get(overdue, {"type": org_type.code})
                self.assertEqual(
                    [
                        (row["review__organization__name"], row["overdue"])
                        for row in listed.context["counts"]
                    ],
                    [(cell.name, count)],
                )
                self.assertContains(
                    listed,
                    f"Chỉ gồm các tổ chức thuộc loại hình “{org_type.name}”",
                )
                self.assertEqual(
                    self.client.get(flags, {"type": org_type.code}).status_code, 200
                )
        # A chosen organization of another type lists nothing, and says why.
        listed = self.client.get(
            overdue, {"type": other_type.code, "org": self.ward.public_id}
        )
        self.assertEqual(list(listed.context["counts"]), [])
        self.assertContains(listed, f'href="{overdue}?org={self.ward.public_id}"')
        self.assertContains(listed, f'href="{overdue}?type={other_type.code}"')
        # The exemptions behind the progress figures keep the type as well.
        exemptions = reverse("reviews:exemptions", args=[self.cycle.public_id])
        response = self.get(self.staff, type=other_type.code)
        self.assertContains(response, f'href="{exemptions}?type={other_type.code}"')
        listed = self.client.get(exemptions, {"type": other_type.code})
        self.assertEqual(listed.context["org_type"], other_type)
        for url in (overdue, flags, exemptions):
            with self.subTest(url=url):
                self.assertEqual(
                    self.client.get(url, {"type": "khong-co"}).status_code, 404
                )

    def test_the_menu_offers_the_dashboard_to_its_readers_as_roles_stand_now(self):
        menu_item = f'class="nav-link" href="{URL}"'
        home = reverse("reviews:cycle_list")
        for user, shown in (
            (self.staff, True),
            (self.leader, True),
            (UserFactory(username="root", is_superuser=True), True),
            (self.secretary_a, False),
            (self.member_user, False),
        ):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                response = self.client.get(home)
                (self.assertContains if shown else self.assertNotContains)(
                    response, menu_item
                )
        # A role given or taken away shows on the next page, without logging in
        # again (the menu was once decided at login).
        self.client.force_login(self.secretary_a)
        role = grant(self.secretary_a, self.ward, Role.Kind.LEADER)
        self.assertContains(self.client.get(home), menu_item)
        role.delete()
        self.assertNotContains(self.client.get(home), menu_item)

    def test_a_decision_shows_at_once_on_the_cached_page(self):
        self.get(self.staff)
        review = self.cycle.reviews.individuals().first()
        rate(review, "HTNV")
        response = self.get(self.staff)
        self.assertEqual(self.members(response).decided.counts, {"HTNV": 1})

    def test_a_bad_query_string_is_reported_not_a_500(self):
        for params in (
            {"cycle": "not-a-cycle"},
            {"org": "not-a-uuid"},
            {"type": "<script>"},
            {"units": "abc"},
        ):
            with self.subTest(params):
                response = self.get(self.staff, **params)
                self.assertEqual(response.status_code, 200)
        response = self.get(self.staff, cycle="not-a-cycle")
        self.assertTrue(response.context["scope"].form.errors)
        self.assertEqual(response.context["scope"].cycle, self.cycle)

    def test_the_statistics_download_is_a_workbook(self):
        self.client.force_login(self.leader)
        response = self.client.get(reverse("dashboard_statistics_xlsx"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment;", response["Content-Disposition"])
        self.assertTrue(response.content.startswith(b"PK"))

    def test_the_units_table_rows_are_those_the_template_wrote(self):
        """unit_table_rows writes the rows the template wrote one by one."""
        for params in ({}, {"org": self.ward.public_id}):
            with self.subTest(**params):
                cache.clear()
                response = self.get(self.staff, **params)
                names = ("scope", "units", "levels")
                context = {name: response.context[name] for name in names}
                rows = unit_table_rows(**context)
                self.assertEqual(rows, TEMPLATE_UNIT_ROWS.render(Context(context)))
                self.assertIn('<a href="', rows)
                self.assertIn(rows, response.content.decode())
        # The ward's own reviews: a row of its own, not linked.
        self.assertIn("(bản thân tổ chức)", rows)

    def test_a_link_keeps_the_filters_then_adds_its_own(self):
        self.client.force_login(self.staff)
        response = self.client.get(
            URL, {"org": self.ward.public_id, "type": self.ward.org_type.code}
        )
        scope = response.context["scope"]
        cases = [
            {},
            {"subjects": "members", "level": "HTTNV", "stage": "decided"},
            {"org": self.cell_a.public_id, "subjects": "members", "step": ""},
            {"subjects": "members", "type": "other", "missing": None},
            {"units": 2},
        ]
        for extra in cases:
            with self.subTest(**extra):
                kept = {k: v for k, v in extra.items() if v not in (None, "")}
                self.assertEqual(
                    scope.query(**extra), encode_pairs({**scope.base_params, **kept})
                )
        self.assertEqual(list(scope.base_params), ["cycle", "org", "type"])

    def test_the_scopes_lookups_compiled_once_find_what_the_querysets_find(self):
        roles, cycles, types = scope_lookups()
        for user in (self.staff, self.leader, self.secretary_a, self.member_user):
            with self.subTest(user=user.username):
                self.assertEqual(
                    roles.compiled.all(user_id=user.pk), list(reader_roles(user))
                )
                self.assertEqual(
                    cycles.compiled.all(user_id=user.pk), list(readable_cycles(user))
                )
        self.assertTrue(cycles.compiled.all(user_id=self.leader.pk))
        self.assertEqual(types.all(), list(OrganizationType.objects.all()))


class DashboardQueryCountTests(CyclePersonasTestCase):
    """The number of queries does not grow with the tree or the cycles."""

    def count_queries(self, user):
        cache.clear()
        self.client.force_login(user)
        with CaptureQueriesContext(connection) as uncached:
            self.assertEqual(self.client.get(URL).status_code, 200)
        with CaptureQueriesContext(connection) as cached:
            self.assertEqual(self.client.get(URL).status_code, 200)
        return len(uncached), len(cached)

    def grow(self):
        for number in range(3):
            ward = OrganizationFactory(
                code=f"G{number}",
                name=f"Đảng bộ xã {number}",
                kind=OrganizationKind.GRASSROOTS_COMMITTEE,
                parent=self.committee,
            )
            for cell_number in range(2):
                cell = OrganizationFactory(
                    code=f"G{number}.{cell_number}",
                    name=f"Chi bộ thôn {cell_number}",
                    parent=ward,
                )
                for member in range(4):
                    MemberFactory(full_name=f"Đảng viên {member}", organization=cell)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        for review in self.cycle.reviews.all()[:10]:
            rate(review, "HTTNV")

    def test_query_count_is_the_same_at_two_sizes(self):
        users = (self.staff, self.leader)
        small = [self.count_queries(user) for user in users]
        self.grow()
        large = [self.count_queries(user) for user in users]
        self.assertEqual(large, small)
        for uncached, _cached in small:
            # The request's savepoint and its release are two of them.
            self.assertLessEqual(uncached, 20 + 2)

    def test_a_late_step_reads_its_organizations_in_one_query_at_any_size(self):
        """A deadline passed with forms missing: the late organizations are
        listed from their own tally rows, the same number of queries at both
        sizes; where the database sums the rows (PostgreSQL), from one more
        query."""
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(self_review_due=yesterday)
        small = self.count_queries(self.staff)
        self.grow()
        large = self.count_queries(self.staff)
        self.assertEqual(large, small)
        self.assertEqual(small[0], 17 + sums_in_database())
        cache.clear()
        response = self.client.get(URL)
        steps = response.context["figures"]["progress"]["members"]
        self.assertTrue(any(step.late_count for step in steps))

    def test_pinned_query_counts(self):
        self.client.force_login(self.staff)
        # Savepoint, session, user, roles, cycles, types, decisions shown,
        # levels, tree, meetings held, reviews, focus areas, indicators,
        # remedies, exemptions, leaders by post (the quota groups), release (no
        # flags: the cycle has no decided year before it; no trend query: the
        # trend's only cycle is this one, counted from its reviews' rows).
        with self.assertNumQueries(17):
            self.client.get(URL)
        with self.assertNumQueries(8):
            self.client.get(URL)


class DashboardCollectorTests(CyclePersonasTestCase):
    """The cyclic garbage collector is paused while the figures are counted
    and laid out, and runs again after, whatever happened."""

    def setUp(self):
        cache.clear()
        self.client.force_login(self.staff)

    def test_the_figures_are_laid_out_with_the_collector_paused(self):
        seen = []
        parts = dashboard_views.dashboard_parts

        def look(*args):
            seen.append(gc.isenabled())
            return parts(*args)

        with mock.patch.object(dashboard_views, "dashboard_parts", look):
            self.assertEqual(self.client.get(URL).status_code, 200)
            # Cached: nothing laid out, nothing paused.
            self.assertEqual(self.client.get(URL).status_code, 200)
        self.assertEqual(seen, [False])
        self.assertTrue(gc.isenabled())

    def test_a_failure_leaves_the_collector_running(self):
        self.client.raise_request_exception = False
        with mock.patch.object(
            dashboard_views, "dashboard_parts", side_effect=RuntimeError
        ):
            self.assertEqual(self.client.get(URL).status_code, 500)
        self.assertTrue(gc.isenabled())


class StrictFigures(dict):
    """The counted figures, refusing a section that reads one not counted yet
    (a template would show it as nothing, silently)."""

    def __missing__(self, key):
        raise AssertionError(f"figures.{key} is read before it is counted")


class EarlySectionTests(CyclePersonasTestCase):
    """The sections laid out while the server answers the other queries
    (dashboard_views.COUNTED_SECTIONS) read only the figures counted by then."""

    def test_the_sections_laid_out_early_read_only_the_counted_figures(self):
        cache.clear()
        self.client.force_login(self.staff)
        count = statistics.dashboard_figures

        def strictly(*args, meanwhile=None, **kwargs):
            return count(
                *args, meanwhile=lambda found: meanwhile(StrictFigures(found)), **kwargs
            )

        with mock.patch.object(statistics, "dashboard_figures", strictly):
            response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'id="progress-heading"')
