"""Celery tasks of the report pipeline: thin wrappers around `pipeline`."""

import logging

from celery import chord, shared_task

from . import pipeline

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": pipeline.TRANSIENT_ERRORS,
    "retry_backoff": True,
    "max_retries": 3,
}


def redelivered(task):
    """Whether the broker handed this message out again (its worker was lost)."""
    return bool((task.request.delivery_info or {}).get("redelivered"))


# ignore_result: nothing waits for it, so sending it needs only the broker.
@shared_task(bind=True, ignore_result=True, **RETRY)
def render_report_task(self, job_id):
    """Claim the job; render a document, or fan a batch out to a chord."""
    token = pipeline.claim(job_id, redelivered=redelivered(self))
    if token is None:
        return
    try:
        if pipeline.load(job_id).kind in pipeline.BATCH_KINDS:
            start_batch(job_id, token)
        else:
            pipeline.render_job(job_id, token)
    except pipeline.TRANSIENT_ERRORS as error:
        if self.request.retries < self.max_retries:
            raise
        logger.exception("Report job %s failed after retries", job_id)
        pipeline.fail(job_id, token, pipeline.readable_error(error))
    except Exception as error:
        # Not retried: the job page shows the reason instead of a stuck bar.
        logger.exception("Report job %s failed", job_id)
        pipeline.fail(job_id, token, pipeline.readable_error(error))


def start_batch(job_id, token):
    """Render the parts still missing in a chord of runs; kept parts join the ZIP."""
    runs, kept = pipeline.plan_runs(job_id, token)
    if not runs:
        pipeline.write_zip(job_id, token, kept)
        return
    stamp = token.isoformat()
    header = [render_run_task.s(job_id, run, stamp) for run in runs]
    chord(header)(build_zip_task.s(job_id, stamp, kept))


@shared_task(bind=True, **RETRY)
def render_run_task(self, job_id, run, token=None):
    """A run of a ZIP's documents; a part that keeps failing is reported, not raised."""
    try:
        return pipeline.render_parts(job_id, run, token=token)
    except pipeline.TRANSIENT_ERRORS as error:
        if self.request.retries < self.max_retries:
            raise
        return [
            pipeline.stored_part(job_id, part, index)
            or pipeline.part_failed(
                job_id, f"{part[0]}-{part[1] or part[2]}", error, token, index
            )
            for index, part in run
        ]


@shared_task(bind=True, **RETRY)
def render_part_task(self, job_id, part, token=None, index=None):
    """One document of a ZIP (messages sent before runs); see render_run_task."""
    try:
        return pipeline.render_part(job_id, part, token=token, index=index)
    except pipeline.TRANSIENT_ERRORS as error:
        if self.request.retries < self.max_retries:
            raise
        name = f"{part[0]}-{part[1] or part[2]}"
        return pipeline.part_failed(job_id, name, error, token, index)


@shared_task(bind=True, **RETRY)
def build_zip_task(self, results, job_id, token, kept=()):
    token = pipeline.parse_token(token)
    try:
        pipeline.write_zip(job_id, token, [*kept, *results])
    except pipeline.TRANSIENT_ERRORS as error:
        if self.request.retries < self.max_retries:
            raise
        pipeline.fail(job_id, token, pipeline.readable_error(error))
    except Exception as error:
        logger.exception("Report job %s: the ZIP failed", job_id)
        pipeline.fail(job_id, token, pipeline.readable_error(error))
