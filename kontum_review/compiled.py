"""Lookups built and compiled to SQL once per process, then run with new values.

Building a queryset and compiling it to SQL costs Django 0.5–2.5 ms of CPU
for each lookup a page makes (a review's lookup joins eight tables and checks
the user's roles), often more than PostgreSQL takes to answer it. The lookups
every request makes (the session, the user, the review of a form) have the
same SQL from one request to the next; only a few values change: the user's
key, the review's public id, the time.

A Compiled lookup builds its queryset once per database and shape with marker
values standing for those values, compiles it, notes where each marker lands
among the SQL's parameters, and from then on runs the same SQL with the real
values in those places, the rows made into model instances as Django makes
them (select_related and annotations included).

    REVIEW = Compiled(
        lambda locked, *, public_id: Review.objects.filter(public_id=public_id),
        public_id=Review._meta.get_field("public_id"),
    )
    review = REVIEW.get((False,), public_id=public_id)

`make(*shape, **values)` builds the queryset: the shape (a tuple of hashable
values that change its SQL, such as whether the row is locked) is passed as
it is, each value as a marker of its field's type. A value must reach the SQL
as a parameter of that field (`field=value`, `field__in=[value]` is not
supported), or compiling refuses it. Tests compare the SQL and parameters
with a queryset built and compiled afresh (tests/kontum_review/test_compiled.py).
"""

import copy
import datetime
import uuid

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import MAX_GET_RESULTS, ModelIterable

# Values no real row holds, one per value of a lookup, of each kind of field:
# (connection, field, n) → the nth marker. Integers sit at the low end of
# the field's range: Django answers a value beyond it with no query at all.
MARKERS = {
    "int": lambda connection, field, n: (
        (connection.ops.integer_field_range(field.get_internal_type())[0] or 0)
        + 1_000
        + n
    ),
    "str": lambda connection, field, n: f"\x1fcompiled-marker-{n}\x1f",
    "uuid": lambda connection, field, n: uuid.UUID(int=(0x5EED << 100) + n),
    "datetime": lambda connection, field, n: (
        datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC)
        + datetime.timedelta(seconds=n)
    ),
}
KINDS = {
    "AutoField": "int",
    "BigAutoField": "int",
    "SmallAutoField": "int",
    "IntegerField": "int",
    "BigIntegerField": "int",
    "SmallIntegerField": "int",
    "PositiveIntegerField": "int",
    "CharField": "str",
    "TextField": "str",
    "UUIDField": "uuid",
    "DateTimeField": "datetime",
}
# The second set of markers starts this far from the first.
SECOND = 500


class Compiled:
    """A lookup whose SQL is compiled once per database and shape."""

    def __init__(self, make, **fields):
        self.make = make
        self.fields = fields
        self.ready = {}

    def prepare(self, using, shape, limit=None):
        """The lookup compiled for the database and shape; `limit`, the most
        rows it reads, where the queryset is not sliced."""
        connection = connections[using]
        key = (using, connection.vendor, shape, limit)
        ready = self.ready.get(key)
        if ready is None:
            ready = Ready.compile(self, connection, using, shape, limit)
            self.ready[key] = ready
        return ready

    def all(self, shape=(), using=DEFAULT_DB_ALIAS, **values):
        """The model instances the lookup finds for these values."""
        return self.prepare(using, shape).run(using, values)

    def get(self, shape=(), using=DEFAULT_DB_ALIAS, **values):
        """The one instance found, or the model's DoesNotExist, as QuerySet.get."""
        # As QuerySet.get() limits what it reads.
        ready = self.prepare(using, shape, MAX_GET_RESULTS)
        found = ready.run(using, values)
        if len(found) == 1:
            return found[0]
        model = ready.model
        if not found:
            raise model.DoesNotExist(
                f"{model._meta.object_name} matching query does not exist."
            )
        raise model.MultipleObjectsReturned(
            f"get() returned more than one {model._meta.object_name}."
        )

    def first(self, shape=(), using=DEFAULT_DB_ALIAS, **values):
        """The first instance found, or None: the queryset must order and slice."""
        found = self.prepare(using, shape).run(using, values)
        return found[0] if found else None


