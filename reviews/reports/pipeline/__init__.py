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

The package's modules, each importing only those before it: `access` (the kinds,
who may ask, the input hash and file names), `parts` (where a ZIP's parts are
kept), `claims` (the claim token, staleness, finishing or failing a job),
`sending` (asking for a document, dispatch, the sweep), `batches` (a ZIP's parts
and runs), `rendering` (`default_render` and the renders of a job or part) and
`zips` (packing the ZIP). Every name is imported from `reviews.reports.pipeline`.
"""

from .access import (
    BATCH_KINDS,
    COLLECTIVE_KINDS,
    CYCLE_KINDS,
    FILE_TITLES,
    FORMAT_VERSION,
    ORGANIZATION_KINDS,
    REVIEW_KINDS,
    SINGLE_KINDS,
    STORED_STEM_LENGTH,
    Kind,
    ReportRefused,
    Status,
    check_access,
    cycle_for_code,
    file_name,
    input_hash,
    job_file_name,
    jobs_visible_to,
    refusal,
    reviewed_subject,
    scope_reviews,
    stored_file_name,
    subject_of,
)
from .batches import (
    PARTS_PER_TASK,
    batch_parts,
    batch_plan,
    part_entry,
    plan,
    plan_batch,
    plan_runs,
    runs,
    start_batch,
)
from .claims import (
    TRANSIENT_ERRORS,
    claim,
    counted,
    fail,
    finish,
    held,
    is_stale,
    last_progress,
    last_sent,
    load,
    parse_token,
    readable_error,
    stale_after,
)
from .parts import clear_parts, part_path, parts_folder, whole
from .rendering import (
    default_render,
    part_failed,
    render_job,
    render_part,
    render_parts,
    stored_part,
)
from .sending import (
    UNSENT,
    dispatch,
    note_unsent,
    request_report,
    restart,
    stuck,
    sweep,
)
from .zips import ERRORS_ENTRY, ZIP_CHUNK, flattened, merged, unique, write_zip

__all__ = [
    "BATCH_KINDS",
    "COLLECTIVE_KINDS",
    "CYCLE_KINDS",
    "ERRORS_ENTRY",
    "FILE_TITLES",
    "FORMAT_VERSION",
    "Kind",
    "ORGANIZATION_KINDS",
    "PARTS_PER_TASK",
    "REVIEW_KINDS",
    "ReportRefused",
    "SINGLE_KINDS",
    "STORED_STEM_LENGTH",
    "Status",
    "TRANSIENT_ERRORS",
    "UNSENT",
    "ZIP_CHUNK",
    "batch_parts",
    "batch_plan",
    "check_access",
    "claim",
    "clear_parts",
    "counted",
    "cycle_for_code",
    "default_render",
    "dispatch",
    "fail",
    "file_name",
    "finish",
    "flattened",
    "held",
    "input_hash",
    "is_stale",
    "job_file_name",
    "jobs_visible_to",
    "last_progress",
    "last_sent",
    "load",
    "merged",
    "note_unsent",
    "parse_token",
    "part_entry",
    "part_failed",
    "part_path",
    "parts_folder",
    "plan",
    "plan_batch",
    "plan_runs",
    "readable_error",
    "refusal",
    "render_job",
    "render_part",
    "render_parts",
    "request_report",
    "restart",
    "reviewed_subject",
    "runs",
    "scope_reviews",
    "stale_after",
    "start_batch",
    "stored_file_name",
    "stored_part",
    "stuck",
    "subject_of",
    "sweep",
    "unique",
    "whole",
    "write_zip",
]
