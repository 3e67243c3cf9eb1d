"""Forms of a remedy plan: a new action, and the update of one action."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from kontum_review.widgets import ISO_DATE

from ..models import RemedyAction
from .services import deadline_bounds

TEXT_MAX = {"shortcoming": 2000, "content": 2000, "evidence": 4000}
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def short_date(day):
    return formats.date_format(day, "SHORT_DATE_FORMAT")


class RemedyActionForm(forms.ModelForm):
    """A new action of a plan: the shortcoming, what will be done, by whom, by when.

    `decision_day` is the day the superior decided the rating; a deadline falls
    after it and at most two years on.
    """

    class Meta:
        model = RemedyAction
        fields = ["shortcoming", "content", "owner", "deadline"]
        widgets = {
            "shortcoming": forms.Textarea(attrs={"rows": 3}),
            "content": forms.Textarea(attrs={"rows": 3}),
            "deadline": ISO_DATE,
        }

    def __init__(self, *args, decision_day=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.decision_day = decision_day
        for name, limit in TEXT_MAX.items():
            if name in self.fields:
                field = self.fields[name]
                field.max_length = limit
                field.validators.append(MaxLengthValidator(limit))
                field.widget.attrs["maxlength"] = limit
        self.fields["deadline"].input_formats = DATE_INPUT_FORMATS

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        # A deadline already agreed stays valid when only the progress changes.
        if self.instance.pk and deadline == self.instance.deadline:
            return deadline
        after, last = deadline_bounds(self.decision_day)
        if deadline <= after:
            if self.decision_day:
                message = _("The deadline must be after the decision of %(day)s.")
            else:
                message = _("The deadline must be after today, %(day)s.")
            raise ValidationError(
                message % {"day": short_date(after)}, code="before_decision"
            )
        if deadline > last:
            raise ValidationError(
                _("The deadline must be within two years, by %(day)s at the latest.")
                % {"day": short_date(last)},
                code="too_late",
            )
        return deadline


class RemedyProgressForm(RemedyActionForm):
    """An action's progress (status and evidence) and, if need be, its details."""

    class Meta(RemedyActionForm.Meta):
        fields = ["status", "evidence", "content", "owner", "deadline", "shortcoming"]
        widgets = RemedyActionForm.Meta.widgets | {
            "evidence": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == RemedyAction.Status.DONE and not cleaned.get(
            "evidence"
        ):
            self.add_error(
                "evidence",
                _("Describe what was done, the evidence, before closing the action."),
            )
        return cleaned
