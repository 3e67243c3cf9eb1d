"""One lookup per owned object, scoped to the user: outsiders get 404."""

import functools

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404

from kontum_review.compiled import Compiled, Many, StartsWith
from organizations.models import Organization, OrganizationKind, Role

from .models import EDITABLE_STATES, Review, ReviewCycle


def get_cycle(user, public_id):
    if not user.is_authenticated or user.is_superuser:
        return get_object_or_404(cycles_of(user), public_id=public_id)
    try:
        return cycle_lookup().get(user_id=user.pk, public_id=public_id)
    except ReviewCycle.DoesNotExist:
        raise Http404 from None


def cycles_of(user):
    return ReviewCycle.objects.visible_to(user).select_related("regime", "superior")


@functools.cache
def cycle_lookup():
    """get_cycle's lookup for a signed-in user who is not a superuser,
    compiled once per process (kontum_review/compiled.py)."""
    return Compiled(
        lambda *, user_id, public_id: cycles_of(stand_in(user_id)).filter(
            public_id=public_id
        ),
        user_id=get_user_model()._meta.pk,
        public_id=ReviewCycle._meta.get_field("public_id"),
    )


def stand_in(user_id):
    """A signed-in user who is not a superuser, as a compiled lookup's
    queryset is made for one: only their key reaches the SQL."""
    return get_user_model()(pk=user_id, is_superuser=False)


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
    if not user.is_authenticated or user.is_superuser:
        return get_object_or_404(
            cycle_organizations(user, cycle.superior.path), public_id=public_id
        )
    try:
        return cycle_organization_lookup().get(
            user_id=user.pk, path=cycle.superior.path, public_id=public_id
        )
    except Organization.DoesNotExist:
        raise Http404 from None


def cycle_organizations(user, path):
    """The organizations under `path` that the user may read."""
    return (
        Organization.objects.visible_to(user)
        .filter(path__startswith=path)
        .select_related("org_type", "parent")
    )


@functools.cache
def cycle_organization_lookup():
    """get_cycle_organization's lookup for a signed-in user who is not a
    superuser, compiled once per process."""
    fields = Organization._meta
    return Compiled(
        lambda *, user_id, path, public_id: cycle_organizations(
            stand_in(user_id), path
        ).filter(public_id=public_id),
        user_id=get_user_model()._meta.pk,
        path=StartsWith(fields.get_field("path")),
        public_id=fields.get_field("public_id"),
    )


def cycle_ancestors(user, cycle, organization):
    """The organizations above `organization` and below the cycle's committee
    that the user may read, root first: the checklist's breadcrumbs."""
    values = {
        "ancestor_ids": organization.ancestor_ids,
        "path": cycle.superior.path,
        "superior_id": cycle.superior_id,
    }
    if not user.is_authenticated or user.is_superuser:
        return list(ancestors_of(user, **values))
    return ancestors_lookup().all(user_id=user.pk, **values)


def ancestors_of(user, *, ancestor_ids, path, superior_id):
    return (
        Organization.objects.visible_to(user)
        .filter(pk__in=ancestor_ids, path__startswith=path)
        .exclude(pk=superior_id)
        .order_by("depth")
    )


@functools.cache
def ancestors_lookup():
    """cycle_ancestors' lookup for a signed-in user who is not a superuser,
    compiled once per process for each number of ancestors."""
    fields = Organization._meta
    return Compiled(
        lambda *, user_id, **values: ancestors_of(stand_in(user_id), **values),
        user_id=get_user_model()._meta.pk,
        ancestor_ids=Many(fields.pk),
        path=StartsWith(fields.get_field("path")),
        superior_id=fields.pk,
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
    if not user.is_authenticated or user.is_superuser:
        return get_object_or_404(
            scoped_reviews(reviews, user, locked), public_id=public_id
        )
    try:
        return review_lookup(reviews).get(
            (locked,), user_id=user.pk, public_id=public_id
        )
    except Review.DoesNotExist:
        raise Http404 from None


def scoped_reviews(reviews, user, locked):
    queryset = reviews.visible_row_to(user).with_manager_flag(user)
    if locked:
        queryset = queryset.select_for_update(of=("self",))
    return queryset


@functools.cache
def review_lookup(reviews):
    """get_review's lookup for a signed-in user who is not a superuser,
    compiled once per process (kontum_review/compiled.py): building and
    compiling it cost each review page some 2.5 ms of CPU. `reviews` is one
    of the few querysets made once (REVIEWS and those made from it)."""

    def make(locked, *, user_id, public_id):
        return scoped_reviews(reviews, stand_in(user_id), locked).filter(
            public_id=public_id
        )

    return Compiled(
        make,
        user_id=get_user_model()._meta.pk,
        public_id=Review._meta.get_field("public_id"),
    )


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
