"""Rendering a claimed job's document, or a ZIP's parts to storage.

Each renders with `default_render` unless given another render function.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F

from ...models import ReportJob
from .access import Status
from .batches import part_entry
from .claims import (
    TRANSIENT_ERRORS,
    counted,
    finish,
    held,
    load,
    parse_token,
    readable_error,
)
from .parts import part_path, whole


def default_render(kind, cycle, review=None, organization=None):
    """Render one document to PDF bytes with the document templates."""
    from .. import documents

    html = documents.render_html(kind, cycle, review=review, organization=organization)
    return documents.render_pdf(html)


def render_job(job_id, token, render=None):
    """Render a single document of a claimed job and finish it."""
    render = render or default_render
    job = load(job_id)
    content = render(
        job.kind, job.cycle, review=job.review, organization=job.organization
    )
    return finish(job, token, content)


def render_part(job_id, part, render=None, token=None, index=None, job=None):
    """Render one part to storage; a non-transient failure is returned by name.

    With the claim `token`, a part of a claim that was lost is skipped. `job`,
    the job as `load` reads it, is given by a run, which reads it once.
    """
    render = render or default_render
    if isinstance(token, str):
        token = parse_token(token)
    if token is not None and not held(job_id, token).exists():
        return {"index": index, "skipped": True}
    job = job or load(job_id)
    name = f"{part[0]}-{part[1] or part[2]}"
    try:
        review, organization, name = part_entry(job, part)
        content = render(part[0], job.cycle, review=review, organization=organization)
    except TRANSIENT_ERRORS:
        raise
    except Exception as error:
        return part_failed(job_id, name, error, token, index)
    path = default_storage.save(part_path(job, part), ContentFile(content))
    # If the claim was lost while rendering, the part is left for the next claim
    # to take, unless the job is over and its parts were already cleared.
    lost = not counted(job_id, token).update(progress=F("progress") + 1)
    if lost and not ReportJob.objects.filter(
        pk=job_id, status__in=[Status.PENDING, Status.RUNNING]
    ):
        default_storage.delete(path)
    return {"index": index, "name": name, "path": path}


def render_parts(job_id, items, render=None, token=None):
    """Render a run of [index, part] in a row; the results, one a part.

    A part already stored (the run is retried after a transient error) is not
    rendered or counted again. Once the claim is lost, the rest is left. The
    job is read once for the run (its kind, cycle and subject do not change),
    not twice a part.
    """
    results = []
    job = load(job_id)
    for index, part in items:
        stored = stored_part(job_id, part, index, job)
        result = stored or render_part(job_id, part, render, token, index, job)
        if result.get("skipped"):
            break
        results.append(result)
    return results


def stored_part(job_id, part, index, job=None):
    job = job or load(job_id)
    path = part_path(job, part)
    if not (default_storage.exists(path) and whole(path)):
        return None
    return {"index": index, "name": part_entry(job, part)[2], "path": path}


def part_failed(job_id, name, error, token=None, index=None):
    if isinstance(token, str):
        token = parse_token(token)
    counted(job_id, token).update(progress=F("progress") + 1)
    return {"index": index, "name": name, "error": readable_error(error)}
