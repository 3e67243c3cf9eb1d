"""The preview of a member import kept for its confirm (KeptPreviewMixin).

A preview that found no error keeps what it checked: for each row, in
order, the member it creates or updates with the values the checks left
it, or the member it skips. It is kept in the cache under the file's
hash and the user, with a digest of every row the checks read. The
confirm of exactly those bytes by the same user writes the kept rows
without checking them again, if the digest is still the same; otherwise
(another file or user, a changed row, a forgotten preview) the file is
checked again row by row as before.
"""

import json

from django.core.cache import cache
from django.db import connections
from import_export.results import RowResult
from import_export.utils import atomic_if_using_transaction

from organizations.models import Organization
from organizations.resources import (
    PARSED_MAX_BYTES,
    PARSED_SECONDS,
    decode_cell,
    encode_cell,
)

from .models import Member

# What a kept preview holds (MemberResource.after_import); a change of it
# leaves older previews unread.
PREVIEW_FORMAT = 1


class KeptPreviewMixin:
    """Keep a preview's checked rows; write them at its confirm if unchanged.

    Mixed into MemberResource before SpreadsheetResource.
    """

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
