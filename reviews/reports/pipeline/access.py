"""Which documents there are, who may ask for one, what it shows and its name.

A job is reused while the hash of what its document shows (`input_hash`) is
unchanged.
"""

import hashlib
import json

from django.core.exceptions import ValidationError
from django.db.models import (
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Sum,
)
from django.http import Http404
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kontum_review.vietnamese import fold
from organizations.models import Organization, Role

from ...access import is_cycle_staff
from ...models import (
    Meeting,
    MeetingItem,
    Rating,
    RemedyAction,
    ReportJob,
    Review,
    ReviewCycle,
    StepExemption,
)
from ...results import DECIDED_STATES, decisions_shown

Kind = ReportJob.Kind


Status = ReportJob.Status


# Bump when the documents' layout changes, so earlier files are not reused.
FORMAT_VERSION = 4


REVIEW_KINDS = {Kind.INDIVIDUAL_FORM}


ORGANIZATION_KINDS = {
    Kind.COLLECTIVE_REPORT,
    Kind.MINUTES,
    Kind.NOTIFICATION,
    Kind.ORGANIZATION_FORMS,
}


# A leadership collective's report and minutes are its own, apart from its
# organization's: these kinds take a collective review as well as an organization.
COLLECTIVE_KINDS = {Kind.COLLECTIVE_REPORT, Kind.MINUTES}


CYCLE_KINDS = {Kind.SUMMARY, Kind.CYCLE_DOCUMENTS}


BATCH_KINDS = {Kind.ORGANIZATION_FORMS, Kind.CYCLE_DOCUMENTS}


SINGLE_KINDS = [kind for kind in Kind if kind not in BATCH_KINDS]


# Readable file names, without accents so every system unpacks them alike.
FILE_TITLES = {
    Kind.INDIVIDUAL_FORM: "ban kiem diem",
    Kind.COLLECTIVE_REPORT: "bao cao kiem diem",
    Kind.MINUTES: "bien ban hoi nghi kiem diem",
    Kind.NOTIFICATION: "thong bao ket qua xep loai",
    Kind.SUMMARY: "bao cao tong hop kiem diem",
    Kind.ORGANIZATION_FORMS: "ban kiem diem",
    Kind.CYCLE_DOCUMENTS: "tai lieu kiem diem",
}


class ReportRefused(Exception):
    """The document cannot be asked for yet; the message says why."""


def subject_of(kind, review=None, organization=None):
    """The (review, organization) a job of `kind` is kept under.

    A collective report or minutes asked for from an organization's own
    collective review is the organization's document (one job for the form's
    button, the checklist and the ZIP); a leadership collective's stays its own.
    """
    if kind in COLLECTIVE_KINDS and review is not None:
        if review.kind == Review.Kind.ORGANIZATION:
            return None, review.organization
        return review, None
    return review, organization


def reviewed_subject(kind, cycle, review):
    """Whether `review` is a subject the document of `kind` is made of."""
    if review is None or review.cycle_id != cycle.pk:
        return False
    if kind in REVIEW_KINDS:
        return review.kind == Review.Kind.INDIVIDUAL
    return kind in COLLECTIVE_KINDS and review.is_collective


def check_access(user, kind, cycle, review=None, organization=None):
    """Raise 404 unless the user may read the document's subject."""
    if kind in REVIEW_KINDS or (kind in COLLECTIVE_KINDS and review is not None):
        allowed = (
            reviewed_subject(kind, cycle, review)
            and Review.objects.visible_to(user).filter(pk=review.pk).exists()
        )
    elif kind in ORGANIZATION_KINDS:
        allowed = (
            organization is not None
            and Organization.objects.visible_to(user)
            .subtree_of(cycle.superior)
            .filter(pk=organization.pk)
            .exists()
        )
    else:
        allowed = is_cycle_staff(user, cycle)
    if not allowed:
        raise Http404


def refusal(user, kind, cycle):
    """Why the document cannot be asked for yet, or "" if it can.

    A rating-result notification exists once ratings are decided, and only for
    those who may see the decisions (before publication: staff and leaders).
    """
    if kind != Kind.NOTIFICATION:
        return ""
    if cycle.status not in DECIDED_STATES:
        return _(
            "The rating-result notification can be produced only after the "
            "ratings are decided."
        )
    if cycle.pk not in decisions_shown(user, [cycle]):
        return _(
            "The rating-result notification can be produced only after the "
            "results are published."
        )
    return ""


