"""The statistics of a cycle: one source of truth for every figure that goes up.

The dashboard, the statistics tables (page and .xlsx) and the summary PDF all
count from here. `CycleFigures` reads a subtree of one cycle from its tally
(a row per organization, kind of subject, status and rating, kept by the
database: reviews/tallies.py) and a few small queries; everything else is
arithmetic over those rows in Python, so the number of queries does not grow
with the tree.

The figures are cached per cycle, subtree and filter; any change to a rating,
a form's status, a meeting, a remedy action or the cycle itself bumps the
cycle's version (reviews/signals.py), so no one reads numbers older than the
last decision.
"""

import datetime
import functools
import heapq
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Case, CharField, Count, F, Max, Q, Sum, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kontum_review import replica
from organizations.models import GRASSROOTS_KINDS, PATH_STEP, Organization, line_of

from . import ratings, rules
from .counting import step_done, subjects_of
from .models import (
    IndicatorValue,
    Meeting,
    Rating,
    RemedyAction,
    Review,
    ReviewCycle,
    ReviewTally,
    StepExemption,
    SuggestionItem,
)
from .remedies import action_counts
from .results import EXCELLENT_RUN, FAILING_RUN, QuotaUse, consecutive
from .tallies import KEY as tally_key

Stage = Rating.Stage
Kind = Review.Kind
TREND_CYCLES = 5
LATE_LISTED = 10  # late organizations named per step; the list behind has them all
REMEDIES_LISTED = 10  # organizations named in the remedy plans' table
CACHE_SECONDS = 15 * 60
OTHER_TYPE = gettext_lazy("Other")
# The runs the dashboard flags: level → years running.
FLAG_RUNS = {rules.EXCELLENT: EXCELLENT_RUN, rules.FAIL: FAILING_RUN}

# Who is counted under each heading of the dashboard and the tables.
SUBJECTS = {
    "organizations": gettext_lazy("Party organizations"),
    "grassroots": gettext_lazy("Grassroots Party organizations"),
    "cells": gettext_lazy("Subordinate Party cells"),
    "leadership": gettext_lazy("Leadership collectives"),
    "members": gettext_lazy("Party members"),
    "leaders": gettext_lazy("Of whom leaders and managers"),
}


def share(count, total):
    """A whole percentage, halves rounded up, as the committee's tables print it."""
    return (200 * count + total) // (2 * total) if total else 0


# Cache versions ------------------------------------------------------------------

# The review fields the statistics count: a save that changes none of them (an
# autosave of the answers) leaves the cached figures as they are.
COUNTED_REVIEW_FIELDS = ("status", "kind", "organization", "is_leader", "cycle")


def counted_state(review):
    """What the statistics count of a review, to compare before and after a save."""
    fields = (Review._meta.get_field(name) for name in COUNTED_REVIEW_FIELDS)
    return tuple(getattr(review, field.attname) for field in fields)


def version_key(cycle_id):
    return f"statistics:cycle:{cycle_id}"


TREE_KEY = "statistics:tree"


# Version bumps the cache did not take (Redis unreachable): this process bumps
# them again once the cache answers, before it reads a version. Another process
# may read the old figures until then, for CACHE_SECONDS at most.
missed = set()


def reachable():
    return getattr(cache, "reachable", True)


def bump(key):
    try:
        cache.incr(key)
    except ValueError:
        # A fresh start never reuses a number an evicted version once had.
        cache.set(key, time.time_ns(), None)
    if reachable():
        missed.discard(key)
    else:
        missed.add(key)


def invalidate(cycle_id):
    """Make every cached figure of the cycle stale (call after bulk writes too)."""
    bump(version_key(cycle_id))


def invalidate_tree():
    bump(TREE_KEY)


def versions(cycle_ids):
    """The current version of each cycle and of the tree, from one cache call.

    With the cache unreachable every version reads 0 and nothing is stored: the
    figures are computed for each request.
    """
    for key in list(missed):
        if reachable():
            bump(key)
    keys = [version_key(pk) for pk in cycle_ids] + [TREE_KEY]
    found = cache.get_many(keys)
    missing = {key: time.time_ns() for key in keys if key not in found}
    if missing:
        for key, value in missing.items():
            cache.add(key, value, None)
        found.update(cache.get_many(list(missing)))
    return tuple(found.get(key, 0) for key in keys)


def cache_key(key_parts, prefix="statistics:figures:"):
    return prefix + ":".join(str(part) for part in key_parts)


def cached(key_parts, compute):
    key = cache_key(key_parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, cache_seconds())
    return value


def cache_seconds():
    """How long figures are kept: shorter when they are read from a replica."""
    if settings.READ_REPLICA:
        return settings.REPLICA_CACHE_SECONDS
    return CACHE_SECONDS


# The tree ----------------------------------------------------------------------


@dataclass(slots=True)
class Unit:
    """An organization of the subtree as the statistics need it."""

    pk: int
    public_id: str
    name: str
    path: str
    kind: str
    type_id: int | None
    type_name: str
    type_code: str = ""
    grassroots_id: int | None = None

    @property
    def is_grassroots(self):
        return self.kind in GRASSROOTS_KINDS


def fetch(queryset):
    """The rows of a values_list query as the driver gives them.

    Skips Django's per-value converters, which cost more than the query on
    the tens of thousands of grouped rows the statistics read; every value
    read this way is an id, a code, a flag or a count.
    """
    return send(queryset).rows()


