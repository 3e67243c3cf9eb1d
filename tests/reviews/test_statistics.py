"""The figures of reviews/statistics/ against counts made here from the rows."""

import datetime
from collections import Counter, defaultdict
from unittest import mock

from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from psycopg.pq import PipelineStatus

from members.models import PostKind
from organizations.models import (
    GRASSROOTS_KINDS,
    Organization,
    OrganizationKind,
    OrganizationType,
)
from reviews import ratings, results, services, statistics
from reviews.models import (
    CycleJob,
    CyclePost,
    Meeting,
    Rating,
    Regime,
    RemedyAction,
    Review,
    ReviewCycle,
)
from reviews.statistics import figures as figures_module
from reviews.statistics import queries as queries_module
from reviews.statistics import quota as quota_module

from ..factories import MemberFactory, OrganizationFactory, make_head
from ..personas import CyclePersonasTestCase

Stage = Rating.Stage
LEVELS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")


def rate(review, stage, code, user=None):
    level = review.cycle.regime.levels.get(code=code)
    return ratings.record_rating(review, stage, level, user, reason="Theo biểu quyết")


def chain_code(review, stage):
    """The level at one stage, read straight from the rating rows."""
    found = Rating.objects.filter(review=review, stage=stage).first()
    return found.level.code if found else None


def counted(reviews, stage):
    """Subjects per level at `stage`, counted one review at a time."""
    return Counter(chain_code(review, stage) for review in reviews)


def quota_groups_one_by_one(figures):
    """CycleFigures.quota_groups as first written: a counter per group, each
    group's QuotaUse sorted by its own properties; as plain values."""
    groups = defaultdict(Counter)
    for (key, code), number in figures.quota_count.items():
        groups[key][code] += number
    open_counts = Counter(figures.quota_open)
    for (key, name), found in figures.leader_quota().items():
        key = ("leaders", key, name)
        for (code, undecided), number in found.items():
            groups[key][code] += number
            open_counts[key] += number if undecided else 0
    uses = []
    for key, counts in groups.items():
        use = results.QuotaUse(
            group=figures.group_name(key),
            excellent=counts["HTXSNV"],
            good=counts["HTTNV"],
            total=sum(counts.values()),
            percent=figures.cycle.regime.quota_percent,
            provisional=open_counts[key] > 0,
        )
        use.subjects = key if isinstance(key, str) else key[0]
        use.partial = use.subjects == "leaders" and not isinstance(key, str)
        use.place = (
            figures.tree.get(key[1]) if use.subjects in ("cells", "members") else None
        )
        use.type_code = key[1] if use.subjects == "type" else ""
        uses.append(use)
    uses.sort(key=lambda u: (not u.over, -u.excellent / u.scale, u.group))
    return [vars(use) for use in uses]


class StatisticsTestCase(CyclePersonasTestCase):
    """The personas' cycle with a second ward, more members and some ratings."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.school_type = OrganizationType.objects.get(code="truong-hoc")
        cls.school = OrganizationFactory(
            code="C01",
            name="Chi bộ Trường THCS Lê Quý Đôn",
            kind=OrganizationKind.GRASSROOTS_CELL,
            parent=cls.committee,
            org_type=cls.school_type,
        )
        cls.teachers = [
            MemberFactory(full_name=f"Giáo viên {n}", organization=cls.school)
            for n in range(4)
        ]
        cls.extra_a = [
            MemberFactory(full_name=f"Đảng viên {n}", organization=cls.cell_a)
            for n in range(5)
        ]
        # Reopen the cycle for the new members: opening creates only what is missing.
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))

    def setUp(self):
        self.cycle.refresh_from_db()
        self.reviews = list(
            self.cycle.reviews.select_related("organization").order_by("pk")
        )
        self.individuals = [r for r in self.reviews if r.kind == Review.Kind.INDIVIDUAL]

    def figures(self, root=None, **kwargs):
        return statistics.CycleFigures(self.cycle, root or self.committee, **kwargs)

    def decide_some(self):
        """Meeting proposals for cell A's members, decisions for some of them."""
        cell_a = [r for r in self.individuals if r.organization_id == self.cell_a.pk]
        for index, review in enumerate(cell_a):
            rate(review, Stage.MEETING, LEVELS[index % 3], self.staff)
            if index % 2 == 0:
                rate(review, Stage.DECISION, LEVELS[(index + 1) % 4], self.staff)
        school = self.cycle.reviews.get(
            organization=self.school, kind=Review.Kind.ORGANIZATION
        )
        rate(school, Stage.DECISION, "HTXSNV", self.staff)
        return cell_a


