"""A real `celery worker` process for the tests that claim one (PostgreSQL + Redis)."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from kontum_review.celery import app

ROOT = Path(__file__).resolve().parents[1]
WAIT_SECONDS = 90


def database_url():
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/"
        f"{settings['NAME']}"
    )


class CeleryWorkerMixin:
    """Start a worker on the test database; send tasks to it, not in-process."""

    def start_worker(self, pool="solo", extra_env=None, extra_args=()):
        if not getattr(self, "broker_cleared", False):
            self.clear_broker()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by addCleanup
        self.addCleanup(self.log.close)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kontum_review.settings.dev",
            "DATABASE_URL": database_url(),
            **(extra_env or {}),
        }
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kontum_review", "worker",
             f"--pool={pool}", "--concurrency=1", "--loglevel=warning",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             *extra_args],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.addCleanup(self.stop_worker)
        app.conf.task_always_eager = False
        self.addCleanup(setattr, app.conf, "task_always_eager", True)

    def clear_broker(self):
        """Start the test's first worker on an empty broker.

        A worker killed by an earlier drill leaves its task unacknowledged in
        Redis; once the visibility timeout has passed, the next worker to start
        takes it back, and a suite that runs longer than that timeout would
        feed one test's stale tasks to another's worker, ahead of its own.
        """
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
        self.broker_cleared = True

    def stop_worker(self):
        self.worker.terminate()
        try:
            self.worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.worker.kill()

    def worker_output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def wait_until(self, job, reached, pause=0.2):
        """Poll the job row until `reached(job)`; fail if the worker dies or stalls."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if reached(job):
                return job
            self.assertIsNone(self.worker.poll(), self.worker_output())
            time.sleep(pause)
        self.fail(f"no result in {WAIT_SECONDS} s:\n{self.worker_output()}")
