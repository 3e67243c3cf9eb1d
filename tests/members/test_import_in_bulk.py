"""The member import checks a file as a set and writes it in bulk."""

import datetime
import unittest
import uuid
from unittest import mock

import tablib
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.signals import post_init
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from members.models import Member, Post, PostKind
from members.resources import MemberResource, joined_batches
from organizations.models import Organization, OrganizationKind, Role
from organizations.resources import spreadsheet

from ..factories import MemberFactory, OrganizationFactory, UserFactory, grant
from .test_admin_import import HEADERS, member_row

# SQLite, the bare machine's database, splits a bulk insert by its limit on
# query parameters, and the import's history copy is PostgreSQL's.
ON_POSTGRESQL = unittest.skipUnless(
    connection.vendor == "postgresql", "PostgreSQL's bulk writes"
)


def dataset(rows):
    return tablib.Dataset(*rows, headers=HEADERS)


def new_row(number, **values):
    values = {
        "card_number": f"7{number:07d}",
        "citizen_id": f"0621{number:08d}",
        "party_post": "",
        **values,
    }
    return member_row(**values)


def ward_with_cells(*codes):
    """A committee with one ward (P01) and the cells of `codes` under it."""
    committee = OrganizationFactory(
        code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
    )
    ward = OrganizationFactory(
        code="P01", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
    )
    return [OrganizationFactory(code=code, parent=ward) for code in codes]


class MemberImportInBulkTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        committee = OrganizationFactory(
            code="TU", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        cls.ward = OrganizationFactory(
            code="P01", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
        )
        cls.cell = OrganizationFactory(code="P01.A", parent=cls.ward)
        OrganizationFactory(code="P01.B", parent=cls.ward)
        other_ward = OrganizationFactory(
            code="P02", kind=OrganizationKind.GRASSROOTS_COMMITTEE, parent=committee
        )
        cls.other_cell = OrganizationFactory(code="P02.C", parent=other_ward)
        cls.root = UserFactory(username="root", is_superuser=True, is_staff=True)
        cls.ward_staff = UserFactory(username="ward_staff", is_staff=True)
        grant(cls.ward_staff, cls.ward, Role.Kind.STAFF)

    def setUp(self):
        self.enterContext(translation.override("en"))

    def import_rows(self, rows, user=None, dry_run=False):
        """Import as the admin's confirm step does: every row or none."""
        return MemberResource().import_data(
            dataset(rows),
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
            user=user or self.root,
        )

    def file_of(self, size, first=0):
        """`size` rows: updates of the members numbered from `first`, then new
        ones; every tenth names a deputy secretary post, in both cells."""
        rows = []
        for number in range(first, first + size):
            cell = "P01.A" if number % 2 else "P01.B"
            post = "Phó Bí thư chi bộ" if number % 10 == 0 else ""
            rows.append(
                new_row(number, organization=cell, party_post=post, workplace="Tổ 4")
            )
        return rows

    def existing(self, count):
        for number in range(count):
            MemberFactory(
                card_number=f"7{number:07d}",
                citizen_id=f"0621{number:08d}",
                organization=self.cell,
            )

    def queries_for(self, size, **kwargs):
        with CaptureQueriesContext(connection) as queries:
            result = self.import_rows(self.file_of(size), **kwargs)
        self.assertFalse(result.has_errors() or result.has_validation_errors())
        return len(queries)

    @ON_POSTGRESQL
    def test_a_file_costs_the_same_queries_at_10_and_200_rows(self):
        self.existing(5)
        small = self.queries_for(10)
        Member.objects.filter(card_number__gte="70000005").delete()
        Member.objects.update(workplace="")

        large = self.queries_for(200)

        self.assertEqual(small, large)
        self.assertEqual(Member.objects.count(), 200)

    @ON_POSTGRESQL
    def test_batches_of_a_kind_one_after_another_are_written_as_one(self):
        def statements(rows):
            # import_export opens a savepoint for each batch it hands over.
            with CaptureQueriesContext(connection) as queries:
                result = self.import_rows(rows)
            self.assertFalse(result.has_errors() or result.has_validation_errors())
            return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]

        self.existing(40)
        with mock.patch.object(MemberResource._meta, "batch_size", 20):
            one_batch_each = statements(self.file_of(40, first=20))
            Member.objects.filter(card_number__gte="70000040").delete()
            Member.objects.update(workplace="")

            two_batches_each = statements(self.file_of(80))

        self.assertEqual(len(two_batches_each), len(one_batch_each))
        self.assertEqual(Member.objects.count(), 80)
        added = Member.history.filter(card_number__gte="70000040", history_type="+")
        self.assertEqual(added.count(), 20 + 40)

    def test_a_name_stored_with_extra_spaces_is_tidied_by_an_update(self):
        self.existing(1)
        Member.objects.update(full_name="Lê  Văn   An", sort_key="", search_text="")
        row = new_row(0, full_name="Lê  Văn   An", workplace="Tổ 9")

        result = self.import_rows([row])

        self.assertEqual(result.totals["update"], 1)
        member = Member.objects.get()
        self.assertEqual(member.full_name, "Lê Văn An")
        self.assertEqual(member.search_text, "le van an | 70000000 | 062100000000")

    def test_a_preview_costs_the_same_queries_at_10_and_200_rows(self):
        self.existing(5)

        self.assertEqual(
            self.queries_for(10, dry_run=True), self.queries_for(200, dry_run=True)
        )
        self.assertEqual(Member.objects.count(), 5)

    @ON_POSTGRESQL
    def test_a_ward_staff_file_costs_the_same_queries_at_10_and_200_rows(self):
        small = self.queries_for(10, user=self.ward_staff)
        Member.objects.all().delete()

        self.assertEqual(small, self.queries_for(200, user=self.ward_staff))

    def test_a_bad_row_anywhere_leaves_nothing_written(self):
        self.existing(3)
        history = Member.history.count()
        for bad in (0, 100, 199):
            with self.subTest(row=bad + 1):
                rows = self.file_of(200)
                rows[bad] = new_row(bad, organization="P99")

                result = self.import_rows(rows)

                self.assertEqual([row.number for row in result.invalid_rows], [bad + 1])
                self.assertEqual(Member.objects.count(), 3)
                self.assertEqual(
                    set(Member.objects.values_list("workplace", flat=True)), {""}
                )
                self.assertFalse(Post.objects.exists())
                self.assertEqual(Member.history.count(), history)

    def test_a_bad_row_after_batches_were_written_leaves_nothing_either(self):
        rows = self.file_of(200)
        rows[180] = new_row(180, gender="Khác")

        with mock.patch.object(MemberResource._meta, "batch_size", 50):
            result = self.import_rows(rows)

        self.assertEqual([row.number for row in result.invalid_rows], [181])
        self.assertFalse(Member.objects.exists())
        self.assertFalse(Member.history.exists())
        self.assertFalse(Post.objects.exists())

    def test_members_their_history_and_posts_are_written(self):
        self.existing(2)
        rows = self.file_of(4)
        rows[3] = new_row(3, organization="P01.A", party_post="Bí thư chi bộ")

        result = self.import_rows(rows, user=self.ward_staff)

        self.assertEqual((result.totals["new"], result.totals["update"]), (2, 2))
        updated = Member.objects.get(card_number="70000001")
        self.assertEqual(updated.workplace, "Tổ 4")
        self.assertEqual(updated.organization, self.cell)
        self.assertEqual(updated.date_of_birth, datetime.date(1980, 5, 1))
        self.assertTrue(updated.is_leader)
        self.assertEqual(
            updated.search_text, "nguyen thi hoa | 70000001 | 062100000001"
        )
        history = Member.history.filter(card_number="70000001").latest("history_id")
        self.assertEqual(
            (history.history_type, history.history_user), ("~", self.ward_staff)
        )
        self.assertEqual(
            Member.history.get(card_number="70000003").history_user, self.ward_staff
        )
        posts = set(Post.objects.values_list("member__card_number", "kind"))
        self.assertEqual(
            posts, {("70000000", PostKind.DEPUTY), ("70000003", PostKind.SECRETARY)}
        )
        self.assertEqual(Post.history.first().history_user, self.ward_staff)

    @ON_POSTGRESQL
    def test_new_members_take_the_next_keys_in_the_files_order(self):
        before = MemberFactory(card_number="69999999", organization=self.cell).pk

        self.import_rows(self.file_of(7))

        keys = Member.objects.exclude(pk=before).order_by("card_number")
        self.assertEqual(
            list(keys.values_list("pk", flat=True)), list(range(before + 1, before + 8))
        )
        after = MemberFactory(card_number="69999998", organization=self.cell).pk
        self.assertEqual(after, before + 8)
        (history,) = Member.history.filter(card_number="70000003")
        self.assertEqual((history.id, history.history_type), (before + 4, "+"))

    def test_the_first_of_two_secretaries_of_a_cell_gets_the_post(self):
        rows = [
            new_row(n, organization="P01.A", party_post="Bí thư chi bộ")
            for n in range(3)
        ]

        self.import_rows(rows)

        (post,) = Post.objects.all()
        self.assertEqual(post.member.card_number, "70000000")

    def test_a_member_holding_a_post_gets_none_from_the_text(self):
        member = MemberFactory(card_number="70000000", organization=self.cell)
        Post.objects.create(
            member=member, organization=self.ward, kind="deputy_secretary"
        )

        self.import_rows([new_row(0, party_post="Bí thư chi bộ")])

        self.assertEqual(member.posts.count(), 1)

    def test_a_citizen_id_twice_in_a_file_is_an_error_on_the_second_row(self):
        rows = [new_row(1), new_row(2)]
        rows[1][HEADERS.index("citizen_id")] = rows[0][HEADERS.index("citizen_id")]

        result = self.import_rows(rows)

        self.assertEqual([row.number for row in result.invalid_rows], [2])
        self.assertIn(
            "A Party member with this citizen ID number already exists.",
            str(result.invalid_rows[0].error),
        )
        self.assertFalse(Member.objects.exists())

    def test_a_citizen_id_given_up_earlier_in_the_file_may_be_taken(self):
        self.existing(1)
        given_up = new_row(0)
        given_up[HEADERS.index("citizen_id")] = "062199999999"

        result = self.import_rows([given_up])
        self.assertFalse(result.has_validation_errors())
        Member.objects.filter(card_number="70000000").update(citizen_id="062100000000")
        taker = new_row(5)
        taker[HEADERS.index("citizen_id")] = "062100000000"

        result = self.import_rows([given_up, taker])

        self.assertFalse(result.has_validation_errors(), result.invalid_rows)
        self.assertEqual(
            Member.objects.get(card_number="70000005").citizen_id, "062100000000"
        )

    def test_a_full_member_without_the_date_is_refused(self):
        result = self.import_rows([new_row(1, full_member_on=None)])

        self.assertIn(
            "A full member needs the date they were made a full member.",
            str(result.invalid_rows[0].error),
        )

    def test_a_card_number_outside_the_subtree_is_taken(self):
        MemberFactory(card_number="70000001", organization=self.other_cell)

        result = self.import_rows([new_row(1)], user=self.ward_staff)

        self.assertIn(
            "A Party member with this card number already exists.",
            str(result.invalid_rows[0].error),
        )
        self.assertEqual(
            Member.objects.get(card_number="70000001").organization, self.other_cell
        )

    def test_an_unchanged_row_is_skipped_and_not_written(self):
        self.import_rows([new_row(1)])

        history = Member.history.count()

        with mock.patch("members.resources.update_rows") as update:
            result = self.import_rows([new_row(1)])

        self.assertEqual(result.totals["skip"], 1)
        update.assert_not_called()
        self.assertEqual(Member.history.count(), history)

    @ON_POSTGRESQL
    def test_the_history_copied_is_the_history_simple_history_writes(self):
        self.existing(3)
        rows = self.file_of(6)
        rows[1] = new_row(1, organization="P01.A", full_name="Lê  Thị Mai")
        before = Member.history.latest("history_id").history_id

        def history(copied):
            with (
                transaction.atomic(),
                mock.patch("members.resources.history_copied", return_value=copied),
            ):
                result = self.import_rows(rows, user=self.ward_staff)
                self.assertEqual(
                    (result.totals["new"], result.totals["update"]), (3, 3)
                )
                written = [
                    {
                        name: value
                        for name, value in values.items()
                        if name not in ("history_id", "history_date", "id", "public_id")
                    }
                    for values in Member.history.filter(history_id__gt=before)
                    .order_by("history_id")
                    .values()
                ]
                transaction.set_rollback(True)
            return written

        copied = history(True)

        self.assertEqual(copied, history(False))
        self.assertEqual(
            [(h["card_number"], h["history_type"]) for h in copied],
            [(f"7{n:07d}", "~" if n < 3 else "+") for n in range(6)],
        )
        self.assertEqual(copied[1]["full_name"], "Lê Thị Mai")


