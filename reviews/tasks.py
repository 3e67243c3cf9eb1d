import logging
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import background, services
from .models import CycleJob, ResultMailing, ReviewCycle

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
    """Create the cycle's reviews, once the job is claimed.

    A redelivery, or the sweep's message, while a worker holds the job (its
    heartbeat is fresh) does nothing; after a lost worker it goes on: the
    opening creates nothing twice.
    """
    if not background.claim(CycleJob, job_id):
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
def send_result_mails_task(mailing_id):
    """E-mail a publication's results (a ResultMailing), once claimed.

    An SMTP server that cannot be reached is tried again with a backoff; the
    mailing goes on from the last batch sent.
    """
    from .publishing import send_mailing

    if not background.claim(ResultMailing, mailing_id):
        return None
    try:
        return send_mailing(mailing_id)
    except OSError:
        # Leave it to the retry, then to the sweep, from where it stopped.
        ResultMailing.objects.filter(pk=mailing_id).update(
            status=ResultMailing.Status.PENDING
        )
        raise


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def send_mail_task(message):
    """Send one message composed in a request (a password reset link)."""
    from kontum_review.accounts import send_message

    send_message(message)


def resend_cycle_jobs(inline=False):
    """Send the openings no worker holds: still pending a while after they were
    asked for (their message never reached the broker, or was lost with it), or
    running with a stale heartbeat (their worker died). A second message for an
    opening is harmless: it creates nothing twice.
    """
    return background.resend(
        CycleJob,
        open_cycle_task,
        inline=inline,
        give_up=partial(give_up, CycleJob),
    )


def resend_result_mailings(inline=False):
    """Send the result mailings no worker holds (see resend_cycle_jobs)."""
    return background.resend(
        ResultMailing,
        send_result_mails_task,
        inline=inline,
        give_up=partial(give_up, ResultMailing),
    )


def give_up(model, job_ids):
    logger.error(
        "Giving up %s %s: their worker died each time", model.__name__, job_ids
    )
    with translation.override(settings.LANGUAGE_CODE):
        message = _("Stopped: the worker was lost on every attempt.")
    model.objects.filter(pk__in=job_ids).update(
        status=model.Status.FAILED, message=message, finished_at=timezone.now()
    )


@shared_task(ignore_result=True)
def send_reminders_task():
    """Celery beat's morning: remind each person of what is due (reminders)."""
    from .reminders import send_reminders

    return send_reminders()


@shared_task(ignore_result=True)
def send_digest_task():
    """Celery beat's week: tell staff and leaders what is late in their subtree."""
    from .reminders import send_digest

    return send_digest()


@shared_task(ignore_result=True)
def sweep_jobs_task():
    """Celery beat's minute: send the jobs that no worker holds (see background)."""
    return sweep()


def sweep(inline=False):
    """Send the jobs no worker holds: unsent or lost pending ones, stale running ones.

    Returns what was sent, by kind of job. Beside the tasks it sends again, so
    that background.py, which every service uses, imports none of them.
    """
    from organizations.tasks import resend_import_jobs

    from .reports import pipeline

    return {
        "reports": pipeline.sweep(inline=inline),
        "cycle_openings": resend_cycle_jobs(inline=inline),
        "result_mailings": resend_result_mailings(inline=inline),
        "imports": resend_import_jobs(inline=inline),
    }


# Celery discovers reviews.tasks only: the report tasks register through it.
from .reports.tasks import (  # noqa: E402, F401
    build_zip_task,
    render_part_task,
    render_report_task,
)
