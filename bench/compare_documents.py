"""Render every kind of document to page images, or compare two sets of them.

Usage, on a database holding the demo (`seed_demo`):

    .venv/bin/python bench/compare_documents.py render /tmp/before
    # ... change the documents ...
    .venv/bin/python bench/compare_documents.py render /tmp/after
    .venv/bin/python bench/compare_documents.py compare /tmp/before /tmp/after

`render` picks the same subjects every time (the latest cycle and the latest
decided one, by primary key): forms of every template, collective reports,
minutes, notifications and summaries. Each PDF is turned into PNG pages with
`pdftoppm -r 60`. `compare` prints JSON: for each page the pixels that differ and
the largest difference of a channel, and the pages missing on either side.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontum_review.settings.dev")

RESOLUTION = 60


def subjects(forms):
    """(name, kind, cycle, subject) for each document to draw, always the same."""
    from reviews.models import Meeting, ReportJob, Review, ReviewCycle
    from reviews.results import DECIDED_STATES

    kind = ReportJob.Kind
    cycles = ReviewCycle.objects.filter(reviews__isnull=False).distinct()
    latest = cycles.order_by("-starts_on").first()
    decided = cycles.filter(status__in=DECIDED_STATES).order_by("-starts_on").first()
    if latest is None:
        sys.exit("No cycle with reviews: run seed_demo first.")
    found = []
    for cycle in dict.fromkeys(c for c in (latest, decided) if c):
        individuals = cycle.reviews.filter(kind=Review.Kind.INDIVIDUAL).order_by("pk")
        templates = (
            individuals.order_by("template_id")
            .values_list("template_id", flat=True)
            .distinct()
        )
        chosen = [individuals.filter(template_id=t).first() for t in templates]
        chosen += list(individuals.exclude(pk__in=[r.pk for r in chosen])[:forms])
        for review in chosen:
            name = f"{cycle.year}-form-{review.pk}"
            found.append((name, kind.INDIVIDUAL_FORM, cycle, {"review": review}))
        collectives = cycle.reviews.collectives().order_by("pk")
        for review in collectives[:3]:
            name = f"{cycle.year}-collective-{review.pk}"
            found.append((name, kind.COLLECTIVE_REPORT, cycle, {"review": review}))
        meetings = Meeting.objects.filter(
            review__cycle=cycle, status=Meeting.Status.DONE
        ).order_by("pk")
        for meeting in meetings.select_related("review")[:3]:
            name = f"{cycle.year}-minutes-{meeting.review_id}"
            found.append((name, kind.MINUTES, cycle, {"review": meeting.review}))
        if cycle.status in DECIDED_STATES:
            organizations = [cycle.superior] + [
                review.organization
                for review in collectives.filter(kind=Review.Kind.ORGANIZATION)
                .select_related("organization")
                .order_by("organization__path")[1:3]
            ]
            for organization in organizations:
                name = f"{cycle.year}-notification-{organization.pk}"
                subject = {"organization": organization}
                found.append((name, kind.NOTIFICATION, cycle, subject))
        found.append((f"{cycle.year}-summary", kind.SUMMARY, cycle, {}))
    return found


def render(folder, forms):
    import django

    django.setup()
    from reviews.reports.pipeline import default_render

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for name, kind, cycle, subject in subjects(forms):
        pdf = folder / f"{name}.pdf"
        pdf.write_bytes(default_render(kind, cycle, **subject))
        subprocess.run(
            ["pdftoppm", "-r", str(RESOLUTION), "-png", str(pdf), str(folder / name)],
            check=True,
        )
        names.append(name)
    print(json.dumps({"folder": str(folder), "documents": names}, indent=2))


def compare(before, after):
    from PIL import Image, ImageChops

    pages_before = {path.name for path in before.glob("*.png")}
    pages_after = {path.name for path in after.glob("*.png")}
    pages = []
    for name in sorted(pages_before & pages_after):
        one = Image.open(before / name).convert("RGB")
        other = Image.open(after / name).convert("RGB")
        if one.size != other.size:
            pages.append({"page": name, "size": [one.size, other.size]})
            continue
        difference = ImageChops.difference(one, other)
        red, green, blue = difference.split()
        strongest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
        histogram = strongest.histogram()
        changed = sum(histogram[1:])
        largest = max(value for value, count in enumerate(histogram) if count)
        pages.append({"page": name, "pixels": changed, "max_channel": largest})
    differing = [page for page in pages if page.get("pixels") or "size" in page]
    print(
        json.dumps(
            {
                "pages_compared": len(pages),
                "pages_differing": len(differing),
                "pixels_differing": sum(page.get("pixels", 0) for page in pages),
                "only_before": sorted(pages_before - pages_after),
                "only_after": sorted(pages_after - pages_before),
                "differing": differing,
            },
            indent=2,
        )
    )
    return not differing and pages_before == pages_after


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    drawing = commands.add_parser("render")
    drawing.add_argument("folder", type=Path)
    drawing.add_argument(
        "--forms", type=int, default=6, help="Forms beyond one a template."
    )
    comparing = commands.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    options = parser.parse_args()
    if options.command == "render":
        render(options.folder, options.forms)
    elif not compare(options.before, options.after):
        sys.exit(1)


if __name__ == "__main__":
    main()