class JoinedBatchesTests(TestCase):
    """Which planned batches are written together (members/resources.py)."""

    def member(self, stored, citizen_id):
        member = Member(citizen_id=citizen_id)
        member.stored_citizen_id = stored
        return member

    def test_updates_join_unless_one_takes_an_id_an_earlier_one_gives_up(self):
        giver = self.member("062100000001", "062100000009")
        other = self.member("062100000002", "062100000002")
        taker = self.member("062100000003", "062100000001")
        planned = [
            (False, [giver], False),
            (False, [other], False),
            (False, [taker], False),
            (True, [Member()], False),
            (True, [Member()], False),
            (False, [self.member("", "")], False),
        ]

        joined = joined_batches(planned)

        self.assertEqual(
            [(new, len(members)) for new, members, _raise in joined],
            [(False, 2), (False, 1), (True, 2), (False, 1)],
        )

    def test_giving_up_an_id_for_none_joins_with_others_doing_the_same(self):
        planned = [
            (False, [self.member("062100000001", "")], False),
            (False, [self.member("", "")], False),
            (False, [self.member("062100000002", "")], False),
        ]

        self.assertEqual(len(joined_batches(planned)), 1)


class MemberCellsCheckedOnceTests(TestCase):
    """A value a column repeats is cleaned and checked once a file, with the
    same values and errors as each cell checked on its own."""

    @classmethod
    def setUpTestData(cls):
        [cls.cell] = ward_with_cells("P01.A")
        cls.root = UserFactory(username="root", is_superuser=True, is_staff=True)

    def setUp(self):
        self.enterContext(translation.override("en"))

    def import_rows(self, rows):
        return MemberResource().import_data(
            dataset(rows),
            dry_run=False,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
            user=self.root,
        )

    def test_a_bad_value_a_column_repeats_is_an_error_on_every_row(self):
        rows = [new_row(n) for n in range(4)]
        rows[0] = new_row(0, gender="Khác")
        rows[2] = new_row(2, gender="Khác", email="not an address")

        result = self.import_rows(rows)

        errors = {row.number: row.error.message_dict for row in result.invalid_rows}
        self.assertEqual(list(errors), [1, 3])
        self.assertEqual(errors[1]["Gender"], errors[3]["Gender"])
        self.assertIn("“Khác” is not allowed in column Gender.", errors[1]["Gender"][0])
        self.assertEqual(errors[3]["E-mail"], ["Enter a valid email address."])
        self.assertNotIn("E-mail", errors[1])
        self.assertFalse(Member.objects.exists())

    def test_equal_cells_of_different_types_are_read_apart(self):
        # 1, 1.0 and True are equal in Python; the cells read "1" and "True".
        rows = [
            new_row(0, workplace=True),
            new_row(1, workplace=1),
            new_row(2, workplace=1.0),
            new_row(3, workplace="True"),
        ]

        result = self.import_rows(rows)

        self.assertFalse(result.has_validation_errors(), result.invalid_rows)
        workplaces = Member.objects.order_by("card_number").values_list(
            "workplace", flat=True
        )
        self.assertEqual(list(workplaces), ["True", "1", "1", "True"])

    def test_the_fields_are_checked_as_full_clean_checks_them(self):
        resource = MemberResource()
        resource.prepare_fields()
        values = [
            {},
            {"full_name": "x" * 151, "gender": "other", "email": "no"},
            {"full_name": "", "date_of_birth": None, "standing": ""},
            {"status_note": "y" * 256, "citizen_id": "0" * 13, "is_leader": None},
        ]
        for number, changed in enumerate([*values, *values]):
            with self.subTest(number=number):
                fields = {
                    "full_name": "Lê Văn An",
                    "gender": "male",
                    "date_of_birth": datetime.date(1980, 1, 2),
                    "card_number": f"7{number:07d}",
                    "admitted_on": datetime.date(2000, 1, 2),
                    "organization": self.cell,
                    **changed,
                }
                expected = Member(**fields)
                try:
                    expected.full_clean(
                        exclude={"organization", "user"},
                        validate_unique=False,
                        validate_constraints=False,
                    )
                    wanted = {}
                except ValidationError as error:
                    wanted = error.message_dict
                checked = Member(**fields)

                errors = resource.full_clean(checked, {"organization", "user"}, {})

                found = ValidationError(errors).message_dict if errors else {}
                self.assertEqual(found, wanted)
                self.assertEqual(list(found), list(wanted))


