"""Start a job's Celery task: on the worker, or in a thread on the embedded default.

With Redis a worker runs the task and the request returns at once. Without it
(CELERY_TASK_ALWAYS_EAGER) `delay` would run the task inside the request: a
cycle's opening or its ZIP of documents for minutes, with the browser waiting.
So the embedded default runs the task in a daemon thread of the web process,
and the job's page shows its progress as it would with a worker.
JOBS_IN_THREAD = False (the tests) runs it in the request.
"""

import threading

from django.conf import settings
from django.db import connections


def start(task, job_id):
    """Run `task` for `job_id` off the request; call it after the commit."""
    if task.app.conf.task_always_eager and getattr(settings, "JOBS_IN_THREAD", True):
        threading.Thread(
            target=run_in_thread,
            args=(task, job_id),
            name=f"{task.name}-{job_id}",
            daemon=True,
        ).start()
    else:
        task.delay(job_id)


def run_in_thread(task, job_id):
    """The embedded default's worker: one job, then its database connection closed."""
    try:
        task.apply(args=[job_id])
    finally:
        connections.close_all()
