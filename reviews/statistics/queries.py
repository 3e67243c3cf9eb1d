"""How the statistics read the database: the subtree's organizations, and the
cycle's reviews grouped from their tally (reviews/tallies.py), as plain rows.

Queries are sent, and their rows read later: inside together() on
PostgreSQL the server answers the next queries while Python counts.
"""

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from kontum_review import replica
from organizations.models import GRASSROOTS_KINDS, PATH_STEP, Organization

from ..models import Meeting, ReviewTally
from ..tallies import KEY as tally_key

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


class Answered:
    """Rows known without asking the database, read like a Sent query's."""

    def __init__(self, rows):
        self.found = rows

    def rows(self):
        return self.found


class Prepared(NamedTuple):
    """A values_list query made into SQL, ready to be sent."""

    using: str
    sql: str
    params: tuple


def prepare(queryset):
    """The query made into SQL; Answered([]) for one that can match nothing
    (an empty list of organizations: Django makes no SQL for it). A query
    written in SQL already (Prepared) stays as it is."""
    if isinstance(queryset, (Prepared, Answered)):
        return queryset
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:
        return Answered([])
    return Prepared(queryset.db, sql, params)


# The SQL of queries that depend only on a key, as made in this process:
# key → Prepared (or None for no query). A few hundred at most.
MADE = {}
MADE_KEPT = 256


def made(key, make):
    """`make()` made into SQL (prepare), once per key and database in this
    process; made anew each time where the key is None.

    For a query whose SQL and parameters follow from the key alone: building
    and compiling a queryset cost Django more than PostgreSQL takes to
    answer the small ones, and the dashboard waits for them."""
    if key is None:
        query = make()
        return prepare(query) if query is not None else None
    key = (replica.alias(), *key)
    if key not in MADE:
        if len(MADE) >= MADE_KEPT:
            MADE.clear()
        query = make()
        MADE[key] = prepare(query) if query is not None else None
    return MADE[key]


def send(query):
    """Send a values_list query (or one prepared), to read its rows later.

    The rows come as fetch gives them. Inside together() on PostgreSQL the
    server starts on the query at once while Python goes on; elsewhere it
    runs here and then.
    """
    if not isinstance(query, (Prepared, Answered)):
        query = prepare(query)
    if isinstance(query, Answered):
        return query
    cursor = connections[query.using].cursor()
    cursor.execute(query.sql, query.params)
    return Sent(cursor)