class Sent:
    """A query sent to the database; rows() waits for its result."""

    def __init__(self, cursor):
        self.cursor = cursor

    def rows(self):
        with self.cursor:
            return self.cursor.fetchall()


class Prepared(NamedTuple):
    """A values_list query made into SQL, ready to be sent."""

    using: str
    sql: str
    params: tuple


def prepare(queryset):
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    return Prepared(queryset.db, sql, params)


def send(query):
    """Send a values_list query (or one prepared), to read its rows later.

    The rows come as fetch gives them. Inside together() on PostgreSQL the
    server starts on the query at once while Python goes on; elsewhere it
    runs here and then.
    """
    if not isinstance(query, Prepared):
        query = prepare(query)
    cursor = connections[query.using].cursor()
    cursor.execute(query.sql, query.params)
    return Sent(cursor)


@contextmanager
def together(using=None):
    """Queries sent inside run on the server one after another, while Python works.

    psycopg's pipeline mode, in the same transaction: the dashboard counts
    the rows of the first queries while PostgreSQL answers the next ones.
    Reading one result waits for every query sent before it, so what is
    needed first is read before the rest is sent. Any other database runs
    each query when sent.
    """
    connection = connections[using or replica.alias()]
    connection.ensure_connection()
    pipeline = getattr(connection.connection, "pipeline", None)
    if connection.vendor != "postgresql" or pipeline is None:
        yield
        return
    with pipeline():
        yield


def load_tree(root):
    """The subtree's organizations and the root's ancestors, from one query.

    Each unit carries the type of its grassroots organization: a cell is
    counted under that type, whatever type (if any) it was given itself.
    Returns (units of the subtree by id, ancestors of the root, root first).
    """
    return read_tree(send_tree(root).rows(), root)


def send_tree(root):
    """Send load_tree's query; read_tree lays out its rows."""
    rows = (
        Organization.objects.filter(
            Q(path__startswith=root.path) | Q(pk__in=root.ancestor_ids)
        )
        .order_by("path")
        # The id as text: a string pickles much faster than a UUID.
        .annotate(public_text=Cast("public_id", CharField()))
        .values_list(
            "pk",
            "public_text",
            "name",
            "path",
            "kind",
            "org_type_id",
            "org_type__name",
            "org_type__code",
        )
    )
    return send(rows)


def read_tree(rows, root):
    units, ancestors, by_path = {}, [], {}
    for pk, public_id, name, path, kind, type_id, type_name, type_code in rows:
        # SQLite keeps the hex digits alone, which the URLs' uuid converter
        # would refuse.
        if len(public_id) != 36:
            public_id = str(uuid.UUID(public_id))
        unit = Unit(
            pk,
            public_id,
            name,
            path,
            kind,
            type_id,
            type_name or "",
            type_code or "",
        )
        by_path[path] = unit
        if path.startswith(root.path):
            units[pk] = unit
        else:
            ancestors.append(unit)
    # In path order a parent comes before its children: each unit takes the
    # nearest grassroots organization from its parent, unless it is one.
    for path, unit in by_path.items():
        if unit.kind in GRASSROOTS_KINDS:
            unit.grassroots_id = unit.pk
            continue
        above = by_path.get(path[:-PATH_STEP])
        if above is not None and above.grassroots_id is not None:
            unit.grassroots_id = above.grassroots_id
            unit.type_id, unit.type_name = above.type_id, above.type_name
            unit.type_code = above.type_code
    return units, ancestors


# One grouped query over the subtree's reviews -----------------------------------


class Row(NamedTuple):
    """Subjects of one organization that share kind, status and ratings."""

    organization_id: int
    kind: str
    is_leader: bool
    status: str
    meeting_done: bool
    proposed: str | None
    decided: str | None
    number: int


def send_reviews(cycle, root):
    """Send the two queries of review_rows; read them with read_reviews.

    The reviews come grouped from their tally (reviews/tallies.py), kept by
    the database in step with them: as many rows as groups, whatever the
    number of members.
    """
    tallies = ReviewTally.objects.filter(cycle=cycle).exclude(number=0)
    # Meetings are the collectives': said so, PostgreSQL reads their reviews
    # from the collectives' index instead of scanning the members'.
    meetings = Meeting.objects.filter(
        review__cycle=cycle, review__member__isnull=True, status=Meeting.Status.DONE
    )
    if root.pk != cycle.superior_id:
        tallies = tallies.filter(organization__path__startswith=root.path)
        meetings = meetings.filter(review__organization__path__startswith=root.path)
    # In the order of the tally's key, which PostgreSQL reads from its index.
    grouped = tallies.order_by(*tally_key).values_list(*tally_key, "number")
    return (
        send(grouped),
        send(meetings.values_list("review__organization_id", "review__kind")),
    )


def read_reviews(sent):
    """The cycle's reviews under the root, grouped, and the meetings held.

    Returns (rows, held). The rows are plain tuples (organization id, kind,
    leader, status, proposed code, decided code, number), a code "" where
    there is none: tens of thousands at province scale, taken as the driver
    gives them. The latest proposal and the decision are the copies kept on
    each review (ratings.refresh_outcomes), which the tally groups by, so
    nothing joins the rating chain. `held` is the (organization id, kind) of
    each collective whose meeting is done.
    """
    grouped, meetings = sent
    return grouped.rows(), set(meetings.rows())


def review_rows(cycle, root):
    """read_reviews as Rows, for the bench to check its hand-written SQL."""
    rows, held = read_reviews(send_reviews(cycle, root))
    return [as_row(row, held) for row in rows]


