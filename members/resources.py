import json

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields
from import_export.results import RowResult
from import_export.utils import atomic_if_using_transaction
from simple_history.utils import bulk_create_with_history

from organizations.models import Organization
from organizations.resources import (
    PARSED_MAX_BYTES,
    PARSED_SECONDS,
    CodeForeignKeyWidget,
    KeyColumnLoader,
    SpreadsheetResource,
    TextWidget,
    cell_text,
    decode_cell,
    encode_cell,
)

from . import bulk
from .models import Member
from .posts import add_posts_in_bulk

CITIZEN_ID_LENGTH = 12
# Rows written by one statement; Django's bulk update grows with its square.
WRITE_BATCH = 500
# What a kept preview holds (MemberResource.after_import); a change of it
# leaves older previews unread.
PREVIEW_FORMAT = 1


class CitizenIdWidget(TextWidget):
    """Put back the leading zero Excel drops from an ID typed in as a number."""

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        # Every citizen ID starts with a zero-padded province code (001–096).
        if isinstance(value, int | float) and text.isdigit():
            return text.zfill(CITIZEN_ID_LENGTH)
        return text


def update_rows(members, fields):
    """Write `fields` of existing members in bulk (members/bulk.py): Django's
    bulk_update sets each column to a CASE with one branch per row, which
    costs the square of the batch to build and to run (109 of 117 s for
    2,500 rows)."""
    if fields:
        bulk.update_objects(Member, members, fields)


# The columns simple_history adds to a model's own in its history table.
HISTORY_COLUMNS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
}


def history_copied(user):
    """Whether copy_to_history writes the members' history for `user`: on
    PostgreSQL, naming a user, while the history has no columns of its own."""
    history = Member.history.model
    own = {field.name for field in history._meta.concrete_fields} - HISTORY_COLUMNS
    tracked = {field.name for field in history.tracked_fields}
    vendor = connections[Member.objects.db].vendor
    return vendor == "postgresql" and user is not None and own == tracked


def copy_to_history(members, history_type, user, change_reason):
    """Write the history rows of saved `members` as their rows now stand.

    The database copies the rows (INSERT … SELECT), in the members' order,
    with the values bulk_history_create would give them: every tracked column
    as saved, `history_type`, the user, the change reason (None for a new
    member, "" for an update, as simple_history writes them) and the date,
    one for the batch. simple_history builds a historical instance a row and
    has Django compile each of its values: 0.4 s of CPU for 5,000 rows, and
    as long again sending them. Only where history_copied(user).
    """
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = Member.history.model
    connection = connections[Member.objects.db]
    quote = connection.ops.quote_name
    tracked = [field.name for field in history.tracked_fields]
    added = ["history_date", "history_change_reason", "history_type", "history_user"]
    columns = [quote(history._meta.get_field(name).column) for name in tracked + added]
    copied = [f"member.{quote(Member._meta.get_field(n).column)}" for n in tracked]
    key = quote(Member._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - names quoted
            f"SELECT {', '.join(copied)}, %s, %s, %s, %s "
            "FROM unnest(%s::bigint[]) WITH ORDINALITY AS written (pk, position) "
            f"JOIN {quote(Member._meta.db_table)} AS member "
            f"ON member.{key} = written.pk ORDER BY written.position",
            [
                timezone.now(),
                change_reason,
                history_type,
                user.pk,
                [member.pk for member in members],
            ],
        )


def constraint_message(name):
    (constraint,) = (c for c in Member._meta.constraints if c.name == name)
    return constraint.get_violation_error_message()


