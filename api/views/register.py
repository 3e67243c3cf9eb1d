"""The tree, its cycles (with the tree each one reviewed) and the members."""

from django.db.models import Exists, F, OuterRef, Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from members.models import Member, Post
from organizations.models import Organization
from reviews.access import get_cycle
from reviews.models import Review, ReviewCycle

from .. import serializers
from ..filters import (
    CycleListForm,
    MemberListForm,
    OrganizationListForm,
    chosen_cycle,
    chosen_organization,
    in_subtree,
    read_query,
)
from .base import ApiView
from .schema import parameters


@extend_schema_view(
    get=extend_schema(
        summary=_("Organizations"),
        description=_(
            "The organizations of the token's subtree, in tree order. `cycle` "
            "keeps those the cycle reviewed."
        ),
        parameters=parameters(OrganizationListForm),
    )
)
class OrganizationList(mixins.ListModelMixin, ApiView):
    serializer_class = serializers.OrganizationSerializer
    ordering = "path"

    def get_queryset(self):
        user = self.request.user
        data = read_query(self.request, OrganizationListForm)
        organizations = Organization.objects.visible_to(user).select_related(
            "org_type", "parent"
        )
        organizations = in_subtree(organizations, user, data, via="")
        if data.get("kind"):
            organizations = organizations.filter(kind=data["kind"])
        if data.get("cycle"):
            cycle = chosen_cycle(user, data["cycle"])
            reviewed = Review.objects.filter(cycle=cycle, organization=OuterRef("pk"))
            organizations = organizations.filter(Exists(reviewed))
        else:
            # The tree as it stands; a cycle's tree, with the rows a
            # restructuring has since replaced, is asked for by its cycle.
            organizations = organizations.current()
        return organizations

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


@extend_schema_view(get=extend_schema(summary=_("One organization")))
class OrganizationDetail(mixins.RetrieveModelMixin, ApiView):
    serializer_class = serializers.OrganizationSerializer

    def get_object(self):
        return chosen_organization(self.request.user, self.kwargs["public_id"])

    def get(self, request, *args, **kwargs):
        return self.retrieve(request, *args, **kwargs)


@extend_schema_view(
    get=extend_schema(
        summary=_("Review cycles"),
        description=_(
            "The cycles of the committees of the token's subtree and of the "
            "committees above it, newest first, with their states and deadlines."
        ),
        parameters=parameters(CycleListForm),
    )
)
class CycleList(mixins.ListModelMixin, ApiView):
    serializer_class = serializers.CycleSerializer
    ordering = ("-starts_on", "-pk")

    def get_queryset(self):
        user = self.request.user
        data = read_query(self.request, CycleListForm)
        cycles = ReviewCycle.objects.visible_to(user).select_related(
            "regime", "superior"
        )
        if data.get("organization"):
            cycles = cycles.filter(
                superior=chosen_organization(user, data["organization"])
            )
        if data.get("status"):
            cycles = cycles.filter(status=data["status"])
        if data.get("year"):
            cycles = cycles.filter(year=data["year"])
        return cycles

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


@extend_schema_view(get=extend_schema(summary=_("One review cycle")))
class CycleDetail(mixins.RetrieveModelMixin, ApiView):
    serializer_class = serializers.CycleSerializer

    def get_object(self):
        return get_cycle(self.request.user, self.kwargs["public_id"])

    def get(self, request, *args, **kwargs):
        return self.retrieve(request, *args, **kwargs)


@extend_schema_view(
    get=extend_schema(
        summary=_("The tree a cycle reviewed"),
        description=_(
            "The organizations the cycle reviewed as collectives, inside the "
            "token's subtree, each with its name as the cycle recorded it at "
            "its start. The organization itself is shown as it is today."
        ),
        parameters=parameters(OrganizationListForm, exclude=("cycle", "kind")),
    )
)
class CycleOrganizationList(mixins.ListModelMixin, ApiView):
    serializer_class = serializers.CycleOrganizationSerializer
    ordering = "tree_path"

    def get_queryset(self):
        user = self.request.user
        cycle = get_cycle(user, self.kwargs["public_id"])
        data = read_query(self.request, OrganizationListForm)
        reviews = (
            Review.objects.visible_to(user)
            .filter(cycle=cycle, kind=Review.Kind.ORGANIZATION)
            .select_related("organization__org_type", "organization__parent")
            .annotate(tree_path=F("organization__path"))
        )
        return in_subtree(reviews, user, data)

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


def members_for(token):
    if token.personal_identifiers:
        return serializers.MemberWithIdentifiersSerializer
    return serializers.MemberSerializer


class MemberViewMixin:
    def get_serializer_class(self):
        return members_for(self.request.auth)

    def members(self):
        posts = Post.objects.held_on(timezone.localdate()).select_related(
            "organization"
        )
        return (
            Member.objects.visible_to(self.request.user)
            .select_related("organization")
            .prefetch_related(Prefetch("posts", posts, to_attr="current_posts"))
        )


MEMBER_FIELDS = _(
    "Name, card number, cell, posts and status. Gender, date of birth, citizen "
    "ID number and e-mail address only with a token allowed personal identifiers."
)


@extend_schema_view(
    get=extend_schema(
        summary=_("Party members"),
        description=MEMBER_FIELDS,
        parameters=parameters(MemberListForm),
        responses=serializers.MemberWithIdentifiersSerializer(many=True),
    )
)
class MemberList(MemberViewMixin, mixins.ListModelMixin, ApiView):
    ordering = ("sort_key", "card_number")

    def get_queryset(self):
        user = self.request.user
        data = read_query(self.request, MemberListForm)
        members = in_subtree(self.members(), user, data)
        if data.get("status"):
            members = members.filter(status=data["status"])
        if data.get("cycle"):
            cycle = chosen_cycle(user, data["cycle"])
            reviewed = Review.objects.filter(cycle=cycle, member=OuterRef("pk"))
            members = members.filter(Exists(reviewed))
        return members

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


@extend_schema_view(
    get=extend_schema(
        summary=_("One Party member"),
        description=MEMBER_FIELDS,
        responses=serializers.MemberWithIdentifiersSerializer,
    )
)
class MemberDetail(MemberViewMixin, mixins.RetrieveModelMixin, ApiView):
    lookup_field = "public_id"

    def get_queryset(self):
        return self.members()

    def get(self, request, *args, **kwargs):
        return self.retrieve(request, *args, **kwargs)
