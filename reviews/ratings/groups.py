"""Who heads and leads what in a cycle, and the comparison groups of the quota.

Both are read from the cycle's posts (docs/process.md §6.4), never from the
text of a Party post or from a member's current cell.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import HEAD_POST, LEADING_POSTS, PostKind
from organizations.models import GRASSROOTS_KINDS, Organization, OrganizationKind

from ..models import CyclePost, Review
from .lookups import RULE_LOOKUPS

# Who heads and leads what ---------------------------------------------------


class Leadership:
    """Who holds which post in which organization in a cycle (docs/process.md §6.4).

    Read from the cycle's posts, copied from the register when it opened, and
    from the leaders reviewed with each leadership collective; never from the
    text of a Party post or from a member's current cell.
    """

    def __init__(self, cycle, reviews=None):
        """The whole cycle's leadership, or only as far as the rules of
        `reviews` read it: the posts they hold and, for a collective, those
        held in its organization. The whole cycle's posts cost some 140 ms at a
        province's size; a page of a few subjects reads only its own."""
        self.held = defaultdict(list)  # review id → [(organization id, kind)]
        self.heads = defaultdict(list)  # organization id → [head's review id]
        self.leading = defaultdict(set)  # organization id → review ids leading it
        self.members = defaultdict(
            set
        )  # organization id → member ids of its leadership
        self.units = defaultdict(set)  # review id → organization ids it leads
        if reviews is None:
            rows = (
                CyclePost.objects.filter(cycle=cycle)
                .order_by()
                .values_list(
                    "review_id", "review__member_id", "organization_id", "kind"
                )
            )
        else:
            pks = [review.pk for review in reviews if review.member_id]
            own = [review.organization_id for review in reviews if not review.member_id]
            rows = RULE_LOOKUPS.posts.all(
                cycle_id=cycle.pk, reviews=pks, organizations=own
            )
        for review_id, member_id, organization_id, kind in rows:
            self.held[review_id].append((organization_id, kind))
            self.members[organization_id].add(member_id)
            if kind == HEAD_POST:
                self.heads[organization_id].append(review_id)
            if kind in LEADING_POSTS:
                self.units[review_id].add(organization_id)
                self.leading[organization_id].add(review_id)
        if reviews is None:
            # Every leader of the cycle.
            leaders = cycle.reviews.filter(
                kind=Review.Kind.INDIVIDUAL, leadership_review__isnull=False
            ).values_list("pk", "member_id", "leadership_review__organization_id")
        else:
            # Only members reviewed with a leadership collective are read as
            # its leaders; each side of the "or" only when needed, so that the
            # planner reads one index each. The collectives are named as the
            # leadership collectives they are, so that the planner starts
            # from those few reviews, not from every leader of the cycle (20
            # ms at a province's size). Most members sit in no leadership
            # collective: their page asks for no leaders at all.
            in_collectives = [r.pk for r in reviews if r.leadership_review_id]
            leaders = []
            if in_collectives or own:
                leaders = RULE_LOOKUPS.leaders.all(
                    (bool(in_collectives), bool(own)),
                    cycle_id=cycle.pk,
                    reviews=in_collectives,
                    organizations=own,
                )
        for review_id, member_id, organization_id in leaders:
            # A leader without a post leads the unit whose collective they sit in.
            self.members[organization_id].add(member_id)
            self.units[review_id].add(organization_id)
            self.leading[organization_id].add(review_id)

    def headed(self, review_pk):
        """The organizations whose secretary the subject is."""
        return [org for org, kind in self.held[review_pk] if kind == HEAD_POST]


POST_ORDER = [kind for kind, _label in PostKind.choices]


def leadership_of(cycle):
    """The cycle's Leadership, read once per cycle object (a request's)."""
    found = getattr(cycle, "_leadership", None)
    if found is None:
        found = cycle._leadership = Leadership(cycle)
    return found


# Comparison groups ------------------------------------------------------------


