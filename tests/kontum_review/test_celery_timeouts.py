"""The broker's visibility timeout outlasts the longest task (issue 13).

Tasks are acknowledged late: Redis hands a task no worker acknowledged out
again once the visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS) has
passed, so a task still running by then would run twice. The longest a task
can run is its hard time limit: CELERY_TASK_TIME_LIMIT, or the `time_limit`
of the task itself, read here off the Celery app's registered tasks. A job
with no progress is claimed again after JOB_STALE_SECONDS, which the settings
derive from the visibility timeout: the broker has had its chance by then.
"""

import json
import os
import subprocess
import sys

from celery import Celery
from django.conf import settings
from django.test import SimpleTestCase

from kontum_review.celery import app

from .test_settings import ROOT, SERVICE_VARIABLES

# A worker scans for messages past their visibility timeout about this often;
# a job is stale only once a lost task had its redelivery (settings/base.py).
REDELIVERY_SCAN_SECONDS = 100

# Tasks that must be among the registered ones: the discovery worked.
KNOWN_TASKS = {
    "organizations.tasks.import_task",
    "reviews.tasks.open_cycle_task",
    "reviews.tasks.sweep_jobs_task",
    "reviews.reports.tasks.render_report_task",
}


def registered_tasks(celery_app):
    """The app's own tasks (not Celery's), each module of tasks imported."""
    celery_app.loader.import_default_modules()
    return {
        name: task
        for name, task in celery_app.tasks.items()
        if not name.startswith("celery.")
    }


def time_limits(celery_app):
    """The hard time limit each task runs under, in seconds (None: none)."""
    default = celery_app.conf.task_time_limit
    return {
        name: task.time_limit if task.time_limit is not None else default
        for name, task in registered_tasks(celery_app).items()
    }


def assert_visibility_fits(test, celery_app):
    """Every task has a hard time limit, and the visibility timeout is longer."""
    visibility = celery_app.conf.broker_transport_options["visibility_timeout"]
    limits = time_limits(celery_app)
    test.assertTrue(limits, "no task registered")
    unlimited = sorted(name for name, limit in limits.items() if limit is None)
    test.assertEqual(unlimited, [], "tasks without a hard time limit")
    too_long = {name: limit for name, limit in limits.items() if limit >= visibility}
    test.assertEqual(
        too_long,
        {},
        f"tasks that may still run when the broker hands them out again "
        f"(visibility timeout {visibility} s)",
    )


class VisibilityTimeoutTests(SimpleTestCase):
    def test_the_tasks_are_those_of_the_project(self):
        self.assertLessEqual(KNOWN_TASKS, set(registered_tasks(app)))

    def test_the_visibility_timeout_outlasts_every_task(self):
        assert_visibility_fits(self, app)
        visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
        self.assertEqual(
            app.conf.broker_transport_options["visibility_timeout"], visibility
        )
        self.assertGreater(visibility, max(time_limits(app).values()))

    def test_a_task_whose_time_limit_outlasts_the_visibility_timeout_fails(self):
        visibility = app.conf.broker_transport_options["visibility_timeout"]
        probe = Celery("probe", set_as_current=False)
        probe.conf.broker_transport_options = {"visibility_timeout": visibility}
        probe.conf.task_time_limit = visibility - 60

        @probe.task(name="probe.fits", shared=False)
        def fits():
            pass

        assert_visibility_fits(self, probe)

        @probe.task(name="probe.too_long", time_limit=visibility + 1, shared=False)
        def too_long():
            pass

        with self.assertRaisesRegex(AssertionError, "probe.too_long"):
            assert_visibility_fits(self, probe)

    def test_a_job_is_stale_only_after_a_lost_task_was_handed_out_again(self):
        visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
        for name in ("JOB_STALE_SECONDS", "REPORT_JOB_STALE_SECONDS"):
            with self.subTest(name):
                self.assertGreaterEqual(
                    getattr(settings, name), visibility + REDELIVERY_SCAN_SECONDS
                )


TIMEOUT_VARIABLES = {
    "CELERY_TASK_TIME_LIMIT",
    "CELERY_TASK_SOFT_TIME_LIMIT",
    "CELERY_VISIBILITY_TIMEOUT",
    "JOB_STALE_SECONDS",
    "REPORT_JOB_STALE_SECONDS",
}
SHOW_TIMEOUTS = """
import django, json
django.setup()
from django.conf import settings
from kontum_review.celery import app
print(json.dumps({
    "time_limit": app.conf.task_time_limit,
    "visibility": app.conf.broker_transport_options["visibility_timeout"],
    "stale": settings.JOB_STALE_SECONDS,
    "report_stale": settings.REPORT_JOB_STALE_SECONDS,
}))
"""


class DerivedTimeoutTests(SimpleTestCase):
    """The defaults follow the time limit, as the settings say: the
    visibility timeout the limit plus 120 s, a job stale 120 s after that."""

    def timeouts(self, **environment):
        """The timeouts of the development settings in a fresh process, with
        none of the timeout variables set but `environment`."""
        unset = SERVICE_VARIABLES | TIMEOUT_VARIABLES
        env = {k: v for k, v in os.environ.items() if k not in unset}
        env.update(DJANGO_SETTINGS_MODULE="kontum_review.settings.dev", **environment)
        result = subprocess.run(
            [sys.executable, "-c", SHOW_TIMEOUTS],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def test_the_defaults(self):
        self.assertEqual(
            self.timeouts(),
            {"time_limit": 360, "visibility": 480, "stale": 600, "report_stale": 600},
        )

    def test_a_longer_time_limit_lengthens_the_visibility_timeout_and_staleness(self):
        self.assertEqual(
            self.timeouts(CELERY_TASK_TIME_LIMIT="3600"),
            {
                "time_limit": 3600,
                "visibility": 3720,
                "stale": 3840,
                "report_stale": 3840,
            },
        )

    def test_a_visibility_timeout_set_apart_moves_staleness_with_it(self):
        self.assertEqual(self.timeouts(CELERY_VISIBILITY_TIMEOUT="7200")["stale"], 7320)
