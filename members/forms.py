from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Member


class MemberSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search by name, card number or citizen ID"),
        required=False,
        max_length=100,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *Member.Status.choices],
    )

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        queryset = queryset.search(self.cleaned_data["q"])
        if self.cleaned_data["status"]:
            queryset = queryset.filter(status=self.cleaned_data["status"])
        return queryset