class Ready:
    """A lookup compiled for one database: its SQL, its parameters with a
    place for each value, and the compiler that makes rows into instances."""

    def __init__(self, model, compiler, sql, params, places, fields, for_update):
        self.model = model
        self.compiler = compiler
        self.sql = sql
        self.params = params
        self.places = places
        self.fields = fields
        self.for_update = for_update

    @classmethod
    def compile(cls, lookup, connection, using, shape, limit):
        """Compiled twice, with two sets of markers: the parameters must
        differ exactly where the markers are, so no other parameter is taken
        for one."""
        queryset, compiler, sql, params, places = compile_with(
            lookup, connection, using, shape, limit, 0
        )
        _, _, other_sql, other_params, other_places = compile_with(
            lookup, connection, using, shape, limit, SECOND
        )
        marked = {place for found in places.values() for place in found}
        if (
            other_sql != sql
            or other_places != places
            or len(other_params) != len(params)
            or any(
                value != other_params[place]
                for place, value in enumerate(params)
                if place not in marked
            )
        ):
            raise ValueError("The lookup's SQL changes with more than its values.")
        return cls(
            queryset.model,
            compiler,
            sql,
            tuple(params),
            places,
            lookup.fields,
            bool(compiler.query.select_for_update),
        )

    def sql_with_params(self, connection, values):
        params = list(self.params)
        for name, places in self.places.items():
            value = self.fields[name].get_db_prep_value(values[name], connection)
            for place in places:
                params[place] = value
        return self.sql, tuple(params)

    def run(self, using, values):
        connection = connections[using]
        if self.for_update and not connection.in_atomic_block:
            # As Django's compiler refuses it.
            from django.db import TransactionManagementError

            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        compiler = copy.copy(self.compiler)
        compiler.connection = connection
        sql, params = self.sql_with_params(connection, values)
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        queryset = QuerySet(model=self.model, query=Query(compiler), using=using)
        return list(queryset)


class Query:
    """What Django's ModelIterable asks of a queryset's query: a compiler."""

    def __init__(self, compiler):
        self.compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self.compiler


def compile_with(lookup, connection, using, shape, limit, offset):
    """(queryset, compiler, sql, params, places): the lookup made with markers
    from `offset` on and compiled; places, each value's positions among
    the parameters."""
    markers, prepared = {}, {}
    for number, (name, field) in enumerate(lookup.fields.items(), start=offset):
        markers[name] = MARKERS[kind_of(field)](connection, field, number)
        prepared[name] = field.get_db_prep_value(markers[name], connection)
    queryset = lookup.make(*shape, **markers)
    if not isinstance(queryset, QuerySet) or queryset._iterable_class is not (
        ModelIterable
    ):
        raise TypeError("A compiled lookup makes a queryset of model instances.")
    if queryset._prefetch_related_lookups:
        raise TypeError("A compiled lookup cannot prefetch.")
    query = queryset.query
    if limit is not None and not query.is_sliced:
        query = query.chain()
        query.set_limits(high=limit)
    compiler = query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    places = {}
    for name, marker in prepared.items():
        places[name] = [i for i, value in enumerate(params) if value == marker]
        if not places[name]:
            raise ValueError(
                f"The value {name!r} does not reach the SQL as a parameter."
            )
    return queryset, compiler, sql, params, places


class StartsWith:
    """A value that reaches the SQL as `field__startswith=value`: the
    pattern LIKE compares with, in place of a field."""

    def __init__(self, field):
        self.field = field

    def get_internal_type(self):
        return self.field.get_internal_type()

    def get_db_prep_value(self, value, connection):
        value = self.field.get_db_prep_value(value, connection)
        return f"{connection.ops.prep_for_like_query(value)}%"


def kind_of(field):
    kind = KINDS.get(field.get_internal_type())
    if kind is None:
        raise TypeError(f"No marker for a {field.get_internal_type()}.")
    return kind
