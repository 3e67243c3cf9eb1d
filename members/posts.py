"""Reading a Party post's text into posts held in organizations.

The rules read `Post` rows (who holds which post in which organization). Staff
enter them in the admin; a register imported from a workbook only has the text
of the Party post ("Bí thư chi bộ", "Phó Bí thư Đảng ủy"), so the import and the
migration that introduced posts read that text once into rows staff can check.
"""

from simple_history.utils import bulk_create_with_history

from organizations.models import Organization, OrganizationKind

from .models import PostKind

COMMITTEE_KINDS = (
    OrganizationKind.GRASSROOTS_COMMITTEE,
    OrganizationKind.PARTIAL_COMMITTEE,
)
CELL_KINDS = (OrganizationKind.CELL, OrganizationKind.GRASSROOTS_CELL)


def post_kind(text):
    """The kind of post a Party post's text names, or None."""
    text = text.lower()
    if "phó bí thư" in text:
        return PostKind.DEPUTY
    if "bí thư" in text:
        return PostKind.SECRETARY
    if "thường vụ" in text:
        return PostKind.STANDING
    if "ủy viên" in text or "cấp ủy" in text:
        return PostKind.COMMITTEE
    return None


def posts_from_text(text, chain):
    """(organization, kind) pairs a Party post's text names.

    `chain` is the member's cell and its ancestors, nearest first, as objects
    with `kind`. "… chi bộ" / "chi ủy" names the cell; "… Đảng ủy" / "Đảng bộ"
    the nearest committee above; "Thành ủy", "Huyện ủy", "Tỉnh ủy" the nearest
    superior committee. Several posts are separated by ";" or ",".
    """
    found = []
    for part in text.replace(";", ",").split(","):
        kind = post_kind(part)
        if kind is None:
            continue
        lowered = part.lower()
        if "đảng ủy" in lowered or "đảng bộ" in lowered:
            wanted = COMMITTEE_KINDS
        elif any(name in lowered for name in ("thành ủy", "huyện ủy", "tỉnh ủy")):
            wanted = (OrganizationKind.SUPERIOR_COMMITTEE,)
        else:
            wanted = CELL_KINDS
        organization = next((o for o in chain if o.kind in wanted), None)
        if organization is not None and (organization, kind) not in found:
            found.append((organization, kind))
    return found


def add_posts_from_text(member):
    """Create the posts `member.party_post` names; nothing if they hold any post.

    A secretary post another member already holds is left out (an organization
    has one current secretary). Returns the posts created.
    """
    return add_posts_in_bulk([member])


def add_posts_in_bulk(members, user=None):
    """add_posts_from_text for many members, in the same few queries for any number.

    Members are read in order: of two naming the same organization's secretary
    post, the first gets it. The posts' history names `user`, or the request's.
    """
    from .models import Post

    members = [member for member in members if member.party_post]
    if not members:
        return []
    holding = set(
        Post.objects.filter(member__in=members, ended_on__isnull=True).values_list(
            "member_id", flat=True
        )
    )
    members = [member for member in members if member.pk not in holding]
    ancestor_ids = {pk for m in members for pk in m.organization.ancestor_ids}
    ancestors = Organization.objects.in_bulk(ancestor_ids)
    found = []
    for member in members:
        organization = member.organization
        above = organization.ancestor_ids[::-1]
        chain = [organization, *(ancestors[pk] for pk in above)]
        found += [
            (member, where, kind)
            for where, kind in posts_from_text(member.party_post, chain)
        ]
    headed = {where.pk for _member, where, kind in found if kind == PostKind.SECRETARY}
    taken = set(
        Post.objects.filter(
            organization__in=headed, kind=PostKind.SECRETARY, ended_on__isnull=True
        ).values_list("organization_id", flat=True)
    )
    posts = []
    for member, where, kind in found:
        if kind == PostKind.SECRETARY:
            if where.pk in taken:
                continue
            taken.add(where.pk)
        posts.append(Post(member=member, organization=where, kind=kind))
    if posts:
        bulk_create_with_history(posts, Post, default_user=user)
    return posts
