"""Forms of the Standing Committee's review suggestions and assignments."""

import contextlib

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kontum_review.vietnamese import fold
from members.models import Member
from organizations.models import GRASSROOTS_KINDS, Organization, OrganizationType, Role
from organizations.widgets import OrganizationSelect, OrganizationSelectMultiple

from ..models import (
    Assignment,
    FocusArea,
    Review,
    ReviewCycle,
    Suggestion,
    SuggestionItem,
)
from ..services import scope_organizations
from .fields import typed_value

TEXT_MAX = 4000
MEMBER_MATCHES = 20
# Suggestions are answered in section IV, so they change only while forms are open.
ISSUING_STATES = (ReviewCycle.Status.DRAFT, ReviewCycle.Status.SELF_REVIEW)
ISO_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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


class SuggestionForm(forms.Form):
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

    def clean_issued_on(self):
        day = self.cleaned_data["issued_on"]
        check_issue_date(self.cycle, day)
        return day

    def clean(self):
        cleaned_data = super().clean()
        check_cycle_issuing(self.cycle)
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
    SuggestionItemForm, formset=NewItemFormSet, extra=3, max_num=50
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
    can_delete=True,
)


class BulkSuggestionForm(forms.Form):
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

    def clean_issued_on(self):
        day = self.cleaned_data["issued_on"]
        check_issue_date(self.cycle, day)
        return day

    def clean(self):
        cleaned_data = super().clean()
        check_cycle_issuing(self.cycle)
        return cleaned_data


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


def visible_assignments(user, cycle):
    organizations = Organization.objects.visible_to(user).values("pk")
    return cycle.assignments.filter(organization__in=organizations)


def visible_suggestions(user, cycle):
    organizations = Organization.objects.visible_to(user).values("pk")
    members = Member.objects.visible_to(user).values("pk")
    return cycle.suggestions.filter(
        Q(organization__in=organizations) | Q(member__in=members)
    )