def jobs_visible_to(user):
    """Jobs whose subject the user may read, in one query."""
    jobs = ReportJob.objects.all()
    if not user.is_authenticated:
        return jobs.none()
    if user.is_superuser:
        return jobs
    staff_roles = Role.objects.annotate(
        cycle_path=ExpressionWrapper(
            OuterRef("cycle__superior__path"), output_field=CharField()
        )
    ).filter(
        user=user,
        kind=Role.Kind.STAFF,
        cycle_path__startswith=F("organization__path"),
    )
    reviews = Review.objects.visible_to(user).values("pk")
    organizations = Organization.objects.visible_to(user).values("pk")
    return jobs.filter(
        Q(kind__in=REVIEW_KINDS | COLLECTIVE_KINDS, review__in=reviews)
        | Q(kind__in=ORGANIZATION_KINDS, organization__in=organizations)
        | Q(Exists(staff_roles), kind__in=CYCLE_KINDS)
    )


def scope_reviews(kind, cycle, review=None, organization=None):
    reviews = Review.objects.filter(cycle=cycle)
    if kind in REVIEW_KINDS:
        return reviews.filter(pk=review.pk)
    if kind in COLLECTIVE_KINDS and review is not None:
        # A leadership collective's leaders sit in the cells below it.
        return reviews.filter(organization__path__startswith=review.organization.path)
    if kind in ORGANIZATION_KINDS:
        return reviews.filter(organization__path__startswith=organization.path)
    return reviews


def input_hash(kind, cycle, review=None, organization=None):
    """Hash what the document shows; any saved change gives a new hash.

    Aggregates over the subject's reviews stand in for the hashes of a ZIP's
    parts: a part changes only if one of these figures does.
    """
    reviews = scope_reviews(kind, cycle, review, organization)
    if review is not None:
        meeting_path = review.organization.path
    elif kind in ORGANIZATION_KINDS:
        meeting_path = organization.path
    else:
        meeting_path = cycle.superior.path
    meetings = Meeting.objects.filter(
        review__cycle=cycle, review__organization__path__startswith=meeting_path
    )
    state = {
        "format": FORMAT_VERSION,
        "kind": kind,
        "cycle": [cycle.pk, cycle.name, cycle.status, cycle.regime_id],
        "subject": [
            review and [review.pk, review.subject_name],
            organization and [organization.pk, organization.name],
        ],
        "reviews": reviews.aggregate(
            count=Count("pk"),
            versions=Sum("version"),
            saved=Max("saved_at"),
            submitted=Max("submitted_at"),
            templates=Sum("template_id"),
        ),
        "ratings": Rating.objects.filter(review__in=reviews).aggregate(
            count=Count("pk"), levels=Sum("level_id"), set=Max("set_at")
        ),
        "meetings": meetings.aggregate(count=Count("pk"), versions=Sum("version")),
        "items": MeetingItem.objects.filter(review__in=reviews).aggregate(
            count=Count("pk"), recorded=Max("recorded_at")
        ),
        "remedies": RemedyAction.objects.filter(review__in=reviews).aggregate(
            count=Count("pk"),
            done=Count("pk", filter=Q(status=RemedyAction.Status.DONE)),
        ),
        # Few and short: their reasons are printed, so they are hashed whole.
        "exemptions": list(
            StepExemption.objects.filter(review__in=reviews)
            .order_by("pk")
            .values_list("pk", "kind", "reason")
        ),
    }
    canonical = json.dumps(state, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def file_name(kind, cycle, review=None, organization=None):
    if review is not None:
        subject = review.subject_name
    elif kind in ORGANIZATION_KINDS:
        subject = organization.name
    else:
        subject = cycle.superior.name
    slug = slugify(fold(f"{FILE_TITLES[kind]} {subject} {cycle.year}"))[:120]
    extension = "zip" if kind in BATCH_KINDS else "pdf"
    return f"{slug.strip('-')}.{extension}"


def job_file_name(job):
    return file_name(job.kind, job.cycle, job.review, job.organization)


# The file field holds 100 characters: "reports/2026/12/", the name, and the
# suffix storage adds to a name already taken. The download keeps the full name.
STORED_STEM_LENGTH = 60


def stored_file_name(job):
    stem, dot, extension = job_file_name(job).rpartition(".")
    return f"{stem[:STORED_STEM_LENGTH].rstrip('-')}{dot}{extension}"


def cycle_for_code(value):
    """A cycle by its year (the latest of that year) or its public id."""
    cycles = ReviewCycle.objects.select_related("superior", "regime")
    if str(value).isdigit():
        return cycles.filter(year=int(value)).order_by("-starts_on").first()
    try:
        return cycles.filter(public_id=value).first()
    except ValidationError:
        return None
