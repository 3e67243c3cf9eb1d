"""Lookups compiled once per process (kontum_review/compiled.py) run the SQL a
queryset built afresh would, with each request's values in their places, and
give the same rows."""

from django.contrib.sessions.models import Session
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kontum_review import replica
from kontum_review.accounts import user_lookup
from kontum_review.compiled import MANY_MOST, Compiled, Many, StartsWith
from kontum_review.sessions import session_lookup
from organizations.models import Organization
from reviews.access import (
    REVIEWS,
    ancestors_lookup,
    cycle_lookup,
    cycle_organization_lookup,
    review_lookup,
)
from reviews.cycles.progress import checklist_lookup, roles_lookup
from reviews.meetings.page import COLLECTIVES, assignees_lookup
from reviews.meetings.services import attendance_lookup, ensure_meeting, items_lookup
from reviews.models import Meeting
from reviews.ratings.chain import Stage
from reviews.ratings.lookups import RULE_LOOKUPS
from reviews.review_forms.views import reviews as form_reviews

from ..factories import UserFactory
from ..personas import CyclePersonasTestCase


def fresh_sql(lookup, shape, limit, values):
    """The SQL and parameters of the lookup's queryset made with `values` and
    compiled now, as Django would run it."""
    query = lookup.make(*shape, **values).query
    if limit is not None and not query.is_sliced:
        query = query.chain()
        query.set_limits(high=limit)
    sql, params = query.get_compiler(using=DEFAULT_DB_ALIAS).as_sql()
    return sql, tuple(params)


def lengths(lookup, values):
    return tuple(len(values[name]) for name in lookup.many)


def row(instance, depth=3):
    """What a model instance holds: its values and the related rows it
    carries (to `depth`: a one-to-one's rows carry each other)."""
    values = {k: v for k, v in vars(instance).items() if k != "_state"}
    related = {
        name: row(related, depth - 1) if related is not None and depth else related
        for name, related in instance._state.fields_cache.items()
    }
    return values, related


class CompiledLookupTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.meeting = ensure_meeting(cls.collective_a)

    def uses(self):
        """(name, lookup, shape, limit, values): each lookup the pages compile,
        with the values of a request."""
        review, cycle = self.review_a, self.cycle
        meeting = Meeting.objects.get(review=self.collective_a)
        session = Session.objects.create(
            session_key="k" * 32, session_data="", expire_date=timezone.now()
        )
        for user in (self.member_user, self.secretary_a, self.secretary_b):
            for reviews in (REVIEWS, form_reviews(), COLLECTIVES):
                for locked in (False, True):
                    yield (
                        f"review of {user} (locked {locked})",
                        review_lookup(reviews).compiled,
                        (locked,),
                        21,
                        {"user_id": user.pk, "public_id": review.public_id},
                    )
            yield (
                f"cycle of {user}",
                cycle_lookup().compiled,
                (),
                21,
                {"user_id": user.pk, "public_id": cycle.public_id},
            )
            yield (
                f"organization of {user}",
                cycle_organization_lookup().compiled,
                (),
                21,
                {
                    "user_id": user.pk,
                    "path": cycle.superior.path,
                    "public_id": self.cell_a.public_id,
                },
            )
            yield ("user", user_lookup(), (), None, {"user_id": user.pk})
            for cell in (self.cell_a, self.ward, self.committee):
                yield (
                    f"ancestors of {cell} for {user}",
                    ancestors_lookup().compiled,
                    (),
                    None,
                    {
                        "user_id": user.pk,
                        "ancestor_ids": cell.ancestor_ids,
                        "path": cycle.superior.path,
                        "superior_id": cycle.superior_id,
                    },
                )
        for user in (self.staff, self.leader, self.secretary_a):
            yield (
                f"roles of {user}",
                roles_lookup(),
                (),
                None,
                {
                    "user_id": user.pk,
                    "paths": cycle.superior.path_and_ancestor_paths,
                    "path": cycle.superior.path,
                },
            )
        yield (
            "checklist",
            checklist_lookup(),
            (),
            None,
            {"cycle_id": cycle.pk, "organization_id": self.cell_a.pk},
        )
        yield ("subjects", items_lookup(), (), None, {"meeting_id": meeting.pk})
        yield ("attendance", attendance_lookup(), (), None, {"meeting_id": meeting.pk})
        yield (
            "superiors attending",
            assignees_lookup(),
            (),
            None,
            {"cycle_id": cycle.pk, "organization_id": self.cell_a.pk},
        )
        yield from self.rule_uses()
        yield (
            "session",
            session_lookup(Session),
            (),
            21,
            {"session_key": session.session_key, "now": session.expire_date},
        )

    def rule_uses(self):
        """The rule book's and the leadership's lookups, as a form's warnings
        and a meeting ask them: one subject, a collective, or both."""
        cycle, rules = self.cycle, RULE_LOOKUPS
        period = {"starts": cycle.starts_on, "ends": cycle.ends_on}
        members, cells = [self.member_a.pk], [self.cell_a.pk, self.cell_b.pk]
        for name, people, units in [
            ("a member", members, []),
            ("a cell", [], cells),
            ("both", members, cells),
        ]:
            both = {"members": people, "organizations": units}
            yield (f"disciplines of {name}", rules.disciplines, (), None, both | period)
            yield (f"conclusions of {name}", rules.conclusions, (), None, both | period)
            reviews = [self.review_a.pk] if people else []
            keyed = {"cycle_id": cycle.pk, "reviews": reviews, "organizations": units}
            yield (f"posts of {name}", rules.posts, (), None, keyed)
            shape = (bool(reviews), bool(units))
            yield (f"leaders of {name}", rules.leaders, shape, None, keyed)
        for stages in ([Stage.DECISION], [Stage.MEETING, Stage.SELF]):
            yield (
                f"collectives' levels at {stages}",
                rules.collective_codes,
                (tuple(stages),),
                None,
                {"cycle_id": cycle.pk, "organizations": cells},
            )
        yield ("names", rules.names, (), None, {"organizations": cells})
        yield (
            "targets",
            rules.targets,
            (),
            None,
            {"cycle_id": cycle.pk, "organizations": cells},
        )
        yield ("scores", rules.scores, (), None, {"reviews": [self.review_a.pk]})

    def test_the_sql_is_what_django_compiles_for_the_values(self):
        for name, lookup, shape, limit, values in self.uses():
            with self.subTest(name):
                ready = lookup.prepare(
                    DEFAULT_DB_ALIAS, shape, limit, lengths(lookup, values)
                )
                if ready.sql is None:
                    # Nothing can match: Django asks nothing either.
                    with self.assertRaises(EmptyResultSet):
                        fresh_sql(lookup, shape, limit, values)
                else:
                    self.assertEqual(
                        ready.sql_with_params(connection, values),
                        fresh_sql(lookup, shape, limit, values),
                    )

    def test_the_rows_are_what_django_reads(self):
        found = set()
        for name, lookup, shape, _limit, values in self.uses():
            if shape == (True,):
                continue  # locked: the same rows, read in a transaction
            with self.subTest(name):
                queryset = lookup.make(*shape, **values)
                expected = [row(o) if hasattr(o, "_state") else o for o in queryset]
                compiled = lookup.all(shape, **values)
                self.assertEqual(
                    [row(o) if hasattr(o, "_state") else o for o in compiled], expected
                )
                found.add(bool(expected))
        # Some lookups find rows and some none (an outsider's), so the
        # equality above compares something.
        self.assertEqual(found, {True, False})

    def test_get_answers_as_django_does(self):
        lookup = cycle_lookup().compiled
        values = {"user_id": self.secretary_a.pk, "public_id": self.cycle.public_id}
        self.assertEqual(lookup.get(**values), self.cycle)
        outsider = {**values, "user_id": UserFactory(username="outsider").pk}
        with self.assertRaises(type(self.cycle).DoesNotExist):
            lookup.get(**outsider)
        many = Compiled(
            lambda *, path: Organization.objects.filter(path__startswith=path),
            path=StartsWith(Organization._meta.get_field("path")),
        )
        with self.assertRaises(Organization.MultipleObjectsReturned):
            many.get(path=self.ward.path)
        self.assertEqual(many.get(path=self.cell_a.path), self.cell_a)

    def test_a_value_that_does_not_reach_the_sql_as_it_is_is_refused(self):
        path = Organization._meta.get_field("path")
        transformed = Compiled(
            lambda *, path: Organization.objects.filter(path__startswith=path),
            path=path,
        )
        with self.assertRaisesMessage(ValueError, "does not reach the SQL"):
            transformed.all(path=self.cell_a.path)

    def test_a_value_that_changes_the_sql_otherwise_is_refused(self):
        name = Organization._meta.get_field("name")
        also_measured = Compiled(
            lambda *, name: Organization.objects.filter(name=name, code=str(len(name))),
            name=name,
        )
        with self.assertRaisesMessage(ValueError, "changes with more than"):
            also_measured.all(name=self.cell_a.name)

    def test_a_list_is_compiled_once_per_length_and_a_long_one_not_at_all(self):
        organizations = Organization.objects.order_by("pk")
        lookup = Compiled(
            lambda *, ids: Organization.objects.filter(pk__in=ids).order_by("pk"),
            ids=Many(Organization._meta.pk),
        )
        every = list(organizations.values_list("pk", flat=True))
        self.assertEqual(lookup.all(ids=every[:2]), list(organizations[:2]))
        self.assertEqual(lookup.all(ids=every[1:3]), list(organizations[1:3]))
        self.assertEqual(lookup.all(ids=[]), [])
        self.assertEqual(len(lookup.ready), 2)  # two values, and none
        longer = [*every, *range(-MANY_MOST, 0)]
        self.assertEqual(lookup.all(ids=longer), list(organizations))
        self.assertEqual(len(lookup.ready), 2)


class CompiledRoutingTests(TransactionTestCase):
    databases = {DEFAULT_DB_ALIAS, "replica"}

    def test_a_lookup_reads_the_database_a_queryset_would(self):
        lookup = Compiled(
            lambda *, pk: Organization.objects.filter(pk=pk),
            pk=Organization._meta.pk,
        )
        with (
            override_settings(READ_REPLICA="replica"),
            CaptureQueriesContext(connections["replica"]) as on_replica,
            CaptureQueriesContext(connection) as on_default,
        ):
            lookup.all(pk=1)
            with replica.reading():
                lookup.all(pk=1)
        self.assertEqual(len(on_default), 1)
        self.assertEqual(len(on_replica), 1)
