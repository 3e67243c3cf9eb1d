from django import forms
from django.utils.translation import gettext_lazy as _

from ..statistics import STEP_LABELS, SUBJECTS

STAGES = [("decided", _("Decided")), ("proposed", _("Proposed"))]


class DashboardFilterForm(forms.Form):
    """The query string of the dashboard and the statistics tables.

    The choices come from what the view already read (the user's cycles, the
    organization types), so validating costs no query.
    """

    cycle = forms.ChoiceField(label=_("Review cycle"), required=False)
    type = forms.ChoiceField(label=_("Organization type"), required=False)
    org = forms.UUIDField(
        required=False,
        widget=forms.HiddenInput,
        # Django's Vietnamese catalogue has no words for this one.
        error_messages={"invalid": _("This organization link is not valid.")},
    )

    def __init__(self, data, *, cycles, types):
        super().__init__(data)
        self.fields["cycle"].choices = [(str(c.public_id), c.name) for c in cycles]
        self.fields["type"].choices = [("", _("All types"))] + [
            (t.code, t.name) for t in types
        ]


class DrillDownForm(DashboardFilterForm):
    """Which subjects a figure counts: the list behind it."""

    subjects = forms.ChoiceField(
        label=_("Subjects"), choices=list(SUBJECTS.items()), required=False
    )
    level = forms.CharField(label=_("Level"), max_length=10, required=False)
    stage = forms.ChoiceField(label=_("Stage"), choices=STAGES, required=False)
    step = forms.ChoiceField(
        label=_("Step"), choices=list(STEP_LABELS.items()), required=False
    )
    missing = forms.BooleanField(label=_("Not done yet"), required=False)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
