"""The benchmark scripts still run against the app as it is (issue 14).

The README's figures come from the scripts in bench/, run by hand at a
province's size. Here each runs once at a tiny size on a database of its own,
seeded by the script as on a first run, and must print its JSON. The figures
themselves are not judged: they are benchmarks, never timed tests. A script
left behind by a change (a renamed function, a header the export now writes in
Vietnamese) fails here instead of on the day someone measures.
"""

import json
import os
import platform
import subprocess
import sys
import unittest
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.db import connection
from django.test import SimpleTestCase
from psycopg import sql

from ..worker import ROOT

# A small demo with every part of a year: six grassroots organizations of
# two cells, enough wards among them for a restructuring to merge one and to
# move and rename cells in three others.
TREE = ["--grassroots", "6", "--cells", "12"]
MEMBERS = "180"
# A Redis database no test's worker listens to (render_reports starts its own).
REDIS_URL = "redis://127.0.0.1:6379/13"


def server_url(name):
    """The test server's address, for the database `name`."""
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{name}"


def on_server(url, statement):
    """Run `statement` on the server of `url`, naming its database."""
    parts = urlsplit(url)
    with (
        psycopg.connect(
            urlunsplit(parts._replace(path="/postgres")), autocommit=True
        ) as server,
        server.cursor() as cursor,
    ):
        cursor.execute(
            sql.SQL(statement).format(sql.Identifier(parts.path.lstrip("/")))
        )


def drop_database(url):
    on_server(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)")


@unittest.skipUnless(connection.vendor == "postgresql", "the benches need PostgreSQL")
class BenchScriptTests(SimpleTestCase):
    def run_bench(self, script, *args, database, **env):
        """The JSON the script prints, run on a new empty database of its own."""
        url = server_url(database)
        drop_database(url)
        on_server(url, "CREATE DATABASE {}")
        self.addCleanup(drop_database, url)
        return self.run_script(script, *args, url=url, **env)

    def run_script(self, script, *args, url, **env):
        environment = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "kontum_review.settings.dev",
            **env,
        }
        done = subprocess.run(
            [sys.executable, f"bench/{script}", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        return json.loads(done.stdout)

    def test_dashboard(self):
        found = self.run_bench(
            "dashboard.py",
            "--members",
            MEMBERS,
            *TREE,
            "--repeat",
            "2",
            database="kr_smoke_dashboard",
        )
        self.assertGreater(found["uncached"]["median_ms"], 0)
        self.assertGreater(found["floor_ms"], 0)
        # The flags list of each decided year, with the page's query count.
        self.assertTrue(found["flags_pages"])
        self.assertTrue(all(page["queries"] > 0 for page in found["flags_pages"]))
        # A restructuring of the same tree, rolled back.
        found = self.run_script(
            "restructure.py",
            "--wards",
            "1",
            "--repeat",
            "1",
            url=server_url("kr_smoke_dashboard"),
        )
        self.assertGreater(found["apply"]["queries"], 0)

    def test_pages(self):
        url = server_url("kr_smoke_pages")
        found = self.run_bench(
            "pages.py",
            "--members",
            MEMBERS,
            *TREE,
            "--repeat",
            "2",
            "--database-url",
            url,
            database="kr_smoke_pages",
        )
        self.assertEqual(
            set(found["pages"]),
            {
                "checklist",
                "member form",
                "member form, secretary",
                "collective form",
                "meeting",
                "autosave",
            },
        )
        self.assertLessEqual(found["pages"]["autosave"]["queries"], 7)

    def test_imports(self):
        found = self.run_bench(
            "imports.py",
            "--rows",
            "60",
            "--members",
            MEMBERS,
            "--repeat",
            "1",
            "--database-url",
            server_url("kr_smoke_imports"),
            database="kr_smoke_imports",
        )
        self.assertEqual(found["rows"], 60)

    def test_opening(self):
        found = self.run_bench(
            "opening.py",
            "--members",
            MEMBERS,
            *TREE,
            "--repeat",
            "1",
            database="kr_smoke_opening",
        )
        self.assertGreater(found["reviews_created"], 0)
        self.assertGreater(found["opening_median_s"], 0)

    def test_load(self):
        found = self.run_bench(
            "load.py",
            "--members",
            MEMBERS,
            "--users",
            "4",
            "--run-time",
            "5",
            "--spawn-rate",
            "4",
            "--port",
            "8399",
            "--database-url",
            server_url("kr_smoke_load"),
            database="kr_smoke_load",
        )
        self.assertGreater(found["pages"]["requests"], 0)
        self.assertEqual(found["pages"]["errors"], 0, found["error_messages"])

    def test_render_reports(self):
        found = self.run_bench(
            "render_reports.py",
            "--members",
            "100",
            "--forms",
            "2",
            "--by-kind",
            "--processes",
            "1",
            database="kr_smoke_reports",
            REDIS_URL=REDIS_URL,
        )
        self.assertGreater(found["form_vs_minimal"], 0)
        self.assertIn(platform.python_version(), found["python"])
        self.assertLessEqual(
            found["form_cpu_seconds_median"], found["form_cpu_seconds_p95"]
        )
        (run,) = found["worker_runs"]
        self.assertEqual(run["processes"], 1)
        self.assertGreater(run["documents_per_second"], 0)
        # Every document of the ZIP, rendered here and by the worker.
        by_kind = found["by_kind"]
        kinds = by_kind["kinds"]
        self.assertEqual(
            sum(kind["documents"] for kind in kinds.values()), run["documents"]
        )
        self.assertEqual(by_kind["documents"], run["documents"])
        self.assertEqual(kinds["summary"]["documents"], 1)
        self.assertGreater(kinds["individual_form"]["cpu_seconds_mean"], 0)
        self.assertGreater(run["worker_overhead"], 0)