class MemberResource(SpreadsheetResource):
    """The member register, validated for the whole file and written in bulk.

    Every lookup is one query for the file (before_import): the cells by
    code, the members the file updates and the holders of its card numbers
    and citizen IDs. A row is then checked without a query (set_errors), and
    the members, their history and the posts their Party post names are
    written in bulk after the last row, only when every row is valid.
    """

    kept_path = "organization"
    kept_fields = ["organization"]
    related = ["organization"]
    citizen_id = fields.Field(
        attribute="citizen_id",
        column_name="citizen_id",
        widget=CitizenIdWidget(),
        default="",
    )
    organization = fields.Field(
        attribute="organization",
        column_name="organization",
        widget=CodeForeignKeyWidget(
            Organization, _("There is no Party organization with code “%(code)s”.")
        ),
    )

    class Meta:
        model = Member
        import_id_fields = ["card_number"]
        fields = [
            "card_number",
            "full_name",
            "gender",
            "date_of_birth",
            "citizen_id",
            "admitted_on",
            "full_member_on",
            "standing",
            "status",
            "status_note",
            "organization",
            "party_post",
            "government_post",
            "mass_post",
            "is_leader",
            "workplace",
            "email",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        instance_loader_class = KeyColumnLoader
        use_bulk = True
        skip_diff = True
        batch_size = WRITE_BATCH

    def before_reads(self, dataset, **kwargs):
        self.file_cards = self.column_values(dataset, "card_number")
        self.file_citizen_ids = sorted(
            set(self.column_values(dataset, "citizen_id")) - {""}
        )
        # A preview to keep (admin's import step): the rows its checks read,
        # as they stand before they are read. A row changed while they read
        # makes the confirm check the file again; never the reverse.
        self.preview_reads = self.preview_state = self.previewed_rows = None
        headers = set(dataset.headers or [])
        written = [f for f in self.get_import_fields() if f.column_name in headers]
        model_fields = {f.name: f.attname for f in Member._meta.concrete_fields}
        self.written = [model_fields.get(field.attribute) for field in written]
        if (
            kwargs.get("keep_preview")
            and getattr(dataset, "source_key", None)
            and None not in self.written
        ):
            codes = sorted(
                set(map(cell_text, self.column(dataset, self.fields["organization"])))
            )
            self.preview_reads = [self.file_cards, self.file_citizen_ids, codes]
            self.preview_state = self.database_state(*self.preview_reads)
            self.previewed_rows = []

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.card_holders = dict(
            Member.objects.filter(card_number__in=self.file_cards).values_list(
                "card_number", "pk"
            )
        )
        self.citizen_holders = dict(
            Member.objects.filter(citizen_id__in=self.file_citizen_ids).values_list(
                "citizen_id", "pk"
            )
        )
        # Citizen IDs the file's rows took or gave up so far, as row-by-row
        # saves would have left them.
        self.citizen_ids_taken = set()
        self.citizen_ids_released = set()

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        # The Party post as stored, before the row's values are set.
        instance.stored_party_post = "" if new else instance.party_post
        instance.stored_citizen_id = "" if new else instance.citizen_id
        self.row_instance = instance

    def set_errors(self, instance):
        errors = {}
        if instance.pk is None and instance.card_number in self.card_holders:
            # A member outside the importer's subtree: theirs is not to change.
            field = Member._meta.get_field("card_number")
            errors["card_number"] = [field.error_messages["unique"]]
        citizen_id = instance.citizen_id
        holder = self.citizen_holders.get(citizen_id)
        held = holder is not None and holder != instance.pk
        if citizen_id and (
            citizen_id in self.citizen_ids_taken
            or (held and citizen_id not in self.citizen_ids_released)
        ):
            message = constraint_message("member_citizen_id_unique_when_present")
            errors.setdefault(NON_FIELD_ERRORS, []).append(message)
        if (
            instance.standing != Member.Standing.PROBATIONARY
            and instance.full_member_on is None
        ):
            message = constraint_message("member_full_has_date")
            errors.setdefault(NON_FIELD_ERRORS, []).append(message)
        if not errors and citizen_id != instance.stored_citizen_id:
            self.citizen_ids_taken.add(citizen_id)
            self.citizen_ids_taken.discard(instance.stored_citizen_id)
            self.citizen_ids_released.add(instance.stored_citizen_id)
        return errors

    # The preview kept for its confirm -----------------------------------------
    #
    # A preview that found no error keeps what it checked: for each row, in
    # order, the member it creates or updates with the values the checks left
    # it, or the member it skips. It is kept in the cache under the file's
    # hash and the user, with a digest of every row the checks read. The
    # confirm of exactly those bytes by the same user writes the kept rows
    # without checking them again, if the digest is still the same; otherwise
    # (another file or user, a changed row, a forgotten preview) the file is
    # checked again row by row as before.

    def database_state(self, cards, citizen_ids, codes):
        """A digest of the rows the checks of a file read, or None.

        The members holding its card numbers or citizen IDs (the ones it
        updates among them), the organizations it names and those of the
        members it updates, the organizations the importer keeps, and whether
        they are a superuser: every column of every one of those rows.
        """
        connection = connections[Member.objects.db]
        user = getattr(self, "importer", None)
        if connection.vendor != "postgresql" or user is None or user.pk is None:
            return None
        quote = connection.ops.quote_name
        members = quote(Member._meta.db_table)
        organizations = quote(Organization._meta.db_table)
        kept = self.kept_organizations()
        if kept is None:
            kept_sql, kept_params = "SELECT NULL::bigint", ()
        else:
            kept_sql, kept_params = kept.values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT "  # noqa: S608 - names quoted, the kept subquery compiled
                "(SELECT md5(string_agg(m::text, ',' ORDER BY m.id)) "
                f"FROM {members} m "
                "WHERE m.card_number = ANY(%s) OR m.citizen_id = ANY(%s)), "
                "(SELECT md5(string_agg(o::text, ',' ORDER BY o.id)) "
                f"FROM {organizations} o WHERE o.code = ANY(%s) OR o.id IN "
                f"(SELECT m.organization_id FROM {members} m "
                "WHERE m.card_number = ANY(%s))), "
                "(SELECT md5(string_agg(k.id::text, ',' ORDER BY k.id)) "
                f"FROM ({kept_sql}) AS k (id))",
                [cards, citizen_ids, codes, cards, *kept_params],
            )
            digests = list(cursor.fetchone())
        return [user.pk, user.is_superuser, *digests]

    def preview_key(self, dataset):
        user = getattr(self, "importer", None)
        source = getattr(dataset, "source_key", None)
        if source is None or user is None or user.pk is None:
            return None
        label = Member._meta.label_lower
        return f"import-preview:{PREVIEW_FORMAT}:{label}:{user.pk}:{source}"

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        if getattr(self, "previewed_rows", None) is None:
            return
        instance, kind = self.row_instance, row_result.import_type
        if kind == RowResult.IMPORT_TYPE_NEW:
            values = [getattr(instance, name) for name in self.written]
            self.previewed_rows.append([kind, values])
        elif kind == RowResult.IMPORT_TYPE_UPDATE:
            values = [getattr(instance, name) for name in self.written]
            self.previewed_rows.append([kind, instance.pk, values])
        elif kind == RowResult.IMPORT_TYPE_SKIP:
            self.previewed_rows.append([kind, instance.pk, str(instance)])
        else:
            self.previewed_rows = None  # never kept: the preview failed

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        rows, self.previewed_rows = getattr(self, "previewed_rows", None), None
        failed = result.has_errors() or result.has_validation_errors()
        key = self.preview_key(dataset)
        if rows is None or failed or not kwargs.get("dry_run") or key is None:
            return
        if self.preview_state is None or len(rows) != len(dataset):
            return
        try:
            kept = json.dumps(
                [self.preview_state, self.preview_reads, self.written, rows],
                default=encode_cell,
            )
        except TypeError:
            return  # a value JSON does not keep: the confirm checks the file
        if len(kept) <= PARSED_MAX_BYTES:
            cache.set(key, kept, PARSED_SECONDS)

    def import_data_inner(
        self,
        dataset,
        dry_run,
        raise_errors,
        using_transactions,
        collect_failed_rows,
        **kwargs,
    ):
        if kwargs.get("use_preview") and not dry_run and not collect_failed_rows:
            result = self.import_previewed(
                dataset, raise_errors, using_transactions, **kwargs
            )
            if result is not None:
                return result
        return super().import_data_inner(
            dataset,
            dry_run,
            raise_errors,
            using_transactions,
            collect_failed_rows,
            **kwargs,
        )

    def import_previewed(self, dataset, raise_errors, using_transactions, **kwargs):
        """Write the rows the preview of this file by this user checked, or
        return None when there is no such preview or a row it read changed."""
        self.importer = kwargs.get("user")
        key = self.preview_key(dataset)
        kept = key and cache.get(key)
        if not kept:
            return None
        cache.delete(key)  # one confirm; a second one checks the file again
        state, reads, attnames, rows = json.loads(kept, object_hook=decode_cell)
        self.prepare_fields()
        if len(rows) != len(dataset) or state != self.database_state(*reads):
            return None
        stored = {row[1] for row in rows if row[0] == RowResult.IMPORT_TYPE_UPDATE}
        members = self.kept_queryset().select_related(*self.related).in_bulk(stored)
        related = self.related_rows(attnames, rows)
        if len(members) != len(stored) or related is None:
            return None
        result = self.get_result_class()()
        result.diff_headers = self.get_diff_headers()
        result.total_rows = len(dataset)
        store = self._meta.store_instance or kwargs.get("retain_instance_in_row_result")
        connection = self.get_db_connection_name()
        for row in rows:
            row_result = self.get_row_result_class()()
            row_result.import_type = kind = row[0]
            if kind == RowResult.IMPORT_TYPE_SKIP:
                row_result.object_id, row_result.object_repr = row[1], row[2]
            else:
                new = kind == RowResult.IMPORT_TYPE_NEW
                instance = self.init_instance() if new else members[row[1]]
                self.after_init_instance(instance, new, None)
                for name, value in zip(attnames, row[-1], strict=True):
                    if name in related:
                        setattr(instance, related[name][0], related[name][1][value])
                    else:
                        setattr(instance, name, value)
                (self.create_instances if new else self.update_instances).append(
                    instance
                )
                row_result.add_instance_info(instance)
                if store:
                    row_result.instance = instance
            for pending, write in (
                (self.create_instances, self.bulk_create),
                (self.update_instances, self.bulk_update),
            ):
                if len(pending) == self._meta.batch_size:
                    with atomic_if_using_transaction(
                        using_transactions, using=connection
                    ):
                        write(using_transactions, False, raise_errors, result=result)
            result.increment_row_result_total(row_result)
            if kind != RowResult.IMPORT_TYPE_SKIP or self._meta.report_skipped:
                result.append_row_result(row_result)
        with atomic_if_using_transaction(using_transactions, using=connection):
            self.bulk_create(using_transactions, False, raise_errors, result=result)
            self.bulk_update(using_transactions, False, raise_errors, result=result)
        try:
            with atomic_if_using_transaction(using_transactions, using=connection):
                self.after_import(dataset, result, **kwargs)
        except Exception as error:  # noqa: BLE001 - as import_data_inner
            self.handle_import_error(result, error, raise_errors)
        return result

    def related_rows(self, attnames, rows):
        """{attname: (field name, {pk: row})} of the related rows the kept
        rows name, read again (one query a field); None if one is gone."""
        related = {}
        for position, name in enumerate(attnames):
            field = next(
                (f for f in Member._meta.concrete_fields if f.attname == name), None
            )
            if field is None or not field.is_relation:
                continue
            pks = {
                row[-1][position]
                for row in rows
                if row[0] != RowResult.IMPORT_TYPE_SKIP
            } - {None}
            found = field.related_model._default_manager.in_bulk(pks)
            if len(found) != len(pks):
                return None
            related[name] = (field.name, {**found, None: None})
        return related

    def bulk_create(
        self, using_transactions, dry_run, raise_errors, batch_size=None, result=None
    ):
        # Updates first: a new member may take a citizen ID an update gives up.
        self.write(self.update_instances, dry_run, raise_errors, result, new=False)
        self.write(self.create_instances, dry_run, raise_errors, result, new=True)

    def bulk_update(
        self, using_transactions, dry_run, raise_errors, batch_size=None, result=None
    ):
        self.write(self.update_instances, dry_run, raise_errors, result, new=False)

    def changed_fields(self, members):
        """The fields any of `members` changes (and the keys that follow them)."""
        changed = {
            name
            for member in members
            for name, value in member.stored_values.items()
            if getattr(member, name) != value
        }
        names = [
            field.name
            for field in Member._meta.concrete_fields
            if field.attname in changed
        ]
        if changed & {"full_name", "card_number", "citizen_id"}:
            names += ["sort_key", "search_text"]
        return names

    def write(self, members, dry_run, raise_errors, result, new):
        """Write a batch of members, their history and the posts they name.

        The preview writes nothing: every check was made without writing. Nor
        does a file with a failed row: it is rolled back whole.
        """
        failed = result is not None and (
            result.has_errors() or result.has_validation_errors()
        )
        try:
            if members and not dry_run and not failed:
                for member in members:
                    member.refresh_keys()
                user = getattr(self, "importer", None)
                copied = history_copied(user)
                if new and copied:
                    with transaction.atomic(savepoint=False):
                        Member.objects.bulk_create(members, batch_size=WRITE_BATCH)
                        copy_to_history(members, "+", user, None)
                elif new:
                    bulk_create_with_history(
                        members, Member, batch_size=WRITE_BATCH, default_user=user
                    )
                else:
                    update_rows(members, self.changed_fields(members))
                    if copied:
                        copy_to_history(members, "~", user, "")
                    else:
                        Member.history.bulk_history_create(
                            members,
                            batch_size=WRITE_BATCH,
                            update=True,
                            default_user=user,
                        )
                # Posts staff entered or checked stay as they are (posts.py).
                changed = [m for m in members if m.party_post != m.stored_party_post]
                add_posts_in_bulk(changed, user=user)
        except Exception as error:  # noqa: BLE001 - reported like import_export's
            self.handle_import_error(result, error, raise_errors)
        finally:
            members.clear()
