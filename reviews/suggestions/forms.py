"""Forms of the Standing Committee's review suggestions: issuing them, their
items, in bulk to a type of organization, and the list's filter and focus areas."""

import contextlib

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kontum_review.widgets import ISO_DATE
from members.models import Member
from organizations.models import Organization, OrganizationType
from organizations.widgets import OrganizationSelect

from ..fields import typed_value
from ..models import (
    FocusArea,
    Suggestion,
    SuggestionItem,
)
from .choices import (
    TEXT_MAX,
    TreeChoiceField,
    check_cycle_issuing,
    check_issue_date,
    find_members,
    grassroots_organizations,
    member_label,
    target_members,
    target_organizations,
)


class IssuedInCycle:
    """An issuing form of `self.cycle`: the cycle must still take suggestions,
    and the date they are issued on must fall within it."""

    def clean_issued_on(self):
        day = self.cleaned_data["issued_on"]
        check_issue_date(self.cycle, day)
        return day

    def clean(self):
        cleaned_data = super().clean()
        check_cycle_issuing(self.cycle)
        return cleaned_data


class SuggestionForm(IssuedInCycle, forms.Form):
    """Whom a new suggestion goes to, and when it is issued."""

    organization = TreeChoiceField(
        label=_("Organization"),
        queryset=Organization.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label=_("— not an organization —"),
        widget=OrganizationSelect,
    )
    member_search = forms.CharField(
        label=_("Find a Party member"),
        required=False,
        max_length=100,
        help_text=_("Name or card number; accents are optional."),
    )
    member = forms.ModelChoiceField(
        # The model's verbose name, which is lower case in Vietnamese.
        label=capfirst(_("Party member")),
        queryset=Member.objects.none(),
        to_field_name="public_id",
        required=False,
        help_text=_("Only members reviewed in this cycle are listed."),
    )
    issued_on = forms.DateField(label=_("Issued on"), widget=ISO_DATE)

    def __init__(self, *args, cycle, user, search_url=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        self.fields["issued_on"].initial = timezone.localdate()
        if search_url:
            # Replace the member options as the user types (HTMX).
            self.fields["member_search"].widget.attrs.update(
                {
                    "type": "search",
                    "autocomplete": "off",
                    "hx-get": search_url,
                    "hx-trigger": "input changed delay:300ms, search",
                    "hx-target": "#id_member",
                    "hx-swap": "innerHTML",
                }
            )
        organizations = self.fields["organization"]
        organizations.queryset = target_organizations(user, cycle).order_by("path")
        organizations.base_depth = cycle.superior.depth + 1
        members = target_members(user, cycle)
        self.fields["member"].queryset = members
        # Only the chosen member and the matches of the search are offered: a
        # province has tens of thousands of members.
        # The search as its field accepts it: at most 100 characters.
        shown = find_members(members, typed_value(self["member_search"]))
        chosen = self["member"].value()
        if chosen and str(chosen) not in {str(m.public_id) for m in shown}:
            # A bad value fails the field's own validation; offer nothing for it.
            with contextlib.suppress(ValidationError):
                shown += list(members.filter(public_id=chosen))
        self.fields["member"].choices = [
            ("", _("— not a Party member —")),
            *((m.public_id, member_label(m)) for m in shown),
        ]

    def clean(self):
        cleaned_data = super().clean()
        organization = cleaned_data.get("organization")
        member = cleaned_data.get("member")
        if organization and member:
            self.add_error(
                "member",
                _("Choose an organization or a Party member, not both."),
            )
        elif not (organization or member or self.has_error("member")):
            self.add_error(
                "organization",
                _("Choose the organization or the Party member it goes to."),
            )
        return cleaned_data

    @property
    def target(self):
        """The field and the object the suggestion goes to."""
        if self.cleaned_data["organization"]:
            return "organization", self.cleaned_data["organization"]
        return "member", self.cleaned_data["member"]


class SuggestionItemForm(forms.ModelForm):
    focus_area = forms.ModelChoiceField(
        label=_("Focus area"), queryset=FocusArea.objects.filter(active=True)
    )
    text = forms.CharField(
        label=_("Content"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = SuggestionItem
        fields = ["focus_area", "text"]

    def __init__(self, *args, focus_areas=None, focus_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if focus_areas is not None:
            self.fields["focus_area"].queryset = focus_areas
        if focus_choices is not None:
            self.fields["focus_area"].choices = focus_choices


class NewItemFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.items:
            raise ValidationError(
                _("Add at least one item: its focus area and its content."),
                code="no_items",
            )

    @property
    def items(self):
        return [
            (form.cleaned_data["focus_area"], form.cleaned_data["text"])
            for form in self.forms
            if form.cleaned_data
        ]


SuggestionItemFormSet = forms.formset_factory(
    SuggestionItemForm, formset=NewItemFormSet, extra=3, max_num=50, absolute_max=50
)


class EditItemFormSet(forms.BaseInlineFormSet):
    """The items of one suggestion; an item already explained stays."""

    def __init__(self, *args, answered=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.answered = set(answered)
        for form in self.forms:
            form.answered = form.instance.pk in self.answered

    def clean(self):
        super().clean()
        check_cycle_issuing(self.instance.cycle)
        answered = [f for f in self.deleted_forms if f.instance.pk in self.answered]
        if answered:
            numbers = ", ".join(str(f.instance.number) for f in answered)
            raise ValidationError(
                _(
                    "Item %(numbers)s already has an explanation in section IV of "
                    "the review; it cannot be deleted."
                )
                % {"numbers": numbers},
                code="answered",
            )

    def save_numbered(self):
        """Save the changes and number the items 1, 2, 3 … again."""
        suggestion = self.instance
        changed = self.save(commit=False)
        for item in self.deleted_objects:
            item.delete()
        last = suggestion.items.aggregate(last=Max("number"))["last"] or 0
        for item in changed:
            if item.pk is None:
                last += 1
                item.number = last
            item.save()
        # Numbers only move down, into slots already freed, so the unique
        # constraint holds at every step.
        for number, item in enumerate(suggestion.items.order_by("number"), start=1):
            if item.number != number:
                item.number = number
                item.save(update_fields=["number"])
        return suggestion.items.count()


EditSuggestionItemFormSet = forms.inlineformset_factory(
    Suggestion,
    SuggestionItem,
    form=SuggestionItemForm,
    formset=EditItemFormSet,
    extra=1,
    max_num=50,
    absolute_max=50,
    can_delete=True,
)


class BulkSuggestionForm(IssuedInCycle, forms.Form):
    """The same focus-area item to many grassroots organizations at once."""

    focus_area = forms.ModelChoiceField(
        label=_("Focus area"), queryset=FocusArea.objects.filter(active=True)
    )
    text = forms.CharField(
        label=_("Content"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    issued_on = forms.DateField(label=_("Issued on"), widget=ISO_DATE)
    organizations = forms.ModelMultipleChoiceField(
        label=_("Organizations"),
        queryset=Organization.objects.none(),
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one organization.")},
    )

    def __init__(self, *args, cycle, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        self.fields["issued_on"].initial = timezone.localdate()
        self.fields["organizations"].queryset = grassroots_organizations(user, cycle)


class TickTypeForm(forms.Form):
    org_type = forms.ModelChoiceField(
        label=_("Tick all organizations of the type"),
        queryset=OrganizationType.objects.all(),
        required=False,
        empty_label=_("— choose a type —"),
    )

    def ticked_type(self):
        return self.cleaned_data["org_type"] if self.is_valid() else None


class SuggestionFilterForm(forms.Form):
    focus_area = forms.ModelChoiceField(
        label=_("Focus area"),
        queryset=FocusArea.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All focus areas"),
    )

    def chosen_area(self):
        """The chosen area; a bad value is ignored."""
        return self.cleaned_data["focus_area"] if self.is_valid() else None


class FocusAreaForm(forms.ModelForm):
    class Meta:
        model = FocusArea
        fields = ["code", "name"]
        help_texts = {
            "code": _("Letters, digits and hyphens, e.g. digital-transformation.")
        }

    def save(self, commit=True):
        area = super().save(commit=False)
        area.active = True
        last = FocusArea.objects.aggregate(last=Max("position"))["last"] or 0
        area.position = last + 1
        if commit:
            area.save()
        return area
