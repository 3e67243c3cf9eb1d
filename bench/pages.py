"""Time the secretaries' and members' pages in-process; print JSON.

Usage (PostgreSQL; the database is created, migrated and seeded on first run):

    .venv/bin/python bench/pages.py --members 31000 --grassroots 650 --cells 1900 \\
        [--repeat 30] [--profile form]

Each page is requested through Django's whole stack (middleware included) with
the test client, `--repeat` times after a warm-up, and reported as the median
and p95 server time (wall clock, and the median CPU time of this process,
which a busy machine disturbs less) with its query count. `--profile PAGE` prints the
functions the page spends its time in (cProfile, cumulative) to stderr.
The accounts and the cycle put back to self-review are bench/world.py's, as
bench/load.py uses them. Target (issue 14): at most 15 ms per page and 5
queries per autosave. This is a benchmark that prints, never a test.
"""

import argparse
import cProfile
import json
import math
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontum_review.settings.dev")
# Time the pages as production serves them, without the debug machinery.
os.environ["DEBUG"] = "false"

VERSION = re.compile(r'value="(\d+)" id="id_version"')
TARGETS = {"server_ms": 15, "autosave_queries": 5}


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=31000)
    parser.add_argument("--grassroots", type=int)
    parser.add_argument("--cells", type=int)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", help="A page's name: print its profile.")
    options = parser.parse_args()
    if options.database_url is None:
        options.database_url = (
            f"postgres://postgres@127.0.0.1:5432/kr_load_{options.members}"
        )
    return options


def log(message):
    print(message, file=sys.stderr, flush=True)


def summary(samples):
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        # Nearest rank: the smallest sample at or above 95% of them.
        "p95_ms": round(ordered[math.ceil(0.95 * len(ordered)) - 1], 1),
    }


def pages(accounts):
    """(name, username, method, url, data) for each page the journeys open."""
    secretary = next(a for a in accounts if a["kind"] == "secretary")
    member = next(a for a in accounts if a["kind"] == "member")
    return [
        ("checklist", secretary["username"], "get", secretary["checklist"]),
        ("member form", member["username"], "get", member["form"]),
        (
            "member form, secretary",
            secretary["username"],
            "get",
            secretary["member_forms"][0],
        ),
        ("collective form", secretary["username"], "get", secretary["collective_form"]),
        ("meeting", secretary["username"], "get", secretary["meeting"]),
        ("autosave", member["username"], "autosave", member["form"]),
    ]


def main():
    options = parse_options()
    os.environ["DATABASE_URL"] = options.database_url
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from world import create_database, load_accounts, seed_once

    create_database(options.database_url)
    seed_once(
        options.members, grassroots=options.grassroots, cells=options.cells, log=log
    )
    accounts = load_accounts(2, log=log)
    users = get_user_model().objects.in_bulk(field_name="username")
    clients = {}
    results = {}
    for name, username, method, url in pages(accounts):
        client = clients.get(username)
        if client is None:
            client = clients[username] = Client()
            client.force_login(users[username])
        request = page_request(client, method, url)
        for _ in range(3):
            request()
        with CaptureQueriesContext(connection) as queries:
            request()
        counted = len(queries)
        samples, cpu = [], []
        for _ in range(options.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            request()
            samples.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        results[name] = summary(samples) | {
            # This process alone: steadier than the wall clock on a busy machine.
            "cpu_median_ms": round(statistics.median(cpu), 1),
            "queries": counted,
        }
        if options.profile == name:
            profile(request)
    print(
        json.dumps(
            {"members": options.members, "targets": TARGETS, "pages": results},
            indent=2,
        )
    )


def page_request(client, method, url):
    """A callable that requests the page once and fails loudly if it is not 200."""
    if method == "get":

        def request():
            check(client.get(url), url)

        return request
    from reviews.models import Review
    from reviews.review_forms.forms import ReviewContent, ReviewForm

    public_id = url.rstrip("/").rsplit("/", 1)[-1]
    review = Review.objects.select_related("template", "cycle__regime").get(
        public_id=public_id
    )
    form = ReviewForm(content=ReviewContent.load(review))
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    text = next(name for name in form.fields if name.startswith("text_"))
    counter = iter(range(10**9))

    def request():
        data[text] = f"Bản tự kiểm điểm, lần sửa {next(counter)}."
        # Encoded as htmx posts a form without files, not as the test
        # client's default multipart.
        answer = client.post(
            url,
            urlencode(data),
            content_type="application/x-www-form-urlencoded",
            HTTP_HX_REQUEST="true",
        )
        check(answer, url)
        data["version"] = VERSION.search(answer.content.decode()).group(1)

    return request


def check(response, url):
    if response.status_code != 200:
        sys.exit(f"{url} answered {response.status_code}.")


def profile(request):
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        request()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