class MemberColumnsCheckedInBulkTests(TestCase):
    """The file's columns are checked in bulk (CheckedColumns): the same
    values are written, and a row with a bad cell gets the same errors as
    when each row's cells are checked on their own (checks_columns off)."""

    @classmethod
    def setUpTestData(cls):
        cls.cell, _other_cell = ward_with_cells("P01.A", "P01.B")
        cls.root = UserFactory(username="root", is_superuser=True, is_staff=True)
        for number in range(3):
            MemberFactory(
                card_number=f"7{number:07d}",
                citizen_id=f"0621{number:08d}",
                organization=cls.cell,
            )

    def setUp(self):
        self.enterContext(translation.override("en"))

    def import_rows(self, rows, in_bulk=True, keep=False):
        """(result, the members' values as written), written then rolled back
        unless `keep`."""
        resource = MemberResource()
        resource.checks_columns = in_bulk
        with transaction.atomic():
            result = resource.import_data(
                dataset(rows),
                dry_run=False,
                raise_errors=False,
                use_transactions=True,
                rollback_on_validation_errors=True,
                user=self.root,
            )
            written = list(
                Member.objects.order_by("card_number").values_list(
                    *[
                        f.attname
                        for f in Member._meta.concrete_fields
                        if f.attname not in ("id", "public_id")
                    ]
                )
            )
            history = Member.history.count()
            if not keep:
                transaction.set_rollback(True)
        return result, written, history

    def errors(self, result):
        invalid = [(row.number, row.error.message_dict) for row in result.invalid_rows]
        failed = [
            (row.number, [str(error.error) for error in row.errors])
            for row in result.error_rows
        ]
        return invalid + failed

    def good_rows(self):
        rows = [
            new_row(0, workplace="Trường Tiểu học", party_post="Phó Bí thư chi bộ"),
            new_row(1, full_name="  Trần   Văn Bình ", is_leader="0"),
            new_row(2, citizen_id=""),
        ]
        rows += [
            new_row(number, organization="P01.B", status_note="", email="")
            for number in range(3, 9)
        ]
        return rows

    def test_a_good_file_writes_the_same_members_as_row_by_row(self):
        rows = self.good_rows()
        set_cells = mock.patch.object(
            spreadsheet.CheckedColumns,
            "set_cells",
            autospec=True,
            side_effect=spreadsheet.CheckedColumns.set_cells,
        )
        with set_cells as bulk:
            result, written, history = self.import_rows(rows)
        by_row, by_row_written, by_row_history = self.import_rows(rows, False)

        self.assertEqual(bulk.call_count, len(rows))
        self.assertFalse(result.has_validation_errors(), self.errors(result))
        self.assertEqual(written, by_row_written)
        self.assertEqual(history, by_row_history)
        self.assertEqual(result.totals, by_row.totals)

    def test_a_bad_cell_gives_the_errors_row_by_row_gives_and_writes_nothing(self):
        bad = [
            {"gender": "Khác"},
            {"date_of_birth": "31/02/1980", "is_leader": "maybe"},
            {"full_name": "x" * 151, "status_note": "y" * 256},
            {"full_name": "", "standing": ""},
            {"workplace": "Tổ\x00 1", "email": "not an address"},
            {"standing": "full", "full_member_on": ""},
            {"citizen_id": "0" * 13, "organization": "P99"},
            {"card_number": "70000001"},  # twice in the file
        ]
        rows = self.good_rows()
        for number, values in enumerate(bad, start=len(rows)):
            rows.append(new_row(number, **values))
        members, history = Member.objects.count(), Member.history.count()

        result, _written, _history = self.import_rows(rows, keep=True)
        by_row, _written, _history = self.import_rows(rows, False)

        self.assertEqual(len(result.invalid_rows), len(bad))
        self.assertEqual(self.errors(result), self.errors(by_row))
        self.assertEqual(result.invalid_rows[0].number, len(self.good_rows()) + 1)
        self.assertIn(
            "“Khác” is not allowed in column Gender.",
            result.invalid_rows[0].error.message_dict["Gender"][0],
        )
        self.assertEqual(
            (Member.objects.count(), Member.history.count()), (members, history)
        )

    def test_a_row_that_is_not_the_files_is_checked_on_its_own(self):
        rows = self.good_rows()
        data = dataset(rows)
        resource = MemberResource()
        resource.before_import(data, user=self.root)
        checked = resource.checked_columns
        row = dict(zip(data.headers, data[0]))
        other = {**row, "card_number": "79999999"}

        self.assertEqual(checked.row_index(row, 1), 0)
        self.assertIsNone(checked.row_index(other, 1))
        self.assertIsNone(checked.row_index(row, None))
        self.assertIsNone(checked.row_index(row, len(rows) + 1))

    def test_a_value_the_quick_check_passes_is_one_the_field_keeps(self):
        values = [
            "",
            "Nam",
            "male",
            "full",
            "x" * 12,
            "x" * 13,
            "x" * 151,
            "x" * 300,
            "a\x00b",
            None,
            0,
            1,
            True,
            False,
            datetime.date(1980, 1, 2),
            datetime.datetime(1980, 1, 2, 3, 4),
            uuid.uuid4(),
            "hoa@example.vn",
        ]
        checked = 0
        for field in Member._meta.fields:
            passes = spreadsheet.quick_check(field)
            if passes is None:
                continue
            checked += 1
            for value in values:
                with self.subTest(field=field.name, value=value):
                    if not passes(value):
                        continue
                    self.assertIs(field.clean(value, None), value)
        self.assertGreaterEqual(checked, 15)

    def test_an_update_reads_no_organizations_the_file_names_itself(self):
        rows = [new_row(0, workplace="Trường mới"), new_row(1)]
        resource = MemberResource()
        with CaptureQueriesContext(connection) as queries:
            resource.import_data(
                dataset(rows),
                dry_run=False,
                use_transactions=True,
                rollback_on_validation_errors=True,
                user=self.root,
            )

        (loaded,) = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].startswith('SELECT "members_member"."id"')
        ]
        self.assertNotIn("organizations_organization", loaded)
        self.assertEqual(
            Member.objects.get(card_number="70000000").workplace, "Trường mới"
        )

    def test_a_file_without_the_organization_column_keeps_the_members(self):
        headers = ["card_number", "full_name", "party_post"]
        rows = [("70000001", "Lê Văn Bình", "Phó Bí thư chi bộ")]

        result = MemberResource().import_data(
            tablib.Dataset(*rows, headers=headers),
            dry_run=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
            user=self.root,
        )

        self.assertFalse(result.has_validation_errors(), self.errors(result))
        member = Member.objects.get(card_number="70000001")
        self.assertEqual(
            (member.full_name, member.organization), ("Lê Văn Bình", self.cell)
        )
        (post,) = Post.objects.filter(member=member)
        self.assertEqual((post.organization, post.kind), (self.cell, PostKind.DEPUTY))


class InstanceMakerTests(TestCase):
    """A file's new rows are made as model() makes them (instance_maker)."""

    def test_a_new_instance_has_the_values_model_gives_it(self):
        for model in (Member, Post, Organization):
            with self.subTest(model=model.__name__):
                make = spreadsheet.instance_maker(model)
                expected, made, again = model(), make(), make()

                self.assertIsNot(make, model)
                self.assertIs(type(made), model)
                self.assertEqual(list(made.__dict__), list(expected.__dict__))
                for name, value in expected.__dict__.items():
                    if name == "_state":
                        continue
                    if name == "public_id":
                        self.assertIsInstance(made.public_id, uuid.UUID)
                        self.assertNotEqual(made.public_id, again.public_id)
                        continue
                    self.assertEqual(made.__dict__[name], value, name)
                self.assertEqual((made._state.adding, made._state.db), (True, None))
                self.assertIsNot(made._state, again._state)

    def test_a_model_with_init_receivers_is_made_by_model_itself(self):
        def receiver(**kwargs):
            pass

        post_init.connect(receiver, sender=Member)
        self.addCleanup(post_init.disconnect, receiver, sender=Member)

        self.assertIs(spreadsheet.instance_maker(Member), Member)
