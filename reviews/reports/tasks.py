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


@shared_task(bind=True, **RETRY)
def render_report_task(self, job_id):
    """Claim the job; render a document, or fan a batch out to a chord."""
    token = pipeline.claim(job_id)
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
    parts = pipeline.start_batch(job_id)
    if not parts:
        pipeline.write_zip(job_id, token, [])
        return
    header = [render_part_task.s(job_id, part) for part in parts]
    chord(header)(build_zip_task.s(job_id, token.isoformat()))


@shared_task(bind=True, **RETRY)
def render_part_task(self, job_id, part):
    """One document of a ZIP; a part that keeps failing is reported, not raised."""
    try:
        return pipeline.render_part(job_id, part)
    except pipeline.TRANSIENT_ERRORS as error:
        if self.request.retries < self.max_retries:
            raise
        return pipeline.part_failed(job_id, f"{part[0]}-{part[1] or part[2]}", error)


@shared_task(bind=True, **RETRY)
def build_zip_task(self, results, job_id, token):
    token = pipeline.parse_token(token)
    try:
        pipeline.write_zip(job_id, token, results)
    except pipeline.TRANSIENT_ERRORS as error:
        if self.request.retries < self.max_retries:
            raise
        pipeline.fail(job_id, token, pipeline.readable_error(error))
    except Exception as error:
        logger.exception("Report job %s: the ZIP failed", job_id)
        pipeline.fail(job_id, token, pipeline.readable_error(error))
