"""Asking for a document and sending jobs to the worker, again when stuck.

`request_report` returns a job of the same inputs if there is one; `sweep`
(every minute) sends again the jobs no worker will fill otherwise.
"""

import contextlib
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from ...models import ReportJob
from .access import ReportRefused, Status, check_access, input_hash, refusal, subject_of
from .claims import is_stale, last_sent, stale_after

# What `error` holds while a pending job waits for the broker (not shown as such:
# the job page says the document will be made when the service is back).
UNSENT = "Not sent to the worker"


def request_report(user, kind, cycle, review=None, organization=None):
    """Return a finished or running job for unchanged inputs, else enqueue one."""
    check_access(user, kind, cycle, review, organization)
    reason = refusal(user, kind, cycle)
    if reason:
        raise ReportRefused(reason)
    review, organization = subject_of(kind, review, organization)
    digest = input_hash(kind, cycle, review, organization)
    same = ReportJob.objects.filter(
        kind=kind,
        cycle=cycle,
        review=review,
        organization=organization,
        input_hash=digest,
    ).order_by("-created_at")
    for job in same.filter(status__in=[Status.DONE, Status.PENDING, Status.RUNNING]):
        if job.status == Status.DONE:
            if default_storage.exists(job.file.name):
                return job
            continue
        if stuck(job):
            # Asking again restarts a job that is stuck instead of returning it.
            restart(job)
            job.refresh_from_db()
        return job
    job = ReportJob.objects.create(
        kind=kind,
        cycle=cycle,
        review=review,
        organization=organization,
        requested_by=user,
        input_hash=digest,
    )
    transaction.on_commit(lambda: dispatch(job.pk))
    return job


def dispatch(job_id, inline=False):
    """Send the job to the worker, or to a thread on the embedded default.

    Return whether it was sent. If the broker cannot be reached the job stays
    pending with a note, and the sweep sends it later.
    """
    from ... import background

    sent = background.start(
        "reviews.reports.tasks.render_report_task",
        job_id,
        on_unsent=lambda error: note_unsent(job_id, error),
        inline=inline,
    )
    if sent:
        ReportJob.objects.filter(pk=job_id, status=Status.PENDING).exclude(
            error=""
        ).update(error="")
    return sent


def note_unsent(job_id, error):
    reason = f"{UNSENT}: {error.__class__.__name__}: {error}"
    # With the database down too, the sweep finds the job by its age instead.
    with contextlib.suppress(DatabaseError):
        ReportJob.objects.filter(pk=job_id, status=Status.PENDING).update(
            error=reason[:1000]
        )


def stuck(job, now=None):
    """Whether no worker will fill this job unless it is sent again."""
    if job.status == Status.PENDING:
        # Not sent (the broker was down), or sent so long ago the message is lost.
        lost = last_sent(job) < (now or timezone.now()) - stale_after()
        return bool(job.error) or lost
    return job.status == Status.RUNNING and is_stale(job, now)


def restart(job, now=None, inline=False):
    """Make a stuck job pending again and send it after the commit.

    A running one loses its claim: its late parts are not counted, its late
    ZIP not kept. Return False if the job moved meanwhile.
    """
    now = now or timezone.now()
    jobs = ReportJob.objects.filter(pk=job.pk, status=job.status)
    if job.status == Status.RUNNING:
        jobs = jobs.filter(started_at=job.started_at)
    if not jobs.update(status=Status.PENDING, started_at=now):
        return False
    job_id = job.pk
    transaction.on_commit(lambda: dispatch(job_id, inline=inline))
    return True


def sweep(now=None, inline=False):
    """Send again every stuck job; return how many were sent.

    Pending jobs not sent for want of a broker, JOB_RESEND_SECONDS after the
    last try; pending jobs sent so long ago that the message must be lost; and
    running jobs with no progress for REPORT_JOB_STALE_SECONDS.
    """
    now = now or timezone.now()
    resend = now - timedelta(seconds=settings.JOB_RESEND_SECONDS)
    stale = now - stale_after()
    pending = (
        ReportJob.objects.filter(status=Status.PENDING)
        .alias(sent=Coalesce("started_at", "created_at"))
        .filter((Q(sent__lt=resend) & ~Q(error="")) | Q(sent__lt=stale))
    )
    running = ReportJob.objects.filter(status=Status.RUNNING, started_at__lt=stale)
    sent = 0
    for job in [*pending.order_by("pk"), *running.order_by("pk")]:
        if job.status == Status.RUNNING and not is_stale(job, now):
            continue
        with transaction.atomic():
            restarted = restart(job, now, inline=inline)
        sent += restarted
    return sent
