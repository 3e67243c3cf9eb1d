"""Forms of a cycle: the confirmation of a step, and next year's cycle."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kontum_review.dates import add_years
from kontum_review.widgets import ISO_DATE
from organizations.widgets import OrganizationSelect

from ..models import Regime, ReviewCycle

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
# The deadlines of a cycle, in the order of its steps.
DEADLINES = [
    "guidance_issued_on",
    "self_review_due",
    "meetings_due",
    "appraisal_due",
    "decision_due",
    "publication_due",
]
DATES = ["starts_on", "ends_on", *DEADLINES]
YEARS = (2000, 2100)


class CycleMoveForm(forms.Form):
    """The explicit confirmation of one step of a cycle."""

    confirm = forms.BooleanField(
        label=_("I confirm this step of the cycle."),
        error_messages={"required": _("Tick the box to confirm this step.")},
    )


# Next year's cycle --------------------------------------------------------------


def next_year(day):
    """The same day a year on; 29 February becomes 28 February."""
    return None if day is None else add_years(day, 1)


def regime_for(year):
    """The current regime in force in `year`, the newest if two overlap."""
    covering = Q(last_year__isnull=True) | Q(last_year__gte=year)
    return (
        Regime.objects.filter(covering, history_only=False, first_year__lte=year)
        .order_by("-first_year")
        .first()
    )


def next_cycle_initial(committee, today=None):
    """A new cycle of `committee`: its latest cycle a year on, or this year's.

    Returns the form's initial values and the latest cycle (None if none).
    """
    latest = committee.review_cycles.order_by("-starts_on", "-pk").first()
    if latest is None:
        year = (today or datetime.date.today()).year
        initial = {
            "starts_on": datetime.date(year, 1, 1),
            "ends_on": datetime.date(year, 12, 31),
        }
    else:
        year = latest.year + 1
        initial = {name: next_year(getattr(latest, name)) for name in DATES}
        initial["period"] = latest.period
        initial["reminder_days"] = latest.reminder_days
    regime = regime_for(year)
    return initial | {
        "superior": committee.pk,
        "year": year,
        "name": gettext("Review and rating of %(year)s") % {"year": year},
        "regime": regime.pk if regime else None,
    }, latest


class CommitteeChoiceForm(forms.Form):
    """The committee whose latest cycle prefills the new one (`?committee=`)."""

    committee = forms.ModelChoiceField(
        label=_("Prefill from the latest cycle of"),
        queryset=None,
        to_field_name="public_id",
        required=False,
        empty_label=None,
        widget=OrganizationSelect,
    )

    def __init__(self, *args, committees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees

    def chosen(self, committees):
        return self.cleaned_data["committee"] or committees.first()


class CycleCreateForm(forms.ModelForm):
    """A new cycle of one of the user's committees; it starts as a draft."""

    class Meta:
        model = ReviewCycle
        fields = ["superior", "name", "period", "year", "regime", *DATES]
        fields += ["reminder_days"]
        widgets = dict.fromkeys(DATES, ISO_DATE) | {"superior": OrganizationSelect}

    def __init__(self, *args, committees, **kwargs):
        super().__init__(*args, **kwargs)
        superior = self.fields["superior"]
        superior.queryset = committees
        superior.empty_label = None
        superior.error_messages["invalid_choice"] = _(
            "Choose a committee whose staff you are."
        )
        regime = self.fields["regime"]
        regime.queryset = Regime.objects.filter(history_only=False)
        regime.error_messages["invalid_choice"] = _(
            "Choose a regime in force; those kept for history cannot be used."
        )
        year = self.fields["year"]
        # In place of the column's own bounds (0 to 32767): one message, not two.
        year.validators = [MinValueValidator(YEARS[0]), MaxValueValidator(YEARS[1])]
        year.widget.attrs.update(min=YEARS[0], max=YEARS[1])
        for name in DATES:
            self.fields[name].input_formats = DATE_INPUT_FORMATS
        self.fields["reminder_days"].required = False

    def clean_reminder_days(self):
        """Left empty: the default (3 days)."""
        days = self.cleaned_data["reminder_days"]
        if days is None:
            return ReviewCycle._meta.get_field("reminder_days").default
        return days

    def clean(self):
        cleaned = super().clean()
        guidance = cleaned.get("guidance_issued_on")
        later = [cleaned.get(name) for name in DEADLINES[1:]]
        if guidance and any(day and day < guidance for day in later):
            self.add_error(
                "guidance_issued_on",
                ValidationError(
                    _("The guidance is issued before every other deadline."),
                    code="guidance_late",
                ),
            )
        return cleaned
