"""Time the leaders' dashboard on a province-size demo and print the figures as JSON.

Usage (PostgreSQL; the database is created, migrated and seeded on the first run):

    .venv/bin/python bench/dashboard.py --members 31000 [--repeat 20] [--url-only]

The database is kr_dash_<members> unless DATABASE_URL names another.

The dataset is the province of docs/process.md §8 (650 grassroots organizations, 1,900
cells, 31,000 members and the decided past years); a second run reuses it. The
demo `leader` reads the last decided year, first with the cache cleared before
each request, then warm. The floor is the same grouped figures from one
hand-written SQL query, timed in turn with the uncached requests. With
REDIS_URL set the cache is Redis and clearing it empties that Redis database:
give the bench a database of its own. Targets from issue 6: at most 300 ms
median uncached, 50 ms cached and 20 queries. The flags list the dashboard
links to is timed too, for each decided year (`flags_pages`). This is a
benchmark that prints, never a test.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# A database per size, as the other benches keep: kr_dash_<members>.
_size = argparse.ArgumentParser(add_help=False)
_size.add_argument("--members", type=int, default=31000)
os.environ.setdefault(
    "DATABASE_URL",
    f"postgres://postgres@127.0.0.1:5432/kr_dash_{_size.parse_known_args()[0].members}",
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontum_review.settings.dev")
# Time the page as production serves it, without the debug machinery.
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

import world  # noqa: E402  (bench/, the script's folder)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Exists, OuterRef  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from members import demo  # noqa: E402
from members.models import Member  # noqa: E402
from organizations.models import (  # noqa: E402
    GRASSROOTS_KINDS,
    Organization,
    OrganizationKind,
    Role,
)
from reviews import statistics as figures  # noqa: E402
from reviews.models import Meeting, Rating, Review, ReviewCycle  # noqa: E402

TARGETS = {"uncached_median_ms": 300, "cached_median_ms": 50, "queries": 20}

# The figures of statistics.review_rows by hand, in one pass over the cycle's
# reviews in the subtree: the meeting, the latest proposal (appraisal, else the
# meeting's) and the decision joined from the rating chain.
RATING_JOINS_SQL = """
SELECT review.organization_id, review.kind, review.is_leader, review.status,
       COALESCE(meeting.status = %(done)s, FALSE) AS meeting_done,
       COALESCE(appraised.code, proposed.code) AS proposed,
       decided.code AS decided,
       COUNT(*) AS number
FROM reviews_review AS review
JOIN organizations_organization AS organization
       ON organization.id = review.organization_id
LEFT JOIN reviews_meeting AS meeting ON meeting.review_id = review.id
LEFT JOIN reviews_rating AS appraisal
       ON appraisal.review_id = review.id AND appraisal.stage = %(appraisal)s
LEFT JOIN reviews_ratinglevel AS appraised ON appraised.id = appraisal.level_id
LEFT JOIN reviews_rating AS proposal
       ON proposal.review_id = review.id AND proposal.stage = %(meeting)s
LEFT JOIN reviews_ratinglevel AS proposed ON proposed.id = proposal.level_id
LEFT JOIN reviews_rating AS decision
       ON decision.review_id = review.id AND decision.stage = %(decision)s
