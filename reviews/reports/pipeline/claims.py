"""The worker's claim on a job: its token (`started_at`), staleness, the end.

Only the holder of the latest token may finish the job or count a part.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ...models import ReportJob
from .access import BATCH_KINDS, Status, stored_file_name
from .parts import clear_parts, parts_folder

TRANSIENT_ERRORS = (OSError, OperationalError)


def stale_after():
    return timedelta(seconds=settings.REPORT_JOB_STALE_SECONDS)


def last_sent(job):
    return job.started_at or job.created_at


def last_progress(job):
    """When the job last moved: its claim, or the newest part of its ZIP."""
    latest = last_sent(job)
    if job.kind not in BATCH_KINDS:
        return latest
    folder = parts_folder(job)
    try:
        files = default_storage.listdir(folder)[1]
    except OSError:
        return latest
    for name in files:
        try:
            latest = max(latest, default_storage.get_modified_time(f"{folder}/{name}"))
        except OSError:
            continue  # deleted meanwhile
    return latest


def is_stale(job, now=None):
    """A running job with no progress for REPORT_JOB_STALE_SECONDS.

    No task runs longer than the hard time limit, and the broker hands a lost
    one out again within the visibility timeout, both shorter than that.
    """
    limit = (now or timezone.now()) - stale_after()
    return last_sent(job) < limit and last_progress(job) < limit


def claim(job_id, redelivered=False):
    """Take the job; return the claim token, or None if it is not to be run.

    A pending job is taken. A running one is taken only from a message the
    broker handed out again (`redelivered`: its worker was lost) or when it is
    stale; a second message for a job that is running well leaves it alone.
    """
    token = timezone.now()
    job = ReportJob.objects.filter(pk=job_id).first()
    if job is None or job.status not in (Status.PENDING, Status.RUNNING):
        return None
    jobs = ReportJob.objects.filter(pk=job_id, status=job.status)
    if job.status == Status.RUNNING:
        if not (redelivered or is_stale(job, token)):
            return None
        jobs = jobs.filter(started_at=job.started_at)
    claimed = jobs.update(status=Status.RUNNING, started_at=token, progress=0, error="")
    return token if claimed else None


def parse_token(value):
    return datetime.fromisoformat(value)


def held(job_id, token):
    return ReportJob.objects.filter(pk=job_id, status=Status.RUNNING, started_at=token)


def load(job_id):
    return ReportJob.objects.select_related(
        "cycle__superior", "cycle__regime", "review__organization", "organization"
    ).get(pk=job_id)


def finish(job, token, content, error=""):
    """Store the file (bytes or an open file) and mark the job done, if still held."""
    stored = default_storage.save(
        job.file.field.generate_filename(job, stored_file_name(job)),
        File(content) if hasattr(content, "read") else ContentFile(content),
    )
    done = held(job.pk, token).update(
        status=Status.DONE,
        file=stored,
        progress=F("total"),
        error=error,
        finished_at=timezone.now(),
    )
    if not done:
        # Another worker reclaimed the job; its file is the one kept.
        default_storage.delete(stored)
    return bool(done)


def fail(job_id, token, reason):
    failed = held(job_id, token).update(
        status=Status.FAILED, error=reason, finished_at=timezone.now()
    )
    if failed:
        clear_parts(load(job_id))


def readable_error(error):
    """What the job page shows; a document's own refusal is already readable."""
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(error, TRANSIENT_ERRORS):
            return _(
                "The file could not be stored or the database was unavailable; "
                "please request the document again later."
            )
        return str(error) or _("Unexpected error (%(type)s).") % {
            "type": error.__class__.__name__
        }


def counted(job_id, token):
    """The job's row, if this part still counts towards it."""
    if token is None:
        return ReportJob.objects.filter(pk=job_id)
    return held(job_id, token)
