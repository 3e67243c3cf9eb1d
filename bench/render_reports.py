"""Time the PDF documents and print the figures as JSON.

Usage (PostgreSQL and Redis; the database is created, migrated and seeded with
`--members` on the first run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kr_reports \\
    REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/render_reports.py --members 2000 [--forms 30]

Three figures (issue 14):

- one individual form, database to PDF, against bare WeasyPrint on a minimal
  three-page A4 form (one paragraph style, no stylesheet or fonts of ours), both
  in CPU seconds of this process, medians of interleaved runs; target ≤ 1.5×;
- the province-size summary, once;
- with `--by-kind`, every document of the cycle's ZIP rendered in this process,
  CPU seconds per kind (forms, collective reports, minutes, notifications,
  the summary): what the worker's time is made of, before Celery, storage and
  the ZIP add theirs (`worker_overhead` in each worker run);
- documents a second through a real `celery worker` with 1 and then 2 processes:
  the ZIP of every document of the latest cycle, from the request to the stored
  file, and that rate extrapolated to the 34,067 documents of the province's
  cycle (target ≤ 20 min on two cores).

Give the bench a Redis database no other worker listens to: a worker of another
database would take its messages. This is a benchmark that prints, never a test.
"""

import argparse
import functools
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kr_reports")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontum_review.settings.dev")
os.environ.setdefault("DEBUG", "false")
MEDIA_ROOT = os.environ.setdefault(
    "MEDIA_ROOT", tempfile.mkdtemp(prefix="kr-bench-media-")
)

import django  # noqa: E402

django.setup()

import weasyprint  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from organizations.models import Organization  # noqa: E402
from reviews.models import ReportJob, Review, ReviewCycle  # noqa: E402
from reviews.reports import pipeline  # noqa: E402
from reviews.reports.pipeline.batches import batch_plan, part_entry  # noqa: E402

Kind = ReportJob.Kind
PROVINCE_DOCUMENTS = 34_067
TARGETS = {"form_vs_minimal": 1.5, "province_cycle_minutes": 20}
PARAGRAPH = (
    "Thực hiện nghiêm túc các nhiệm vụ được giao, giữ gìn phẩm chất đạo đức, "
    "lối sống; đoàn kết, gương mẫu trong công tác và sinh hoạt chi bộ. "
) * 4
# Three A4 pages with WeasyPrint's default font, size and margins.
MINIMAL_FORM = (
    "<!DOCTYPE html><html lang=vi><head><meta charset=utf-8>"
    "<style>@page { size: A4 }</style></head><body>"
    "<h1>Bản kiểm điểm cá nhân</h1>" + f"<p>{PARAGRAPH}</p>" * 12 + "</body></html>"
)
WORKER_WAIT_SECONDS = 3600


def log(message):
    print(message, file=sys.stderr, flush=True)


def prepare(members):
    call_command("migrate", verbosity=0)
    if Organization.objects.exists():
        return
    log(f"Seeding {members} members (once)…")
    # Its summary goes with the log, so that the output is the JSON alone.
    call_command("seed_demo", members=members, verbosity=0, stdout=sys.stderr)


def latest_cycle():
    cycle = (
        ReviewCycle.objects.filter(reviews__isnull=False)
        .distinct()
        .select_related("superior", "regime")
        .order_by("-starts_on")
        .first()
    )
    if cycle is None:
        sys.exit("No cycle with reviews: run seed_demo first.")
    return cycle


def cpu_seconds(work):
    start = time.process_time()
    work()
    return time.process_time() - start


def form_figures(cycle, forms):
    """Medians of interleaved runs: our form from the database, the minimal form."""
    reviews = list(
        Review.objects.filter(cycle=cycle, kind=Review.Kind.INDIVIDUAL)
        .select_related("organization")
        .order_by("pk")[:forms]
    )

    def ours(review):
        return lambda: pipeline.default_render(
            Kind.INDIVIDUAL_FORM, cycle, review=review
        )

    def minimal():
        weasyprint.HTML(string=MINIMAL_FORM).write_pdf()

    # The first of each sets up what a worker process keeps (fonts, templates).
    ours(reviews[0])()
    minimal()
    form, bare = [], []
    for review in reviews:
        form.append(cpu_seconds(ours(review)))
        bare.append(cpu_seconds(minimal))
    pages = len(weasyprint.HTML(string=MINIMAL_FORM).render().pages)
    form_median, bare_median = statistics.median(form), statistics.median(bare)
    return {
        "forms": len(form),
        "form_cpu_seconds_median": round(form_median, 4),
        # Nearest rank: the smallest sample at or above 95% of them.
        "form_cpu_seconds_p95": round(sorted(form)[math.ceil(0.95 * len(form)) - 1], 4),
        "minimal_form_pages": pages,
        "minimal_form_cpu_seconds_median": round(bare_median, 4),
        "form_vs_minimal": round(form_median / bare_median, 2),
        "target_form_vs_minimal": TARGETS["form_vs_minimal"],
    }


