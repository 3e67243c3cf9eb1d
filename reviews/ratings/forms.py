from django import forms
from django.utils.translation import gettext_lazy as _

from ..fields import ScoreField
from ..models import Rating

MAX_TEXT = 5000
Stage = Rating.Stage


class GroupQueryForm(forms.Form):
    """The query string of the appraisal and decision pages."""

    group = forms.CharField(required=False, max_length=100)
    subject = forms.UUIDField(required=False)
    page = forms.CharField(required=False, max_length=10)


class ActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("save", _("Save")),
            ("accept", _("Accept the proposals")),
        ]
    )


class RatingRowForm(forms.Form):
    """One subject's level at the appraisal or decision stage, with the reasons.

    `current` is the subject's rating at this stage, if any; `previous` the
    latest earlier stage, which a different level must explain; `score` the
    score the points rule reads so far (ratings.chain_score), offered on the
    appraisal.
    """

    level = forms.ChoiceField(label=_("Level"), required=False)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=MAX_TEXT,
        help_text=_("Needed when the level differs from the proposal."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args,
        review,
        stage,
        levels,
        previous=None,
        current=None,
        overridable=(),
        uses_points=False,
        score=None,
        **kwargs,
    ):
        self.score = score
        self.review = review
        self.stage = stage
        self.previous = previous
        self.current = current
        kwargs.setdefault("prefix", f"r{review.public_id.hex}")
        kwargs.setdefault("initial", self.initial_values(review, stage))
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [
            ("", _("— not rated —")),
            *((level.code, f"{level.code} – {level.name}") for level in levels),
        ]
        self.fields["level"].widget.attrs["data-quota-level"] = ""
        if stage == Stage.DECISION:
            self.fields["assessment"] = forms.CharField(
                label=_("Assessment (nhận xét, đánh giá)"),
                required=False,
                max_length=MAX_TEXT,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            if overridable:
                self.fields["override_reason"] = forms.CharField(
                    label=_("Reason for overriding a rule"),
                    required=False,
                    max_length=MAX_TEXT,
                    help_text=_(
                        "Only for these rules: %(rules)s. The override is flagged "
                        "in the history and in reports."
                    )
                    % {"rules": ", ".join(overridable)},
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
        elif uses_points:
            self.fields["score"] = ScoreField(
                label=_("Score"), max_value=100, attrs={"step": "0.01"}
            )

    def initial_values(self, review, stage):
        current, previous = self.current, self.previous
        shown = current or previous
        initial = {"level": shown.level.code if shown else ""}
        if current:
            initial.update(
                reason=current.reason,
                assessment=current.assessment,
                override_reason=current.override_reason,
            )
        if stage == Stage.APPRAISAL:
            initial["score"] = self.score
        return initial

    def clean(self):
        cleaned = super().clean()
        level = cleaned.get("level")
        if not level:
            if self.current is not None:
                self.add_error(
                    "level", _("Choose a level: a recorded rating cannot be removed.")
                )
            return cleaned
        previous = self.previous
        if (
            previous is not None
            and previous.level.code != level
            and not cleaned.get("reason", "").strip()
        ):
            self.add_error(
                "reason",
                _("The level differs from the %(stage)s (%(level)s); give the reason.")
                % {
                    "stage": previous.get_stage_display().lower(),
                    "level": previous.level.code,
                },
            )
        return cleaned

    def is_change(self):
        """Whether saving the row writes anything: a new rating or a changed one."""
        cleaned = self.cleaned_data
        if not cleaned.get("level"):
            return False
        current = self.current
        if current is None:
            return True
        stored = {
            "level": current.level.code,
            "reason": current.reason,
            "assessment": current.assessment,
            "override_reason": current.override_reason,
            "score": current.score,
        }
        return any(cleaned[name] != stored[name] for name in cleaned)

    @property
    def score_field(self):
        return self["score"] if "score" in self.fields else None

    @property
    def detail_fields(self):
        """The assessment and the override, folded away unless filled in."""
        names = ("assessment", "override_reason")
        return [self[name] for name in names if name in self.fields]

    @property
    def details_open(self):
        return any(field.value() or field.errors for field in self.detail_fields)
