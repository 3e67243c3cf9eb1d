"""Who and what the Standing Committee's forms may choose: the organizations
and members of the cycle's tree the user may address, the committee's users,
the days a suggestion may be issued on, and the choice fields that show them."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from kontum_review.vietnamese import fold
from members.models import Member
from organizations.models import GRASSROOTS_KINDS, Organization, Role

from ..cycles.scope import scope_organizations
from ..models import (
    Review,
    ReviewCycle,
)

TEXT_MAX = 4000
MEMBER_MATCHES = 20
# Suggestions are answered in section IV, so they change only while forms are open.
ISSUING_STATES = (ReviewCycle.Status.DRAFT, ReviewCycle.Status.SELF_REVIEW)


def target_organizations(user, cycle):
    """Organizations of the cycle's tree that the user may address."""
    return scope_organizations(cycle) & Organization.objects.visible_to(user)


def grassroots_organizations(user, cycle):
    return target_organizations(user, cycle).filter(kind__in=GRASSROOTS_KINDS)


def target_members(user, cycle):
    """Members the user may address who have an individual review in the cycle."""
    reviewed = Review.objects.filter(
        cycle=cycle, kind=Review.Kind.INDIVIDUAL, member=OuterRef("pk")
    )
    return (
        Member.objects.visible_to(user)
        .filter(Exists(reviewed))
        .select_related("organization")
    )


def find_members(members, text):
    if not fold(text or ""):
        return []
    return list(members.search(text).in_name_order()[:MEMBER_MATCHES])


def member_label(member):
    return f"{member.full_name} – {member.organization.name} ({member.card_number})"


def committee_users(cycle):
    """Staff and leaders of the cycle's committee or of a committee above it."""
    roles = Role.objects.filter(
        user=OuterRef("pk"),
        kind__in=[Role.Kind.STAFF, Role.Kind.LEADER],
        organization__path__in=cycle.superior.path_and_ancestor_paths,
    )
    return (
        get_user_model()
        .objects.filter(Exists(roles), is_active=True)
        .order_by("last_name", "first_name", "username")
    )


def issue_bounds(cycle):
    """Suggestions are issued within the period, or up to the decision deadline."""
    return cycle.starts_on, max(cycle.ends_on, cycle.decision_due or cycle.ends_on)


def check_issue_date(cycle, day):
    first, last = issue_bounds(cycle)
    if not first <= day <= last:
        raise ValidationError(
            _(
                "The date must lie within the cycle, from %(first)s to %(last)s "
                "(its period up to the decision deadline)."
            )
            % {
                "first": formats.date_format(first, "SHORT_DATE_FORMAT"),
                "last": formats.date_format(last, "SHORT_DATE_FORMAT"),
            },
            code="outside_cycle",
        )


def check_cycle_issuing(cycle):
    if cycle.status not in ISSUING_STATES:
        raise ValidationError(
            _(
                "The cycle is “%(status)s”: suggestions can change only while it is "
                "a draft or open for self-review."
            )
            % {"status": cycle.get_status_display()},
            code="cycle_closed",
        )


def focus_area_choices(queryset):
    """The choices of a focus area select, read once for every form of a formset."""
    return [("", "---------"), *((area.pk, area.name) for area in queryset)]


class TreeChoiceMixin:
    """Label organizations with their depth under the cycle's committee."""

    base_depth = 0

    def label_from_instance(self, obj):
        return "— " * max(obj.depth - self.base_depth, 0) + obj.name


class TreeChoiceField(TreeChoiceMixin, forms.ModelChoiceField):
    pass


class TreeMultipleChoiceField(TreeChoiceMixin, forms.ModelMultipleChoiceField):
    pass


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.username})" if full_name else obj.username


def visible_assignments(user, cycle):
    organizations = Organization.objects.visible_to(user).values("pk")
    return cycle.assignments.filter(organization__in=organizations)


def visible_suggestions(user, cycle):
    organizations = Organization.objects.visible_to(user).values("pk")
    members = Member.objects.visible_to(user).values("pk")
    return cycle.suggestions.filter(
        Q(organization__in=organizations) | Q(member__in=members)
    )
