"""One lookup per owned object, scoped to the user: outsiders get 404."""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404

from organizations.models import Organization, OrganizationKind, Role

from .models import EDITABLE_STATES, Review, ReviewCycle


def get_cycle(user, public_id):
    queryset = ReviewCycle.objects.visible_to(user).select_related("regime", "superior")
    return get_object_or_404(queryset, public_id=public_id)


def is_cycle_staff(user, cycle):
    """Committee staff of the cycle's committee (or above) run the cycle."""
    if user.is_superuser:
        return True
    return Role.objects.filter(
        user=user,
        kind=Role.Kind.STAFF,
        organization__path__in=cycle.superior.path_and_ancestor_paths,
    ).exists()


def require_cycle_staff(user, cycle):
    if not is_cycle_staff(user, cycle):
        raise PermissionDenied


def staff_committees(user):
    """The committees whose staff the user is: they add those committees' cycles."""
    if user.is_superuser:
        committees = Organization.objects.filter(
            kind=OrganizationKind.SUPERIOR_COMMITTEE
        )
    else:
        committees = Organization.objects.filter(
            roles__user=user, roles__kind=Role.Kind.STAFF
        ).distinct()
    return committees.current().order_by("path")


def require_staff_committees(user):
    """The user's committees; someone who is staff of none gets 403."""
    committees = staff_committees(user)
    if not committees.exists():
        raise PermissionDenied
    return committees


def get_cycle_organization(user, cycle, public_id):
    """An organization of the cycle's tree that the user may read."""
    queryset = Organization.objects.visible_to(user).subtree_of(cycle.superior)
    return get_object_or_404(
        queryset.select_related("org_type", "parent"), public_id=public_id
    )


# Built once and cloned by each lookup, as a generic view's `queryset` is:
# building the joins anew was a part of every review page's time.
REVIEWS = Review.objects.select_related(
    "cycle__regime",
    "cycle__superior",
    "organization",
    "member",
    "template",
    "self_rating",
    "saved_by",
)


def get_review(user, public_id, *, locked=False, reviews=REVIEWS):
    """The review, scoped to the user, with `user_manages` (manages_review).

    `reviews` is REVIEWS or a queryset made from it once, with the annotations
    a page reads. `locked` holds the row until the request's transaction ends,
    so a write starts from the row as it is read here
    (reviews.services.save_review).
    """
    queryset = reviews.visible_row_to(user).with_manager_flag(user)
    if locked:
        queryset = queryset.select_for_update(of=("self",))
    return get_object_or_404(queryset, public_id=public_id)


def manages(user, organization):
    """Secretaries and staff over the organization may fill and return its forms."""
    return Organization.objects.editable_by(user).filter(pk=organization.pk).exists()


def manages_review(user, review):
    """manages() for the review's organization, as get_review read it."""
    known = getattr(review, "user_manages", None)
    return manages(user, review.organization) if known is None else known


def is_author(user, review):
    return review.member_id is not None and review.member.user_id == user.pk


def can_edit_review(user, review):
    if review.cycle.status not in EDITABLE_STATES or review.is_submitted:
        return False
    return is_author(user, review) or manages_review(user, review)


def require_manager(user, review):
    if not manages_review(user, review):
        raise PermissionDenied


def with_manager_flag(queryset, user):
    """Annotate organizations with whether the user may change them."""
    editable = Organization.objects.editable_by(user).filter(pk=OuterRef("pk"))
    return queryset.annotate(user_manages=Exists(editable))
