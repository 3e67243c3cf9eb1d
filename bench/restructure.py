"""Time a restructuring on the demo's tree: planning (the preview) and applying.

Usage, on a database holding the demo (`seed_demo`, any size):

    .venv/bin/python bench/restructure.py [--wards 2] [--repeat 3]

The decision merges the first `--wards` grassroots committees into a new one,
moves a cell between two others and renames a third (its cells continue as new
rows). It is applied inside a transaction that is rolled back, with the current
cycle marked published for the while (a running cycle refuses a decision), so
the database is left as it was. Prints the median seconds and the queries of
each step, and how many rows and members the decision touched, as JSON.
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontum_review.settings.dev")


class RolledBack(Exception):
    pass


def main():
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from organizations import restructuring
    from organizations.models import (
        Organization,
        OrganizationKind,
        Restructuring,
        RestructuringLine,
    )
    from reviews.models import ReviewCycle

    parser = argparse.ArgumentParser()
    parser.add_argument("--wards", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    wards = list(
        Organization.objects.current()
        .filter(kind=OrganizationKind.GRASSROOTS_COMMITTEE)
        .order_by("-pk")[: options.wards + 3]
    )
    if len(wards) < options.wards + 3:
        sys.exit("Too few grassroots committees: seed a larger demo.")
    merged, (mover, receiver, renamed) = wards[: options.wards], wards[-3:]
    cell = Organization.objects.current().filter(parent=mover).first()
    user = get_user_model().objects.filter(is_superuser=True).first()
    user = user or get_user_model().objects.order_by("pk").first()
    day = datetime.date.today()
    timings = {"plan": [], "apply": []}
    counts = {}
    for _run in range(options.repeat):
        try:
            with transaction.atomic():
                ReviewCycle.objects.exclude(
                    status__in=[ReviewCycle.Status.PUBLISHED, ReviewCycle.Status.LOCKED]
                ).update(status=ReviewCycle.Status.PUBLISHED)
                decision = Restructuring.objects.create(
                    number="Bench",
                    signed_on=day,
                    issued_by="Bench",
                    effective_on=day,
                    committee=merged[0].parent,
                    created_by=user,
                )
                lines = [
                    ("merge", ward.code, "", "Đảng bộ hợp nhất", "BENCH.NEW", "")
                    for ward in merged
                ] + [
                    ("rename", renamed.code, "", f"{renamed.name} (mới)", "", ""),
                ]
                if cell is not None:
                    lines.append(("move", cell.code, "", "", "", receiver.code))
                RestructuringLine.objects.bulk_create(
                    RestructuringLine(
                        restructuring=decision,
                        number=number,
                        operation=operation,
                        code=code,
                        target_code=target,
                        new_name=name,
                        new_code=new_code,
                        parent_code=parent,
                    )
                    for number, (operation, code, target, name, new_code, parent) in (
                        enumerate(lines, start=1)
                    )
                )
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    result = restructuring.plan(decision)
                    result.touched()
                    result.member_changes()
                    result.following()
                    timings["plan"].append(time.perf_counter() - started)
                counts["plan queries"] = len(queries)
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    result = restructuring.apply(decision, user, today=day)
                    timings["apply"].append(time.perf_counter() - started)
                counts["apply queries"] = len(queries)
                counts["rows created"] = len(result.copies()) + sum(
                    1 for node in result.live() if node.is_new
                )
                counts["members moved"] = len(result.member_moves)
                raise RolledBack
        except RolledBack:
            pass
    figures = {"organizations": Organization.objects.current().count()}
    for step, values in timings.items():
        figures[step] = {
            "median_s": round(statistics.median(values), 3),
            "runs": len(values),
            "queries": counts[f"{step} queries"],
        }
    figures["rows_created"] = counts["rows created"]
    figures["members_moved"] = counts["members moved"]
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
