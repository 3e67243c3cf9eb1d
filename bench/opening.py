"""Time opening a cycle (and, optionally, seeding the demo) and print JSON.

Usage (PostgreSQL; the database is created, migrated and seeded on the first
run, which `--time-seed` times):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kr_open \\
        .venv/bin/python bench/opening.py --members 31000 [--repeat 3] [--time-seed]

Opening creates every review of next year's cycle for the seeded tree, as the
opening job does (services.open_cycle): one individual review per member, the
collectives, the posts copied, the open remedy actions carried over, the tally
kept by its triggers. Each run is rolled back, so the database stays as seeded.
Targets (issue 14): ≤ 30 s at 31,000 members, ≤ 3 min at 310,000; seeding
310,000 members ≤ 10 min. This is a benchmark that prints, never a test.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kr_open")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontum_review.settings.dev")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from members.models import Member  # noqa: E402
from organizations.models import Organization  # noqa: E402
from reviews import services  # noqa: E402
from reviews.models import CycleJob, Review, ReviewCycle  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import world  # noqa: E402

TARGETS = {31_000: 30, 310_000: 180}


def log(message):
    print(message, file=sys.stderr, flush=True)


class Rollback(Exception):
    pass


def open_next_year():
    """Seconds to open a cycle after the latest one; rolled back."""
    latest = ReviewCycle.objects.select_related("regime", "superior").latest(
        "starts_on"
    )
    year = latest.year + 1
    began = time.perf_counter()
    try:
        with transaction.atomic():
            cycle = ReviewCycle.objects.create(
                name=f"Kiểm điểm năm {year}",
                year=year,
                starts_on=datetime.date(year, 1, 1),
                ends_on=datetime.date(year, 12, 31),
                regime=latest.regime,
                superior=latest.superior,
            )
            services.open_cycle(CycleJob.objects.create(cycle=cycle))
            created = Review.objects.filter(cycle=cycle).count()
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - began, created


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=31_000)
    parser.add_argument("--grassroots", type=int, default=650)
    parser.add_argument("--cells", type=int, default=1900)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--time-seed",
        action="store_true",
        help="Time the seeding (on an empty database only).",
    )
    options = parser.parse_args()
    world.create_database(os.environ["DATABASE_URL"])
    began = time.perf_counter()
    seeded_now = not _seeded()
    world.seed_once(
        options.members,
        grassroots=options.grassroots,
        cells=options.cells,
        log=log,
    )
    seed_seconds = time.perf_counter() - began if seeded_now else None
    runs = []
    for number in range(options.repeat):
        seconds, created = open_next_year()
        log(f"Opening {number + 1}: {seconds:.1f} s, {created} reviews")
        runs.append(seconds)
    target = TARGETS.get(options.members)
    figures = {
        "members": Member.objects.count(),
        "organizations": Organization.objects.count(),
        "reviews_created": created,
        "opening_median_s": round(statistics.median(runs), 3),
        "opening_runs_s": [round(s, 3) for s in runs],
        "opening_target_s": target,
        "seed_s": round(seed_seconds, 1) if seed_seconds is not None else None,
    }
    if options.time_seed and seed_seconds is None:
        figures["seed_s"] = "already seeded: drop the database to time it"
    print(json.dumps(figures, indent=2))


def _seeded():
    from django.db import connection

    return "organizations_organization" in connection.introspection.table_names() and (
        Organization.objects.exists()
    )


if __name__ == "__main__":
    main()
