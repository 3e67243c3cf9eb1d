"""Forms of the assignments: who the Standing Committee sends to each
organization's meeting."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization
from organizations.widgets import OrganizationSelectMultiple

from ..models import (
    Assignment,
)
from .choices import (
    TreeMultipleChoiceField,
    UserChoiceField,
    committee_users,
    target_organizations,
    visible_assignments,
)


class AssignmentForm(forms.Form):
    assignee = UserChoiceField(
        label=_("Assigned to"),
        queryset=get_user_model().objects.none(),
        help_text=_("Standing Committee members and staff of the committee."),
    )
    organizations = TreeMultipleChoiceField(
        label=_("Organizations"),
        queryset=Organization.objects.none(),
        to_field_name="public_id",
        widget=OrganizationSelectMultiple(
            attrs={
                "size": 10,
                # The help text once static/js/pickers.js makes it a search box.
                "data-searchable-help": _(
                    "Type part of a name or code, accents optional, and choose "
                    "as many as needed."
                ),
            }
        ),
        help_text=_("Hold Ctrl (or ⌘) to choose several."),
    )
    duty = forms.CharField(
        label=_("Duty"),
        max_length=255,
        initial=Assignment._meta.get_field("duty").default,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, cycle, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        self.fields["assignee"].queryset = committee_users(cycle)
        organizations = self.fields["organizations"]
        organizations.queryset = target_organizations(user, cycle).order_by("path")
        organizations.base_depth = cycle.superior.depth + 1

    def clean(self):
        cleaned_data = super().clean()
        assignee = cleaned_data.get("assignee")
        organizations = cleaned_data.get("organizations")
        if assignee and organizations:
            taken = (
                self.cycle.assignments.filter(
                    assignee=assignee, organization__in=organizations
                )
                .select_related("organization")
                .order_by("organization__path")
            )
            names = ", ".join(a.organization.name for a in taken)
            if names:
                self.add_error(
                    "organizations",
                    _("%(person)s is already assigned to: %(names)s.")
                    % {
                        "person": self.fields["assignee"].label_from_instance(assignee),
                        "names": names,
                    },
                )
        return cleaned_data

    def assignments(self):
        data = self.cleaned_data
        return [
            Assignment(
                cycle=self.cycle,
                organization=organization,
                assignee=data["assignee"],
                duty=data["duty"],
                note=data["note"],
            )
            for organization in data["organizations"]
        ]


class AssignmentDeleteForm(forms.Form):
    assignment = forms.ModelChoiceField(
        label=_("Assignment"),
        queryset=Assignment.objects.none(),
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, cycle, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = visible_assignments(user, cycle)
