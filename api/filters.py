"""The query strings of the lists: checked by forms, so bad input is a 400 that
says which parameter is wrong, in Vietnamese, and never reaches a query."""

from django import forms
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

from members.models import Member
from organizations.models import Organization, OrganizationKind, OrganizationType
from reviews.models import RemedyAction, Review, ReviewCycle


class ListForm(forms.Form):
    """What every list filters on: a cycle, a subtree, an organization type."""

    cycle = forms.UUIDField(required=False, label=_("Review cycle"))
    organization = forms.UUIDField(required=False, label=_("organization"))
    type = forms.SlugField(required=False, max_length=40, label=_("organization type"))

    def clean_type(self):
        code = self.cleaned_data["type"]
        if code and not OrganizationType.objects.filter(code=code).exists():
            raise forms.ValidationError(
                _("There is no organization type with the code “%(code)s”."),
                params={"code": code},
            )
        return code


class OrganizationListForm(ListForm):
    kind = forms.ChoiceField(
        required=False, choices=OrganizationKind.choices, label=_("kind")
    )


class CycleListForm(forms.Form):
    organization = forms.UUIDField(required=False, label=_("superior committee"))
    status = forms.ChoiceField(
        required=False, choices=ReviewCycle.Status.choices, label=_("status")
    )
    year = forms.IntegerField(
        required=False, min_value=1900, max_value=3000, label=_("year")
    )


class MemberListForm(ListForm):
    status = forms.ChoiceField(
        required=False, choices=Member.Status.choices, label=_("status")
    )


class ResultListForm(ListForm):
    kind = forms.ChoiceField(
        required=False, choices=Review.Kind.choices, label=_("kind")
    )


class RemedyPlanListForm(ListForm):
    status = forms.ChoiceField(
        required=False,
        choices=RemedyAction.Status.choices,
        label=_("status"),
        help_text=_("Plans with at least one action in this status."),
    )


def read_query(request, form_class):
    """The cleaned query string, or a 400 listing what is wrong."""
    form = form_class(request.query_params)
    if not form.is_valid():
        raise exceptions.ValidationError(
            {
                field: [error["message"] for error in errors]
                for field, errors in form.errors.get_json_data().items()
            }
        )
    return form.cleaned_data


def chosen_organization(user, public_id):
    """The organization a filter names, if the token reads it; else a 404."""
    return get_object_or_404(Organization.objects.visible_to(user), public_id=public_id)


def chosen_cycle(user, public_id):
    return get_object_or_404(ReviewCycle.objects.visible_to(user), public_id=public_id)


def in_subtree(queryset, user, data, via="organization"):
    """Narrow `queryset` to the `organization` and `type` the query names.

    `via` is the path from the queryset's model to the organization ("" for
    organizations themselves).
    """
    prefix = f"{via}__" if via else ""
    if data.get("organization"):
        chosen = chosen_organization(user, data["organization"])
        queryset = queryset.filter(**{f"{prefix}path__startswith": chosen.path})
    if data.get("type"):
        queryset = queryset.filter(**{f"{prefix}org_type__code": data["type"]})
    return queryset
