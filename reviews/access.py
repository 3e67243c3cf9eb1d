"""One lookup per owned object, scoped to the user: outsiders get 404."""

import functools

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404

from kontum_review.compiled import Compiled, Many, StartsWith
from organizations.models import Organization, OrganizationKind, Role

from .models import EDITABLE_STATES, Review, ReviewCycle


def stand_in(user_id):
    """A signed-in user who is not a superuser, as a compiled lookup's
    queryset is made for one: only their key reaches the SQL."""
    return get_user_model()(pk=user_id, is_superuser=False)


def compiles_for(user):
    """Whether a UserLookup runs its compiled SQL for the user: a superuser's
    or an anonymous visitor's queryset has another shape."""
    return user.is_authenticated and not user.is_superuser


class UserLookup:
    """A lookup scoped to its user. For a signed-in user who is not a
    superuser its SQL is compiled once per process (kontum_review/compiled.py)
    with the user's key as a value; anyone else's queryset is built as ever.
    `build(*shape, user, **values)` makes the queryset."""

    def __init__(self, build, **fields):
        self.build = build
        self.compiled = Compiled(
            lambda *shape, user_id, **values: build(
                *shape, stand_in(user_id), **values
            ),
            user_id=get_user_model()._meta.pk,
            **fields,
        )

    def all(self, user, shape=(), **values):
        if compiles_for(user):
            return self.compiled.all(shape, user_id=user.pk, **values)
        return list(self.build(*shape, user, **values))

    def get_or_404(self, user, shape=(), **values):
        if not compiles_for(user):
            return get_object_or_404(self.build(*shape, user, **values))
        try:
            return self.compiled.get(shape, user_id=user.pk, **values)
        except ObjectDoesNotExist:
            raise Http404 from None


def get_cycle(user, public_id):
    return cycle_lookup().get_or_404(user, public_id=public_id)


@functools.cache
def cycle_lookup():
    return UserLookup(
        lambda user, *, public_id: (
            ReviewCycle.objects.visible_to(user)
            .select_related("regime", "superior")
            .filter(public_id=public_id)
        ),
        public_id=ReviewCycle._meta.get_field("public_id"),
    )


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
    return cycle_organization_lookup().get_or_404(
        user, path=cycle.superior.path, public_id=public_id
    )


@functools.cache
def cycle_organization_lookup():
    fields = Organization._meta
    return UserLookup(
        lambda user, *, path, public_id: (
            Organization.objects.visible_to(user)
            .filter(path__startswith=path, public_id=public_id)
            .select_related("org_type", "parent")
        ),
        path=StartsWith(fields.get_field("path")),
        public_id=fields.get_field("public_id"),
    )


def cycle_ancestors(user, cycle, organization):
    """The organizations above `organization` and below the cycle's committee
    that the user may read, root first: the checklist's breadcrumbs."""
    return ancestors_lookup().all(
        user,
        ancestor_ids=organization.ancestor_ids,
        path=cycle.superior.path,
        superior_id=cycle.superior_id,
    )


@functools.cache
def ancestors_lookup():
    """Compiled once per number of ancestors."""
    fields = Organization._meta
    return UserLookup(
        lambda user, *, ancestor_ids, path, superior_id: (
            Organization.objects.visible_to(user)
            .filter(pk__in=ancestor_ids, path__startswith=path)
            .exclude(pk=superior_id)
            .order_by("depth")
        ),
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
    return review_lookup(reviews).get_or_404(user, (locked,), public_id=public_id)


@functools.cache
def review_lookup(reviews):
    """get_review's lookup: building and compiling it cost each review page
    some 2.5 ms of CPU. `reviews` is one of the few querysets made once
    (REVIEWS and those made from it)."""

    def build(locked, user, *, public_id):
        queryset = reviews.visible_row_to(user).with_manager_flag(user)
        if locked:
            queryset = queryset.select_for_update(of=("self",))
        return queryset.filter(public_id=public_id)

    return UserLookup(build, public_id=Review._meta.get_field("public_id"))


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
