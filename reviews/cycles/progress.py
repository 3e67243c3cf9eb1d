"""Who may read or run a cycle, and what its pages count: each organization's
progress, the status table, the step timeline and a checklist's counts.
"""

import functools

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from kontum_review.compiled import Compiled, Many, StartsWith, key_of
from organizations.models import Organization, Role

from .. import statistics
from ..links import form_links
from ..models import Meeting, Review, ReviewCycle, StepExemption
from .scope import PARENT_KINDS, scope_organizations

Status = ReviewCycle.Status

# The deadline that closes each step, shown on the step timeline.
STEP_DEADLINES = {
    Status.DRAFT: "guidance_issued_on",
    Status.SELF_REVIEW: "self_review_due",
    Status.MEETINGS: "meetings_due",
    Status.APPRAISAL: "appraisal_due",
    Status.DECIDED: "decision_due",
    Status.PUBLISHED: "publication_due",
}


# Who may do what ------------------------------------------------------------


def cycle_roles(user, cycle):
    """(runs, reads): staff run the cycle; leaders in its tree read the overview.

    One query: the staff roles as is_cycle_staff reads them, with the leaders'.
    """
    if user.is_superuser:
        return True, True
    if not user.is_authenticated:
        return False, False
    superior = cycle.superior
    kinds = set(
        roles_lookup().all(
            user_id=user.pk,
            paths=superior.path_and_ancestor_paths,
            path=superior.path,
        )
    )
    if Role.Kind.STAFF in kinds:
        return True, True
    return False, Role.Kind.LEADER in kinds


@functools.cache
def roles_lookup():
    """cycle_roles' query, compiled once per process (kontum_review/compiled.py)
    for each depth of committee: every cycle page asks it."""
    path = Organization._meta.get_field("path")

    def make(*, user_id, paths, path):
        return (
            Role.objects.filter(
                Q(kind=Role.Kind.STAFF, organization__path__in=paths)
                | Q(kind=Role.Kind.LEADER, organization__path__startswith=path),
                user_id=user_id,
            )
            .order_by()
            .values_list("kind", flat=True)
            .distinct()
        )

    return Compiled(
        make,
        user_id=key_of(Role, "user"),
        paths=Many(path),
        path=StartsWith(path),
    )


def require_cycle_reader(user, cycle):
    """Whether the user runs the cycle; anyone else who is not a leader gets 403."""
    runs, reads = cycle_roles(user, cycle)
    if not reads:
        raise PermissionDenied
    return runs


def user_roles(user):
    """The user's roles as (kind, path, public id, name), in one query."""
    return list(
        Role.objects.filter(user=user).values_list(
            "kind",
            "organization__path",
            "organization__public_id",
            "organization__name",
        )
    )


def mark_links(user, cycles, roles):
    """Give each cycle the user's way in, from the user's roles."""
    own_forms = dict(
        Review.objects.individuals()
        .filter(member__user=user, cycle__in=cycles)
        .values_list("cycle_id", "public_id")
    )
    for cycle in cycles:
        top = cycle.superior.path
        cycle.user_runs = user.is_superuser or any(
            kind == Role.Kind.STAFF and top.startswith(path)
            for kind, path, *_rest in roles
        )
        cycle.user_reads = cycle.user_runs or any(
            kind == Role.Kind.LEADER and path.startswith(top)
            for kind, path, *_rest in roles
        )
        cycle.checklists = [
            (public_id, name)
            for kind, path, public_id, name in roles
            if kind == Role.Kind.SECRETARY and path.startswith(top)
        ]
        cycle.own_form = own_forms.get(cycle.pk)


# Reads ----------------------------------------------------------------------


def subtree_count(reviews):
    """The number of `reviews`, as a subquery correlated to an organization."""
    counted = reviews.order_by().values("cycle").annotate(count=Count("pk"))
    return Coalesce(Subquery(counted.values("count")), 0)


def with_progress(organizations, cycle):
    """Annotate each organization with its subtree's forms and its own meeting."""
    forms = Review.objects.filter(
        cycle=cycle, organization__path__startswith=OuterRef("path")
    )
    recorded = Meeting.objects.filter(
        review__cycle=cycle,
        review__kind=Review.Kind.ORGANIZATION,
        review__organization=OuterRef("pk"),
        status=Meeting.Status.DONE,
    )
    return organizations.annotate(
        forms_total=subtree_count(forms),
        forms_submitted=subtree_count(forms.filter(status=Review.Status.SUBMITTED)),
        forms_returned=subtree_count(forms.filter(status=Review.Status.RETURNED)),
        meeting_recorded=Exists(recorded),
    )