class OutcomeCopyTests(StatisticsTestCase):
    def test_a_rating_write_keeps_the_copies_on_the_review(self):
        review = self.individuals[0]
        rate(review, Stage.MEETING, "HTTNV")
        rate(review, Stage.APPRAISAL, "HTNV")
        rate(review, Stage.DECISION, "HTXSNV")
        review.refresh_from_db()
        self.assertEqual(
            (review.proposed_code, review.decided_code), ("HTNV", "HTXSNV")
        )

    def test_deleting_a_rating_clears_its_copy(self):
        review = self.individuals[0]
        rate(review, Stage.MEETING, "HTTNV")
        rate(review, Stage.DECISION, "HTTNV")
        Rating.objects.filter(review=review, stage=Stage.DECISION).delete()
        review.refresh_from_db()
        self.assertEqual((review.proposed_code, review.decided_code), ("HTTNV", ""))


class DistributionTests(StatisticsTestCase):
    def test_levels_equal_the_rating_rows_for_each_heading(self):
        self.decide_some()
        found = {d.key: d for d in self.figures().distributions()}
        members = self.individuals
        leaders = [r for r in members if r.is_leader]
        organizations = [r for r in self.reviews if r.kind == Review.Kind.ORGANIZATION]
        for key, reviews in (
            ("members", members),
            ("leaders", leaders),
            ("organizations", organizations),
        ):
            with self.subTest(key):
                decided = counted(reviews, Stage.DECISION)
                proposed = counted(reviews, Stage.MEETING)
                self.assertEqual(found[key].decided.undecided, decided.pop(None, 0))
                self.assertEqual(found[key].decided.counts, dict(decided))
                self.assertEqual(found[key].proposed.undecided, proposed.pop(None, 0))
                self.assertEqual(found[key].proposed.counts, dict(proposed))
                self.assertEqual(found[key].decided.total, len(reviews))

    def test_hidden_decisions_count_as_not_made(self):
        self.decide_some()
        found = {d.key: d for d in self.figures(show_decisions=False).distributions()}
        self.assertEqual(found["members"].decided.counts, {})
        self.assertEqual(found["members"].decided.undecided, len(self.individuals))
        self.assertTrue(found["members"].proposed.counts)

    def test_a_subtree_counts_only_its_own_reviews(self):
        self.decide_some()
        found = {d.key: d for d in self.figures(self.ward).distributions()}
        in_ward = [
            r
            for r in self.individuals
            if r.organization.path.startswith(self.ward.path)
        ]
        self.assertEqual(found["members"].decided.total, len(in_ward))
        decided = counted(in_ward, Stage.DECISION)
        decided.pop(None, None)
        self.assertEqual(found["members"].decided.counts, dict(decided))

    def test_type_filter_counts_cells_under_their_grassroots_type(self):
        # The cells have a type of their own; the ward's type is what counts.
        ward_type = self.ward.org_type
        found = self.figures(org_type=ward_type).distributions()
        members = next(d for d in found if d.key == "members")
        in_ward = [
            r
            for r in self.individuals
            if r.organization.path.startswith(self.ward.path)
        ]
        self.assertEqual(members.decided.total, len(in_ward))
        schools = self.figures(org_type=self.school_type).distributions()
        self.assertEqual(
            next(d for d in schools if d.key == "members").decided.total,
            len(self.teachers),
        )

    def test_tables_by_type_and_by_unit_add_up_to_the_whole(self):
        self.decide_some()
        figures = self.figures()
        tables = {table.key: table for table in figures.tables()}
        members = sum(row.total for row in tables["members-by-unit"].rows)
        self.assertEqual(members, len(self.individuals))
        by_type = sum(row.total for row in tables["members-by-type"].rows)
        self.assertEqual(by_type, len(self.individuals))
        units = [row.label for row in tables["members-by-unit"].rows]
        self.assertEqual(units, [self.ward.name, self.school.name])
        school = next(
            row
            for row in tables["organizations-by-type"].rows
            if row.label == self.school_type.name
        )
        self.assertEqual(school.counts, {"HTXSNV": 1})

    def test_summary_overall_rows_split_grassroots_and_cells(self):
        rows = {row.key: row for row in self.figures().overall_rows()}
        grassroots = Review.objects.filter(
            cycle=self.cycle,
            kind=Review.Kind.ORGANIZATION,
            organization__kind__in=GRASSROOTS_KINDS,
        ).count()
        self.assertEqual(rows["grassroots"].total, grassroots)
        self.assertEqual(
            rows["cells"].total,
            self.cycle.reviews.filter(kind=Review.Kind.ORGANIZATION).count()
            - grassroots,
        )


