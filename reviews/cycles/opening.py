"""Opening a cycle: the job that creates every review of the cycle (the
collectives', then one per member in batches), with the posts each review names
and the remedy actions carried over from earlier cycles."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kontum_review.vietnamese import sort_key
from members.models import Member, Post
from organizations.models import GRASSROOTS_KINDS

from .. import background, rules, statistics
from ..models import (
    CycleExclusion,
    CycleJob,
    CyclePost,
    FormTemplate,
    Review,
    ReviewCycle,
)
from .carry_over import carry_over_open_actions
from .scope import (
    grassroots_of,
    review_cell,
    scope_organizations,
    select_template,
)
from .states import TransitionRefused, blockers

BATCH = 2000
Status = ReviewCycle.Status


def request_cycle_opening(cycle, user):
    """Record the job and run it after the commit (a worker, or in-process)."""
    found = blockers(cycle, Status.SELF_REVIEW)
    if found:
        raise TransitionRefused(found)
    running = cycle.jobs.filter(
        status__in=[CycleJob.Status.PENDING, CycleJob.Status.RUNNING]
    )
    job = running.first()
    if job is None:
        job = CycleJob.objects.create(cycle=cycle, requested_by=user)
    elif not background.unheld(CycleJob).filter(pk=job.pk).exists():
        return job  # a worker holds it, or it was only just sent
    # A new request, or one asked again for an opening no worker holds (never
    # sent, or its worker lost): send it now rather than wait for the sweep.
    transaction.on_commit(
        lambda: background.start("reviews.tasks.open_cycle_task", job.pk)
    )
    return job


def open_cycle(job):
    """Create every review of the cycle; running it again creates nothing twice."""
    cycle = job.cycle
    organizations = list(scope_organizations(cycle).order_by("path"))
    by_id = {o.pk: o for o in organizations}
    grassroots_by_id = {o.pk: o for o in organizations if o.kind in GRASSROOTS_KINDS}
    # Members of a Party group (tổ đảng) are reviewed in the cell above it.
    members = list(
        Member.objects.filter(organization__path__startswith=cycle.superior.path)
        .exclude(organization=cycle.superior)
        .select_related("organization")
        .order_by("pk")
    )
    beat(job, total=len(members) + len(organizations))

    collective_template = select_template(cycle, FormTemplate.Audience.COLLECTIVE)
    create_collective_reviews(cycle, organizations, collective_template, members, by_id)
    leadership = {
        r.organization_id: r for r in cycle.reviews.filter(kind=Review.Kind.LEADERSHIP)
    }
    beat(job, progress=len(organizations))

    templates = {
        False: select_template(cycle, FormTemplate.Audience.MEMBER),
        True: select_template(cycle, FormTemplate.Audience.LEADER),
    }
    done = set(
        cycle.reviews.filter(member__isnull=False).values_list("member_id", flat=True)
    )
    excluded = set(cycle.exclusions.values_list("member_id", flat=True))
    posts = posts_held(cycle)
    for start in range(0, len(members), BATCH):
        batch = members[start : start + BATCH]
        reviews, exclusions = [], []
        for member in batch:
            if not member.is_reviewable:
                if member.pk not in excluded:
                    exclusions.append(
                        CycleExclusion(
                            cycle=cycle,
                            member=member,
                            organization_id=member.organization_id,
                            reason=member.status,
                            note=member.status_note,
                        )
                    )
                continue
            if member.pk in done:
                continue
            cell = review_cell(member.organization, by_id)
            if cell is None:
                continue
            grassroots = grassroots_of(cell, grassroots_by_id)
            reviews.append(
                Review(
                    cycle=cycle,
                    kind=Review.Kind.INDIVIDUAL,
                    organization=cell,
                    member=member,
                    leadership_review=leadership.get(grassroots.pk)
                    if member.is_leader and grassroots
                    else None,
                    template=templates[member.is_leader],
                    subject_name=member.full_name,
                    party_post=member.party_post,
                    government_post=member.government_post,
                    mass_post=member.mass_post,
                    workplace=member.workplace,
                    is_leader=member.is_leader,
                    meeting_rank=meeting_rank_in(posts, member.pk, cell.pk),
                    sort_key=member.sort_key,
                )
            )
        with transaction.atomic():
            Review.objects.bulk_create(reviews, ignore_conflicts=True)
            CycleExclusion.objects.bulk_create(exclusions, ignore_conflicts=True)
            carry_over_open_actions(cycle, [r.member_id for r in reviews])
            copy_posts(cycle, posts, [r.member_id for r in reviews])
        # Bulk writes send no signals.
        statistics.invalidate(cycle.pk)
        beat(job, progress=len(organizations) + start + len(batch))


def beat(job, **values):
    """Write an opening's progress with its heartbeat (see background.claim)."""
    CycleJob.objects.filter(pk=job.pk).update(updated_at=timezone.now(), **values)


