from django import forms
from django.utils.translation import gettext_lazy as _


class CycleMoveForm(forms.Form):
    """The explicit confirmation of one step of a cycle."""

    confirm = forms.BooleanField(
        label=_("I confirm this step of the cycle."),
        error_messages={"required": _("Tick the box to confirm this step.")},
    )
