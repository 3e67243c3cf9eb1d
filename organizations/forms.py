from django import forms
from django.utils.translation import gettext_lazy as _

from kontum_review.formsets import BoundedInlineFormSet
from kontum_review.widgets import ISO_DATE

from . import restructuring
from .models import OrganizationKind, OrganizationType, Restructuring, RestructuringLine
from .resources import ImportRefused, read_upload


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
    ended = forms.BooleanField(
        label=_("Also organizations that ended"),
        required=False,
        help_text=_("Merged, closed, or replaced by a move or rename."),
    )

    def filter(self, queryset):
        if not self.is_valid():
            return queryset.current()
        data = self.cleaned_data
        if not data["ended"]:
            queryset = queryset.current()
        queryset = queryset.search(data["q"])
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        if data["org_type"]:
            queryset = queryset.filter(org_type=data["org_type"])
        return queryset


ANNEX_TYPES = ",".join(
    [
        ".xlsx",
        ".csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/csv",
    ]
)


class RestructuringForm(forms.ModelForm):
    """The decision, and optionally its annex, which replaces the lines typed."""

    annex = forms.FileField(
        label=_("Annex file (.xlsx or .csv)"),
        required=False,
        help_text=_(
            "Optional: the decision's annex, one line per operation. Its lines "
            "replace those below. Columns: operation, code, target_code, "
            "new_name, new_code, parent_code, member_card."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ANNEX_TYPES}),
    )

    class Meta:
        model = Restructuring
        fields = [
            "number",
            "signed_on",
            "issued_by",
            "effective_on",
            "committee",
            "note",
        ]
        widgets = {
            "signed_on": ISO_DATE,
            "effective_on": ISO_DATE,
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, committees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees
        self.fields["committee"].empty_label = None
        self.annex_lines = None

    def clean(self):
        data = super().clean()
        signed, effective = data.get("signed_on"), data.get("effective_on")
        if signed and effective and effective < signed:
            self.add_error(
                "effective_on",
                _("The decision cannot take effect before it is signed."),
            )
        upload = data.get("annex")
        if upload:
            self.annex_lines = self.read_annex(upload)
        return data

    def read_annex(self, upload):
        try:
            lines, errors = restructuring.read_annex(upload.name, read_upload(upload))
        except (restructuring.AnnexError, ImportRefused) as error:
            self.add_error("annex", str(error))
            return None
        for number, message in errors:
            self.add_error(
                "annex",
                _("Line %(line)s: %(message)s") % {"line": number, "message": message},
            )
        return None if errors else lines


class LineForm(forms.ModelForm):
    class Meta:
        model = RestructuringLine
        fields = [
            "operation",
            "code",
            "target_code",
            "new_name",
            "new_code",
            "parent_code",
            "member_card",
            "keeps_flags",
        ]


class BaseLineFormSet(BoundedInlineFormSet):
    """Lines typed on the page come three at a time; a longer annex is a file."""

    default_error_messages = {
        "too_many_forms": _(
            "Type at most %(num)d lines here; put a longer annex in a file (part 2)."
        ),
    }


LineFormSet = forms.inlineformset_factory(
    Restructuring,
    RestructuringLine,
    form=LineForm,
    formset=BaseLineFormSet,
    extra=3,
    can_delete=True,
)
