"""The demo's members, each drawn from the seed in turn (name, dates, standing,
status, posts), the posts they hold in their cells and committees, and the four
demo accounts.
"""

import datetime
from collections import defaultdict
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from organizations.models import OrganizationKind, Role

from .. import bulk
from ..models import Member, Post, PostKind
from ..posts import posts_from_text
from .data import (
    DEMO_CELL,
    DEMO_PASSWORD,
    FAMILY_NAMES,
    GIVEN_NAMES,
    HIGHLAND_NAMES,
    MASS_POSTS,
    MIDDLE_NAMES,
    SUPERIOR_CODE,
)
from .tree import apportion

# rng.choices(names, weights) with the running sums worked out once: the same
# draws, without summing the weights for each of 310,000 members.
FAMILIES = [name for name, _weight in FAMILY_NAMES]
FAMILY_CUM_WEIGHTS = list(accumulate(weight for _name, weight in FAMILY_NAMES))
GENDERS = list(Member.Gender)


def random_name(rng, gender, highland):
    if highland:
        return rng.choice(HIGHLAND_NAMES[gender])
    family = rng.choices(FAMILIES, cum_weights=FAMILY_CUM_WEIGHTS)[0]
    return (
        f"{family} {rng.choice(MIDDLE_NAMES[gender])} {rng.choice(GIVEN_NAMES[gender])}"
    )


def random_date(rng, start, end):
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def build_member(rng, number, organization, position, today):
    gender = rng.choice(GENDERS)
    highland = (
        organization.org_type_id
        and organization.code.split(".")[1].startswith("X")
        and rng.random() < 0.4
    )
    born = random_date(rng, datetime.date(1952, 1, 1), datetime.date(2003, 12, 31))
    admitted = random_date(
        rng,
        born + datetime.timedelta(days=19 * 366),
        min(
            born + datetime.timedelta(days=45 * 365),
            today - datetime.timedelta(days=30),
        ),
    )
    probationary = (today - admitted).days < 365
    status = Member.Status.ACTIVE
    roll = rng.random()
    if roll < 0.02 and born.year < 1960:
        status = Member.Status.EXEMPT
    elif roll < 0.03:
        status = Member.Status.TRANSFERRED
    elif roll < 0.035:
        status = Member.Status.DECEASED
    party_post = ""
    if position == 0:
        party_post = "Bí thư chi bộ"
    elif position == 1:
        party_post = "Phó Bí thư chi bộ"
    elif position == 2:
        party_post = "Chi ủy viên"
    government_post = ""
    is_leader = False
    if position == 0 and organization.kind == OrganizationKind.GRASSROOTS_CELL:
        government_post, is_leader = "Thủ trưởng đơn vị", True
    elif position == 1 and rng.random() < 0.3:
        government_post, is_leader = "Trưởng phòng", True
    member = Member(
        full_name=random_name(rng, gender, highland),
        gender=gender,
        date_of_birth=born,
        card_number=f"62{number:07d}",
        # CCCD layout: province 062, century and gender, year of birth, serial.
        citizen_id=(
            f"062{gender == Member.Gender.FEMALE:d}{born.year % 100:02d}{number:06d}"
        ),
        admitted_on=admitted,
        full_member_on=None
        if probationary
        else admitted + datetime.timedelta(days=365),
        standing=Member.Standing.PROBATIONARY if probationary else Member.Standing.FULL,
        status=status,
        status_note=""
        if status == Member.Status.ACTIVE
        else "Theo quyết định của cấp ủy",
        organization=organization,
        party_post=party_post,
        government_post=government_post,
        mass_post=rng.choice(MASS_POSTS) if rng.random() < 0.08 else "",
        is_leader=is_leader,
        workplace=organization.parent.name
        if organization.kind == OrganizationKind.CELL and organization.parent
        else organization.name,
    )
    member.refresh_keys()
    return member


def create_members(rng, specs, organizations, total, today):
    homes = [s for s in specs if s.member_weight]
    existing = set(Member.objects.values_list("card_number", flat=True))
    rows, number = [], 0
    shares = apportion(total, [spec.member_weight for spec in homes])
    for spec, share in zip(homes, shares):
        organization = organizations[spec.code]
        for position in range(share):
            number += 1
            member = build_member(rng, number, organization, position, today)
            if member.card_number not in existing:
                rows.append(member)
    bulk.insert_objects(Member, rows)
    bulk.analyze(Member)
    return len(rows)


