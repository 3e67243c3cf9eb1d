"""Past cycles: opened, rated and decided on the tree each one reviewed.

Every past cycle holds a submitted review and a decided rating for each
organization and member of that year. Levels follow a lasting merit of each
subject plus a yearly chance (decisions), so that some members stay HTXSNV five
years running and a few are KHTNV twice; within each comparison group about 90%
are HTTNV or better, HTXSNV fills the quota (docs/process.md §6, §8) and under 1%
fail. The last decided year also gets its meetings, suggestions and remedy
plans (last_year).
"""

import datetime
import random
from functools import partial
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from organizations.models import GRASSROOTS_KINDS, Organization, OrganizationKind
from reviews import services, statistics
from reviews.guards import closed_cycle_writes
from reviews.models import FormTemplate, Review

from .. import bulk
from ..models import Member
from .decisions import decide_past_cycle
from .last_year import create_focus_areas, create_remedy_actions, record_meetings


class Registered(NamedTuple):
    """What opening a past cycle reads of a reviewable member, as a tuple: the
    register read as instances cost more than the reviews written from it."""

    pk: int
    organization: Organization
    is_leader: bool
    full_name: str
    party_post: str
    government_post: str
    mass_post: str
    workplace: str
    sort_key: str
    admitted_on: datetime.date

    is_reviewable = True  # read from Member.objects.reviewable()


def registered_members(organizations):
    """The reviewable members in key order, each with its organization."""
    rows = list(
        Member.objects.reviewable()
        .order_by("pk")
        .values_list(
            "pk",
            "organization_id",
            "is_leader",
            "full_name",
            "party_post",
            "government_post",
            "mass_post",
            "workplace",
            "sort_key",
            "admitted_on",
        )
    )
    by_id = {o.pk: o for o in organizations.values()}
    missing = {row[1] for row in rows} - by_id.keys()
    by_id.update(Organization.objects.in_bulk(missing))
    return [Registered(row[0], by_id[row[1]], *row[2:]) for row in rows]


def draw_merits(seed_value, members, organizations):
    """Each member's and organization's lasting merit (see YEARLY_CHANCE)."""
    rng = random.Random(seed_value + 1)
    merits = {("member", m.pk): rng.gauss(0, 1) for m in members}
    for organization in sorted(organizations.values(), key=lambda o: o.code):
        merits["organization", organization.pk] = rng.gauss(0, 1)
    return merits


def inherit_merits(seed_value, merits, organizations):
    """An organization that continues as a new row keeps its merit (the rows
    share a lineage); one the decision created draws its own."""
    rng = random.Random(seed_value + 23)
    for organization in sorted(organizations.values(), key=lambda o: o.code):
        key = ("organization", organization.pk)
        if key not in merits:
            merits[key] = merits.get(("organization", organization.line))
            if merits[key] is None:
                merits[key] = rng.gauss(0, 1)


def create_history(seed_value, cycles, organizations, members, merits, last):
    """Open, rate and decide these past cycles on the tree they reviewed;
    `last` (the last decided year) also gets its meetings, suggestions and
    remedy plans. Returns the ratings created."""
    by_id = {o.pk: o for o in organizations.values()}
    created = 0
    # The past cycles are locked: this is a history import.
    with closed_cycle_writes():
        for cycle in cycles:
            if not cycle.reviews.exists():
                open_past_cycle(
                    cycle, [m for m in members if m.admitted_on <= cycle.ends_on]
                )
            if cycle == last:
                # Its indicators come before its decisions: they cap leaders.
                create_focus_areas(random.Random(seed_value + 13), cycle, by_id)
            written = decide_past_cycle(
                random.Random(seed_value + cycle.year), cycle, merits, by_id
            )
            created += written
            if cycle == last:
                written += record_meetings(random.Random(seed_value + 11), cycle, by_id)
            if written:
                # Bulk writes send no signals: copy the outcomes onto the reviews.
                bulk.refresh_outcomes(cycle)
    if last in cycles:
        create_remedy_actions(random.Random(seed_value + 7), last)
    # Bulk writes send no signals: drop the figures cached before this import.
    for cycle in cycles:
        transaction.on_commit(partial(statistics.invalidate, cycle.pk))
    return created


PAST_REVIEW_FIELDS = [
    "cycle_id",
    "kind",
    "organization_id",
    "member_id",
    "leadership_review_id",
    "template_id",
    "subject_name",
    "party_post",
    "government_post",
    "mass_post",
    "workplace",
    "is_leader",
    "meeting_rank",
    "sort_key",
    "status",
    "submitted_at",
]


def open_past_cycle(cycle, members):
    """The reviews of a past cycle, as opening it would have made them that year.

    Like services.open_cycle, but for the members admitted by the end of that
    year, and with every form already submitted.
    """
    # A committee above the grassroots (the block committee of the agencies)
    # was rated by the province, outside the city's comparison groups.
    organizations = list(
        services.scope_organizations(cycle)
        .exclude(kind=OrganizationKind.SUPERIOR_COMMITTEE)
        .order_by("path")
    )
    by_id = {o.pk: o for o in organizations}
    grassroots_by_id = {o.pk: o for o in organizations if o.kind in GRASSROOTS_KINDS}
    services.create_collective_reviews(
        cycle,
        organizations,
        services.select_template(cycle, FormTemplate.Audience.COLLECTIVE),
        members,
        by_id,
    )
    submitted = timezone.make_aware(datetime.datetime(cycle.year, 12, 10, 9, 0))
    cycle.reviews.update(status=Review.Status.SUBMITTED, submitted_at=submitted)
    leadership = dict(
        cycle.reviews.filter(kind=Review.Kind.LEADERSHIP).values_list(
            "organization_id", "pk"
        )
    )
    templates = {
        False: services.select_template(cycle, FormTemplate.Audience.MEMBER),
        True: services.select_template(cycle, FormTemplate.Audience.LEADER),
    }
    # The demo's posts are undated: each past year had today's leadership.
    posts = services.posts_held(cycle)
    no_post = services.meeting_rank_in({}, None, None)
    rows = []
    grassroots_of_cell = {}
    for member in members:
        cell = services.review_cell(member.organization, by_id)
        if cell is None:
            continue
        if cell.pk not in grassroots_of_cell:
            grassroots_of_cell[cell.pk] = services.grassroots_of(cell, grassroots_by_id)
        grassroots = grassroots_of_cell[cell.pk]
        # Values rather than instances: this runs for every member and year.
        rows.append(
            (
                cycle.pk,
                Review.Kind.INDIVIDUAL,
                cell.pk,
                member.pk,
                leadership.get(grassroots.pk)
                if member.is_leader and grassroots
                else None,
                templates[member.is_leader].pk,
                member.full_name,
                member.party_post,
                member.government_post,
                member.mass_post,
                member.workplace,
                member.is_leader,
                services.meeting_rank_in(posts, member.pk, cell.pk)
                if member.pk in posts
                else no_post,
                member.sort_key,
                Review.Status.SUBMITTED,
                submitted,
            )
        )
    bulk.insert(Review, PAST_REVIEW_FIELDS, rows)
    bulk.analyze(Review)
    services.copy_posts(cycle, posts, [member.pk for member in members])
