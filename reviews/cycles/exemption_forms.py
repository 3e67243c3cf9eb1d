import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_REASON = 500


class ReviewsField(forms.ModelMultipleChoiceField):
    """Reviews ticked by their public id; a malformed id gets the field's message."""

    def _check_values(self, value):
        for key in value:
            try:
                uuid.UUID(str(key))
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": key},
                ) from None
        return super()._check_values(value)


class ExemptionForm(forms.Form):
    """Close open work of the cycle's step without doing it, for a stated reason."""

    reviews = ReviewsField(
        label=_("items"),
        queryset=None,
        to_field_name="public_id",
        required=False,
        error_messages={
            "invalid_choice": _(
                "An item chosen is no longer waiting at this step; reload the page."
            ),
            "invalid_pk_value": _("An item chosen is not valid; reload the page."),
        },
    )
    all_waiting = forms.BooleanField(
        label=_("Apply to every item still waiting in this list"), required=False
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason.")},
        help_text=_(
            "For example: long illness in hospital; working abroad; transfer of "
            "Party membership in progress. It is printed in the minutes and the "
            "summary."
        ),
    )

    def __init__(self, *args, waiting, **kwargs):
        super().__init__(*args, **kwargs)
        self.waiting = waiting
        self.fields["reviews"].queryset = waiting

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason."))
        return reason

    def clean(self):
        cleaned = super().clean()
        nothing = not cleaned.get("all_waiting") and not cleaned.get("reviews")
        if nothing and "reviews" not in self.errors:
            raise forms.ValidationError(
                _("Tick the items to close, or apply the reason to every item.")
            )
        return cleaned

    def chosen(self):
        if self.cleaned_data["all_waiting"]:
            return list(self.waiting)
        return list(self.cleaned_data["reviews"])

    def ticked(self):
        """The public ids ticked in the posted data, to keep them ticked."""
        return set(self.data.getlist("reviews")) if self.is_bound else set()
