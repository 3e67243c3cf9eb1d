"""Packing a ZIP's rendered parts, with LOI.txt naming the failed ones."""

import shutil
import tempfile
import zipfile

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import translation
from django.utils.translation import ngettext

from .claims import finish, held, load
from .parts import clear_parts

ERRORS_ENTRY = "LOI.txt"


ZIP_CHUNK = 1024 * 1024


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
    # holds tens of thousands of them. They are stored as they are: a PDF's
    # streams are compressed already, and deflating one again took 0.8 ms of
    # CPU (one process, after every part is rendered) to save 2% of its size.
    with tempfile.TemporaryFile() as buffer:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
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
                archive.writestr(
                    ERRORS_ENTRY,
                    "\n".join(failures) + "\n",
                    compress_type=zipfile.ZIP_DEFLATED,
                )
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