class ProgressTests(StatisticsTestCase):
    def steps(self, subject="members", **kwargs):
        progress = self.figures(**kwargs).progress()
        return {step.key: step for step in progress[subject]}

    def test_submitted_and_returned_forms_are_counted(self):
        Review.objects.filter(pk=self.individuals[0].pk).update(status="submitted")
        Review.objects.filter(pk=self.individuals[1].pk).update(status="returned")
        steps = self.steps()
        self.assertEqual(steps["submitted"].done, 1)
        self.assertEqual(steps["returned"].done, 1)
        self.assertEqual(steps["submitted"].total, len(self.individuals))

    def test_a_held_meeting_counts_for_the_collective_and_its_members(self):
        Meeting.objects.create(review=self.collective_a, status=Meeting.Status.DONE)
        steps = self.steps()
        in_a = [r for r in self.individuals if r.organization_id == self.cell_a.pk]
        self.assertEqual(steps["meeting"].done, len(in_a))
        self.assertEqual(self.steps("organizations")["meeting"].done, 1)

    def test_a_step_past_its_deadline_lists_the_late_organizations(self):
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            self_review_due=timezone.localdate() - timezone.timedelta(days=1)
        )
        self.cycle.refresh_from_db()
        in_a = [r for r in self.individuals if r.organization_id == self.cell_a.pk]
        Review.objects.filter(pk__in=[r.pk for r in in_a]).update(status="submitted")
        step = self.steps()["submitted"]
        late = {unit.pk: missing for unit, missing in step.late}
        self.assertNotIn(self.cell_a.pk, late)
        self.assertEqual(late[self.cell_b.pk], 1)
        self.assertEqual(late[self.school.pk], len(self.teachers))
        self.assertTrue(step.overdue)

    def test_nothing_is_late_before_the_deadline(self):
        self.assertEqual(self.steps()["submitted"].late, [])