@contextmanager
def together(using=None):
    """Queries sent inside run on the server one after another, while Python works.

    psycopg's pipeline mode, in the same transaction: the dashboard counts
    the rows of the first queries while PostgreSQL answers the next ones.
    Reading one result waits for every query sent so far (psycopg reads
    them all), so what is needed first is read before the rest is sent.
    Any other database runs each query when sent.
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


def of_type(organizations, root, org_type):
    """`organizations` (of `root`'s subtree) of `org_type`, as the dashboard
    counts them: a cell under its grassroots organization's type."""
    if org_type is None:
        return organizations
    tree, _ancestors = load_tree(root)
    typed = [pk for pk, unit in tree.items() if unit.type_id == org_type.pk]
    return organizations.filter(pk__in=typed)


def send_tree(root):
    """Send load_tree's query; read_tree lays out its rows."""
    # The root's path says which rows the query reads: made once per path.
    return send(made(("tree", root.pk, root.path), lambda: tree_query(root)))


def tree_query(root):
    return (
        Organization.objects.filter(
            Q(path__startswith=root.path) | Q(pk__in=root.ancestor_ids)
        )
        # In no order: read_tree sorts the rows by path faster than
        # PostgreSQL does under a language's collation.
        .order_by()
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


def read_tree(rows, root):
    units, ancestors, by_path = {}, [], {}
    rows = sorted(rows, key=itemgetter(3))
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
    return send_tallies(cycle, root), send_meetings(cycle, root)


def send_tallies(cycle, root):
    """Send the query of the cycle's tally rows under the root, one per group."""
    tallies = ReviewTally.objects.filter(cycle=cycle).exclude(number=0)
    if root.pk != cycle.superior_id:
        tallies = tallies.filter(organization__path__startswith=root.path)
    # In the order of the tally's key, which PostgreSQL reads from its index.
    return send(tallies.order_by(*tally_key).values_list(*tally_key, "number"))


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


# The same rows summed by PostgreSQL over organizations that count alike ---------

# The tally's rows of the organizations in scope, each organization standing
# as the first of those the figures cannot tell apart (its representative):
# as many rows as groups of such organizations, kinds, statuses and levels,
# instead of one per organization. The representatives come as an array
# indexed by organization id (0 for one out of scope), which PostgreSQL reads
# in place for each row (9.5 ms at 31k members under load, a join 13 ms,
# the rows alone 6.3 ms); where the ids in scope lie too far apart for one
# array, as a join.
SUMMED_SQL = """
SELECT representatives.id[tally.organization_id - %(offset)s],
       tally.kind, tally.is_leader, tally.status,
       tally.proposed_code, tally.decided_code, SUM(tally.number)
FROM {tally} AS tally,
     (SELECT %(representatives)s::integer[] AS id) AS representatives
WHERE tally.cycle_id = %(cycle)s AND tally.number <> 0
  AND tally.organization_id BETWEEN %(first)s AND %(last)s
  AND representatives.id[tally.organization_id - %(offset)s] <> 0
GROUP BY 1, 2, 3, 4, 5, 6
"""
SUMMED_BY_JOIN_SQL = """
SELECT scope.representative, tally.kind, tally.is_leader, tally.status,
       tally.proposed_code, tally.decided_code, SUM(tally.number)
FROM {tally} AS tally
JOIN unnest(%(organizations)s::integer[], %(representatives)s::integer[])
     AS scope(organization, representative)
     ON scope.organization = tally.organization_id
WHERE tally.cycle_id = %(cycle)s AND tally.number <> 0
GROUP BY 1, 2, 3, 4, 5, 6
"""
# The longest array of representatives sent, over the organizations in scope.
SPAN_PER_ORGANIZATION = 4
SPAN_ALWAYS = 20000


def sums_in_database(using=None):
    """Whether the database sums the tally's rows (send_sums): PostgreSQL."""
    return connections[using or ReviewTally.objects.db].vendor == "postgresql"


def array(numbers):
    """A PostgreSQL array literal of whole numbers: psycopg's list adapter
    looks at each value, which costs more than the sum on the thousands of
    organizations of a province."""
    return "{" + ",".join(map(str, numbers)) + "}"


def send_meetings(cycle, root):
    """Send the query of the collectives whose meeting is done: (organization
    id, kind) under the root."""
    whole = root.pk == cycle.superior_id
    key = ("meetings", cycle.pk) if whole else ("meetings", cycle.pk, root.path)
    return send(made(key, lambda: meetings_query(cycle, root, whole)))


def meetings_query(cycle, root, whole):
    # Meetings are the collectives': said so, PostgreSQL reads their reviews
    # from the collectives' index instead of scanning the members'.
    meetings = Meeting.objects.filter(
        review__cycle=cycle, review__member__isnull=True, status=Meeting.Status.DONE
    )
    if not whole:
        meetings = meetings.filter(review__organization__path__startswith=root.path)
    return meetings.values_list("review__organization_id", "review__kind")


def send_sums(cycle, representatives):
    """Send SUMMED_SQL: the cycle's tally rows, each organization of
    `representatives` (organization id → the id it counts as) summed into
    its representative. Rows as read_reviews gives them, the representative
    for the organization, in no particular order."""
    if not representatives:
        return Answered([])
    first, last = min(representatives), max(representatives)
    span = last - first + 1
    tally = ReviewTally._meta.db_table
    if span > max(SPAN_ALWAYS, SPAN_PER_ORGANIZATION * len(representatives)):
        sql = SUMMED_BY_JOIN_SQL.format(tally=tally)
        params = {
            "organizations": array(representatives),
            "representatives": array(representatives.values()),
            "cycle": cycle.pk,
        }
    else:
        by_id = [0] * span
        for organization, representative in representatives.items():
            by_id[organization - first] = representative
        sql = SUMMED_SQL.format(tally=tally)
        params = {
            # PostgreSQL's arrays count from 1.
            "offset": first - 1,
            "representatives": array(by_id),
            "cycle": cycle.pk,
            "first": first,
            "last": last,
        }
    return send(Prepared(ReviewTally.objects.db, sql, params))
