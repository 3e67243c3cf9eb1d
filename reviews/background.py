"""Start a job's Celery task: on the worker, or in a thread on the embedded default.

With Redis a worker runs the task and the request returns at once. Without it
(CELERY_TASK_ALWAYS_EAGER) `delay` would run the task inside the request: a
cycle's opening or its ZIP of documents for minutes, with the browser waiting.
So the embedded default runs the task in a daemon thread of the web process,
and the job's page shows its progress as it would with a worker.
JOBS_IN_THREAD = False (the tests) runs it in the request.

The job row is the record, never the message. If the broker cannot be reached
the request goes on: the job stays pending and `reviews.tasks.sweep` sends it
once the broker is back; it runs every minute on Celery beat
(kontum_review/celery.py), or from `manage.py sweep_jobs` on an install
without beat.
"""

import importlib
import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)


def start(task, job_id, on_unsent=None, inline=False):
    """Run `task` for `job_id` (its one argument) off the request; call it
    after the commit.

    Return whether the task was sent (or run). If the broker cannot be reached,
    log it, call `on_unsent(error)` and return False: the job stays pending.
    `inline` runs the task here on the embedded default (a command, whose
    daemon threads would die with it).
    """
    task = named(task)
    if task.app.conf.task_always_eager:
        if inline or not getattr(settings, "JOBS_IN_THREAD", True):
            task.delay(job_id)
        else:
            threading.Thread(
                target=run_in_thread,
                args=(task, job_id),
                name=f"{task.name}-{job_id}",
                daemon=True,
            ).start()
        return True
    try:
        task.delay(job_id)
    except Exception as error:  # noqa: BLE001 - whatever the broker raises
        # Redis down: kombu's OperationalError, redis-py's errors, OSError, or
        # a RuntimeError from the result store. The job row keeps the work.
        logger.warning("Could not send %s for job %s: %r", task.name, job_id, error)
        if on_unsent is not None:
            on_unsent(error)
        return False
    return True


def named(task):
    """The task itself, from its name: services enqueue tasks by name, so a
    service never imports the tasks that call it (see ARCHITECTURE.md)."""
    if isinstance(task, str):
        from celery import current_app

        # Import the task's module by its name: a process that never imported
        # it (a web worker, a command) has not registered the task yet.
        importlib.import_module(task.rpartition(".")[0])
        return current_app.tasks[task]
    return task


def run_in_thread(task, job_id):
    """The embedded default's worker: one job, then its database connection closed."""
    try:
        task.apply(args=[job_id])
    finally:
        connections.close_all()


# Job rows -----------------------------------------------------------------------
#
# CycleJob, ResultMailing and ImportJob share a life: pending → running → done or
# failed, with `updated_at` written when a worker claims the job and at each step
# of its progress (the heartbeat). A running job whose heartbeat is older than
# JOB_STALE_SECONDS lost its worker; it may be claimed again.


def stale(model):
    """Running jobs of `model` with a stale heartbeat (or none: never claimed)."""
    before = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
    running = Q(status=model.Status.RUNNING)
    return running & (Q(updated_at__lt=before) | Q(updated_at__isnull=True))


def claim(model, job_id, **values):
    """Mark a waiting job running, or one whose worker was lost; return whether.

    One UPDATE (with `values` too), so two workers handed the same job (a
    redelivery, a sweep) never both run it. Each claim counts an attempt where
    the model keeps them.
    """
    Status = model.Status
    values.update(status=Status.RUNNING, updated_at=timezone.now())
    if any(field.name == "attempts" for field in model._meta.fields):
        values["attempts"] = F("attempts") + 1
    return bool(
        model.objects.filter(pk=job_id)
        .filter(Q(status=Status.PENDING) | stale(model))
        .update(**values)
    )


def unheld(model):
    """The jobs of `model` no worker holds: pending a while (unsent, or lost with
    the broker) and running with a stale heartbeat."""
    since = timezone.now() - timedelta(seconds=settings.JOB_RESEND_SECONDS)
    return model.objects.filter(
        Q(status=model.Status.PENDING, created_at__lt=since) | stale(model)
    ).order_by("pk")


def resend(model, task, inline=False, give_up=None):
    """Send each unheld job of `model` to `task` (or its name) again; return how
    many were sent.

    With `give_up(job_ids)`, the stale jobs already tried JOB_MAX_ATTEMPTS times
    are handed to it instead (to be marked failed).
    """
    jobs = unheld(model)
    if give_up is not None:
        spent = list(
            jobs.filter(
                status=model.Status.RUNNING, attempts__gte=settings.JOB_MAX_ATTEMPTS
            ).values_list("pk", flat=True)
        )
        if spent:
            give_up(spent)
            jobs = jobs.exclude(pk__in=spent)
    return sum(
        start(task, job_id, inline=inline)
        for job_id in jobs.values_list("pk", flat=True)
    )