def posts_held(cycle, day=None):
    """Member id → [(organization id, post kind)] held on `day` (today), by the
    tree's members in the tree's organizations."""
    found = {}
    rows = (
        Post.objects.held_on(day or timezone.localdate())
        .filter(
            member__organization__path__startswith=cycle.superior.path,
            organization__path__startswith=cycle.superior.path,
        )
        .order_by("pk")
        .values_list("member_id", "organization_id", "kind")
    )
    for member_id, organization_id, kind in rows:
        found.setdefault(member_id, []).append((organization_id, kind))
    return found


def meeting_rank_in(posts, member_id, organization_id):
    """A member's order in the meeting of `organization_id`, from the posts
    they hold there (`posts` as posts_held gives them)."""
    return rules.meeting_rank(
        kind for held_in, kind in posts.get(member_id, ()) if held_in == organization_id
    )


def copy_posts(cycle, posts, member_ids):
    """The cycle's posts of these members: their reviews name the holders."""
    member_ids = [pk for pk in member_ids if pk in posts]
    reviews = dict(
        cycle.reviews.filter(
            member__in=member_ids, kind=Review.Kind.INDIVIDUAL
        ).values_list("member_id", "pk")
    )
    CyclePost.objects.bulk_create(
        [
            CyclePost(
                cycle=cycle,
                review_id=reviews[member_id],
                organization_id=org,
                kind=kind,
            )
            for member_id in member_ids
            if member_id in reviews
            for org, kind in posts.get(member_id, ())
        ],
        ignore_conflicts=True,
    )


def create_collective_reviews(cycle, organizations, template, members, by_id):
    """One review per organization, and one per leadership collective with leaders."""
    existing = set(
        cycle.reviews.filter(member__isnull=True).values_list("organization_id", "kind")
    )
    grassroots_by_id = {o.pk: o for o in organizations if o.kind in GRASSROOTS_KINDS}
    with_leaders = set()
    for member in members:
        cell = review_cell(member.organization, by_id)
        if member.is_leader and member.is_reviewable and cell:
            grassroots = grassroots_of(cell, grassroots_by_id)
            if grassroots:
                with_leaders.add(grassroots.pk)
    reviews = []
    for organization in organizations:
        wanted = [(Review.Kind.ORGANIZATION, organization.name, Review.Rank.COLLECTIVE)]
        if organization.pk in with_leaders:
            name = _("Leadership collective – %(name)s") % {"name": organization.name}
            wanted.append((Review.Kind.LEADERSHIP, name, Review.Rank.COLLECTIVE))
        for kind, name, rank in wanted:
            if (organization.pk, kind) in existing:
                continue
            reviews.append(
                Review(
                    cycle=cycle,
                    kind=kind,
                    organization=organization,
                    template=template,
                    subject_name=name,
                    meeting_rank=rank,
                    sort_key=sort_key(name),
                )
            )
    Review.objects.bulk_create(reviews, ignore_conflicts=True)
    carry_over_open_actions(cycle)
    statistics.invalidate(cycle.pk)