LEFT JOIN reviews_ratinglevel AS decided ON decided.id = decision.level_id
WHERE review.cycle_id = %(cycle)s AND organization.path LIKE %(subtree)s
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
# The same from the outcome codes each review keeps a copy of
# (ratings.refresh_outcomes), which is what the page reads.
OUTCOME_COLUMNS_SQL = """
SELECT review.organization_id, review.kind, review.is_leader, review.status,
       COALESCE(meeting.status = %(done)s, FALSE) AS meeting_done,
       NULLIF(review.proposed_code, '') AS proposed,
       NULLIF(review.decided_code, '') AS decided,
       COUNT(*) AS number
FROM reviews_review AS review
JOIN organizations_organization AS organization
       ON organization.id = review.organization_id
LEFT JOIN reviews_meeting AS meeting ON meeting.review_id = review.id
WHERE review.cycle_id = %(cycle)s AND organization.path LIKE %(subtree)s
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""


def log(message):
    print(message, file=sys.stderr, flush=True)


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=31000)
    parser.add_argument("--grassroots", type=int, default=650)
    parser.add_argument("--cells", type=int, default=1900)
    parser.add_argument(
        "--repeat", type=int, default=20, help="Requests timed per measurement."
    )
    parser.add_argument(
        "--url-only",
        action="store_true",
        help="Prepare the dataset, print the dashboard's address and exit.",
    )
    return parser.parse_args()


def sizes():
    return {
        "grassroots": Organization.objects.filter(kind__in=GRASSROOTS_KINDS).count(),
        "cells": Organization.objects.filter(kind=OrganizationKind.CELL).count(),
        "members": Member.objects.count(),
    }


def decided_cycles():
    decided = Rating.objects.filter(
        review__cycle=OuterRef("pk"), stage=Rating.Stage.DECISION
    )
    return ReviewCycle.objects.filter(Exists(decided)).order_by("-starts_on")


def prepare_dataset(options):
    """Migrate, and seed unless the database already holds the wanted demo."""
    call_command("migrate", verbosity=0)
    wanted = {
        "grassroots": options.grassroots,
        "cells": options.cells,
        "members": options.members,
    }
    found = sizes()
    # The demo adds its named organizations to the tree asked for, so the
    # members say whether it is the wanted dataset.
    if found["members"] == options.members and decided_cycles().exists():
        log(f"Reusing the dataset: {found}.")
        return
    if Organization.objects.exists():
        sys.exit(
            f"The database holds another dataset ({found}, wanted {wanted}): "
            "drop it or point DATABASE_URL at an empty database."
        )
    log(f"Seeding {wanted}...")
    start = time.perf_counter()
    demo.seed(
        members=options.members,
        grassroots=options.grassroots,
        cells=options.cells,
        log=log,
    )
    log(f"Seeded in {time.perf_counter() - start:.0f} s.")


def timed(function, repeat, before=None, cpu=None):
    """Wall-clock milliseconds of each call; with a list as `cpu`, this
    process's CPU milliseconds of each call are appended to it."""
    samples = []
    for _ in range(repeat):
        if before:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        samples.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
    return samples


def summary(samples, cpu=None):
    ordered = sorted(samples)
    found = {
        "median_ms": round(statistics.median(ordered), 1),
        # Nearest rank: the smallest sample at or above 95% of them.
        "p95_ms": round(ordered[math.ceil(0.95 * len(ordered)) - 1], 1),
    }
    if cpu:
        # This process's CPU (Django and the client, not PostgreSQL): steadier
        # than wall-clock time on a shared machine.
        found["cpu_median_ms"] = round(statistics.median(cpu), 1)
    return found


def grouped(rows):
    """Subjects per (organization, kind, leader, status, meeting, proposed, decided)."""
    counts = Counter()
    for *key, number in rows:
        counts[tuple(key)] += number
    return counts


def floor_rows(query, cycle, root):
    params = {
        "done": Meeting.Status.DONE,
        "appraisal": Rating.Stage.APPRAISAL,
        "meeting": Rating.Stage.MEETING,
        "decision": Rating.Stage.DECISION,
        "cycle": cycle.pk,
        "subtree": root.path + "%",
    }
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def floor_queries():
    """The hand-written queries, by name."""
    queries = {"rating_joins": RATING_JOINS_SQL}
    if "decided_code" in {f.name for f in Review._meta.fields}:
        queries["outcome_columns"] = OUTCOME_COLUMNS_SQL
    return queries


def floor_checks(cycle, root):
    """Each hand-written query: its groups, and whether it gives the figures."""
    expected = grouped(tuple(r) for r in figures.review_rows(cycle, root))
    result = {}
    for name, query in floor_queries().items():
        rows = floor_rows(query, cycle, root)
        result[name] = {
            "groups": len(rows),
            "matches_review_rows": grouped(rows) == expected,
        }
    return result


