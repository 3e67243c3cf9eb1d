"""The secretaries' and members' journeys, for locust; bench/load.py runs it.

Each simulated user takes its own account from the JSON file that
KONTUM_LOAD_ACCOUNTS names (written by bench/load.py), logs in once, then
loops over its journey:

- a secretary opens the cell's checklist, a member's form, the collective's
  form and the collective's meeting page;
- a member opens their own form and autosaves a section as htmx does, with
  the version each save returns.

The journeys start, and the pages are counted, once every user has logged in;
the log-ins are reported apart. On the way out the figures are printed as
JSON, or written to the file KONTUM_LOAD_REPORT names.
This file imports no Django: it only speaks HTTP to a running server.
"""

import itertools
import json
import os
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task
from locust.stats import StatsEntry

ACCOUNTS = json.loads(Path(os.environ["KONTUM_LOAD_ACCOUNTS"]).read_text())
SECRETARIES = itertools.cycle([a for a in ACCOUNTS if a["kind"] == "secretary"])
MEMBERS = itertools.cycle([a for a in ACCOUNTS if a["kind"] == "member"])
PASSWORD = os.environ.get("KONTUM_LOAD_PASSWORD", "kontum-demo")
VERSION = re.compile(r'value="(\d+)" id="id_version"')
# Seconds of journeys to count once everyone is in; 0: until --run-time.
SECONDS = float(os.environ.get("KONTUM_LOAD_SECONDS", 0))
# The log-ins, counted apart from the pages.
LOGINS = {}


class FormFields(HTMLParser):
    """The values a browser would post from the review form."""

    def __init__(self):
        super().__init__()
        self.values = {}
        self.textarea = None
        self.select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            self.values[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self.textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self.select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.values[self.select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] += data


def form_values(html):
    parser = FormFields()
    parser.feed(html)
    return parser.values


def wait_for_everyone(environment):
    """Start the journeys once every user has logged in, and count from there.

    A log-in hashes the password (~0.5 s of a core, by design): pages opened
    while forty people log in at once would measure the hashing, not the page.
    """
    LOGINS["done"] += 1
    if LOGINS["done"] == environment.parsed_options.num_users:
        environment.stats.reset_all()
        if SECONDS:
            gevent.spawn_later(SECONDS, environment.runner.quit)
    while LOGINS["done"] < environment.parsed_options.num_users:
        gevent.sleep(0.1)


class Journey(HttpUser):
    abstract = True
    # People read and type between clicks.
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.account = self.next_account()
        page = self.client.get("/accounts/login/", name="login page")
        token = form_values(page.text).get("csrfmiddlewaretoken", "")
        with self.client.post(
            "/accounts/login/",
            {
                "username": self.account["username"],
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
            name="login",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")
        wait_for_everyone(self.environment)

    def csrf(self):
        return self.client.cookies.get("csrftoken", "")


class Secretary(Journey):
    weight = 1

    def next_account(self):
        return next(SECRETARIES)

    @task
    def journey(self):
        self.client.get(self.account["checklist"], name="checklist")
        self.client.get(random.choice(self.account["member_forms"]), name="form")
        self.client.get(self.account["collective_form"], name="collective form")
        self.client.get(self.account["meeting"], name="meeting")


class Member(Journey):
    weight = 1

    def next_account(self):
        return next(MEMBERS)

    def on_start(self):
        super().on_start()
        self.values = None

    def open_form(self):
        with self.client.get(
            self.account["form"], name="own form", catch_response=True
        ) as response:
            values = form_values(response.text)
            if "version" not in values:
                response.failure("the form is not editable")
                return None
        return values

    @task
    def journey(self):
        self.values = self.open_form()
        if self.values is None:
            return
        texts = [name for name in self.values if name.startswith("text_")]
        for _ in range(3):
            self.wait()
            name = random.choice(texts)
            self.values[name] = f"Bản tự kiểm điểm, lần sửa {random.randint(1, 10**6)}."
            self.autosave()

    def autosave(self):
        with self.client.post(
            self.account["form"],
            self.values,
            headers={
                "HX-Request": "true",
                "X-CSRFToken": self.csrf(),
                "Referer": self.client.base_url + self.account["form"],
            },
            name="autosave",
            catch_response=True,
        ) as response:
            found = VERSION.search(response.text or "")
            if response.status_code != 200 or not found:
                response.failure(f"autosave not saved ({response.status_code})")
                return
            self.values["version"] = found.group(1)


def figures(entry):
    return {
        "requests": entry.num_requests,
        "errors": entry.num_failures,
        "p50_ms": entry.get_response_time_percentile(0.5),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "p99_ms": entry.get_response_time_percentile(0.99),
        "mean_ms": round(entry.avg_response_time, 1),
    }


@events.init.add_listener
def _count_logins(environment, **kwargs):
    LOGINS["entry"] = StatsEntry(environment.stats, "login", "POST")
    LOGINS["done"] = 0


@events.request.add_listener
def _log_login(name, response_time, response_length, exception=None, **kwargs):
    if name == "login":
        LOGINS["entry"].log(response_time, response_length or 0)
        if exception:
            LOGINS["entry"].log_error(exception)


@events.quitting.add_listener
def report(environment, **kwargs):
    """Print the run's figures as JSON: each request, the pages, everything."""
    stats = environment.stats
    # The pages without the log-in, whose cost is the password hash by design.
    pages = StatsEntry(stats, "pages", "")
    for entry in stats.entries.values():
        if not entry.name.startswith("login"):
            pages.extend(entry)
    report = {
        "pages": figures(pages),
        "logins": figures(LOGINS["entry"]),
        "all": figures(stats.total),
        "requests": {
            entry.name: figures(entry)
            for entry in sorted(stats.entries.values(), key=lambda e: e.name)
            # The log-in pages, emptied when the count started, are under "logins".
            if entry.num_requests
        },
        "error_messages": {
            f"{error.method} {error.name}: {error.error}": error.occurrences
            for error in stats.errors.values()
        },
    }
    text = json.dumps(report, indent=2)
    if os.environ.get("KONTUM_LOAD_REPORT"):
        Path(os.environ["KONTUM_LOAD_REPORT"]).write_text(text)
    else:
        print(text, flush=True)
    # Failed requests are counted in the JSON; the run itself succeeded.
    environment.process_exit_code = 0
