"""Time the member import against merely parsing its .xlsx; print JSON.

Usage (PostgreSQL; the database is created, migrated and seeded on the first run):

    .venv/bin/python bench/imports.py --rows 5000 [--repeat 3] [--profile confirm]

The file is the register as the admin exports it, half of its rows existing
members with a changed workplace and half new members in the demo's cells (one
in ten named a deputy secretary, so their posts are read). Each run, in turn:
parsing the .xlsx alone (LimitedXLSX, as the admin reads it), the admin's
preview, its confirm, and the background job (organizations/tasks.py), each
through the whole stack and rolled back afterwards, so every run sees the same
database: the tables the import writes are vacuumed before each step, as a
rolled-back write leaves its rows behind as dead ones (with autovacuum off, as
on the benchmark machine, 170 runs had left a million in the members table,
and the checks' lookups read 36,000 pages for its 6,000 members). Reported:
median seconds (wall clock, and this process's CPU time, which a busy machine
disturbs less; the database's own time is not in it), the ratio to parsing and
queries per row.
Target (issue 14): the import at most twice the parse, at any size. This is a
benchmark that prints, never a test.
"""

import argparse
import cProfile
import gc
import json
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontum_review.settings.dev")
os.environ["DEBUG"] = "false"

TARGET_RATIO = 2.0
STEPS = ("parse", "preview", "confirm", "job")


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--members", type=int, default=6000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", choices=STEPS[1:], help="Print a step's profile.")
    parser.add_argument("--sort", default="cumulative", help="The profile's order.")
    options = parser.parse_args()
    if options.database_url is None:
        options.database_url = (
            f"postgres://postgres@127.0.0.1:5432/kr_imports_{options.members}"
        )
    os.environ["DATABASE_URL"] = options.database_url
    return options


def log(message):
    print(message, file=sys.stderr, flush=True)