def status_table(reviews):
    """Reviews per status, collectives and individuals apart, with their shares."""
    individual = Q(kind=Review.Kind.INDIVIDUAL)
    groups = {"collectives": ~individual, "individuals": individual}
    counts = reviews.aggregate(
        **{
            f"{group}_{status}": Count("pk", filter=Q(status=status) & condition)
            for group, condition in groups.items()
            for status in Review.Status.values
        }
    )
    totals = {
        group: sum(counts[f"{group}_{status}"] for status in Review.Status.values)
        for group in groups
    }
    rows = []
    for status in Review.Status:
        row = {"status": status}
        for group in groups:
            count = counts[f"{group}_{status.value}"]
            row[group] = {
                "count": count,
                "share": statistics.share(count, totals[group]),
            }
        rows.append(row)
    return rows, totals


def cycle_steps(cycle):
    """Every state of the cycle in order, with its deadline and where the cycle is."""
    current = Status.values.index(cycle.status)
    return [
        {
            "status": status,
            "deadline": getattr(cycle, STEP_DEADLINES[status], None)
            if status in STEP_DEADLINES
            else None,
            "done": position < current,
            "current": position == current,
        }
        for position, status in enumerate(Status)
    ]


def recent_transitions(cycle, limit=10):
    """The latest changes of status, newest first, with who made them."""
    records = list(
        cycle.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )[: limit * 3]
    )
    records.reverse()
    changes = [
        record
        for previous, record in zip([None, *records], records, strict=False)
        if (previous is None and record.history_type == "+")
        or (previous is not None and previous.status != record.status)
    ]
    return changes[::-1][:limit]


def latest_job(cycle):
    return cycle.jobs.order_by("-created_at", "-pk").first()


@functools.cache
def checklist_lookup():
    """checklist_reviews' query, compiled once per process
    (kontum_review/compiled.py): building it cost the checklist some 1.5 ms."""
    reasons = StepExemption.objects.not_submitted().filter(review=OuterRef("pk"))

    def make(*, cycle_id, organization_id):
        return (
            Review.objects.filter(cycle_id=cycle_id, organization_id=organization_id)
            # The answers are the bulk of a row; the checklist shows none.
            .defer("answers", "scores")
            .select_related("meeting")
            .annotate(not_submitted_reason=Subquery(reasons.values("reason")[:1]))
            .in_meeting_order()
        )

    return Compiled(
        make,
        cycle_id=ReviewCycle._meta.pk,
        organization_id=key_of(Review, "organization"),
    )


def checklist_reviews(cycle, organization):
    """(collectives, individuals) of the organization in the cycle, in one query:
    the organization's own review before its leadership collective's, the
    members in meeting order; each with `not_submitted_reason`, the reason it
    was recorded as not submitted, or None, its status's and meeting rank's
    labels (`status_label`, `rank_label`) and its form's address (`url`)."""
    reviews = checklist_lookup().all(cycle_id=cycle.pk, organization_id=organization.pk)
    # Each label translated once, not once per row and choice as
    # get_FOO_display does.
    statuses = {value: str(label) for value, label in Review.Status.choices}
    ranks = {value: str(label) for value, label in Review.Rank.choices}
    form_url = form_links()
    collectives, individuals = [], []
    for review in reviews:
        review.status_label = statuses.get(review.status, review.status)
        review.rank_label = ranks.get(review.meeting_rank, review.meeting_rank)
        review.url = form_url(review.public_id)
        if review.kind == Review.Kind.INDIVIDUAL:
            individuals.append(review)
        else:
            collectives.append(review)
    collectives.sort(key=lambda review: review.kind != Review.Kind.ORGANIZATION)
    return collectives, individuals


def checklist_children(cycle, organization):
    """The organizations the cycle reviews directly under `organization`, with
    their progress, by path; a cell's are known to be none without a query."""
    if organization.kind not in PARENT_KINDS:
        return []
    children = scope_organizations(cycle).filter(parent=organization)
    return list(with_progress(children, cycle).order_by("path"))


def checklist_counts(reviews):
    """Forms missing (not started or draft), returned, submitted, and excused."""
    counts = {"missing": 0, "returned": 0, "submitted": 0, "excused": 0}
    for review in reviews:
        if review.status == Review.Status.SUBMITTED:
            counts["submitted"] += 1
        elif review.not_submitted_reason is not None:
            counts["excused"] += 1
        elif review.status == Review.Status.RETURNED:
            counts["returned"] += 1
        else:
            counts["missing"] += 1
    return counts