COMMITTEE_SEATS = 5  # a committee's secretary, deputy and committee members
COMMITTEE_TITLES = {
    OrganizationKind.GRASSROOTS_COMMITTEE: "Đảng ủy",
    OrganizationKind.PARTIAL_COMMITTEE: "Đảng ủy bộ phận",
}
SEAT_POSTS = [PostKind.SECRETARY, PostKind.DEPUTY] + [PostKind.COMMITTEE] * 3


def create_posts(organizations):
    """Each cell's posts from its members' Party posts, and each committee's:
    the secretaries of the first cells under it sit on it, the first heading it.

    Members that already hold posts (a second run) are left as they are.
    """
    holding = set(Post.objects.values_list("member_id", flat=True))
    by_pk = {o.pk: o for o in organizations.values()}
    chains = {
        o.pk: [o, *(by_pk[i] for i in o.ancestor_ids[::-1] if i in by_pk)]
        for o in organizations.values()
    }
    posts, secretaries = [], defaultdict(list)
    rows = (
        Member.objects.exclude(party_post="")
        .filter(organization__in=[o.pk for o in organizations.values()])
        .order_by("organization__path", "pk")
    )
    for member in rows.select_related("organization"):
        if member.pk in holding:
            continue
        for organization, kind in posts_from_text(
            member.party_post, chains[member.organization_id]
        ):
            posts.append(Post(member=member, organization=organization, kind=kind))
            if kind == PostKind.SECRETARY:
                secretaries[organization.pk].append(member)
    changed = []
    for committee in sorted(organizations.values(), key=lambda o: o.path):
        title = COMMITTEE_TITLES.get(committee.kind)
        if title is None:
            continue
        seated = [
            member
            for cell_id in sorted(secretaries, key=lambda pk: chains[pk][0].path)
            if committee.pk in chains[cell_id][0].ancestor_ids
            for member in secretaries[cell_id]
        ][:COMMITTEE_SEATS]
        for member, kind in zip(seated, SEAT_POSTS):
            posts.append(Post(member=member, organization=committee, kind=kind))
            label = {
                PostKind.SECRETARY: f"Bí thư {title}",
                PostKind.DEPUTY: f"Phó Bí thư {title}",
            }.get(kind, f"Ủy viên {title}")
            member.party_post = f"{label}; {member.party_post}"
            if member not in changed:
                changed.append(member)
    Post.objects.bulk_create(posts, batch_size=2000)
    Member.objects.bulk_update(changed, ["party_post"], batch_size=2000)


def create_accounts(organizations):
    """The four demo accounts, each tied to a real place in the tree."""
    User = get_user_model()
    superior = organizations[SUPERIOR_CODE]
    cell = organizations[DEMO_CELL]
    staff_group, _ = Group.objects.get_or_create(name="Ban Tổ chức")
    # Staff keep the tree and the register, and create the users they assign.
    staff_group.permissions.set(
        Permission.objects.filter(
            Q(
                content_type__app_label__in=[
                    "organizations",
                    "members",
                    "reviews",
                    "api",
                ]
            )
            | Q(content_type__app_label="auth", content_type__model="user")
        )
    )
    cell_members = list(
        Member.objects.filter(organization=cell).order_by("card_number")[:2]
    )
    plan = [
        ("staff", "Cán bộ Ban Tổ chức", superior, Role.Kind.STAFF, True, None),
        (
            "secretary",
            "Bí thư chi bộ",
            cell,
            Role.Kind.SECRETARY,
            False,
            cell_members[0],
        ),
        ("member", "Đảng viên", cell, Role.Kind.MEMBER, False, cell_members[1]),
        ("leader", "Ủy viên Ban Thường vụ", superior, Role.Kind.LEADER, False, None),
    ]
    accounts = []
    for username, title, organization, kind, is_staff, member in plan:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": title, "is_staff": is_staff}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if is_staff:
            user.groups.add(staff_group)
        Role.objects.get_or_create(user=user, organization=organization, kind=kind)
        if member and member.user_id is None and not hasattr(user, "party_member"):
            member.user = user
            member.save(update_fields=["user"])
        accounts.append((username, title, organization.name))
    return accounts