def as_row(row, held):
    """A grouped row of read_reviews, its meeting looked up, None for no code."""
    org, kind, leader, status, proposed, decided, number = row
    met = (org, kind) in held
    return Row(
        org, kind, leader, status, met, proposed or None, decided or None, number
    )


# Tables --------------------------------------------------------------------------


@dataclass
class LevelRow:
    """One line of a statistics table: subjects per level, and those not decided."""

    label: str
    counts: dict = field(default_factory=dict)
    undecided: int = 0
    organization: Unit | None = None
    key: str = ""

    @property
    def total(self):
        return sum(self.counts.values()) + self.undecided

    def add(self, code, number):
        if code:
            self.counts[code] = self.counts.get(code, 0) + number
        else:
            self.undecided += number

    def cells(self, levels):
        """(count, percentage) per level, in the regime's order."""
        total = self.total
        return [
            (
                self.counts.get(level.code, 0),
                share(self.counts.get(level.code, 0), total),
            )
            for level in levels
        ]


OVERALL = ("grassroots", "cells", "members", "leaders")


def overall_rows(entries):
    """Decided levels per heading from (kind, organization kind, leader, code, n)."""
    rows = {
        subject: LevelRow(str(SUBJECTS[subject]), key=subject) for subject in OVERALL
    }
    for kind, org_kind, leader, code, number in entries:
        for subject in subjects_of(kind, org_kind, leader):
            if subject in rows:
                rows[subject].add(code or None, number)
    return list(rows.values())


def overall_history(cycles, root):
    """overall_rows for each of the cycles under `root`, from one grouped query."""
    grouped = (
        Review.objects.filter(
            cycle__in=cycles, organization__path__startswith=root.path
        )
        .exclude(kind=Kind.LEADERSHIP)
        .order_by()
        .values_list(
            "cycle_id", "kind", "organization__kind", "is_leader", "decided_code"
        )
        .annotate(number=Count("pk"))
    )
    by_cycle = defaultdict(list)
    for cycle_id, *entry in grouped:
        by_cycle[cycle_id].append(entry)
    return {cycle.pk: overall_rows(by_cycle[cycle.pk]) for cycle in cycles}


@dataclass
class Table:
    """A statistics table: a title, what its rows are, and the rows."""

    key: str
    title: str
    row_heading: str
    rows: list


@dataclass
class Step:
    """One step of the cycle's progress for organizations or members."""

    key: str
    label: str
    done: int
    total: int
    deadline: datetime.date | None = None
    late: list = field(default_factory=list)  # (Unit, missing): the first ones
    late_count: int = 0  # organizations late in all

    @property
    def share(self):
        return share(self.done, self.total)

    @property
    def missing(self):
        return self.total - self.done

    @property
    def overdue(self):
        return bool(self.late)


STEP_LABELS = {
    "submitted": gettext_lazy("Forms submitted"),
    "returned": gettext_lazy("Forms returned for rework"),
    "meeting": gettext_lazy("Review meetings held"),
    "proposed": gettext_lazy("Ratings proposed"),
    "decided": gettext_lazy("Ratings decided"),
}
STEP_DEADLINES = {
    "submitted": "self_review_due",
    "meeting": "meetings_due",
    "proposed": "appraisal_due",
    "decided": "decision_due",
}


@dataclass
class Distribution:
    """One heading's subjects per level: latest proposal and decision."""

    key: str
    label: str
    proposed: LevelRow
    decided: LevelRow


@dataclass
class TrendPoint:
    cycle_name: str
    year: int
    public_id: object
    rows: dict  # subject key → LevelRow (decided)