def member_file(rows, seed=14):
    """The .xlsx bytes of `rows` rows: half updates, half new members."""
    from members.models import Member
    from members.resources import MemberResource
    from organizations.models import Organization, OrganizationKind
    from organizations.resources import TextXLSX

    rng = random.Random(seed)
    updates = Member.objects.select_related("organization").order_by("pk")[: rows // 2]
    resource = MemberResource()
    dataset = resource.export(queryset=updates)
    # Headed by the fields' names ("workplace"), which the import reads as
    # it reads the exported headers.
    dataset.headers = resource.columns_of_headers(dataset.headers)
    workplace = dataset.headers.index("workplace")
    for number, row in enumerate(list(dataset)):
        row = list(row)
        row[workplace] = f"Tổ dân phố {number % 40 + 1}, phường Quyết Thắng"
        dataset[number] = row
    cells = list(
        Organization.objects.filter(
            kind__in=[OrganizationKind.CELL, OrganizationKind.GRASSROOTS_CELL]
        ).values_list("code", flat=True)
    )
    for number in range(rows - len(dataset)):
        values = {
            "card_number": f"9{number:07d}",
            "full_name": f"Nguyễn Văn Thử {number}",
            "gender": rng.choice(["Nam", "Nữ"]),
            "date_of_birth": f"{rng.randint(1, 28):02d}/05/19{rng.randint(50, 90)}",
            "citizen_id": f"0991{number:08d}",
            "admitted_on": "03/02/2010",
            "full_member_on": "03/02/2011",
            "standing": "Chính thức",
            "status": "Đang sinh hoạt",
            "organization": rng.choice(cells),
            "party_post": "Phó Bí thư chi bộ" if number % 10 == 0 else "",
            "is_leader": "Không",
            "workplace": "Trường Tiểu học Thắng Lợi",
            "email": "",
        }
        dataset.append([values.get(header, "") for header in dataset.headers])
    return TextXLSX().export_data(dataset)


def vacuum_written_tables():
    """Vacuum the tables an import writes, outside any transaction: the rows
    a rolled-back run wrote are dead, and stay in the tables until then."""
    from django.contrib.admin.models import LogEntry
    from django.db import connection

    from members.models import Member, Post
    from organizations.models import ImportJob

    models = [Member, Member.history.model, Post, Post.history.model, LogEntry]
    tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
    tables.append(connection.ops.quote_name(ImportJob._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")


class Bench:
    def __init__(self, data, rows):
        from django.contrib.auth import get_user_model
        from django.test import Client

        self.data = data
        self.rows = rows
        admin, _created = get_user_model().objects.get_or_create(
            username="bench-import",
            defaults={"is_staff": True, "is_superuser": True},
        )
        self.admin = admin
        self.client = Client()
        self.client.force_login(admin)

    def upload(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return SimpleUploadedFile("members.xlsx", self.data)

    def parse(self):
        from organizations.resources import read_workbook

        read_workbook(self.data)

    def forget_rows(self):
        """Drop the rows parsed before: a new upload is parsed once."""
        from django.core.cache import cache

        try:
            from organizations.resources import parsed_key
        except ImportError:
            return  # before the rows were kept (the baseline)
        cache.delete(parsed_key("xlsx", self.data))

    def preview(self):
        self.forget_rows()
        response = self.client.post(
            "/admin/members/member/import/",
            {"import_file": self.upload(), "format": "0", "resource": "0"},
        )
        if "confirm_form" not in (response.context or {}):
            result = response.context.get("result") if response.context else None
            rows = result and [(r.number, r.error) for r in result.invalid_rows[:5]]
            form = response.context.get("form") if response.context else None
            raise SystemExit(
                f"The preview refused the file: {rows} {form and form.errors}"
            )
        return response.context["confirm_form"].initial

    def confirm(self, initial):
        response = self.client.post("/admin/members/member/process_import/", initial)
        if response.status_code != 302 or "import" in response.url:
            raise SystemExit(f"The confirm failed: {response.status_code}")

    def job(self):
        from organizations import tasks
        from organizations.models import ImportJob

        # The worker parses the file itself: the request's parse is counted.
        self.forget_rows()
        job = ImportJob.objects.create(
            user=self.admin,
            register=ImportJob.Register.MEMBERS,
            file_name="members.xlsx",
            file_format="xlsx",
            data=self.data,
            language="vi",
            total=self.rows,
        )
        status = tasks.run_import(job.pk)
        if status != ImportJob.Status.DONE:
            job.refresh_from_db()
            raise SystemExit(f"The job failed: {job.message} {job.errors[:3]}")

    def timed(self, step, profile=None):
        """Seconds and queries of one step, rolled back afterwards."""
        from django.db import connection, transaction

        queries = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with transaction.atomic():
            before = self.preview() if step == "confirm" else None
            # Each step starts with no garbage left by the one before: the
            # collector would otherwise bill one step for another's objects.
            gc.collect()
            with connection.execute_wrapper(count):
                if profile is not None:
                    profile.enable()
                started = time.perf_counter()
                cpu_started = time.process_time()
                if step == "confirm":
                    self.confirm(before)
                else:
                    getattr(self, step)()
                seconds = time.perf_counter() - started
                cpu = time.process_time() - cpu_started
                if profile is not None:
                    profile.disable()
            transaction.set_rollback(True)
        return seconds, cpu, len(queries)


def main():
    options = parse_options()
    import django

    django.setup()
    from django.test.utils import override_settings, setup_test_environment

    # The test client hands the preview's context (its confirm form) back.
    setup_test_environment(debug=False)

    import world

    world.create_database(options.database_url)
    world.seed_once(options.members, log=log)
    data = member_file(options.rows)
    log(f"{options.rows} rows, {len(data) / 1024:.0f} KB")
    # Keep the whole file in the request's preview and confirm.
    with override_settings(IMPORT_BACKGROUND_ROWS=options.rows + 1):
        bench = Bench(data, options.rows)
        samples = {step: [] for step in STEPS}
        cpu_samples = {step: [] for step in STEPS}
        queries = {}
        for run in range(options.repeat):
            for step in STEPS:
                vacuum_written_tables()
                seconds, cpu, count = bench.timed(step)
                samples[step].append(seconds)
                cpu_samples[step].append(cpu)
                queries[step] = count
                log(
                    f"run {run + 1}: {step} {seconds:.2f} s "
                    f"(CPU {cpu:.2f} s), {count} queries"
                )
        if options.profile:
            vacuum_written_tables()
            profile = cProfile.Profile()
            bench.timed(options.profile, profile)
            stats = pstats.Stats(profile, stream=sys.stderr)
            stats.sort_stats(options.sort).print_stats(45)
            if os.environ.get("BENCH_CALLERS"):
                stats.print_callers(os.environ["BENCH_CALLERS"])
    medians = {step: statistics.median(values) for step, values in samples.items()}
    cpu = {step: statistics.median(values) for step, values in cpu_samples.items()}
    parse = medians["parse"]
    report = {
        "rows": options.rows,
        "members": options.members,
        "repeat": options.repeat,
        "seconds": {step: round(value, 3) for step, value in medians.items()},
        "ratio_to_parse": {
            "preview": round(medians["preview"] / parse, 2),
            "confirm": round(medians["confirm"] / parse, 2),
            "preview_and_confirm": round(
                (medians["preview"] + medians["confirm"]) / parse, 2
            ),
            "job": round(medians["job"] / parse, 2),
        },
        "cpu_seconds": {step: round(value, 3) for step, value in cpu.items()},
        "cpu_ratio_to_parse": {
            step: round(cpu[step] / cpu["parse"], 2) for step in STEPS[1:]
        },
        "queries": queries,
        "queries_per_row": {
            step: round(count / options.rows, 3)
            for step, count in queries.items()
            if step != "parse"
        },
        "target_ratio": TARGET_RATIO,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
