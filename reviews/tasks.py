import logging

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone

from . import services
from .models import CycleJob, ReviewCycle

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
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
)
def send_result_mails_task(recipients):
    """E-mail the published results: (review id, user id or None) pairs."""
    from .publishing import send_result_mails

    return send_result_mails([tuple(pair) for pair in recipients])


# Celery discovers reviews.tasks only: the report tasks register through it.
from .reports.tasks import (  # noqa: E402, F401
    build_zip_task,
    render_part_task,
    render_report_task,
)
