"""The documents of a ZIP in order, and the runs of them one task renders."""

from django.core.files.storage import default_storage
from django.utils.text import slugify

from kontum_review.vietnamese import fold
from organizations.models import Organization

from ...models import Meeting, ReportJob, Review
from ...results import DECIDED_STATES
from .access import Kind, file_name, scope_reviews
from .claims import held, load
from .parts import part_path, whole

# A task of a ZIP renders a run of parts, an organization's documents together,
# so that the worker's time goes to rendering rather than to messages; a run
# holds at most this many (a few seconds of work), so the parts of a large
# cycle still spread over every worker process.
PARTS_PER_TASK = 40


def batch_parts(job):
    """The documents of a ZIP as JSON-ready [kind, review id, organization id]."""
    return [part for part, _organization in batch_plan(job)]


def batch_plan(job):
    """(part, organization id) of each document of the ZIP, in the ZIP's order."""
    cycle = job.cycle
    individual = Kind.INDIVIDUAL_FORM.value
    order = ("organization__path", "meeting_rank", "sort_key", "pk")
    if job.kind == Kind.ORGANIZATION_FORMS:
        reviews = scope_reviews(job.kind, cycle, organization=job.organization)
        return [
            ([individual, pk, None], organization_id)
            for pk, organization_id in reviews.individuals()
            .order_by(*order)
            .values_list("pk", "organization_id")
        ]
    plan = [([Kind.SUMMARY.value, None, None], None)]
    collectives = (
        cycle.reviews.collectives()
        .order_by("organization__path", "kind")
        .values_list("pk", "kind", "organization_id", "meeting__status")
    )
    # Notifications exist once the ratings are decided, minutes once recorded.
    decided = cycle.status in DECIDED_STATES
    for pk, kind, organization_id, meeting in collectives:
        recorded = meeting == Meeting.Status.DONE
        if kind == Review.Kind.LEADERSHIP:
            plan.append(([Kind.COLLECTIVE_REPORT.value, pk, None], organization_id))
            if recorded:
                plan.append(([Kind.MINUTES.value, pk, None], organization_id))
            continue
        parts = []
        if decided:
            parts.append([Kind.NOTIFICATION.value, None, organization_id])
        parts.append([Kind.COLLECTIVE_REPORT.value, None, organization_id])
        if recorded:
            parts.append([Kind.MINUTES.value, None, organization_id])
        plan.extend((part, organization_id) for part in parts)
    members = cycle.reviews.individuals().order_by(*order)
    plan.extend(
        ([individual, pk, None], organization_id)
        for pk, organization_id in members.values_list("pk", "organization_id")
    )
    return plan


def runs(todo, organizations, size=PARTS_PER_TASK):
    """Split [index, part] into the runs one task renders, in order.

    A run ends when full, or where the organization changes once it holds half
    its size, so a cell's forms stay together. There are two runs at least: a
    worker lost mid-run keeps its run until the broker's visibility timeout, and
    the other run goes on meanwhile.
    """
    found, run, previous = [], [], None
    for item in todo:
        organization = organizations.get(item[0])
        changed = run and organization != previous
        if len(run) >= size or (changed and len(run) >= size // 2):
            found.append(run)
            run = []
        run.append(item)
        previous = organization
    if run:
        found.append(run)
    if len(found) == 1 and len(run) > 1:
        half = (len(run) + 1) // 2
        found = [run[:half], run[half:]]
    return found


def plan_batch(job_id, token=None):
    """Set the job's total; return ([index, part] to render, results kept).

    Parts rendered under an earlier claim of the job are kept and counted, so a
    job claimed again renders only what is missing.
    """
    todo, kept, _organizations = plan(job_id, token)
    return todo, kept


def plan_runs(job_id, token=None):
    """The runs of [index, part] to render, one task each, and the results kept."""
    todo, kept, organizations = plan(job_id, token)
    return runs(todo, organizations), kept


def plan(job_id, token=None):
    job = load(job_id)
    todo, kept, organizations = [], [], {}
    for index, (part, organization_id) in enumerate(batch_plan(job)):
        path = part_path(job, part)
        if default_storage.exists(path):
            if whole(path):
                name = part_entry(job, part)[2]
                kept.append({"index": index, "name": name, "path": path})
                continue
            default_storage.delete(path)
        todo.append([index, part])
        organizations[index] = organization_id
    jobs = held(job_id, token) if token else ReportJob.objects.filter(pk=job_id)
    jobs.update(total=max(len(todo) + len(kept), 1), progress=len(kept))
    return todo, kept, organizations


def start_batch(job_id, token=None):
    """The parts to render (all of them for a job claimed the first time)."""
    todo, _kept = plan_batch(job_id, token)
    return [part for _index, part in todo]


def part_entry(job, part):
    """The part's subject objects and its path inside the ZIP."""
    kind, review_id, organization_id = part
    review = organization = folder = None
    if review_id:
        review = Review.objects.select_related("organization").get(pk=review_id)
        folder = review.organization
    if organization_id:
        organization = Organization.objects.get(pk=organization_id)
        folder = organization
    name = file_name(kind, job.cycle, review, organization)
    if job.kind == Kind.CYCLE_DOCUMENTS and folder:
        code = folder.code.replace(".", "-")
        name = f"{slugify(fold(f'{code} {folder.name}'))}/{name}"
    return review, organization, name
