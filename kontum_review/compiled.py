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
as a parameter of that field (`field=value`; `field__startswith=value`
through StartsWith; `field__in=values` through Many, compiled once per
number of values), or compiling refuses it. The lookup may make model
instances or values_list rows. Tests compare the SQL and parameters with a
queryset built and compiled afresh (tests/kontum_review/test_compiled.py).
"""

import copy
import datetime
import uuid

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.query import (
    MAX_GET_RESULTS,
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
)
from django.db.transaction import TransactionManagementError

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
    "date": lambda connection, field, n: (
        datetime.date(1901, 1, 1) + datetime.timedelta(days=n)
    ),
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
    "DateField": "date",
    "DateTimeField": "datetime",
}
# The second set of markers starts this far from the first.
SECOND = 500
# A list of more values than this is not compiled (each length is a shape
# of its own): its queryset is built and compiled as Django does.
MANY_MOST = 32
ITERABLES = (ModelIterable, ValuesListIterable, FlatValuesListIterable)


class Compiled:
    """A lookup whose SQL is compiled once per database and shape."""

    def __init__(self, make, **fields):
        self.make = make
        self.fields = fields
        self.many = [name for name, field in fields.items() if isinstance(field, Many)]
        self.ready = {}
        self.models = {}

    def prepare(self, using, shape, limit=None, lengths=()):
        """The lookup compiled for the database and shape; `limit`, the most
        rows it reads, where the queryset is not sliced; `lengths`, the
        number of values of each Many."""
        connection = connections[using]
        key = (using, connection.vendor, shape, limit, lengths)
        ready = self.ready.get(key)
        if ready is None:
            ready = Ready.compile(self, connection, using, shape, limit, lengths)
            self.ready[key] = ready
        return ready

    def model(self, shape, values):
        """The model the lookup reads, found once per shape."""
        model = self.models.get(shape)
        if model is None:
            model = self.models[shape] = self.make(*shape, **values).model
        return model

    def rows(self, shape, using, limit, values):
        if using is None:
            # As a queryset reads: the replica inside replica.reading().
            using = router.db_for_read(self.model(shape, values))
        lengths = tuple(len(values[name]) for name in self.many)
        if any(length > MANY_MOST for length in lengths):
            queryset = self.make(*shape, **values).using(using)
            return list(queryset[:limit] if limit else queryset)
        return self.prepare(using, shape, limit, lengths).run(using, values)

    def all(self, shape=(), using=None, **values):
        """What the lookup finds for these values: instances or rows."""
        return self.rows(shape, using, None, values)

    def get(self, shape=(), using=None, **values):
        """The one instance found, or the model's DoesNotExist, as QuerySet.get."""
        # As QuerySet.get() limits what it reads.
        found = self.rows(shape, using, MAX_GET_RESULTS, values)
        if len(found) == 1:
            return found[0]
        model = self.model(shape, values)
        if not found:
            raise model.DoesNotExist(
                f"{model._meta.object_name} matching query does not exist."
            )
        raise model.MultipleObjectsReturned(
            f"get() returned more than one {model._meta.object_name}."
        )

    def first(self, shape=(), using=None, **values):
        """The first instance found, or None: the queryset must order and slice."""
        found = self.rows(shape, using, None, values)
        return found[0] if found else None

    def slots(self, lengths):
        """(name, index, field) for each parameter the values fill: index is
        None for a single value, the position in the list for a Many's."""
        found = []
        many = dict(zip(self.many, lengths, strict=True))
        for name, field in self.fields.items():
            if name in many:
                found.extend((name, i, field.field) for i in range(many[name]))
            else:
                found.append((name, None, field))
        return found


class Ready:
    """A lookup compiled for one database: its SQL (None where it can find
    nothing), its parameters with places for the values, and the compiler
    that makes rows into instances."""

    def __init__(self, queryset, compiler, sql, params, places):
        self.model = queryset.model
        self.iterable = queryset._iterable_class
        self.names = queryset._fields
        self.compiler = compiler
        self.sql = sql
        self.params = params
        self.places = places
        self.for_update = compiler is not None and bool(
            compiler.query.select_for_update
        )

    @classmethod
    def compile(cls, lookup, connection, using, shape, limit, lengths):
        """Compiled twice, with two sets of markers: the parameters must
        differ exactly where the markers are, so no other parameter is taken
        for one."""
        slots = lookup.slots(lengths)
        queryset, compiler, sql, params, places = compile_with(
            lookup, connection, using, shape, limit, slots, 0
        )
        _, _, other_sql, other_params, other_places = compile_with(
            lookup, connection, using, shape, limit, slots, SECOND
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
        return cls(queryset, compiler, sql, tuple(params), places)

    def sql_with_params(self, connection, values):
        params = list(self.params)
        lists = {}
        for (name, index, field), places in self.places.items():
            if index is None:
                value = values[name]
            else:
                value = lists.setdefault(name, list(values[name]))[index]
            value = field.get_db_prep_value(value, connection)
            for place in places:
                params[place] = value
        return self.sql, tuple(params)

    def run(self, using, values):
        if self.sql is None:
            return []
        connection = connections[using]
        if self.for_update and not connection.in_atomic_block:
            # As Django's compiler refuses it.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        compiler = copy.copy(self.compiler)
        compiler.connection = connection
        sql, params = self.sql_with_params(connection, values)
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        queryset = QuerySet(model=self.model, query=Query(compiler), using=using)
        queryset._iterable_class = self.iterable
        queryset._fields = self.names
        return list(queryset)


class Query:
    """What Django's iterables ask of a queryset's query: a compiler."""

    def __init__(self, compiler):
        self.compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self.compiler


def compile_with(lookup, connection, using, shape, limit, slots, offset):
    """(queryset, compiler, sql, params, places): the lookup made with markers
    from `offset` on and compiled; places, each slot's positions among the
    parameters. sql is None where the lookup can find nothing (an empty
    list of values): Django asks nothing then either."""
    markers, prepared = {}, {}
    for number, (name, index, field) in enumerate(slots, start=offset):
        marker = MARKERS[kind_of(field)](connection, field, number)
        if index is None:
            markers[name] = marker
        else:
            markers.setdefault(name, []).append(marker)
        prepared[name, index, field] = field.get_db_prep_value(marker, connection)
    for name in lookup.many:
        markers.setdefault(name, [])
    queryset = lookup.make(*shape, **markers)
    if not isinstance(queryset, QuerySet) or queryset._iterable_class not in ITERABLES:
        raise TypeError("A compiled lookup makes instances or values_list rows.")
    if queryset._prefetch_related_lookups:
        raise TypeError("A compiled lookup cannot prefetch.")
    query = queryset.query
    if limit is not None and not query.is_sliced:
        query = query.chain()
        query.set_limits(high=limit)
    compiler = query.get_compiler(using=using)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return queryset, None, None, (), {}
    places = {}
    for slot, marker in prepared.items():
        places[slot] = [i for i, value in enumerate(params) if value == marker]
        if not places[slot]:
            raise ValueError(
                f"The value {slot[0]!r} does not reach the SQL as a parameter."
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


def key_of(model, name):
    """The field a foreign key `name` of `model` is compared with: what a
    lookup's `<name>_id=value` takes as its field."""
    return model._meta.get_field(name).target_field


class Many:
    """Values that reach the SQL as `field__in=values`: a list (or set) of
    them, compiled once per number of values."""

    def __init__(self, field):
        self.field = field


def kind_of(field):
    kind = KINDS.get(field.get_internal_type())
    if kind is None:
        raise TypeError(f"No marker for a {field.get_internal_type()}.")
    return kind