class QuotaTests(StatisticsTestCase):
    def test_a_group_with_too_many_excellent_is_over_quota(self):
        in_a = [r for r in self.individuals if not r.is_leader]
        for review in in_a[:2]:
            rate(review, Stage.DECISION, "HTXSNV")
        for review in in_a[2:]:
            rate(review, Stage.DECISION, "HTTNV")
        uses = self.figures().quota_groups()
        group = next(
            u for u in uses if u.subjects == "members" and u.place.pk == self.ward.pk
        )
        good = sum(
            1
            for r in self.individuals
            if r.organization.path.startswith(self.ward.path)
            and not r.is_leader
            and chain_code(r, Stage.DECISION) == "HTTNV"
        )
        self.assertEqual(group.excellent, 2)
        self.assertEqual(
            group.allowed, int(good * self.cycle.regime.quota_percent / 100)
        )
        self.assertTrue(group.over)
        self.assertEqual(self.figures().quota_groups()[0].group, group.group)

    def test_tree_wide_groups_are_left_out_below_the_committee(self):
        groups = {use.subjects for use in self.figures(self.ward).quota_groups()}
        self.assertNotIn("type", groups)
        self.assertNotIn("leaders", groups)

    def test_the_groups_equal_those_built_one_counter_each(self):
        """quota_groups sums each group's levels in one pass and ranks the
        groups once: the same groups, in the same order, as built with a
        counter each and sorted by QuotaUse's own properties."""
        # Groups over the quota, within it with some HTXSNV, with none, and
        # provisional ones.
        for review in self.individuals:
            rate(review, Stage.DECISION, "HTTNV")
        self.decide_some()
        for review in self.individuals[-3:]:
            rate(review, Stage.MEETING, "HTXSNV")
        rate(self.individuals[-1], Stage.DECISION, "HTXSNV")
        regime = self.cycle.regime
        cases = [
            {},
            {"show_decisions": False},
            {"root": self.ward},
            {"org_type": self.ward.org_type},
        ]
        for grouping in regime.QuotaGrouping:
            regime.quota_grouping = grouping
            regime.save()
            self.cycle.refresh_from_db()
            for case in cases:
                with self.subTest(grouping=grouping, **case):
                    figures = self.figures(**case)
                    built = [vars(use) for use in figures.quota_groups()]
                    self.assertEqual(built, quota_groups_one_by_one(figures))
                    if not case:
                        within = [
                            u for u in built if 0 < u["excellent"] <= u["allowed"]
                        ]
                        self.assertTrue(within)
                        self.assertTrue(
                            any(use["excellent"] > use["allowed"] for use in built)
                        )

    def test_the_leaders_posts_read_in_sql_equal_those_read_by_a_join(self):
        """On PostgreSQL leader_quota reads the leaders counted per highest
        post through a lateral subquery (LEADERS_SQL): the same counts as the
        ORM's join and ratings.highest_post."""
        if connection.vendor != "postgresql":
            self.skipTest("Written in SQL for PostgreSQL only.")
        self.decide_some()
        # Leaders: one with a post, one with two, the others with none.
        in_a = [r for r in self.individuals if r.organization_id == self.cell_a.pk]
        first = next(r for r in self.individuals if r.organization_id == self.school.pk)
        second, third = in_a[:2]
        Review.objects.filter(pk__in=[first.pk, second.pk, third.pk]).update(
            is_leader=True
        )
        make_head(first)
        make_head(second)
        CyclePost.objects.create(
            cycle=self.cycle,
            review=second,
            organization=self.ward,
            kind=PostKind.DEPUTY,
        )
        figures = self.figures()
        self.assertTrue(figures.leaders_apart())
        written = sorted(figures.leader_outcomes(), key=repr)
        with mock.patch.object(quota_module, "sums_in_database", return_value=False):
            joined = sorted(self.figures().leader_outcomes(), key=repr)
            by_join = self.figures().leader_quota()
        self.assertEqual(written, joined)
        # Grouped: as many rows as posts and outcomes, counting every leader.
        self.assertEqual(sum(n for *_outcome, n in written), 3)
        self.assertEqual(sum(n for post, *_codes, n in written if post), 2)
        self.assertTrue(any(post is None for post, *_rest in written))
        self.assertEqual(figures.leader_quota(), by_join)
        self.assertTrue(by_join)


