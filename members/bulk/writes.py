"""Inserts and updates in bulk by COPY on PostgreSQL, the ORM elsewhere, and
the set-wise refresh of the reviews' outcomes.
"""

import json
import os
import uuid

from django.db import connections, router
from django.utils import timezone

from reviews import ratings
from reviews.models import Rating, RatingLevel, Review

BATCH = 5000


def connection_for(model):
    return connections[router.db_for_write(model)]


def uses_copy(model):
    return connection_for(model).vendor == "postgresql"


def _json(field):
    def dump(value):
        return None if value is None else json.dumps(value, cls=field.encoder)

    return dump


def _fresh_uuids(chunk=4096):
    """uuid.uuid4() values, from one call to the system's random source per
    `chunk` of them rather than one each."""
    while True:
        pool = os.urandom(16 * chunk)
        for start in range(0, len(pool), 16):
            yield uuid.UUID(bytes=pool[start : start + 16], version=4)


def _defaults(model, named):
    """The fields not named, as (fields, fills, constants): fills give each row
    its own value of the first (a fresh key, the time), constants are the
    others' defaults, ready for COPY."""
    fields, fills, constants, constant_fields = [], [], [], []
    for field in model._meta.concrete_fields:
        if field in named or (field.primary_key and field.db_returning):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            fields.append(field)
            fills.append(timezone.now)
            continue
        if field.has_default() and field.default is uuid.uuid4:
            fields.append(field)
            fills.append(_fresh_uuids().__next__)
            continue
        value = field.get_default()
        # An empty dict or list is written the same for every row.
        empty_json = field.get_internal_type() == "JSONField" and value in ({}, [])
        if field.has_default() and callable(field.default) and not empty_json:
            fields.append(field)
            fills.append(field.get_default)
            continue
        if field.get_internal_type() == "JSONField":
            value = _json(field)(value)
        constant_fields.append(field)
        constants.append(value)
    return fields + constant_fields, fills, tuple(constants)


def insert(model, names, rows):
    """Insert `rows`, each the values of the fields `names` (attnames for keys);
    every other field takes its default, as a new instance would.

    The rows are inserted in order, so they take the same keys as bulk_create
    would give them. Returns how many were inserted.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    named = [model._meta.get_field(name) for name in names]
    if not uses_copy(model):
        attnames = [field.attname for field in named]
        objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=1000)
        return len(rows)
    others, fills, constants = _defaults(model, named)
    dumps = [
        (index, _json(field))
        for index, field in enumerate(named)
        if field.get_internal_type() == "JSONField"
    ]
    sql = "COPY {} ({}) FROM STDIN".format(
        quoted(model._meta.db_table),
        ", ".join(quoted(field.column) for field in named + others),
    )
    connection = connection_for(model)
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        for row in rows:
            if dumps:
                row = list(row)
                for index, dump in dumps:
                    row[index] = dump(row[index])
            write((*row, *[fill() for fill in fills], *constants))
    return len(rows)


def insert_objects(model, objects, keys=False):
    """Insert unsaved instances as bulk_create would, without returning keys;
    with `keys`, with their keys (insert_keyed)."""
    objects = list(objects)
    if not uses_copy(model):
        model.objects.bulk_create(objects, batch_size=1000)
        return len(objects)
    fields = [
        field
        for field in model._meta.concrete_fields
        if keys or not (field.primary_key and field.db_returning)
    ]
    for obj in objects:
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(
                field, "auto_now_add", False
            ):
                field.pre_save(obj, True)
    return insert(
        model,
        [field.attname for field in fields],
        ([getattr(obj, field.attname) for field in fields] for obj in objects),
    )


def insert_keyed(model, objects):
    """Insert unsaved instances as bulk_create would, and give them their keys.

    On PostgreSQL the keys are drawn from the table's sequence first, in the
    objects' order (the keys bulk_create's INSERT would have drawn), and the
    rows, keys and all, sent by COPY: bulk_create had Django prepare each
    value of each instance, 0.15 s of CPU for 2,500 members. Afterwards the
    instances are saved ones, as bulk_create leaves them.
    """
    objects = list(objects)
    if not objects or not uses_copy(model):
        return model.objects.bulk_create(objects, batch_size=1000)
    connection = connection_for(model)
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
            "FROM generate_series(1, %s) ORDER BY 1",
            [quoted(model._meta.db_table), pk.column, len(objects)],
        )
        drawn = [key for (key,) in cursor.fetchall()]
    for obj, key in zip(objects, drawn, strict=True):
        setattr(obj, pk.attname, key)
    insert_objects(model, objects, keys=True)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def update(model, names, rows):
    """Write the fields `names` of each row: rows are (pk, *values).

    On PostgreSQL one UPDATE joins a temporary table the rows were copied to;
    elsewhere one UPDATE per row, sent in batches.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return
    connection = connection_for(model)
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    table, pk = quoted(meta.db_table), quoted(meta.pk.column)
    if connection.vendor != "postgresql":
        sql = "UPDATE {} SET {} WHERE {} = %s".format(
            table,
            ", ".join(f"{quoted(field.column)} = %s" for field in fields),
            pk,
        )
        params = [
            [
                *(
                    field.get_db_prep_save(value, connection)
                    for field, value in zip(fields, values, strict=True)
                ),
                key,
            ]
            for key, *values in rows
        ]
        with connection.cursor() as cursor:
            for start in range(0, len(params), BATCH):
                cursor.executemany(sql, params[start : start + BATCH])
        return
    dumps = [
        (index + 1, _json(field))
        for index, field in enumerate(fields)
        if field.get_internal_type() == "JSONField"
    ]
    columns = [quoted(field.column) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE demo_rows ON COMMIT DROP AS "
            f"SELECT {pk}, {', '.join(columns)} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(
            f"COPY demo_rows ({pk}, {', '.join(columns)}) FROM STDIN"
        ) as copy:
            for row in rows:
                if dumps:
                    row = list(row)
                    for index, dump in dumps:
                        row[index] = dump(row[index])
                copy.write_row(row)
        cursor.execute(
            "UPDATE {table} AS t SET {sets} FROM demo_rows AS r "
            "WHERE t.{pk} = r.{pk}".format(
                table=table,
                sets=", ".join(f"{column} = r.{column}" for column in columns),
                pk=pk,
            )
        )
        cursor.execute("DROP TABLE demo_rows")


