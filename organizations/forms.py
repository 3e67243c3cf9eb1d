from django import forms
from django.utils.translation import gettext_lazy as _

from .models import OrganizationKind, OrganizationType


class OrganizationFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search by name or code"), required=False, max_length=100
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *OrganizationKind.choices],
    )
    org_type = forms.ModelChoiceField(
        label=_("Organization type"),
        required=False,
        queryset=OrganizationType.objects.all(),
        empty_label=_("All types"),
    )

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        queryset = queryset.search(data["q"])
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        if data["org_type"]:
            queryset = queryset.filter(org_type=data["org_type"])
        return queryset
