"""What a cycle reviews: the organizations in its scope, the form each
audience writes, and the cell and grassroots organization of a member."""

from organizations.models import (
    ALLOWED_PARENT_KINDS,
    GRASSROOTS_KINDS,
    Organization,
    OrganizationKind,
)

from ..models import FormTemplate

# The kinds under which a cycle reviews organizations: only party groups may
# sit under a cell (ALLOWED_PARENT_KINDS), and cycles do not review them.
PARENT_KINDS = frozenset(
    parent
    for kind, parents in ALLOWED_PARENT_KINDS.items()
    if kind != OrganizationKind.PARTY_GROUP
    for parent in parents
    if parent is not None
)


def scope_organizations(cycle):
    """Organizations reviewed in a cycle: the tree under its committee, no groups."""
    return (
        Organization.objects.descendants_of(cycle.superior)
        .exclude(kind=OrganizationKind.PARTY_GROUP)
        .active_on(cycle.ends_on)
    )


def select_template(cycle, audience):
    """The cycle's own wording of a form if staff made one, else the regime's."""
    templates = FormTemplate.objects.filter(regime=cycle.regime, audience=audience)
    return (
        templates.filter(cycle=cycle).first()
        or templates.filter(cycle__isnull=True).order_by("code").first()
    )


def grassroots_of(organization, grassroots_by_id):
    """The grassroots organization an organization belongs to (itself or above)."""
    if organization.kind in GRASSROOTS_KINDS:
        return organization
    for ancestor_id in reversed(organization.ancestor_ids):
        if ancestor_id in grassroots_by_id:
            return grassroots_by_id[ancestor_id]
    return None


def review_cell(organization, by_id):
    """The organization in scope whose meeting reviews a member of `organization`."""
    if organization.pk in by_id:
        return by_id[organization.pk]
    if organization.kind == OrganizationKind.PARTY_GROUP:
        return by_id.get(organization.parent_id)
    return None
