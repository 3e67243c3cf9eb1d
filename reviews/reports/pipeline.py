"""Report jobs: who may ask, when a file can be reused, and how a worker fills a job.

A worker claims a job by writing `started_at`; that timestamp is the claim token.
A pending job may be claimed; a running one only when its message came back
because its worker was lost (acks_late + reject_on_worker_lost, or the broker's
visibility timeout), or when it has shown no progress for
REPORT_JOB_STALE_SECONDS. Only the holder of the latest token may finish the
job, or count a ZIP's part, so a job completes exactly once even if a worker
thought dead wakes up and finishes its render late.

The job row is the record, never the broker's message. A job that could not be
sent (Redis down) stays pending with a note in `error`; a running job with no
progress for that long is stale. `sweep` (every minute) and a user's new request
for the same document send such jobs again. For a pending job `started_at` is
when it was last sent. A ZIP's parts are kept under one name per part until the
ZIP is made, so a job claimed again renders only the parts still missing; their
files' times are the batch's progress.
"""

import contextlib
import hashlib
import io
import json
import shutil
import tempfile
import zipfile
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import DatabaseError, OperationalError, transaction
from django.db.models import (
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kontum_review.vietnamese import fold
from organizations.models import Organization, Role

from ..access import is_cycle_staff
from ..models import (
    Meeting,
    MeetingItem,
    Rating,
    RemedyAction,
    ReportJob,
    Review,
    ReviewCycle,
    StepExemption,
)
from ..results import DECIDED_STATES, decisions_shown

Kind = ReportJob.Kind
Status = ReportJob.Status

# Bump when the documents' layout changes, so earlier files are not reused.
FORMAT_VERSION = 4

TRANSIENT_ERRORS = (OSError, OperationalError)

# A task of a ZIP renders a run of parts, an organization's documents together,
# so that the worker's time goes to rendering rather than to messages; a run
# holds at most this many (a few seconds of work), so the parts of a large
# cycle still spread over every worker process.
PARTS_PER_TASK = 40

REVIEW_KINDS = {Kind.INDIVIDUAL_FORM}
ORGANIZATION_KINDS = {
    Kind.COLLECTIVE_REPORT,
    Kind.MINUTES,
    Kind.NOTIFICATION,
    Kind.ORGANIZATION_FORMS,
}
# A leadership collective's report and minutes are its own, apart from its
# organization's: these kinds take a collective review as well as an organization.
COLLECTIVE_KINDS = {Kind.COLLECTIVE_REPORT, Kind.MINUTES}
CYCLE_KINDS = {Kind.SUMMARY, Kind.CYCLE_DOCUMENTS}
BATCH_KINDS = {Kind.ORGANIZATION_FORMS, Kind.CYCLE_DOCUMENTS}
SINGLE_KINDS = [kind for kind in Kind if kind not in BATCH_KINDS]

# Readable file names, without accents so every system unpacks them alike.
FILE_TITLES = {
    Kind.INDIVIDUAL_FORM: "ban kiem diem",
    Kind.COLLECTIVE_REPORT: "bao cao kiem diem",
    Kind.MINUTES: "bien ban hoi nghi kiem diem",
    Kind.NOTIFICATION: "thong bao ket qua xep loai",
    Kind.SUMMARY: "bao cao tong hop kiem diem",
    Kind.ORGANIZATION_FORMS: "ban kiem diem",
    Kind.CYCLE_DOCUMENTS: "tai lieu kiem diem",
}
ERRORS_ENTRY = "LOI.txt"
ZIP_CHUNK = 1024 * 1024
# What `error` holds while a pending job waits for the broker (not shown as such:
# the job page says the document will be made when the service is back).
UNSENT = "Not sent to the worker"


def default_render(kind, cycle, review=None, organization=None):
    """Render one document to PDF bytes with the document templates."""
    from . import documents

    html = documents.render_html(kind, cycle, review=review, organization=organization)
    return documents.render_pdf(html)


# Who may ask ----------------------------------------------------------------


class ReportRefused(Exception):
    """The document cannot be asked for yet; the message says why."""


def subject_of(kind, review=None, organization=None):
    """The (review, organization) a job of `kind` is kept under.

    A collective report or minutes asked for from an organization's own
    collective review is the organization's document (one job for the form's
    button, the checklist and the ZIP); a leadership collective's stays its own.
    """
    if kind in COLLECTIVE_KINDS and review is not None:
        if review.kind == Review.Kind.ORGANIZATION:
            return None, review.organization
        return review, None
    return review, organization


def reviewed_subject(kind, cycle, review):
    """Whether `review` is a subject the document of `kind` is made of."""
    if review is None or review.cycle_id != cycle.pk:
        return False
    if kind in REVIEW_KINDS:
        return review.kind == Review.Kind.INDIVIDUAL
    return kind in COLLECTIVE_KINDS and review.is_collective


def check_access(user, kind, cycle, review=None, organization=None):
    """Raise 404 unless the user may read the document's subject."""
    if kind in REVIEW_KINDS or (kind in COLLECTIVE_KINDS and review is not None):
        allowed = (
            reviewed_subject(kind, cycle, review)
            and Review.objects.visible_to(user).filter(pk=review.pk).exists()
        )
    elif kind in ORGANIZATION_KINDS:
        allowed = (
            organization is not None
            and Organization.objects.visible_to(user)
            .subtree_of(cycle.superior)
            .filter(pk=organization.pk)
            .exists()
        )
    else:
        allowed = is_cycle_staff(user, cycle)
    if not allowed:
        raise Http404


def refusal(user, kind, cycle):
    """Why the document cannot be asked for yet, or "" if it can.

    A rating-result notification exists once ratings are decided, and only for
    those who may see the decisions (before publication: staff and leaders).
    """
    if kind != Kind.NOTIFICATION:
        return ""
    if cycle.status not in DECIDED_STATES:
        return _(
            "The rating-result notification can be produced only after the "
            "ratings are decided."
        )
    if cycle.pk not in decisions_shown(user, [cycle]):
        return _(
            "The rating-result notification can be produced only after the "
            "results are published."
        )
    return ""


def jobs_visible_to(user):
    """Jobs whose subject the user may read, in one query."""
    jobs = ReportJob.objects.all()
    if not user.is_authenticated:
        return jobs.none()
    if user.is_superuser:
        return jobs
    staff_roles = Role.objects.annotate(
        cycle_path=ExpressionWrapper(
            OuterRef("cycle__superior__path"), output_field=CharField()
        )
    ).filter(
        user=user,
        kind=Role.Kind.STAFF,
        cycle_path__startswith=F("organization__path"),
    )
    reviews = Review.objects.visible_to(user).values("pk")
    organizations = Organization.objects.visible_to(user).values("pk")
    return jobs.filter(
        Q(kind__in=REVIEW_KINDS | COLLECTIVE_KINDS, review__in=reviews)
        | Q(kind__in=ORGANIZATION_KINDS, organization__in=organizations)
        | Q(Exists(staff_roles), kind__in=CYCLE_KINDS)
    )


# What the document shows ----------------------------------------------------


def scope_reviews(kind, cycle, review=None, organization=None):
    reviews = Review.objects.filter(cycle=cycle)
    if kind in REVIEW_KINDS:
        return reviews.filter(pk=review.pk)
    if kind in COLLECTIVE_KINDS and review is not None:
        # A leadership collective's leaders sit in the cells below it.
        return reviews.filter(organization__path__startswith=review.organization.path)
    if kind in ORGANIZATION_KINDS:
        return reviews.filter(organization__path__startswith=organization.path)
    return reviews


def input_hash(kind, cycle, review=None, organization=None):
    """Hash what the document shows; any saved change gives a new hash.

    Aggregates over the subject's reviews stand in for the hashes of a ZIP's
    parts: a part changes only if one of these figures does.
    """
    reviews = scope_reviews(kind, cycle, review, organization)
    if review is not None:
        meeting_path = review.organization.path
    elif kind in ORGANIZATION_KINDS:
        meeting_path = organization.path
    else:
        meeting_path = cycle.superior.path
    meetings = Meeting.objects.filter(
        review__cycle=cycle, review__organization__path__startswith=meeting_path
    )
    state = {
        "format": FORMAT_VERSION,
        "kind": kind,
        "cycle": [cycle.pk, cycle.name, cycle.status, cycle.regime_id],
        "subject": [
            review and [review.pk, review.subject_name],
            organization and [organization.pk, organization.name],
        ],
        "reviews": reviews.aggregate(
            count=Count("pk"),
            versions=Sum("version"),
            saved=Max("saved_at"),
            submitted=Max("submitted_at"),
            templates=Sum("template_id"),
        ),
        "ratings": Rating.objects.filter(review__in=reviews).aggregate(
            count=Count("pk"), levels=Sum("level_id"), set=Max("set_at")
        ),
        "meetings": meetings.aggregate(count=Count("pk"), versions=Sum("version")),
        "items": MeetingItem.objects.filter(review__in=reviews).aggregate(
            count=Count("pk"), recorded=Max("recorded_at")
        ),
        "remedies": RemedyAction.objects.filter(review__in=reviews).aggregate(
            count=Count("pk"),
            done=Count("pk", filter=Q(status=RemedyAction.Status.DONE)),
        ),
        # Few and short: their reasons are printed, so they are hashed whole.
        "exemptions": list(
            StepExemption.objects.filter(review__in=reviews)
            .order_by("pk")
            .values_list("pk", "kind", "reason")
        ),
    }
    canonical = json.dumps(state, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def file_name(kind, cycle, review=None, organization=None):
    if review is not None:
        subject = review.subject_name
    elif kind in ORGANIZATION_KINDS:
        subject = organization.name
    else:
        subject = cycle.superior.name
    slug = slugify(fold(f"{FILE_TITLES[kind]} {subject} {cycle.year}"))[:120]
    extension = "zip" if kind in BATCH_KINDS else "pdf"
    return f"{slug.strip('-')}.{extension}"


def job_file_name(job):
    return file_name(job.kind, job.cycle, job.review, job.organization)


# The file field holds 100 characters: "reports/2026/12/", the name, and the
# suffix storage adds to a name already taken. The download keeps the full name.
STORED_STEM_LENGTH = 60


def stored_file_name(job):
    stem, dot, extension = job_file_name(job).rpartition(".")
    return f"{stem[:STORED_STEM_LENGTH].rstrip('-')}{dot}{extension}"


# Requests -------------------------------------------------------------------


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
    from .. import background

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


# Stuck jobs -----------------------------------------------------------------


def stale_after():
    return timedelta(seconds=settings.REPORT_JOB_STALE_SECONDS)


def last_sent(job):
    return job.started_at or job.created_at


def last_progress(job):
    """When the job last moved: its claim, or the newest part of its ZIP."""
    latest = last_sent(job)
    if job.kind not in BATCH_KINDS:
        return latest
    folder = parts_folder(job)
    try:
        files = default_storage.listdir(folder)[1]
    except OSError:
        return latest
    for name in files:
        try:
            latest = max(latest, default_storage.get_modified_time(f"{folder}/{name}"))
        except OSError:
            continue  # deleted meanwhile
    return latest


def is_stale(job, now=None):
    """A running job with no progress for REPORT_JOB_STALE_SECONDS.

    No task runs longer than the hard time limit, and the broker hands a lost
    one out again within the visibility timeout, both shorter than that.
    """
    limit = (now or timezone.now()) - stale_after()
    return last_sent(job) < limit and last_progress(job) < limit


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


# The worker's side ----------------------------------------------------------


def claim(job_id, redelivered=False):
    """Take the job; return the claim token, or None if it is not to be run.

    A pending job is taken. A running one is taken only from a message the
    broker handed out again (`redelivered`: its worker was lost) or when it is
    stale; a second message for a job that is running well leaves it alone.
    """
    token = timezone.now()
    job = ReportJob.objects.filter(pk=job_id).first()
    if job is None or job.status not in (Status.PENDING, Status.RUNNING):
        return None
    jobs = ReportJob.objects.filter(pk=job_id, status=job.status)
    if job.status == Status.RUNNING:
        if not (redelivered or is_stale(job, token)):
            return None
        jobs = jobs.filter(started_at=job.started_at)
    claimed = jobs.update(status=Status.RUNNING, started_at=token, progress=0, error="")
    return token if claimed else None


def parse_token(value):
    return datetime.fromisoformat(value)


def held(job_id, token):
    return ReportJob.objects.filter(pk=job_id, status=Status.RUNNING, started_at=token)


def load(job_id):
    return ReportJob.objects.select_related(
        "cycle__superior", "cycle__regime", "review__organization", "organization"
    ).get(pk=job_id)


def finish(job, token, content, error=""):
    """Store the file (bytes or an open file) and mark the job done, if still held."""
    stored = default_storage.save(
        job.file.field.generate_filename(job, stored_file_name(job)),
        File(content) if hasattr(content, "read") else ContentFile(content),
    )
    done = held(job.pk, token).update(
        status=Status.DONE,
        file=stored,
        progress=F("total"),
        error=error,
        finished_at=timezone.now(),
    )
    if not done:
        # Another worker reclaimed the job; its file is the one kept.
        default_storage.delete(stored)
    return bool(done)


def fail(job_id, token, reason):
    failed = held(job_id, token).update(
        status=Status.FAILED, error=reason, finished_at=timezone.now()
    )
    if failed:
        clear_parts(load(job_id))


def readable_error(error):
    """What the job page shows; a document's own refusal is already readable."""
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(error, TRANSIENT_ERRORS):
            return _(
                "The file could not be stored or the database was unavailable; "
                "please request the document again later."
            )
        return str(error) or _("Unexpected error (%(type)s).") % {
            "type": error.__class__.__name__
        }


def render_job(job_id, token, render=None):
    """Render a single document of a claimed job and finish it."""
    render = render or default_render
    job = load(job_id)
    content = render(
        job.kind, job.cycle, review=job.review, organization=job.organization
    )
    return finish(job, token, content)


# Batches --------------------------------------------------------------------


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


def parts_folder(job):
    return f"reports/parts/{job.public_id}"


def part_path(job, part):
    """Where a part is kept until the ZIP is made: one name per part."""
    kind, review_id, organization_id = part
    return f"{parts_folder(job)}/{kind}-{review_id or 0}-{organization_id or 0}.pdf"


def whole(path):
    """Whether a kept part is a whole PDF (a worker killed mid-write leaves less)."""
    try:
        with default_storage.open(path, "rb") as stored:
            stored.seek(0, io.SEEK_END)
            stored.seek(max(0, stored.tell() - 1024))
            return b"%%EOF" in stored.read()
    except OSError:
        return False


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


def counted(job_id, token):
    """The job's row, if this part still counts towards it."""
    if token is None:
        return ReportJob.objects.filter(pk=job_id)
    return held(job_id, token)


def render_part(job_id, part, render=None, token=None, index=None):
    """Render one part to storage; a non-transient failure is returned by name.

    With the claim `token`, a part of a claim that was lost is skipped.
    """
    render = render or default_render
    if isinstance(token, str):
        token = parse_token(token)
    if token is not None and not held(job_id, token).exists():
        return {"index": index, "skipped": True}
    job = load(job_id)
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
    rendered or counted again. Once the claim is lost, the rest is left.
    """
    results = []
    for index, part in items:
        stored = stored_part(job_id, part, index)
        result = stored or render_part(job_id, part, render, token, index)
        if result.get("skipped"):
            break
        results.append(result)
    return results


def stored_part(job_id, part, index):
    job = load(job_id)
    path = part_path(job, part)
    if not (default_storage.exists(path) and whole(path)):
        return None
    return {"index": index, "name": part_entry(job, part)[2], "path": path}


def part_failed(job_id, name, error, token=None, index=None):
    if isinstance(token, str):
        token = parse_token(token)
    counted(job_id, token).update(progress=F("progress") + 1)
    return {"index": index, "name": name, "error": readable_error(error)}


def flattened(results):
    """The results of single parts and of runs (a list each) as one list."""
    for result in results:
        if isinstance(result, list):
            yield from result
        else:
            yield result


def merged(results):
    """One result per part, in the parts' order: kept, rendered and failed ones."""
    found = {}
    for position, result in enumerate(flattened(results)):
        if result.get("skipped"):
            continue
        index = result.get("index")
        key = position if index is None else index
        if key not in found or ("path" in result and "path" not in found[key]):
            found[key] = result
    return [found[key] for key in sorted(found)]


def clear_parts(job):
    """Delete the parts kept for the job's ZIP."""
    folder = parts_folder(job)
    try:
        files = default_storage.listdir(folder)[1]
    except OSError:
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")


def unique(name, taken):
    """Two members of the same name get numbered files."""
    stem, dot, extension = name.rpartition(".")
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}-{number}{dot}{extension}"
    taken.add(candidate)
    return candidate


def write_zip(job_id, token, results):
    """Pack the rendered parts, list the failed ones in LOI.txt, finish the job.

    A ZIP of a claim that was lost does nothing: the parts are the new claim's.
    """
    if not held(job_id, token).exists():
        return False
    job = load(job_id)
    taken, failures = set(), []
    # Parts are copied into a file on disk, not held in memory: a cycle's ZIP
    # holds tens of thousands of them.
    with tempfile.TemporaryFile() as buffer:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for result in merged(results):
                name = unique(result["name"], taken)
                if "error" in result:
                    failures.append(f"{name}: {result['error']}")
                    continue
                with (
                    default_storage.open(result["path"], "rb") as part,
                    archive.open(name, "w") as entry,
                ):
                    shutil.copyfileobj(part, entry, ZIP_CHUNK)
            if failures:
                archive.writestr(ERRORS_ENTRY, "\n".join(failures) + "\n")
        error = ""
        if failures:
            with translation.override(settings.LANGUAGE_CODE):
                error = ngettext(
                    "%(count)d document could not be rendered:",
                    "%(count)d documents could not be rendered:",
                    len(failures),
                ) % {"count": len(failures)}
            error = "\n".join([error, *failures])
        buffer.seek(0)
        done = finish(job, token, buffer, error=error)
    if done:
        clear_parts(job)
    return done


def cycle_for_code(value):
    """A cycle by its year (the latest of that year) or its public id."""
    cycles = ReviewCycle.objects.select_related("superior", "regime")
    if str(value).isdigit():
        return cycles.filter(year=int(value)).order_by("-starts_on").first()
    try:
        return cycles.filter(public_id=value).first()
    except ValidationError:
        return None