def measure_page(url, leader, repeat, cycle, root):
    """Uncached and cached server time of the page, its queries uncached, and
    each floor query's time.

    Each uncached request and each floor query take turns, a round at a
    time: the machine's speed drifts from one minute to the next, and the
    ratio compares the two in the same minutes.
    """
    client = Client()
    client.force_login(leader)

    def get():
        try:
            response = client.get(url)
        except Exception as error:  # django.request has logged the traceback
            sys.exit(f"GET {url} failed: {error!r}")
        if response.status_code != 200:
            sys.exit(f"GET {url} answered {response.status_code}.")

    get()  # imports, templates and the connection warm up, untimed
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        get()
    # Count now: the next request resets the connection's query log.
    queries = len(captured)
    floors = floor_queries()
    for query in floors.values():
        floor_rows(query, cycle, root)  # warm, untimed
    page, cpu, floor = [], [], {name: [] for name in floors}
    for _ in range(repeat):
        page += timed(get, 1, before=cache.clear, cpu=cpu)
        for name, query in floors.items():
            floor[name] += timed(lambda query=query: floor_rows(query, cycle, root), 1)
    uncached = summary(page, cpu)
    get()
    cpu = []
    cached = summary(timed(get, repeat, cpu=cpu), cpu)
    floor_ms = {name: round(statistics.median(s), 1) for name, s in floor.items()}
    return uncached, cached, queries, floor_ms


def flags_pages(leader, repeat):
    """The flags list of each decided yearly cycle, as the leader reads it
    from the dashboard: median server time, queries and subjects listed."""
    client = Client()
    client.force_login(leader)
    found = []
    for cycle in decided_cycles():
        url = reverse("reviews:flags", args=[cycle.public_id])
        client.get(url)  # warm, untimed
        with CaptureQueriesContext(connection) as captured:
            body = client.get(url).content.decode()
        # Count now: the next request resets the connection's query log.
        queries = len(captured)
        samples = timed(lambda url=url: client.get(url), repeat)
        found.append(
            {
                "cycle": cycle.year,
                "median_ms": round(statistics.median(samples), 1),
                "queries": queries,
                # One cell of the years of the run a subject listed.
                "subjects": body.count('<td class="small text-nowrap">'),
            }
        )
    return found


def verdict(value, target):
    return {"value": value, "target": target, "pass": value <= target}


def main():
    options = parse_options()
    world.create_database(os.environ["DATABASE_URL"])
    prepare_dataset(options)
    # Fresh planner statistics and visibility map, as autovacuum keeps them on
    # a live database: right after a bulk import the planner would guess from
    # empty tables, and an index-only scan would still visit every row.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    cycle = decided_cycles().first()
    leader = get_user_model().objects.get(username="leader")
    root = Role.objects.get(user=leader, kind=Role.Kind.LEADER).organization
    url = f"/dashboard/?cycle={cycle.public_id}"
    if options.url_only:
        found = {"url": url, "username": "leader", "cycle": cycle.name}
        print(json.dumps(found, ensure_ascii=False))
        return
    uncached, cached, queries, floor_times = measure_page(
        url, leader, options.repeat, cycle, root
    )
    floor = floor_checks(cycle, root)
    for name, found in floor.items():
        found["median_ms"] = floor_times[name]
    floor_ms = min(f["median_ms"] for f in floor.values() if f["matches_review_rows"])
    result = {
        "database": connection.vendor,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "url": url,
        "cycle": cycle.name,
        "dataset": {
            **sizes(),
            "cycles": ReviewCycle.objects.count(),
            "decided_cycles": decided_cycles().count(),
            "reviews": cycle.reviews.count(),
            "reviews_all_cycles": Review.objects.count(),
        },
        "repeat": options.repeat,
        "uncached": uncached,
        "cached": cached,
        "queries": queries,
        "floor_ms": floor_ms,
        "floors": floor,
        "ratio": round(uncached["median_ms"] / floor_ms, 2),
        "flags_pages": flags_pages(leader, max(3, options.repeat // 4)),
        "targets": {
            "uncached_median_ms": verdict(
                uncached["median_ms"], TARGETS["uncached_median_ms"]
            ),
            "cached_median_ms": verdict(
                cached["median_ms"], TARGETS["cached_median_ms"]
            ),
            "queries": verdict(queries, TARGETS["queries"]),
        },
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
