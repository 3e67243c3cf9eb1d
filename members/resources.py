"""The member register's spreadsheet import and export (MemberResource).

A file is checked as a set and written in bulk: the row checks are here, the
preview kept for its confirm in `previews.py`, the bulk writes and history rows
in `writing.py` (imported here by name, so `write` finds them through this
module).
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from import_export import fields
from simple_history.utils import bulk_create_with_history

from organizations.models import Organization
from organizations.resources import (
    AnyOf,
    CodeForeignKeyWidget,
    KeyColumnLoader,
    SpreadsheetResource,
    TextWidget,
    cell_text,
)

from .models import Member
from .posts import add_posts_in_bulk
from .previews import PREVIEW_FORMAT, KeptPreviewMixin
from .writing import (
    HISTORY_COLUMNS,
    WRITE_BATCH,
    copy_to_history,
    history_copied,
    insert_rows,
    update_rows,
)

__all__ = [
    "CITIZEN_ID_LENGTH",
    "HISTORY_COLUMNS",
    "PREVIEW_FORMAT",
    "WRITE_BATCH",
    "CitizenIdWidget",
    "KeptPreviewMixin",
    "MemberResource",
    "constraint_message",
    "copy_to_history",
    "history_copied",
    "insert_rows",
    "update_rows",
]

CITIZEN_ID_LENGTH = 12


class CitizenIdWidget(TextWidget):
    """Put back the leading zero Excel drops from an ID typed in as a number."""

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        # Every citizen ID starts with a zero-padded province code (001–096).
        if isinstance(value, int | float) and text.isdigit():
            return text.zfill(CITIZEN_ID_LENGTH)
        return text


def constraint_message(name):
    (constraint,) = (c for c in Member._meta.constraints if c.name == name)
    return constraint.get_violation_error_message()


class MemberResource(KeptPreviewMixin, SpreadsheetResource):
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
        # The holders of the file's card numbers and of its citizen IDs, in
        # one query with each column's values as one array (AnyOf).
        cards, citizen_ids = set(self.file_cards), set(self.file_citizen_ids)
        holders = Member.objects.filter(
            AnyOf(F("card_number"), cards) | AnyOf(F("citizen_id"), citizen_ids)
        ).values_list("card_number", "citizen_id", "pk")
        self.card_holders, self.citizen_holders = {}, {}
        for card_number, citizen_id, pk in holders:
            if card_number in cards:
                self.card_holders[card_number] = pk
            if citizen_id in citizen_ids:
                self.citizen_holders[citizen_id] = pk
        self.planned = None  # the batches to write (write_planned)
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
        if changed & set(KEY_SOURCES):
            names += ["sort_key", "search_text"]
        return names

    def write(self, members, dry_run, raise_errors, result, new):
        """Keep a batch of members to write once every row is checked.

        The preview writes nothing: every check was made without writing. Nor
        does a file with a failed row: its batches are never written, and the
        import is rolled back whole. The batches are written by after_import,
        in the order import_export handed them over (write_planned).
        """
        if members and not dry_run and not failed(result):
            self.planned_writes().append((new, list(members), raise_errors))
        members.clear()

    def planned_writes(self):
        if getattr(self, "planned", None) is None:
            self.planned = []
        return self.planned

    def after_import(self, dataset, result, **kwargs):
        self.write_planned(result)
        super().after_import(dataset, result, **kwargs)

    def write_planned(self, result):
        """Write the planned batches if every row passed its checks.

        Batches next to each other of the same kind are written as one: each
        batch cost its own six to ten statements (keys, rows, history, posts),
        and a 5,000-row file made ten batches. Updates are joined only where no
        member of the later batch takes a citizen ID one of the earlier gives
        up: one UPDATE sets its rows in no set order, and the taker's row
        could come before the giver's.
        """
        planned, self.planned = self.planned_writes(), None
        for new, members, raise_errors in joined_batches(planned):
            if failed(result):
                return
            try:
                with transaction.atomic():
                    self.write_batch(members, new)
            except Exception as error:  # noqa: BLE001 - reported like import_export's
                self.handle_import_error(result, error, raise_errors)

    def write_batch(self, members, new):
        """Write members, their history and the posts they name."""
        for member in members:
            # An update that changes none of the keys' sources keeps its keys.
            if new or keys_changed(member):
                member.refresh_keys()
        user = getattr(self, "importer", None)
        copied = history_copied(user)
        if new and copied:
            insert_rows(members)
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


# The fields a member's sort and search keys are made of (Member.refresh_keys).
KEY_SOURCES = ("full_name", "card_number", "citizen_id")


def keys_changed(member):
    """Whether refresh_keys may change an updated member: a key's source
    changed (or was not in the file), or the name's spaces are to be tidied."""
    stored = member.stored_values
    name = member.full_name
    return name != " ".join(name.split()) or any(
        getattr(member, source) != stored.get(source) for source in KEY_SOURCES
    )


def failed(result):
    return result is not None and (
        result.has_errors() or result.has_validation_errors()
    )


def joined_batches(planned):
    """The planned (new, members, raise_errors) batches, neighbours of the same
    kind joined; updates only while none takes a citizen ID one gives up."""
    joined = []
    released = set()
    for new, members, raise_errors in planned:
        last = joined[-1] if joined else None
        taken = set()
        if not new:
            taken = {
                m.citizen_id for m in members if m.citizen_id != m.stored_citizen_id
            } - {""}
        if last is not None and last[0] == new and (new or not taken & released):
            last[1].extend(members)
        else:
            joined.append((new, members, raise_errors))
            released = set()
        if not new:
            released |= {
                m.stored_citizen_id
                for m in members
                if m.citizen_id != m.stored_citizen_id
            } - {""}
    return joined
