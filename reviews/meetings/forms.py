from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from kontum_review.widgets import ISO_DATE

from ..fields import VersionField
from ..models import Attendance, Meeting
from .services import cycle_day_bounds, stamp_of

MAX_VOTES = 9999
MAX_COMMENTS = 20000


class MeetingDetailsForm(forms.ModelForm):
    version = VersionField()

    class Meta:
        model = Meeting
        fields = [
            "held_on",
            "starts_at",
            "ends_at",
            "place",
            "chair",
            "recorder",
            "superior_attendee",
        ]
        widgets = {
            "held_on": ISO_DATE,
            "starts_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.first_day, self.last_day = cycle_day_bounds(cycle)
        for name in ("held_on", "chair", "recorder"):
            self.fields[name].required = True
        self.fields["held_on"].widget.attrs.update(
            min=self.first_day.isoformat(), max=self.last_day.isoformat()
        )
        self.fields["held_on"].help_text = _("Between %(first)s and %(last)s.") % {
            "first": date_format(self.first_day, "SHORT_DATE_FORMAT"),
            "last": date_format(self.last_day, "SHORT_DATE_FORMAT"),
        }

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error(
                "ends_at",
                _("The meeting must end after it starts (%(start)s).")
                % {"start": starts.strftime("%H:%M")},
            )
        return cleaned

    def clean_held_on(self):
        day = self.cleaned_data["held_on"]
        if not self.first_day <= day <= self.last_day:
            raise forms.ValidationError(
                _(
                    "The meeting must be held within the cycle, between %(first)s "
                    "and %(last)s."
                )
                % {
                    "first": date_format(self.first_day, "SHORT_DATE_FORMAT"),
                    "last": date_format(self.last_day, "SHORT_DATE_FORMAT"),
                }
            )
        return day


class AttendanceForm(forms.ModelForm):
    class Meta:
        model = Attendance
        fields = ["present", "absence_reason"]
        widgets = {
            "present": forms.CheckboxInput(
                attrs={"class": "form-check-input", "data-attendance": "present"}
            ),
            "absence_reason": forms.TextInput(
                attrs={"class": "form-control", "placeholder": _("Reason for absence")}
            ),
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("present"):
            cleaned["absence_reason"] = ""
        elif not cleaned.get("absence_reason", "").strip():
            self.add_error("absence_reason", _("Give the reason for the absence."))
            self.fields["absence_reason"].widget.attrs["class"] += " is-invalid"
        return cleaned


class BaseAttendanceFormSet(forms.BaseFormSet):
    """One form per attendance row of the meeting, in the order they are given.

    The rows come from the database, never from the request: the posted data
    only says who was present, so nobody can add or swap a row.
    """

    def __init__(self, *args, rows, **kwargs):
        self.rows = rows
        kwargs.setdefault("prefix", "attendance")
        super().__init__(*args, initial=[{}] * len(rows), **kwargs)
        self.min_num = self.max_num = self.absolute_max = len(rows)

    def get_form_kwargs(self, index):
        if index < len(self.rows):
            return {"instance": self.rows[index]}
        return {"instance": Attendance()}

    def changed_rows(self):
        return [form.instance for form in self.forms if form.has_changed()]


AttendanceFormSet = forms.formset_factory(
    AttendanceForm,
    formset=BaseAttendanceFormSet,
    extra=0,
    validate_min=True,
    validate_max=True,
)


class SubjectForm(forms.Form):
    """Comments and one vote count per rating level for one subject of a meeting."""

    comments = forms.CharField(
        label=_("Comments (góp ý)"),
        required=False,
        max_length=MAX_COMMENTS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # When the subject was last recorded, as loaded: a changed stamp means
    # someone else recorded it meanwhile (optimistic locking).
    stamp = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, item, levels, **kwargs):
        kwargs.setdefault("prefix", f"subject-{item.order}")
        kwargs.setdefault(
            "initial",
            {
                "comments": item.comments,
                "stamp": stamp_of(item),
                **{
                    vote_field(level): item.votes.get(level.code, 0) for level in levels
                },
            },
        )
        super().__init__(*args, **kwargs)
        self.item = item
        self.levels = levels
        for level in levels:
            self.fields[vote_field(level)] = forms.IntegerField(
                label=level.name,
                required=False,
                min_value=0,
                max_value=MAX_VOTES,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def clean(self):
        cleaned = super().clean()
        for level in self.levels:
            if cleaned.get(vote_field(level)) is None and not self.has_error(
                vote_field(level)
            ):
                cleaned[vote_field(level)] = 0
        return cleaned

    @property
    def vote_fields(self):
        return [self[vote_field(level)] for level in self.levels]

    @property
    def votes(self):
        return {
            level.code: self.cleaned_data[vote_field(level)] for level in self.levels
        }


class MeetingActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("details", _("Save the details and attendance")),
            ("finish", _("Finish recording")),
            ("reopen", _("Reopen the meeting")),
        ]
    )


class MeetingPageForm(forms.Form):
    """The query string of the meeting page: which recorded subject to correct."""

    edit = forms.IntegerField(required=False, min_value=0)

    def edited_order(self):
        return self.cleaned_data["edit"] if self.is_valid() else None


def vote_field(level):
    return f"votes_{level.code}"
