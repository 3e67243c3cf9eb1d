"""Reading a Party post's text into posts held in organizations.

The rules read `Post` rows (who holds which post in which organization). Staff
enter them in the admin; a register imported from a workbook only has the text
of the Party post ("Bí thư chi bộ", "Phó Bí thư Đảng ủy"), so the import and the
migration that introduced posts read that text once into rows staff can check.
"""

from organizations.models import OrganizationKind

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
    from .models import Post

    if not member.party_post or member.posts.filter(ended_on__isnull=True).exists():
        return []
    organization = member.organization
    ancestors = organization.__class__.objects.in_bulk(organization.ancestor_ids)
    chain = [organization, *(ancestors[pk] for pk in organization.ancestor_ids[::-1])]
    created = []
    for found, kind in posts_from_text(member.party_post, chain):
        taken = Post.objects.filter(
            organization=found, kind=PostKind.SECRETARY, ended_on__isnull=True
        )
        if kind == PostKind.SECRETARY and taken.exists():
            continue
        post = Post.objects.create(member=member, organization=found, kind=kind)
        created.append(post)
    return created
