"""Fields and helpers shared by the forms of a cycle."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class ScoreField(forms.DecimalField):
    """A score or a percentage typed on a form: from 0, with at most two decimals.

    Python reads "NaN", "Infinity" and "sNaN" as numbers; this field refuses
    them with its own message, before a total, a comparison or the rules see
    them. Empty is allowed: a form is saved half done.
    """

    default_error_messages = {
        "not_finite": _(
            "Enter an ordinary number, such as 7 or 7.5: “%(value)s” is not one."
        )
    }

    def __init__(self, *, max_value, attrs=None, **kwargs):
        widget_attrs = {"step": "any", "inputmode": "decimal"} | (attrs or {})
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.NumberInput(attrs=widget_attrs))
        super().__init__(max_value=max_value, **kwargs)

    def validate(self, value):
        if value not in self.empty_values and not value.is_finite():
            raise ValidationError(
                self.error_messages["not_finite"],
                code="not_finite",
                params={"value": value},
            )
        super().validate(value)


def typed_value(bound_field):
    """The value of a bound field as its field cleans it; None if it is refused.

    For what a page works out from the input before the form is validated (a
    running total, the verdict of a typed score, a search): the raw text, such
    as "NaN", "1e999999999" or a megabyte of search, never reaches the
    arithmetic or the database.
    """
    try:
        return bound_field.field.clean(bound_field.value())
    except ValidationError:
        return None


class VersionField(forms.IntegerField):
    """The version a page was opened at, posted back in a hidden input.

    Only a changed page posts a missing or unreadable one, and no field shows
    it: the form says so above itself, with what was typed kept.
    """

    default_error_messages = dict.fromkeys(
        ("required", "invalid", "min_value"),
        _(
            "This page was sent back without the version it was opened at: "
            "reload the page, then save again."
        ),
    )

    def __init__(self, **kwargs):
        super().__init__(min_value=0, widget=forms.HiddenInput, **kwargs)
