"""Load-test the secretaries' and members' pages on gunicorn; print JSON.

Usage (PostgreSQL; the database is created, migrated and seeded on first run):

    .venv/bin/python bench/load.py --members 5000 --users 50 --run-time 60

This wrapper seeds the demo of `--members` into its own database (by default
kr_load_<members>), gives the load its accounts, starts gunicorn with
`--workers` sync workers (3 by default, as the image runs it) and runs
bench/locustfile.py headless with `--users` users. Once every user has
logged in, their journeys run for `--run-time` seconds; then it prints what
locust measured: p50/p95/p99 in ms and the error counts, per request and for
the pages together. The log-ins, whose password hash costs ~0.5 s of a core
by design, are reported apart.

The accounts: half the users are secretaries of a cell each, half are members
of those cells, each with their own form as a draft. The demo's current cycle
is put back to self-review, so that the forms autosave and the meetings can be
recorded: this writes to the bench database only.

To load another server, prepare the accounts and run locust yourself:

    .venv/bin/python bench/load.py --members 5000 --users 50 --accounts-only
    KONTUM_LOAD_ACCOUNTS=/tmp/kontum-load-accounts-5000.json .venv/bin/locust \\
        -f bench/locustfile.py --headless --users 50 --spawn-rate 5 \\
        --run-time 60s --host http://127.0.0.1:8000

gunicorn serves the dev settings with DEBUG off (as bench/dashboard.py times
pages): the production settings set Secure cookies, which a client speaking
plain HTTP does not send back. The template engine is the same cached one.
This is a benchmark that prints, never a test.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
# Seconds the log-ins may take before the journeys start.
LOGIN_ALLOWANCE = 300


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--run-time", type=int, default=60, help="Seconds.")
    parser.add_argument(
        "--spawn-rate", type=float, default=5, help="Users started per second."
    )
    # As the image runs gunicorn (WEB_CONCURRENCY in the Dockerfile).
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--accounts-only",
        action="store_true",
        help="Prepare the database and the accounts file, print its path, exit.",
    )
    options = parser.parse_args()
    if options.database_url is None:
        options.database_url = (
            f"postgres://postgres@127.0.0.1:5432/kr_load_{options.members}"
        )
    return options


def log(message):
    print(message, file=sys.stderr, flush=True)


def server_environment(options):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=options.database_url,
        DJANGO_SETTINGS_MODULE="kontum_review.settings.dev",
        DEBUG="false",
        # Jobs a page starts run in a thread of the web process, not in a worker.
        REDIS_URL=os.environ.get("REDIS_URL", ""),
    )
    return env


def prepare(options):
    """Seed if needed and write the accounts; return the accounts file's path."""
    os.environ.update(server_environment(options))
    import django

    django.setup()
    from world import create_database, load_accounts, seed_once

    create_database(options.database_url)
    seed_once(options.members, log=log)
    accounts = load_accounts(options.users, log=log)
    path = Path(tempfile.gettempdir()) / f"kontum-load-accounts-{options.members}.json"
    path.write_text(json.dumps(accounts, indent=1))
    return path


def wait_for(url, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn stopped with {process.returncode}.")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"gunicorn did not answer {url} within {seconds} s.")


def require_free(port):
    """Stop unless the port is free: another server answering on it would be
    load-tested in gunicorn's place, gunicorn having failed to bind."""
    with socket.socket() as probe:
        # As gunicorn binds: a port left in TIME_WAIT by the last run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            sys.exit(f"Port {port} is taken by another server: give another --port.")


def start_gunicorn(options):
    require_free(options.port)
    command = [
        str(VENV_BIN / "gunicorn"),
        "kontum_review.wsgi",
        "--workers",
        str(options.workers),
        "--bind",
        f"127.0.0.1:{options.port}",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=server_environment(options), start_new_session=True
    )
    wait_for(f"http://127.0.0.1:{options.port}/accounts/login/", process)
    return process


def run_locust(options, accounts):
    """Run the journeys; locust prints the figures as JSON on its way out."""
    command = [
        str(VENV_BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(options.users),
        "--spawn-rate",
        str(options.spawn_rate),
        # The journeys run --run-time seconds once everyone is in (the
        # locustfile stops them); this bounds the log-ins as well.
        "--run-time",
        f"{options.run_time + LOGIN_ALLOWANCE}s",
        "--host",
        f"http://127.0.0.1:{options.port}",
        "--only-summary",
    ]
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        env = dict(
            os.environ,
            KONTUM_LOAD_ACCOUNTS=str(accounts),
            KONTUM_LOAD_REPORT=str(report),
            KONTUM_LOAD_SECONDS=str(options.run_time),
        )
        # Locust's own summary goes to stderr; stdout keeps only the JSON.
        subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=sys.stderr)
        return json.loads(report.read_text())


def main():
    options = parse_options()
    accounts = prepare(options)
    if options.accounts_only:
        print(accounts)
        return
    gunicorn = start_gunicorn(options)
    try:
        measured = run_locust(options, accounts)
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
    setting = {
        "members": options.members,
        "users": options.users,
        "run_time_s": options.run_time,
        "gunicorn_workers": options.workers,
        "pages_counted_from": "every user logged in",
    }
    print(json.dumps(setting | measured, indent=2))


if __name__ == "__main__":
    main()