class AcrossYearsTests(StatisticsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.last_year = ReviewCycle.objects.create(
            name="Kiểm điểm năm 2025",
            year=2025,
            starts_on="2025-01-01",
            ends_on="2025-12-31",
            regime=Regime.objects.get(code="qd366"),
            superior=cls.committee,
        )
        services.open_cycle(CycleJob.objects.create(cycle=cls.last_year))
        ReviewCycle.objects.filter(pk=cls.last_year.pk).update(status="decided")

    def test_trend_gives_each_cycle_its_shares_oldest_first(self):
        for review in self.last_year.reviews.filter(kind=Review.Kind.INDIVIDUAL):
            rate(review, Stage.DECISION, "HTTNV")
        first = self.individuals[0]
        rate(first, Stage.DECISION, "HTXSNV")
        figures = self.figures()
        cycles = statistics.trend_cycles(self.cycle)
        points = figures.trend(self.committee, cycles)
        self.assertEqual([p.year for p in points], [2025, 2026])
        members = points[0].rows["members"]
        self.assertEqual(
            members.counts, {"HTTNV": self.last_year.reviews.individuals().count()}
        )
        self.assertEqual(points[1].rows["members"].counts, {"HTXSNV": 1})

    def test_flag_counts_equal_the_flags_page(self):
        member = self.individuals[0]
        last = self.last_year.reviews.get(member=member.member)
        rate(last, Stage.DECISION, "KHTNV")
        rate(member, Stage.DECISION, "KHTNV")
        other = self.individuals[1]
        rate(other, Stage.DECISION, "KHTNV")  # one year only
        cycles = statistics.trend_cycles(self.cycle)
        counts = self.figures().flag_counts(cycles)
        excellent, failing = results.flags(
            results.yearly_cycles(self.cycle),
            self.committee.__class__.objects.subtree_of(self.committee).values("pk"),
            {c.pk for c in cycles},
        )
        self.assertEqual(counts["KHTNV"]["members"], 1)
        self.assertEqual(
            counts["KHTNV"]["members"], sum(1 for f in failing if f.is_member)
        )
        self.assertEqual(counts["HTXSNV"]["members"], len(excellent))

    def test_this_cycles_point_equals_the_one_asked_of_the_database(self):
        """The trend's point for this cycle under its own root is counted from
        the cycle's rows, not asked of the database: the same figures."""
        for review in self.last_year.reviews.filter(kind=Review.Kind.INDIVIDUAL):
            rate(review, Stage.DECISION, "HTTNV")
        self.decide_some()
        cycles = statistics.trend_cycles(self.cycle)
        cases = [
            {},
            {"show_decisions": False},
            {"root": self.ward},
            {"root": self.cell_a, "show_decisions": False},
            {"org_type": self.school_type},
        ]
        for case in cases:
            with self.subTest(**{key: str(value) for key, value in case.items()}):
                root = case.get("root", self.committee)
                counted = self.figures(**case).trend(root, cycles)
                with mock.patch.object(
                    statistics.AheadFigures,
                    "asked_cycles",
                    lambda figures, root, cycles: cycles,
                ):
                    asked = self.figures(**case).trend(root, cycles)
                self.assertEqual(counted, asked)
                if not case:
                    # Decided this year and the year before, in that order.
                    self.assertEqual(len(counted), 2)
                    self.assertTrue(counted[-1].rows["members"].counts)
                    self.assertTrue(counted[0].rows["members"].counts)


class RemedyTests(StatisticsTestCase):
    def test_remedy_figures_equal_the_actions_counted_one_by_one(self):
        today = timezone.localdate()
        Status = RemedyAction.Status
        plans = [
            (self.individuals[0], [(Status.OPEN, -3), (Status.DONE, -3)]),
            (self.individuals[1], [(Status.IN_PROGRESS, 5)]),
            (self.individuals[-1], [(Status.OPEN, -1), (Status.OPEN, -2)]),
        ]
        for review, actions in plans:
            for number, (status, days) in enumerate(actions, start=1):
                RemedyAction.objects.create(
                    review=review,
                    number=number,
                    shortcoming="Chưa gương mẫu",
                    content="Sửa chữa",
                    owner="Bí thư",
                    status=status,
                    deadline=today + datetime.timedelta(days=days),
                )
        expected = Counter()
        per_organization = {}
        for action in RemedyAction.objects.select_related("review"):
            done = action.status == Status.DONE
            late = not done and action.deadline < today
            counts = per_organization.setdefault(
                action.review.organization_id, Counter()
            )
            for key, counted in (("done", done), ("open", not done), ("overdue", late)):
                expected[key] += counted
                counts[key] += counted
        remedies = self.figures().remedies()
        totals = remedies["totals"]
        self.assertEqual(
            totals, {**expected, "total": expected["open"] + expected["done"]}
        )
        self.assertEqual(remedies["with_plan"], len(per_organization))
        listed = {
            entry["organization"].pk: Counter(
                {key: entry[key] for key in ("open", "done", "overdue")}
            )
            for entry in remedies["organizations"]
        }
        self.assertEqual(listed, per_organization)
        overdue = [entry["overdue"] for entry in remedies["organizations"]]
        self.assertEqual(overdue, sorted(overdue, reverse=True))


class SentTogetherTests(StatisticsTestCase):
    def test_queries_sent_together_each_read_their_own_rows(self):
        by_kind = Review.objects.filter(cycle=self.cycle).order_by("kind")
        by_kind = by_kind.values_list("kind").annotate(n=Count("*"))
        statuses = Review.objects.filter(cycle=self.cycle).order_by("pk")
        statuses = statuses.values_list("pk", "status")
        with statistics.together():
            first = statistics.send(by_kind)
            second = statistics.send(statuses)
            if connection.vendor == "postgresql":
                # Both are on the server before either is read.
                self.assertEqual(
                    connection.connection.pgconn.pipeline_status, PipelineStatus.ON
                )
            second_rows, first_rows = second.rows(), first.rows()
        self.assertEqual(first_rows, list(by_kind))
        self.assertEqual(second_rows, list(statuses))

    def test_figures_sent_ahead_equal_those_read_one_by_one(self):
        self.decide_some()
        RemedyAction.objects.create(
            review=self.individuals[0],
            number=1,
            shortcoming="Chưa gương mẫu",
            content="Sửa chữa",
            owner="Bí thư",
            deadline=timezone.localdate() - datetime.timedelta(days=1),
        )
        cycles = statistics.trend_cycles(self.cycle)
        for root in (self.committee, self.ward):
            with statistics.together():
                ahead = self.figures(root, top=self.committee, cycles=cycles)
                sent = (
                    ahead.trend(root, cycles),
                    ahead.trend(self.committee, cycles),
                    ahead.remedies(),
                    ahead.exemptions(),
                    ahead.flag_counts(cycles),
                    ahead.leader_quota(),
                    ahead.focus_areas(),
                    ahead.indicators(),
                )
            self.assertEqual(ahead.sent, {})
            alone = self.figures(root, top=self.committee)
            read = (
                alone.trend(root, cycles),
                alone.trend(self.committee, cycles),
                alone.remedies(),
                alone.exemptions(),
                alone.flag_counts(cycles),
                alone.leader_quota(),
                alone.focus_areas(),
                alone.indicators(),
            )
            self.assertEqual(sent, read)
            self.assertEqual(sent[2]["totals"]["overdue"], 1)

    def test_the_tree_made_once_reads_the_tree_as_it_is_now(self):
        """The tree's SQL is made once per root and path (queries.made): an
        organization added since, or a root moved, is read all the same."""
        before, _ancestors = statistics.load_tree(self.ward)
        cell = OrganizationFactory(name="Chi bộ mới", parent=self.ward)
        after, _ancestors = statistics.load_tree(self.ward)
        self.assertNotIn(cell.pk, before)
        self.assertEqual(after[cell.pk].name, "Chi bộ mới")
        cell.parent = self.school
        cell.save()
        moved, ancestors = statistics.load_tree(Organization.objects.get(pk=cell.pk))
        self.assertEqual(list(moved), [cell.pk])
        self.assertEqual([unit.pk for unit in ancestors][-1], self.school.pk)
        self.assertNotIn(cell.pk, statistics.load_tree(self.ward)[0])

    def test_meanwhile_has_the_counted_figures_before_the_rest_is_read(self):
        self.decide_some()
        seen = []

        def meanwhile(counted):
            # Called once, with the figures counted from the review rows and
            # none of those read from the queries sent ahead.
            seen.append(sorted(counted))
            self.assertEqual(counted["units"], alone["units"])
            self.assertEqual(counted["progress"], alone["progress"])

        alone = statistics.dashboard_figures(self.cycle, self.committee, store=False)
        cache.clear()
        figures = statistics.dashboard_figures(
            self.cycle, self.committee, store=False, meanwhile=meanwhile
        )
        self.assertEqual(
            seen,
            [
                [
                    "ancestors",
                    "distributions",
                    "levels",
                    "members_by_type",
                    "organizations_by_type",
                    "progress",
                    "units",
                ]
            ],
        )
        self.assertEqual(figures.keys(), alone.keys())
        self.assertEqual(figures["trend"], alone["trend"])
        self.assertEqual(figures["quota"], alone["quota"])
        # Figures from the cache are not counted: nothing to do meanwhile.
        statistics.dashboard_figures(self.cycle, self.committee)
        statistics.dashboard_figures(
            self.cycle, self.committee, store=False, meanwhile=meanwhile
        )
        self.assertEqual(len(seen), 1)


class CacheTests(StatisticsTestCase):
    def members(self):
        figures = statistics.dashboard_figures(self.cycle, self.committee)
        return next(d for d in figures["distributions"] if d.key == "members")

    def test_a_decision_is_shown_at_once_after_the_figures_were_cached(self):
        self.assertEqual(self.members().decided.counts, {})
        with self.assertNumQueries(1):  # the trend's cycles; the rest is cached
            self.members()
        rate(self.individuals[0], Stage.DECISION, "HTTNV")
        self.assertEqual(self.members().decided.counts, {"HTTNV": 1})

    def test_a_form_status_change_is_shown_at_once(self):
        def submitted():
            figures = statistics.dashboard_figures(self.cycle, self.committee)
            return {s.key: s for s in figures["progress"]["members"]}["submitted"]

        self.assertEqual(submitted().done, 0)
        review = self.individuals[0]
        review.status = Review.Status.SUBMITTED
        review.save()
        self.assertEqual(submitted().done, 1)

    def test_an_autosave_of_the_answers_keeps_the_cache(self):
        review = self.individuals[0]
        # The first save turns a new form into a draft: that is counted.
        services.save_review(review, {"answers": {"I.1": "Nội dung"}}, 0, self.staff)
        before = statistics.versions([self.cycle.pk])
        services.save_review(review, {"answers": {"I.1": "Nội dung 2"}}, 1, self.staff)
        self.assertEqual(statistics.versions([self.cycle.pk]), before)

    def test_opening_more_reviews_in_bulk_is_shown_at_once(self):
        total = self.members().decided.total
        MemberFactory(full_name="Đảng viên mới", organization=self.cell_b)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        self.assertEqual(self.members().decided.total, total + 1)

    def test_a_cycle_change_is_shown_at_once(self):
        statistics.dashboard_figures(self.cycle, self.committee)
        before = statistics.versions([self.cycle.pk])
        self.cycle.decision_due = timezone.localdate()
        self.cycle.save()
        self.assertNotEqual(statistics.versions([self.cycle.pk]), before)


class SummedRowsTests(StatisticsTestCase):
    """On PostgreSQL the tally's rows come summed over organizations that count
    alike; every figure equals the one counted from each organization's rows."""

    def everything(self, figures):
        """Every figure CycleFigures gives from the review rows, as plain values."""

        def plain(value):
            if isinstance(value, dict):
                return {key: plain(item) for key, item in value.items()}
            if isinstance(value, (list, tuple)):
                return [plain(item) for item in value]
            if hasattr(value, "__dict__") or hasattr(value, "__slots__"):
                names = getattr(value, "__slots__", None) or vars(value)
                return {name: plain(getattr(value, name)) for name in names}
            return value

        return plain(
            {
                "progress": figures.progress(),
                "distributions": figures.distributions(),
                "organizations_by_type": figures.by_type("organizations"),
                "members_by_type": figures.by_type("members"),
                "units": figures.by_unit(),
                "quota": figures.quota_groups(),
                "tables": figures.tables(),
            }
        )

    def both_ways(self, **kwargs):
        with mock.patch.object(figures_module, "sums_in_database", return_value=True):
            summed = self.figures(**kwargs)
        with mock.patch.object(figures_module, "sums_in_database", return_value=False):
            one_by_one = self.figures(**kwargs)
        self.assertTrue(summed.summed)
        self.assertFalse(one_by_one.summed)
        # Fewer rows to count when organizations count alike (cell A's and
        # cell B's members, before any meeting or decision tells them apart).
        self.assertLessEqual(len(summed.rows), len(one_by_one.rows))
        return self.everything(summed), self.everything(one_by_one)

    def test_the_rows_summed_by_a_join_equal_those_summed_by_id(self):
        if connection.vendor != "postgresql":
            self.skipTest("The rows are summed on PostgreSQL only.")
        self.decide_some()
        by_id = self.both_ways()
        # Organization ids too far apart for one array: summed by a join.
        with (
            mock.patch.object(queries_module, "SPAN_ALWAYS", 0),
            mock.patch.object(queries_module, "SPAN_PER_ORGANIZATION", 0),
        ):
            by_join = self.both_ways()
        self.assertEqual(by_id, by_join)
        self.assertEqual(by_join[0], by_join[1])

    def test_every_figure_equals_the_one_counted_per_organization(self):
        if connection.vendor != "postgresql":
            self.skipTest("The rows are summed on PostgreSQL only.")
        self.decide_some()
        Meeting.objects.create(review=self.collective_a, status=Meeting.Status.DONE)
        Review.objects.filter(pk=self.individuals[1].pk).update(status="returned")
        Review.objects.filter(pk=self.individuals[2].pk).update(status="submitted")
        # Every deadline passed: the late organizations are listed too.
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            self_review_due=yesterday,
            meetings_due=yesterday,
            appraisal_due=yesterday,
            decision_due=yesterday,
        )
        self.cycle.refresh_from_db()
        cases = [
            {},
            {"show_decisions": False},
            {"root": self.ward},
            {"root": self.cell_a},
            {"org_type": self.ward.org_type},
            {"org_type": self.school_type, "show_decisions": False},
        ]
        for case in cases:
            with self.subTest(**{key: str(value) for key, value in case.items()}):
                summed, one_by_one = self.both_ways(**case)
                self.assertEqual(summed, one_by_one)
        late = self.both_ways()[0]["progress"]["members"]
        self.assertTrue(any(step["late"] for step in late))
