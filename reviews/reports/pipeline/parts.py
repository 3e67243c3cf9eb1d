"""Where a ZIP's parts are kept until the ZIP is made: one name per part.

Their files' times are the batch's progress (`claims.last_progress`).
"""

import io

from django.core.files.storage import default_storage


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


def clear_parts(job):
    """Delete the parts kept for the job's ZIP."""
    folder = parts_folder(job)
    try:
        files = default_storage.listdir(folder)[1]
    except OSError:
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")
