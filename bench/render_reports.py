"""Time the PDF documents on the current database and print the figures as JSON.

Usage (on a database holding the demo, e.g. after `seed_demo --members 30000`):

    .venv/bin/python bench/render_reports.py [--forms 20]

Targets from issue 5: an individual form at most 0.3 s median, the province-size
summary report at most 10 s. This is a benchmark that prints, never a test.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontum_review.settings.dev")

import django  # noqa: E402

django.setup()

from reviews.models import ReportJob, Review, ReviewCycle  # noqa: E402
from reviews.reports import documents  # noqa: E402


def timed(kind, cycle, **subject):
    start = time.perf_counter()
    html = documents.render_html(kind, cycle, **subject)
    pdf = documents.render_pdf(html, documents.BASE_URL)
    return time.perf_counter() - start, len(pdf)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--forms", type=int, default=20)
    options = parser.parse_args()
    cycle = (
        ReviewCycle.objects.filter(reviews__isnull=False)
        .distinct()
        .order_by("-starts_on")
        .first()
    )
    if cycle is None:
        sys.exit("No cycle with reviews: run seed_demo first.")
    reviews = list(
        Review.objects.filter(cycle=cycle, kind=Review.Kind.INDIVIDUAL).order_by("pk")[
            : options.forms
        ]
    )
    forms = [timed(ReportJob.Kind.INDIVIDUAL_FORM, cycle, review=r)[0] for r in reviews]
    summary_seconds, summary_bytes = timed(ReportJob.Kind.SUMMARY, cycle)
    print(
        json.dumps(
            {
                "cycle": cycle.name,
                "reviews_in_cycle": cycle.reviews.count(),
                "individual_form_seconds": {
                    "count": len(forms),
                    "median": round(statistics.median(forms), 3) if forms else None,
                    "p95": round(sorted(forms)[int(0.95 * (len(forms) - 1))], 3)
                    if forms
                    else None,
                    "target_median": 0.3,
                },
                "summary_seconds": round(summary_seconds, 3),
                "summary_bytes": summary_bytes,
                "summary_target": 10,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