def kind_figures(cycle):
    """CPU seconds of each document of the cycle's ZIP, rendered here, by kind."""
    job = ReportJob(kind=Kind.CYCLE_DOCUMENTS, cycle=cycle)
    seconds = {}
    for part, _organization in batch_plan(job):
        review, organization, _name = part_entry(job, part)
        render = functools.partial(
            pipeline.default_render,
            part[0],
            cycle,
            review=review,
            organization=organization,
        )
        seconds.setdefault(part[0], []).append(cpu_seconds(render))
    every = [value for values in seconds.values() for value in values]
    return {
        "documents": len(every),
        "cpu_seconds_per_document": round(statistics.mean(every), 4),
        "kinds": {
            kind: {
                "documents": len(values),
                "cpu_seconds_mean": round(statistics.mean(values), 4),
                "cpu_seconds_median": round(statistics.median(values), 4),
                "cpu_seconds": round(sum(values), 1),
            }
            for kind, values in seconds.items()
        },
    }


def summary_seconds(cycle):
    start = time.perf_counter()
    pipeline.default_render(Kind.SUMMARY, cycle)
    return round(time.perf_counter() - start, 3)


def start_worker(processes):
    settings = connection.settings_dict
    database = (
        f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/"
        f"{settings['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": database, "MEDIA_ROOT": MEDIA_ROOT}
    command = [
        sys.executable, "-m", "celery", "-A", "kontum_review", "worker",
        "--pool=prefork", f"--concurrency={processes}", "--loglevel=warning",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    log_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop_worker
    worker = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
    )
    return worker, log_file


def cpu_of(pid):
    """CPU seconds of a process and of its children, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) / ticks
    return own + sum(cpu_of(int(child)) for child in children)


def stop_worker(worker, log_file):
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
    log_file.seek(0)
    output = log_file.read().decode(errors="replace")
    log_file.close()
    return output


def worker_run(cycle, processes):
    """Documents a second for the cycle's ZIP through a worker of `processes`."""
    from reviews.reports.tasks import render_report_task

    worker, log_file = start_worker(processes)
    time.sleep(5)  # the pool is up before the clock starts
    idle_cpu = cpu_of(worker.pid)
    job = ReportJob.objects.create(
        kind=Kind.CYCLE_DOCUMENTS, cycle=cycle, input_hash=f"bench-{uuid.uuid4()}"
    )
    start = time.perf_counter()
    render_report_task.delay(job.pk)
    deadline = start + WORKER_WAIT_SECONDS
    while time.perf_counter() < deadline:
        job.refresh_from_db()
        if job.is_finished or worker.poll() is not None:
            break
        time.sleep(0.5)
    elapsed = time.perf_counter() - start
    # The worker's own CPU time says what the rate would be on idle cores
    # (this machine is shared: the wall clock also counts other people's work).
    worker_cpu = cpu_of(worker.pid) - idle_cpu
    output = stop_worker(worker, log_file)
    if job.status != ReportJob.Status.DONE:
        sys.exit(f"The job did not finish ({job.status}): {job.error}\n{output}")
    size = job.file.size
    job.file.delete()
    job.delete()
    rate = job.total / elapsed
    return {
        "processes": processes,
        "documents": job.total,
        "seconds": round(elapsed, 1),
        "documents_per_second": round(rate, 2),
        "zip_megabytes": round(size / 1e6, 1),
        "province_cycle_minutes": round(PROVINCE_DOCUMENTS / rate / 60, 1),
        "worker_cpu_seconds": round(worker_cpu, 1),
        "worker_cpu_seconds_per_document": round(worker_cpu / job.total, 3),
        # The same documents on `processes` idle cores, the worker's CPU alone.
        "province_cycle_minutes_on_idle_cores": round(
            PROVINCE_DOCUMENTS * worker_cpu / job.total / processes / 60, 1
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--forms", type=int, default=30, help="Forms timed.")
    parser.add_argument(
        "--by-kind",
        action="store_true",
        help="Also render every document of the cycle here, timed by kind.",
    )
    parser.add_argument(
        "--processes",
        type=int,
        nargs="*",
        default=[1, 2],
        help="Worker processes of each run, in order (none: no worker runs).",
    )
    options = parser.parse_args()
    prepare(options.members)
    cycle = latest_cycle()
    figures = {
        "cycle": cycle.name,
        "members_in_database": Review.objects.filter(
            cycle=cycle, kind=Review.Kind.INDIVIDUAL
        ).count(),
        "cpus": os.cpu_count(),
        # The figures depend on the interpreter's build (README, "Scaling out").
        "python": f"{platform.python_version()} {os.path.realpath(sys.executable)}",
        "load_average_before": os.getloadavg()[0],
        **form_figures(cycle, options.forms),
        "summary_seconds": summary_seconds(cycle),
    }
    log(json.dumps(figures, ensure_ascii=False))
    if options.by_kind:
        log("Rendering every document of the cycle in this process…")
        figures["by_kind"] = kind_figures(cycle)
        log(json.dumps(figures["by_kind"]))
    runs = []
    for processes in options.processes:
        log(f"Rendering the cycle's documents with {processes} worker process(es)…")
        runs.append(worker_run(cycle, processes))
        if options.by_kind:
            # The worker's CPU a document over rendering it alone: the pipeline,
            # Celery, storing the parts and the ZIP.
            run = runs[-1]
            run["worker_overhead"] = round(
                run["worker_cpu_seconds"]
                / run["documents"]
                / figures["by_kind"]["cpu_seconds_per_document"],
                2,
            )
        log(json.dumps(runs[-1]))
    figures["worker_runs"] = runs
    figures["target_province_cycle_minutes"] = TARGETS["province_cycle_minutes"]
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    shutil.rmtree(MEDIA_ROOT, ignore_errors=True)


if __name__ == "__main__":
    main()