class CycleFigures:
    """Every figure of one cycle for one subtree, computed once, then cached.

    `show_decisions` is False for a reader who may not see decisions before
    publication (results.decisions_shown): decisions then count as not made.
    Given the trend's `cycles`, the queries of the trend, the remedies and
    the flags go out as soon as the review rows are read, to be answered
    while they are counted (see together()).
    """

    def __init__(
        self,
        cycle,
        root,
        org_type=None,
        show_decisions=True,
        today=None,
        top=None,
        cycles=None,
    ):
        self.cycle = cycle
        self.root = root
        self.top = top or root
        self.org_type = org_type
        self.show_decisions = show_decisions
        self.today = today or timezone.localdate()
        self.focus, self.indicator_rows = None, None
        # Reading a result waits for every query sent before it, so the tree
        # comes alone; inside together() the server then groups the reviews
        # while Python lays the tree out.
        tree = send_tree(root).rows()
        sent = send_reviews(cycle, root)
        self.tree, self.ancestors = read_tree(tree, root)
        self.whole_tree = root.pk == cycle.superior_id
        self.tree_wide = self.whole_tree and org_type is None
        self.in_scope = {
            pk
            for pk, unit in self.tree.items()
            if org_type is None or unit.type_id == org_type.pk
        }
        # The dashboard's other queries are made while the server groups the
        # reviews, and sent once they are read: they are answered while the
        # rows are counted.
        ahead = self.prepare_ahead(cycles) if cycles is not None else {}
        # The small queries go after the grouping: reading them waits for it,
        # as reading its rows would.
        self.levels = list(cycle.regime.levels.all())
        if cycles is not None:
            self.focus_areas()
            self.indicators()
        rows, self.held = read_reviews(sent)
        self.sent = {key: send(query) for key, query in ahead.items()}
        if org_type is not None:
            rows = [r for r in rows if r[0] in self.in_scope]
        if not show_decisions:
            rows = [(*r[:5], "", r[6]) if r[5] else r for r in rows]
        self.rows = rows
        self.count_rows()

    def count_rows(self):
        """One pass over the grouped rows: every count the figures are built from.

        The rows number in the tens of thousands at province scale, so each is
        visited once and adds to three flat counters; what depends only on its
        organization, kind and leadership is worked out once per such key and
        stands in the counters as a small number, expanded afterwards.
        """
        INDIVIDUAL, ORGANIZATION = Kind.INDIVIDUAL, Kind.ORGANIZATION
        SUBMITTED, RETURNED = Review.Status.SUBMITTED, Review.Status.RETURNED
        tree, unit_of, quota_key, held = (
            self.tree,
            self.unit_of,
            self.quota_key,
            self.held,
        )
        meeting_orgs = {org for org, kind in held if kind == ORGANIZATION}
        # Interned per key: (subjects, meeting held), place, comparison group.
        heads, places_at, groups_at = {}, {}, {}
        per_key = {}

        def count_key(org_id, kind, leader):
            org = tree[org_id]
            subjects = subjects_of(kind, org.kind, leader)
            if kind == INDIVIDUAL:
                met = org_id in meeting_orgs
            else:
                met = (org_id, kind) in held
            head = heads.setdefault((subjects, met), len(heads))
            place = (subjects[0], unit_of(org_id).pk, org.type_code, org.type_name)
            place = places_at.setdefault(place, len(places_at))
            group = quota_key(org, kind, leader)
            if group is not None:
                group = groups_at.setdefault(group, len(groups_at))
            found = per_key[org_id, kind, leader] = (head, place, group)
            return found

        combos, places, groups = Counter(), {}, {}
        # The rows come in the order of their organization, kind and leadership:
        # the key is looked up only where it changes.
        last = (None, None, None)
        for org_id, kind, leader, status, proposed, decided, number in self.rows:
            if org_id != last[0] or kind != last[1] or leader != last[2]:
                last = (org_id, kind, leader)
                head, place, group = per_key.get(last) or count_key(*last)
            combos[head, status, proposed, decided] += number
            key = (place, status == SUBMITTED, decided)
            places[key] = places.get(key, 0) + number
            if group is not None:
                key = (group, decided or proposed, not decided)
                groups[key] = groups.get(key, 0) + number
        heads, places_at, groups_at = list(heads), list(places_at), list(groups_at)
        levels, steps = Counter(), Counter()
        for (head, status, proposed, decided), number in combos.items():
            subjects, met = heads[head]
            proposed, decided = proposed or None, decided or None
            for subject in subjects:
                levels[subject, "proposed", proposed] += number
                levels[subject, "decided", decided] += number
            main = subjects[0]
            if main != "organizations" and main != "members":
                continue
            steps[main, "total"] += number
            if status == SUBMITTED:
                steps[main, "submitted"] += number
            elif status == RETURNED:
                steps[main, "returned"] += number
            steps[main, "meeting"] += number if met else 0
            steps[main, "proposed"] += number if proposed is not None else 0
            steps[main, "decided"] += number if decided is not None else 0
        types, units, forms = Counter(), Counter(), Counter()
        for (place, submitted, decided), number in places.items():
            main, unit, type_code, type_name = places_at[place]
            decided = decided or None
            forms[unit, submitted] += number
            if main == "organizations" or main == "members":
                types[main, type_code, type_name, decided] += number
                units[unit, main, decided] += number
        quota, quota_open = Counter(), Counter()
        for (group, code, undecided), number in groups.items():
            group = groups_at[group]
            quota[group, code or None] += number
            if undecided:
                quota_open[group] += number
        self.meeting_orgs = meeting_orgs
        self.levels_count, self.types_count, self.units_count = levels, types, units
        self.units_forms, self.steps_count = forms, steps
        self.quota_count, self.quota_open = quota, quota_open

    def quota_key(self, org, kind, leader):
        """The comparison group of a subject, if the whole group lies in the scope.

        Groups that span the whole tree (grassroots organizations of a type,
        leaders, leadership collectives) are complete only from the cycle's
        committee down, so they count only there; the groups of a grassroots
        organization only from that organization down.
        """
        whole_tree, tree_wide = self.whole_tree, self.tree_wide
        by_level, leaders_apart = self.grouping
        # Below a grassroots organization its groups are only partly in view.
        inside = org.grassroots_id in self.tree
        if kind == Kind.LEADERSHIP:
            return "leadership" if tree_wide else None
        if kind == Kind.ORGANIZATION and org.is_grassroots:
            return ("type", org.type_code, org.type_name) if whole_tree else None
        if kind == Kind.ORGANIZATION and by_level:
            return "cells" if tree_wide else None
        if kind == Kind.ORGANIZATION:
            return ("cells", org.grassroots_id) if inside else None
        if leader and leaders_apart:
            # Grouped by their posts, which these rows do not carry: counted
            # apart (leader_quota).
            return None
        if by_level:
            return "members" if tree_wide else None
        return ("members", org.grassroots_id) if inside else None

    @functools.cached_property
    def grouping(self):
        """(members and cells compared by post level, leaders by post)."""
        regime = self.cycle.regime
        return (
            regime.quota_grouping == regime.QuotaGrouping.POST_LEVEL,
            ratings.leaders_by_post(regime),
        )

    def leader_quota(self):
        """Leaders' levels per comparison group (by post and level), from the
        cycle's posts: {(key, name): Counter of (code, undecided)}."""
        if not self.tree_wide or not ratings.leaders_by_post(self.cycle.regime):
            return {}
        posts, codes = defaultdict(list), {}
        # One row per post held, or one with no post (a left join).
        rows = self.cycle.reviews.filter(
            kind=Kind.INDIVIDUAL, is_leader=True
        ).values_list(
            "pk",
            "proposed_code",
            "decided_code",
            "posts__kind",
            "posts__organization__kind",
        )
        for pk, proposed, decided, kind, organization_kind in rows:
            codes[pk] = (proposed, decided if self.show_decisions else "")
            if kind:
                posts[pk].append((kind, organization_kind))
        counts = defaultdict(Counter)
        # A few dozen groups for thousands of leaders: each named once.
        group_of = functools.cache(ratings.leader_group)
        for pk, (proposed, decided) in codes.items():
            key = group_of(ratings.highest_post(posts[pk]))
            counts[key][decided or proposed or None, not decided] += 1
        return counts

    def level_row(self, label, counts, key="", organization=None):
        row = LevelRow(label, key=key, organization=organization)
        for code, number in counts:
            row.add(code, number)
        return row

    # Helpers -----------------------------------------------------------------

    def unit_of(self, organization_id):
        """The child of the root the organization lies under (the root itself too)."""
        if not hasattr(self, "_unit_of"):
            depth = len(self.root.path) + PATH_STEP
            by_path = {unit.path: unit for unit in self.tree.values()}
            root = self.tree[self.root.pk]
            self._unit_of = {
                pk: by_path[unit.path[:depth]] if len(unit.path) >= depth else root
                for pk, unit in self.tree.items()
            }
        return self._unit_of[organization_id]

    def rows_of(self, subject):
        if not hasattr(self, "by_subject"):
            self.by_subject = defaultdict(list)
            for row in self.rows:
                row = as_row(row, self.held)
                org_kind = self.tree[row.organization_id].kind
                for name in subjects_of(row.kind, org_kind, row.is_leader):
                    self.by_subject[name].append(row)
        return self.by_subject.get(subject, ())

    # Progress ------------------------------------------------------------------

    def progress(self):
        """Per step, organizations and members done out of all, with the late ones."""
        result = {}
        for subject in ("organizations", "members"):
            total = self.steps_count[subject, "total"]
            steps = []
            for key in STEP_LABELS:
                done = self.steps_count[subject, key]
                deadline = getattr(self.cycle, STEP_DEADLINES.get(key, ""), None)
                step = Step(key, str(STEP_LABELS[key]), done, total, deadline)
                if deadline and deadline < self.today and done < total:
                    missing = Counter()
                    for r in self.rows_of(subject):
                        if not step_done(key, r, self.meeting_orgs):
                            missing[r.organization_id] += r.number
                    late = sorted(
                        ((self.tree[pk], n) for pk, n in missing.items()),
                        key=lambda pair: pair[0].path,
                    )
                    step.late, step.late_count = late[:LATE_LISTED], len(late)
                steps.append(step)
            result[subject] = steps
        return result

    # Ratings ---------------------------------------------------------------------

    def distributions(self):
        result = []
        counted = defaultdict(list)
        for (subject, stage, code), number in self.levels_count.items():
            counted[subject, stage].append((code, number))
        for subject in ("organizations", "members", "leaders", "leadership"):
            label = str(SUBJECTS[subject])
            result.append(
                Distribution(
                    subject,
                    label,
                    self.level_row(label, counted[subject, "proposed"], subject),
                    self.level_row(label, counted[subject, "decided"], subject),
                )
            )
        return result

    def overall_rows(self):
        """The summary's first table: grassroots, cells, members, leaders (decided)."""
        tree = self.tree
        return overall_rows(
            (kind, tree[org_id].kind, leader, decided, number)
            for org_id, kind, leader, _status, _proposed, decided, number in self.rows
        )

    def by_type(self, subject):
        """Decided levels per grassroots type, for organizations or members."""
        rows = {}
        for (counted, type_code, type_name, code), number in self.types_count.items():
            if counted != subject:
                continue
            label = type_name or str(OTHER_TYPE)
            row = rows.get(label)
            if row is None:
                row = rows[label] = LevelRow(label, key=type_code)
            row.add(code, number)
        return sorted(rows.values(), key=lambda row: row.label)

    def by_unit(self):
        """Per organization right below the root: its organizations and members."""
        units = {}

        def entry(pk):
            found = units.get(pk)
            if found is None:
                unit = self.tree[pk]
                found = units[pk] = {
                    "unit": unit,
                    "organizations": LevelRow(unit.name, organization=unit),
                    "members": LevelRow(unit.name, organization=unit),
                    "submitted": 0,
                    "forms": 0,
                }
            return found

        for (pk, submitted), number in self.units_forms.items():
            found = entry(pk)
            found["forms"] += number
            if submitted:
                found["submitted"] += number
        for (pk, subject, code), number in self.units_count.items():
            entry(pk)[subject].add(code, number)
        return sorted(units.values(), key=lambda found: found["unit"].path)

    def tables(self):
        """The tables a committee reports upward, in the order of the summary."""
        units = self.by_unit()
        return [
            Table(
                "levels",
                _("Ratings per level"),
                _("Subjects"),
                self.overall_rows(),
            ),
            Table(
                "organizations-by-type",
                _("Party organizations per organization type"),
                _("Organization type"),
                self.by_type("organizations"),
            ),
            Table(
                "members-by-type",
                _("Party members per organization type"),
                _("Organization type"),
                self.by_type("members"),
            ),
            Table(
                "organizations-by-unit",
                _("Party organizations per unit"),
                _("Unit"),
                [e["organizations"] for e in units if e["organizations"].total],
            ),
            Table(
                "members-by-unit",
                _("Party members per unit"),
                _("Unit"),
                [e["members"] for e in units if e["members"].total],
            ),
        ]

    # Quota ---------------------------------------------------------------------

    def quota_groups(self):
        """HTXSNV allowed and used per comparison group lying inside the scope.

        Groups that span the whole tree (grassroots organizations of a type,
        leaders, leadership collectives) are complete only from the cycle's
        committee down, so they are shown only there; the groups of a
        grassroots organization only from that organization down.
        """
        groups = defaultdict(Counter)
        for (key, code), number in self.quota_count.items():
            groups[key][code] += number
        open_counts = Counter(self.quota_open)
        for (key, name), found in self.leader_quota().items():
            key = ("leaders", key, name)
            for (code, undecided), number in found.items():
                groups[key][code] += number
                open_counts[key] += number if undecided else 0
        uses = []
        for key, counts in groups.items():
            use = QuotaUse(
                group=self.group_name(key),
                excellent=counts[rules.EXCELLENT],
                good=counts[rules.GOOD],
                total=sum(counts.values()),
                percent=self.cycle.regime.quota_percent,
                provisional=open_counts[key] > 0,
            )
            use.subjects = key if isinstance(key, str) else key[0]
            # A post's leaders are a part of the leaders no list holds alone.
            use.partial = use.subjects == "leaders" and not isinstance(key, str)
            use.place = (
                self.tree.get(key[1]) if use.subjects in ("cells", "members") else None
            )
            use.type_code = key[1] if use.subjects == "type" else ""
            uses.append(use)
        # Over quota first, then the fullest.
        uses.sort(key=lambda u: (not u.over, -u.excellent / u.scale, u.group))
        return uses

    def group_name(self, key):
        """The comparison group's name as the decision page gives it."""
        if not hasattr(self, "_group_formats"):
            # Translated once: a province has over a thousand groups.
            self._group_formats = {
                "leadership": _("Leadership collectives"),
                "leaders": _("Leaders and managers"),
                "type": _("Grassroots organizations: %(type)s"),
                "cells": _("Cells of %(name)s"),
                "members": _("Members of %(name)s"),
                # The groups of the whole cycle, when the regime compares by
                # post level (ratings.comparison_groups).
                "all-cells": _("Cells and partial committees"),
                "all-members": _("Members without a leadership post"),
            }
        formats = self._group_formats
        if key in ("cells", "members"):
            return formats[f"all-{key}"]
        if isinstance(key, str):
            return formats[key]
        if key[0] == "leaders":
            return str(key[2])
        if key[0] == "type":
            return formats["type"] % {"type": key[2] or "—"}
        return formats[key[0]] % {"name": self.tree[key[1]].name}

    # Across years ------------------------------------------------------------------

    def trend_query(self, root, cycles):
        tallies = ReviewTally.objects.filter(cycle__in=cycles).exclude(number=0)
        if self.org_type is not None:
            tallies = tallies.filter(organization_id__in=sorted(self.in_scope))
        elif root.pk == self.root.pk and root.pk != self.cycle.superior_id:
            tallies = tallies.filter(organization_id__in=sorted(self.tree))
        elif root.pk != self.cycle.superior_id:
            tallies = tallies.filter(organization__path__startswith=root.path)
        # Leadership collectives are left out below, not in SQL.
        return (
            tallies.order_by()
            .values_list("cycle_id", "kind", "is_leader", "decided_code")
            .annotate(number=Sum("number"))
        )

    def trend(self, root, cycles):
        """Decided levels per heading over the given cycles, oldest first."""
        grouped = self.read(("trend", root.pk), self.trend_query, root, cycles)
        points = {
            cycle.pk: TrendPoint(
                cycle.name,
                cycle.year,
                cycle.public_id,
                {
                    subject: LevelRow(str(SUBJECTS[subject]), key=subject)
                    for subject in ("organizations", "members", "leaders")
                },
            )
            for cycle in cycles
        }
        hidden = set() if self.show_decisions else {self.cycle.pk}
        for cycle_id, kind, leader, code, number in grouped:
            for subject in subjects_of(kind, None, leader)[:2]:
                if subject in points[cycle_id].rows:
                    decided = None if cycle_id in hidden else code
                    points[cycle_id].rows[subject].add(decided or None, number)
        return [points[cycle.pk] for cycle in reversed(cycles)]

    # Queries sent ahead --------------------------------------------------------------

    def prepare_ahead(self, cycles):
        """The queries of the trend (the subtree's, and the whole tree's beside
        a chosen organization), the remedies and the flags, made into SQL."""
        ahead = {("trend", self.root.pk): self.trend_query(self.root, cycles)}
        if self.top.pk != self.root.pk and self.org_type is None:
            ahead["trend", self.top.pk] = self.trend_query(self.top, cycles)
        ahead["remedies"] = self.remedies_query()
        ahead["exemptions"] = self.exemptions_query()
        flags = self.flags_query(cycles)
        if flags is not None:
            ahead["flags"] = flags
        return {key: prepare(query) for key, query in ahead.items()}

    def read(self, key, query, *args):
        """The rows of a query sent ahead, or of the query made and run now.

        `query(*args)` makes the query; None where there is nothing to ask.
        """
        sent = self.sent.pop(key, None)
        if sent is not None:
            return sent.rows()
        made = query(*args)
        return fetch(made) if made is not None else []

    # Focus areas, indicators, remedies, flags ----------------------------------------

    def scoped(self, prefix):
        """Rows of another table whose organization lies in the scope.

        Every row of the cycle lies in its committee's tree, so the whole tree
        needs no condition; a subtree is the organizations already read.
        """
        if self.org_type is None and self.root.pk == self.cycle.superior_id:
            return Q()
        return Q(**{f"{prefix}id__in": sorted(self.in_scope)})

    def focus_areas(self):
        """Per suggested focus area: the organizations and members suggested it,
        and how many of them answered in section IV."""
        if self.focus is None:
            self.focus = self.count_focus_areas()
        return self.focus

    def count_focus_areas(self):
        answered = Q(answers__text__gt="")
        items = SuggestionItem.objects.filter(suggestion__cycle=self.cycle).filter(
            self.scoped("suggestion__organization__")
            | self.scoped("suggestion__member__organization__")
        )
        return list(
            items.order_by()
            .values(
                "focus_area_id",
                "focus_area__position",
                "focus_area__code",
                "focus_area__name",
            )
            .annotate(
                organizations=Count("suggestion__organization", distinct=True),
                organizations_answered=Count(
                    "suggestion__organization", filter=answered, distinct=True
                ),
                members=Count("suggestion__member", distinct=True),
                members_answered=Count(
                    "suggestion__member", filter=answered, distinct=True
                ),
            )
            .order_by("focus_area__position", "focus_area__code")
        )

    def indicators(self):
        """Per indicator: the organizations reporting it, the targets and actual
        values summed, and how many met their target."""
        if self.indicator_rows is None:
            self.indicator_rows = self.count_indicators()
        return self.indicator_rows

    def count_indicators(self):
        values = IndicatorValue.objects.filter(cycle=self.cycle).filter(
            self.scoped("organization__")
        )
        better = Q(indicator__higher_is_better=True)
        met = (better & Q(actual__gte=F("target"))) | (
            ~better & Q(actual__lte=F("target"))
        )
        return list(
            values.order_by()
            .values(
                "indicator__code",
                "indicator__name",
                "indicator__unit",
                "indicator__higher_is_better",
                "indicator__focus_area__name",
            )
            .annotate(
                organizations=Count("pk"),
                target_total=Sum("target"),
                actual_total=Sum("actual"),
                met=Count("pk", filter=met),
            )
            .order_by("indicator__focus_area__position", "indicator__code")
        )

    def remedies_query(self):
        return (
            RemedyAction.objects.filter(review__cycle=self.cycle)
            .filter(self.scoped("review__organization__"))
            .order_by()
            .values_list("review__organization_id")
            .annotate(**action_counts(self.today))
        )

    def remedies(self):
        """Remedy actions of this cycle's plans: the totals, and the organizations
        with the most overdue actions (then the most still open), of all those
        with a plan."""
        still_open = done = overdue = 0
        ranked = []
        tree = self.tree
        for organization_id, org_open, org_done, org_overdue in self.read(
            "remedies", self.remedies_query
        ):
            still_open += org_open
            done += org_done
            overdue += org_overdue
            path = tree[organization_id].path
            ranked.append((-org_overdue, -org_open, path, organization_id, org_done))
        return {
            "totals": {
                "open": still_open,
                "done": done,
                "overdue": overdue,
                "total": still_open + done,
            },
            "organizations": [
                {
                    "organization": tree[organization_id],
                    "open": -minus_open,
                    "done": org_done,
                    "overdue": -minus_overdue,
                }
                for minus_overdue, minus_open, _path, organization_id, org_done in (
                    heapq.nsmallest(REMEDIES_LISTED, ranked)
                )
            ],
            "with_plan": len(ranked),
        }

    def exemptions_query(self):
        return (
            StepExemption.objects.filter(review__cycle=self.cycle)
            .filter(self.scoped("review__organization__"))
            .order_by()
            .values_list("kind", "review__kind")
            .annotate(Count("pk"))
        )

    def exemptions(self):
        """Work closed undone with a reason, per kind, for organizations and members."""
        counts = {kind: Counter() for kind in StepExemption.Kind}
        for kind, review_kind, number in self.read("exemptions", self.exemptions_query):
            subject = "members" if review_kind == Kind.INDIVIDUAL else "organizations"
            counts[kind][subject] += number
        return [
            {
                "kind": kind.value,
                "label": str(kind.label),
                "organizations": counts[kind]["organizations"],
                "members": counts[kind]["members"],
            }
            for kind in StepExemption.Kind
        ]

    def flag_years(self, cycles):
        """The consecutive yearly cycles ending with this one; None: no flags shown."""
        if not self.show_decisions:
            return None
        yearly = consecutive([c for c in cycles if c.period == ReviewCycle.Period.YEAR])
        if not yearly or yearly[0].pk != self.cycle.pk:
            return None
        return yearly

    def flags_query(self, cycles):
        """The subjects with a full run, with the organization they are in now.

        One branch per level and kind of subject, each reading its own range
        of the review_runs index on PostgreSQL; only the subjects with a full
        run come back. None where no run can be complete.
        """
        yearly = self.flag_years(cycles) or []
        where_now = Max(Case(When(cycle_id=self.cycle.pk, then=F("organization_id"))))
        branches = []
        for code, run in FLAG_RUNS.items():
            if len(yearly) < run:
                continue
            decided = Review.objects.filter(
                decided_code=code, cycle__in=[c.pk for c in yearly[:run]]
            ).order_by()
            for heading, subject in (
                ("members", ["member_id"]),
                # An organization by its lineage, which follows it through
                # restructurings (organizations/restructuring/).
                ("organizations", ["line", "kind"]),
            ):
                branches.append(
                    decided.filter(member__isnull=heading == "organizations")
                    .annotate(line=line_of("organization__"))
                    .values(*subject)
                    .annotate(years=Count("*"), now=where_now)
                    .filter(years=run)
                    .annotate(code=Value(code), heading=Value(heading))
                    .values_list("code", "heading", "now")
                )
        if not branches:
            return None
        return branches[0].union(*branches[1:], all=True)

    def flag_counts(self, cycles):
        """Subjects HTXSNV five years running and KHTNV two years running.

        Counted as results.flags counts them: the run ends with this cycle, in
        consecutive yearly cycles; a member by person, a collective by
        organization and kind; the subject counts where it is in this cycle.
        """
        if self.flag_years(cycles) is None:
            return None
        result = {code: {"members": 0, "organizations": 0} for code in FLAG_RUNS}
        for code, heading, now in self.read("flags", self.flags_query, cycles):
            if now in self.in_scope:
                result[code][heading] += 1
        return result


