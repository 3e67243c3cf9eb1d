import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from . import background, services
from .models import CycleJob, ReviewCycle

logger = logging.getLogger(__name__)


# ignore_result: nothing waits for these results, so sending one needs only the
# broker (a result store down would hold the request for 20 s).
@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    ignore_result=True,
)
def open_cycle_task(self, job_id):
    """Create the cycle's reviews; claim the job once so a redelivery is harmless."""
    claimed = CycleJob.objects.filter(
        pk=job_id, status__in=[CycleJob.Status.PENDING, CycleJob.Status.RUNNING]
    ).update(status=CycleJob.Status.RUNNING)
    if not claimed:
        return
    job = CycleJob.objects.select_related("cycle").get(pk=job_id)
    try:
        services.open_cycle(job)
        with transaction.atomic():
            cycle = ReviewCycle.objects.select_for_update().get(pk=job.cycle_id)
            if cycle.status == ReviewCycle.Status.DRAFT:
                cycle.status = ReviewCycle.Status.SELF_REVIEW
                cycle._history_user = job.requested_by
                cycle.save(update_fields=["status"])
            CycleJob.objects.filter(pk=job_id).update(
                status=CycleJob.Status.DONE, finished_at=timezone.now()
            )
    except OperationalError:
        if self.request.retries >= self.max_retries:
            mark_failed(job_id, "database unavailable")
        raise
    except Exception as error:
        # Not retried: the job page shows the reason instead of a stuck bar.
        logger.exception("Opening cycle job %s failed", job_id)
        mark_failed(job_id, str(error))


def mark_failed(job_id, message):
    CycleJob.objects.filter(pk=job_id).update(
        status=CycleJob.Status.FAILED, message=message, finished_at=timezone.now()
    )


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def send_result_mails_task(recipients):
    """E-mail the published results: (review id, user id or None) pairs."""
    from .publishing import send_result_mails

    return send_result_mails([tuple(pair) for pair in recipients])


def resend_cycle_jobs(inline=False):
    """Send the openings still pending a while after they were asked for.

    Their message never reached the broker (it was down), or was lost with it.
    A second message for an opening is harmless: it creates nothing twice.
    """
    since = timezone.now() - timedelta(seconds=settings.JOB_RESEND_SECONDS)
    pending = CycleJob.objects.filter(
        status=CycleJob.Status.PENDING, created_at__lt=since
    ).order_by("pk")
    return sum(
        background.start(open_cycle_task, job_id, inline=inline)
        for job_id in pending.values_list("pk", flat=True)
    )


@shared_task(ignore_result=True)
def sweep_jobs_task():
    """Celery beat's minute: send the jobs that no worker holds (see background)."""
    return background.sweep()


# Celery discovers reviews.tasks only: the report tasks register through it.
from .reports.tasks import (  # noqa: E402, F401
    build_zip_task,
    render_part_task,
    render_report_task,
)
