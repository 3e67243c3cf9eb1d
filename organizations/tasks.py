"""Import a large spreadsheet as a job: every row in one transaction, or none.

The admin creates the ImportJob with the file's bytes and starts `import_task`
after its commit (reviews/background.py). The task imports the rows as the
staff user who sent them (`user=`, so the file reaches only their subtree),
with the same all-or-nothing rule as the confirm step of a small file.

Progress cannot be written in the import's own transaction: nobody would see
it before the end, and a failed file rolls it back. So every PROGRESS_ROWS rows
it is written through a second connection to the database, in autocommit. On
SQLite (the embedded default) the import's transaction holds the database's
write lock, so a second connection would wait for it: there the job shows
its progress only when it ends. The writes are sent by a thread of their own,
which holds that connection, so the rows are checked while they travel: each
took a round trip (about 2 ms, 50 a 5,000-row file) in the import's stead.
The thread has sent every progress before the import commits.

Python's cyclic garbage collector is paused while a job imports (collecting
later): the rows, members and checks it builds all live until its end, and
each full collection walked them and every loaded module again, 0.25 s of
the 1.7 s of CPU a 5,000-row file took. It runs again once the import's rows,
result and resource are let go: the first collection after a pause walks
every object made during it that is still alive (80 ms for 5,000 rows when
they were).
"""

import logging
import queue
import threading

from celery import shared_task
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kontum_review.collector import collector_paused
from reviews import background

from .models import ImportJob
from .resources import IMPORT_FORMATS_BY_NAME, ImportRefused, OrganizationResource

logger = logging.getLogger(__name__)

PROGRESS_ROWS = 100
# A failed job lists at most this many rows; the count says how many failed.
LISTED_ROWS = 200


def resource_class(register):
    if register == ImportJob.Register.MEMBERS:
        from members.resources import MemberResource

        return MemberResource
    return OrganizationResource


class ProgressWriter:
    """Write a job's progress outside the import's transaction (see above).

    Where a second connection can write (not SQLite), a thread opens it and
    sends each progress in order, while the import goes on; `flush` waits
    until it has sent them all.
    """

    def __init__(self, job_id, every=None):
        self.job_id = job_id
        self.every = every or PROGRESS_ROWS
        self.count = 0
        self.connection = None
        self.commit_waits = False
        self.sending = None
        self.thread = None
        if connections[DEFAULT_DB_ALIAS].vendor != "sqlite":
            self.sending = queue.SimpleQueue()
            self.thread = threading.Thread(
                target=self.send_all, name=f"import-progress-{job_id}", daemon=True
            )
            self.thread.start()

    def __call__(self, row_number=None):
        self.count += 1
        if self.count % self.every == 0:
            if self.sending is None:
                self.write(self.count)
            else:
                self.sending.put(self.count)

    def send_all(self):
        """The thread's work: open the connection, write each progress sent."""
        try:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
            self.commit_waits = self.connection.vendor == "postgresql"
            while (progress := self.sending.get()) is not None:
                self.write(progress)
        finally:
            self.close_connection()

    def write(self, progress):
        if self.connection is None:
            return
        table = self.connection.ops.quote_name(ImportJob._meta.db_table)
        try:
            with self.connection.cursor() as cursor:
                if self.commit_waits:
                    # Progress is for the page only: its commits need not wait
                    # for the disk (each did, 2-4 ms, 50 times a 5,000-row file).
                    cursor.execute("SET synchronous_commit TO off")
                    self.commit_waits = False
                cursor.execute(
                    f"UPDATE {table} SET progress = %s, updated_at = %s "  # noqa: S608
                    "WHERE id = %s",
                    [progress, timezone.now(), self.job_id],
                )
        except DatabaseError:
            # Progress is for the page only; the import goes on without it.
            logger.warning("Could not write the progress of import job %s", self.job_id)
            self.close_connection()

    def close_connection(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def flush(self):
        """Wait until every progress is written, and close the connection."""
        if self.thread is not None:
            self.sending.put(None)
            self.thread.join()
            self.thread = None
        self.close_connection()


def row_errors(result):
    """The failed rows of an import result: [{"row": n, "messages": [...]}]."""
    by_row = {}
    for row in result.invalid_rows:
        error = row.error
        if hasattr(error, "error_dict"):
            messages = [
                f"{field}: {message}" if field != "__all__" else message
                for field, field_messages in error.message_dict.items()
                for message in field_messages
            ]
        else:
            messages = list(error.messages)
        by_row.setdefault(row.number, []).extend(messages)
    for row in result.error_rows:
        by_row.setdefault(row.number, []).extend(
            str(error.error) for error in row.errors
        )
    errors = [
        {"row": number, "messages": messages}
        for number, messages in sorted(by_row.items())
    ]
    errors[:0] = [
        {"row": None, "messages": [str(error.error)]} for error in result.base_errors
    ]
    return errors


def claim(job_id):
    """Mark a waiting job running, or one whose worker was lost; else None."""
    if not background.claim(ImportJob, job_id, progress=0):
        return None
    return ImportJob.objects.select_related("user").get(pk=job_id)


def finish(job, status, **values):
    values.update(status=status, finished_at=timezone.now(), data=b"")
    values["updated_at"] = values["finished_at"]
    ImportJob.objects.filter(pk=job.pk).update(**values)


def run_import(job_id):
    """Import a job's file, every row or none, and record how it went."""
    job = claim(job_id)
    if job is None:
        return None  # done, failed, or running on another worker
    language = job.language or settings.LANGUAGE_CODE
    with translation.override(language):
        # The import's rows, result and resource are let go before the
        # collector runs again (see above).
        with collector_paused():
            status, values = import_file(job)
        finish(job, status, **values)
    return status


def import_file(job):
    """Import a job's rows in one transaction: (status, what finish records)."""
    progress = ProgressWriter(job.pk)
    try:
        input_format = IMPORT_FORMATS_BY_NAME[job.file_format]()
        # Parsed here only when the upload's rows were not kept: no later
        # step would read them again.
        dataset = input_format.create_dataset(bytes(job.data), remember=False)
        resource = resource_class(job.register)()
        with transaction.atomic():
            result = resource.import_data(
                dataset,
                dry_run=False,
                raise_errors=False,
                use_transactions=True,
                rollback_on_validation_errors=True,
                file_name=job.file_name,
                user=job.user,
                progress=progress,
            )
            # Every progress written before the rows are committed.
            progress.flush()
            failed = result.has_errors() or result.has_validation_errors()
            if failed:
                transaction.set_rollback(True)
    except ImportRefused as refusal:
        return ImportJob.Status.FAILED, {"message": str(refusal.message)}
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        message = _("The import stopped on an error; nothing was imported.")
        return ImportJob.Status.FAILED, {"progress": progress.count, "message": message}
    finally:
        progress.flush()
    if failed:
        errors = row_errors(result)
        return ImportJob.Status.FAILED, {
            "progress": progress.count,
            "errors": errors[:LISTED_ROWS],
            "failed_rows": len(errors),
            "message": _(
                "Nothing was imported: fix the rows below and send the file again."
            ),
        }
    counted = ("new", "update", "skip", "delete")
    totals = {key: result.totals.get(key, 0) for key in counted}
    return ImportJob.Status.DONE, {"progress": len(dataset), "totals": totals}


@shared_task(ignore_result=True, acks_late=True)
def import_task(job_id):
    return run_import(job_id)


def resend_import_jobs(inline=False):
    """Send the import jobs no worker holds: unsent pending ones, stale running ones.

    For reviews.tasks.sweep, next to the other kinds of job.
    """
    return background.resend(ImportJob, import_task, inline=inline)