class Subject(NamedTuple):
    """What grouping and counting need of a review, without loading it whole."""

    pk: int
    public_id: object
    organization_id: int
    kind: str = ""
    is_leader: bool = False


@dataclass
class Group:
    key: str
    name: str
    reviews: list = field(default_factory=list)  # Subjects, in meeting order

    def load(self, subjects):
        """The reviews of `subjects` whole, in the group's order, for the page."""
        found = Review.objects.select_related(
            "organization__org_type",
            # A group spans cells of several wards: each named with its ward.
            "organization__parent",
            "leadership_review__organization",
        ).in_bulk([subject.pk for subject in subjects])
        return [found[subject.pk] for subject in subjects if subject.pk in found]

    def whole(self):
        """Every review of the group, loaded whole."""
        return self.load(self.reviews)


# The level of an organization, for "equivalent posts at the same level".
ORGANIZATION_LEVELS = {
    OrganizationKind.SUPERIOR_COMMITTEE: (
        "superior",
        gettext_lazy("superior level"),
    ),
    OrganizationKind.GRASSROOTS_COMMITTEE: (
        "grassroots",
        gettext_lazy("grassroots level"),
    ),
    OrganizationKind.GRASSROOTS_CELL: ("grassroots", gettext_lazy("grassroots level")),
    OrganizationKind.PARTIAL_COMMITTEE: (
        "partial",
        gettext_lazy("partial committee level"),
    ),
    OrganizationKind.CELL: ("cell", gettext_lazy("cell level")),
    OrganizationKind.PARTY_GROUP: ("cell", gettext_lazy("cell level")),
}
# The kinds of organization from the top level down, as listed above.
LEVEL_ORDER = list(ORGANIZATION_LEVELS)


def comparison_groups(cycle):
    """The cycle's comparison groups for the quota, by key (docs/process.md §6.4).

    The regime's `quota_grouping` chooses the scheme. By type of organization
    (the default): grassroots organizations within their type, the cells of one
    grassroots organization together, its members together, leadership
    collectives together and leaders by post and level ("equivalent posts at
    the same level"). By grassroots organization: as the default, but a
    grassroots organization's leaders are compared with its members. By post
    level: members of the whole cycle together, cells together, leaders by post
    and level. Every review of the cycle is grouped, so each is read as a few
    columns; the page loads whole only the reviews it shows.
    """
    scheme = cycle.regime.quota_grouping
    Grouping = cycle.regime.QuotaGrouping
    rows = cycle.reviews.order_by(
        "organization__path", "meeting_rank", "sort_key", "pk"
    ).values_list("pk", "public_id", "organization_id", "kind", "is_leader")
    tree = Organization.objects.subtree_of(cycle.superior).select_related("org_type")
    organizations = {o.pk: o for o in tree}
    grassroots_ids = {
        o.pk for o in organizations.values() if o.kind in GRASSROOTS_KINDS
    }
    leadership = leadership_of(cycle)
    groups = {}
    grassroots_of = {}

    def add(key, name, subject):
        """`name` is called for a group's first subject only: a cycle has
        thousands of subjects to a group."""
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key, name() if callable(name) else name)
        group.reviews.append(subject)

    for pk, public_id, organization_id, kind, is_leader in rows:
        subject = Subject(pk, public_id, organization_id, kind, is_leader)
        organization = organizations[organization_id]
        if organization_id not in grassroots_of:
            grassroots_of[organization_id] = next(
                (
                    organizations[i]
                    for i in [organization.pk, *organization.ancestor_ids][::-1]
                    if i in grassroots_ids
                ),
                None,
            )
        grassroots = grassroots_of[organization_id]
        if kind == Review.Kind.LEADERSHIP:
            add("leadership", lambda: _("Leadership collectives"), subject)
        elif kind == Review.Kind.ORGANIZATION and organization.pk in grassroots_ids:
            type_name = organization.org_type.name if organization.org_type else "—"
            code = organization.org_type.code if organization.org_type else "none"
            add(
                f"type-{code}",
                lambda t=type_name: (
                    _("Grassroots organizations: %(type)s") % {"type": t}
                ),
                subject,
            )
        elif (
            kind == Review.Kind.ORGANIZATION
            and organization.kind == OrganizationKind.SUPERIOR_COMMITTEE
        ):
            # A committee between the cycle's and the grassroots (Đảng ủy
            # Khối): compared with the other committees above the grassroots.
            add("superior", lambda: _("Committees above the grassroots"), subject)
        elif kind == Review.Kind.ORGANIZATION and scheme == Grouping.POST_LEVEL:
            add("cells", lambda: _("Cells and partial committees"), subject)
        elif kind == Review.Kind.ORGANIZATION and grassroots:
            add(
                f"cells-{grassroots.public_id}",
                lambda g=grassroots: _("Cells of %(name)s") % {"name": g.name},
                subject,
            )
        elif is_leader and leaders_by_post(cycle.regime):
            post = highest_post(
                (kind, organizations[org].kind)
                for org, kind in leadership.held[pk]
                if org in organizations
            )
            add(*leader_group(post), subject)
        elif scheme == Grouping.POST_LEVEL:
            add("members", lambda: _("Members without a leadership post"), subject)
        elif grassroots:
            add(
                f"members-{grassroots.public_id}",
                lambda g=grassroots: _("Members of %(name)s") % {"name": g.name},
                subject,
            )
        else:
            # Every subject is decided in a group: one the schemes above do not
            # place (outside any grassroots organization) is still offered.
            add("other", lambda: _("Other subjects"), subject)
    return groups