# What the pages read ----------------------------------------------------------------


def figures_key(kind, cycle, root, org_type, show_decisions, today, extra=()):
    return (
        kind,
        cycle.pk,
        root.pk,
        org_type.pk if org_type else "-",
        int(show_decisions),
        today.isoformat(),
        *extra,
    )


def dashboard_key(
    cycle, root, org_type=None, show_decisions=True, top=None, cycles=None
):
    """The cache key of a dashboard's figures: it changes with every counted write.

    `cycles` are the committee's cycles (any order; read if not given); the
    trend takes the last five of the cycle's period up to it.
    """
    top = top or root
    cycles = trend_cycles(cycle, cycles)
    key = figures_key(
        "dashboard",
        cycle,
        root,
        org_type,
        show_decisions,
        timezone.localdate(),
        (top.pk, *versions([c.pk for c in cycles])),
    )
    return key, cycles


def dashboard_figures(
    cycle,
    root,
    org_type=None,
    show_decisions=True,
    top=None,
    cycles=None,
    key=None,
    store=True,
):
    """Everything the dashboard shows, from the cache while nothing has changed.

    `store=False` reads the cache but does not fill it: for a caller that
    caches what it makes of the figures instead.
    """
    top = top or root
    today = timezone.localdate()
    if key is None:
        key, cycles = dashboard_key(cycle, root, org_type, show_decisions, top, cycles)
    else:
        cycles = trend_cycles(cycle, cycles)

    def compute():
        with replica.reading(), together():
            figures = CycleFigures(
                cycle, root, org_type, show_decisions, today, top, cycles
            )
            found = {
                "levels": figures.levels,
                "ancestors": figures.ancestors,
                "progress": figures.progress(),
                "distributions": figures.distributions(),
                "organizations_by_type": figures.by_type("organizations"),
                "members_by_type": figures.by_type("members"),
                "units": figures.by_unit(),
                "quota": figures.quota_groups(),
                "trend": figures.trend(root, cycles),
                # The whole tree's trend, beside a chosen organization's; not by
                # type: the type of organizations outside the chosen subtree is
                # not read.
                "trend_top": figures.trend(top, cycles)
                if top.pk != root.pk and org_type is None
                else None,
                "focus_areas": figures.focus_areas(),
                "indicators": figures.indicators(),
                "remedies": figures.remedies(),
                "exemptions": figures.exemptions(),
                "flags": figures.flag_counts(cycles),
            }
        return found

    if store:
        return cached(key, compute)
    return cache.get(cache_key(key)) or compute()


def statistics_tables(cycle, root, org_type=None, show_decisions=True):
    """The tables a committee reports upward, cached like the dashboard."""
    today = timezone.localdate()
    key = figures_key(
        "tables", cycle, root, org_type, show_decisions, today, versions([cycle.pk])
    )

    def compute():
        with replica.reading():
            figures = CycleFigures(cycle, root, org_type, show_decisions, today)
            return {"levels": figures.levels, "tables": figures.tables()}

    return cached(key, compute)


def trend_cycles(cycle, cycles=None):
    """The committee's cycles of the same period up to this one, newest first.

    Drafts are left out, except the cycle itself.
    """
    # The committee's cycles before a restructuring replaced its row count too.
    line = cycle.superior.line
    if cycles is None:
        cycles = ReviewCycle.objects.filter(
            superior__in=Organization.objects.same_line_as(cycle.superior)
        ).select_related("superior")
    return sorted(
        (
            c
            for c in cycles
            if c.superior.line == line
            and c.period == cycle.period
            and c.starts_on <= cycle.starts_on
            and (c.status != ReviewCycle.Status.DRAFT or c.pk == cycle.pk)
        ),
        key=lambda c: c.starts_on,
        reverse=True,
    )[:TREND_CYCLES]