def update_objects(model, objects, names):
    """Write the fields `names` of each instance (see update)."""
    attnames = [model._meta.get_field(name).attname for name in names]
    update(
        model,
        attnames,
        [[obj.pk, *(getattr(obj, attname) for attname in attnames)] for obj in objects],
    )


def refresh_outcomes(cycle):
    """ratings.refresh_outcomes for every review of the cycle.

    On PostgreSQL the latest proposal and the decision are joined rather than
    looked up review by review, and a review whose copies already hold them is
    left unwritten.
    """
    connection = connection_for(Review)
    if connection.vendor != "postgresql":
        ratings.refresh_outcomes(cycle.reviews.all())
        return
    reviews, rating, level = (
        quoted(model._meta.db_table) for model in (Review, Rating, RatingLevel)
    )
    # Ratings written since the last count (a meeting's proposals) would be
    # taken for none, and joined row by row against every review.
    analyze(Review, Rating)

    def stage_join(alias, stage):
        return (
            f"LEFT JOIN ({rating} AS {alias} JOIN {level} AS {alias}_level "
            f"ON {alias}_level.id = {alias}.level_id) "
            f"ON {alias}.review_id = review.id AND {alias}.stage = %s"
        )

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {reviews} AS target
            SET proposed_code = found.proposed, decided_code = found.decided
            FROM (
                SELECT review.id,
                       COALESCE(appraisal_level.code, meeting_level.code, '')
                           AS proposed,
                       COALESCE(decision_level.code, '') AS decided
                FROM {reviews} AS review
                {stage_join("appraisal", Rating.Stage.APPRAISAL)}
                {stage_join("meeting", Rating.Stage.MEETING)}
                {stage_join("decision", Rating.Stage.DECISION)}
                WHERE review.cycle_id = %s
            ) AS found
            WHERE target.id = found.id
              AND (target.proposed_code, target.decided_code)
                  IS DISTINCT FROM (found.proposed, found.decided)
            """,
            [Rating.Stage.APPRAISAL, Rating.Stage.MEETING, Rating.Stage.DECISION]
            + [cycle.pk],
        )


def analyze(*models):
    """Fresh planner statistics for tables just filled in this transaction.

    Autovacuum cannot see rows not yet committed: without this the planner
    takes the tables for empty and may join them row by row.
    """
    connection = connection_for(models[0])
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE " + ", ".join(quoted(model._meta.db_table) for model in models)
        )


def quoted(name):
    return connections["default"].ops.quote_name(name)