def members_group(cycle, place, groups=None):
    """The comparison group the members of `place` and the organizations under
    it are decided in, by comparison_groups (`groups`, read if not given).

    The members meant are those without the leader's flag: under every grouping
    those of one grassroots organization share one group (its members, or under
    "post level" the members of the whole cycle), which also holds its leaders
    under "same grassroots organization". None when they fall in several groups
    (above the grassroots organizations) or there are none.
    """
    if groups is None:
        groups = comparison_groups(cycle)
    inside = set(Organization.objects.subtree_of(place).values_list("pk", flat=True))
    found = [
        group
        for group in groups.values()
        if any(
            subject.kind == Review.Kind.INDIVIDUAL
            and not subject.is_leader
            and subject.organization_id in inside
            for subject in group.reviews
        )
    ]
    return found[0] if len(found) == 1 else None


def leaders_by_post(regime):
    """Whether the regime's grouping compares leaders by post and level, apart
    from the members (all but "same grassroots organization")."""
    return regime.quota_grouping != regime.QuotaGrouping.GRASSROOTS_ORGANIZATION


def leader_group(post):
    """(key, name) of a leader's comparison group from their highest post,
    (post kind, kind of its organization): posts of one kind at one level
    together; leaders without a Party post (None) together."""
    if post is None:
        return "leaders", _("Leaders and managers without a Party post")
    kind, organization_kind = post
    level, label = ORGANIZATION_LEVELS.get(
        organization_kind, ("other", gettext_lazy("other"))
    )
    return (
        f"leaders-{level}-{kind}",
        _("Leaders: %(post)s, %(level)s")
        % {"post": PostKind(kind).label, "level": label},
    )


def highest_post(posts):
    """The highest of (post kind, organization kind) pairs, or None: the first
    kind of POST_ORDER and, of two posts of that kind, the one at the higher
    level (a ward's secretary who also heads a cell is compared with the
    wards' secretaries). Posts of one kind at one level make one group, so
    which of them is taken makes no difference."""
    return min(posts, key=post_rank, default=None)


def post_rank(post):
    kind, organization_kind = post
    level = (
        LEVEL_ORDER.index(organization_kind)
        if organization_kind in LEVEL_ORDER
        else len(LEVEL_ORDER)
    )
    return POST_ORDER.index(kind), level
