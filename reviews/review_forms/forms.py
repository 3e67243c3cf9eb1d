"""The review form (Mẫu 01, 02A/02B, 2A/2B/2C) built from its template's sections."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..fields import ScoreField, VersionField, typed_value
from ..models import (
    Review,
    ScoreCriterion,
)
from .checks import ReviewChecks
from .content import (
    CONDITIONS,
    REQUIRED_TO_SUBMIT,
    TEXT_MAX_LENGTH,
    Kind,
    Outcome,
    ReviewContent,
    addressed_items,
    as_decimal,
    keep_levels,
    normalized,
    template_parts,
    values_of,
)
from .html import Block, control_html, field_group, text_field

__all__ = [
    "CONDITIONS",
    "REQUIRED_TO_SUBMIT",
    "TEXT_MAX_LENGTH",
    "Block",
    "ReturnForm",
    "ReviewContent",
    "ReviewForm",
    "addressed_items",
    "as_decimal",
    "control_html",
    "field_group",
    "keep_levels",
    "normalized",
    "template_parts",
    "text_field",
    "values_of",
]


class ReviewForm(ReviewChecks, forms.Form):
    """Every answer of one review; nothing is required to save a draft."""

    version = VersionField()
    action = forms.ChoiceField(
        choices=[("save", _("Save draft")), ("submit", _("Submit"))], required=False
    )

    def __init__(self, data=None, *, content):
        self.content = content
        review = content.review
        super().__init__(data, initial=values_of(content, review, None, None))
        self.initial["version"] = review.version
        for section in content.sections:
            if section.kind == Kind.TEXT:
                self.fields[f"text_{section.key}"] = text_field(
                    f"{section.number}. {section.heading}", section.guidance
                )
            elif section.kind == Kind.CARRY_OVER:
                self.add_carry_over_fields(section)
            elif section.kind == Kind.SUGGESTIONS:
                for item in content.suggestion_items:
                    self.fields[f"suggestion_{item.pk}"] = text_field(
                        f"{item.number}. {item.focus_area.name} — {item.text}"
                    )
            elif section.kind == Kind.RATING:
                self.add_rating_fields()

    def add_carry_over_fields(self, section):
        if not self.content.carry_items:
            self.fields[f"text_{section.key}"] = text_field(
                f"{section.number}. {section.heading}", section.guidance
            )
            return
        for item in self.content.carry_items:
            self.fields[f"carry_{item.pk}"] = text_field(
                f"{item.number}. {item.text}",
                _("Raised in: %(source)s") % {"source": item.source}
                if item.source
                else "",
            )
            self.fields[f"outcome_{item.pk}"] = forms.ChoiceField(
                label=_("Outcome of item %(number)s") % {"number": item.number},
                required=False,
                choices=[
                    ("", "—"),
                    (Outcome.REMEDIED, Outcome.REMEDIED.label),
                    (Outcome.CARRIED, Outcome.CARRIED.label),
                ],
            )

    def add_rating_fields(self):
        review = self.content.review
        self.fields["self_rating"] = forms.TypedChoiceField(
            label=_("Self-proposed rating as a Party member")
            if not review.is_collective
            else _("Proposed rating of the collective"),
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", "—")]
            + [(level.pk, str(level)) for level in self.content.levels],
        )
        if not review.is_collective:
            self.fields["civil_servant_rating"] = forms.CharField(
                label=_("Self-proposed rating as a civil servant (if any)"),
                required=False,
                max_length=Review._meta.get_field("civil_servant_rating").max_length,
            )
        for criterion in self.content.criteria:
            self.fields[f"score_{criterion.code}"] = ScoreField(
                label=_("%(code)s. %(text)s (at most %(max)s points)")
                % {
                    "code": criterion.code,
                    "text": criterion.text,
                    "max": criterion.max_points,
                },
                max_value=criterion.max_points,
                attrs={"data-score-group": criterion.group},
            )

        if self.content.criteria:
            for name, label in CONDITIONS:
                self.fields[f"cond_{name}"] = ScoreField(label=label, max_value=100)

    def clean(self):
        cleaned = super().clean()
        regime = self.content.review.cycle.regime
        limits = {
            ScoreCriterion.Group.GENERAL: regime.general_criteria_max,
            ScoreCriterion.Group.TASKS: regime.task_results_max,
        }
        for group, total in self.score_totals(cleaned).items():
            if group in limits and total is not None and total > limits[group]:
                self.add_error(
                    None,
                    _("Group %(group)s adds up to %(total)s, above %(max)s points.")
                    % {"group": group, "total": total, "max": limits[group]},
                )
        return cleaned

    # Reading the answers -----------------------------------------------

    def score_totals(self, values):
        """Points per group (A, B) and overall; None where nothing is scored."""
        totals = {}
        for criterion in self.content.criteria:
            points = as_decimal(values.get(f"score_{criterion.code}"))
            if points is not None:
                totals[criterion.group] = totals.get(criterion.group, 0) + points
        if totals:
            totals["all"] = sum(totals.values())
        return totals

    def changes(self):
        """The Review fields to write, from the cleaned data."""
        review, data = self.content.review, self.cleaned_data
        answers = dict(review.answers)
        for section in self.content.sections:
            if f"text_{section.key}" in self.fields:
                answers[section.key] = data[f"text_{section.key}"]
        changes = {"answers": answers}
        if "self_rating" in self.fields:
            levels = {level.pk: level for level in self.content.levels}
            changes["self_rating"] = levels.get(data["self_rating"])
        if "civil_servant_rating" in self.fields:
            changes["civil_servant_rating"] = data["civil_servant_rating"]
        if self.content.criteria:
            scores = {}
            for criterion in self.content.criteria:
                points = data[f"score_{criterion.code}"]
                if points is not None:
                    scores[criterion.code] = str(points)
            totals = self.score_totals(data)
            changes["scores"] = scores
            changes["score_general"] = totals.get(ScoreCriterion.Group.GENERAL)
            changes["score_tasks"] = totals.get(ScoreCriterion.Group.TASKS)
            for name, _label in CONDITIONS:
                changes[name] = data[f"cond_{name}"]
        return changes

    def suggestion_answers(self):
        """Item id → explanation, for the items whose explanation changed."""
        answers = {}
        for item in self.content.suggestion_items:
            text = self.cleaned_data[f"suggestion_{item.pk}"]
            if text != self.content.suggestion_texts.get(item.pk, ""):
                answers[item.pk] = text
        return answers

    def carry_over_answers(self):
        """Item → (answer, outcome) for each carried-over item."""
        return {
            item: (
                self.cleaned_data[f"carry_{item.pk}"],
                self.cleaned_data[f"outcome_{item.pk}"] or Outcome.OPEN,
            )
            for item in self.content.carry_items
        }

    # Rendering -----------------------------------------------------------

    def blocks(self, *, rendered=False):
        """The sections in order, each with its bound fields, or with them
        rendered (label, control, errors and help) when `rendered`."""
        shown = field_group if rendered else (lambda bound: bound)
        blocks = []
        for section in self.content.sections:
            block = Block(section=section)
            if f"text_{section.key}" in self.fields:
                block.field = shown(self[f"text_{section.key}"])
            elif section.kind == Kind.CARRY_OVER:
                block.rows = [
                    (
                        item,
                        shown(self[f"carry_{item.pk}"]),
                        shown(self[f"outcome_{item.pk}"]),
                    )
                    for item in self.content.carry_items
                ]
            elif section.kind == Kind.SUGGESTIONS:
                block.rows = [
                    (item, shown(self[f"suggestion_{item.pk}"]))
                    for item in self.content.suggestion_items
                ]
            elif section.kind == Kind.RATING:
                block.field = shown(self["self_rating"])
                if "civil_servant_rating" in self.fields:
                    block.civil_servant = shown(self["civil_servant_rating"])
                block.score_groups = self.score_groups(shown)
                block.conditions = [
                    shown(self[f"cond_{name}"])
                    for name, _label in CONDITIONS
                    if f"cond_{name}" in self.fields
                ]
            blocks.append(block)
        return blocks

    def score_groups(self, shown):
        """(group, label, maximum, total so far, fields) for the score table."""
        if not self.content.criteria:
            return []
        regime = self.content.review.cycle.regime
        totals = self.score_totals(self.shown_scores())
        groups = []
        for group, maximum in (
            (ScoreCriterion.Group.GENERAL, regime.general_criteria_max),
            (ScoreCriterion.Group.TASKS, regime.task_results_max),
        ):
            fields = [
                shown(self[f"score_{c.code}"])
                for c in self.content.criteria
                if c.group == group
            ]
            if fields:
                groups.append((group, group.label, maximum, totals.get(group), fields))
        return groups

    def grand_total(self):
        return self.score_totals(self.shown_scores()).get("all")

    def shown_scores(self):
        """The scores the totals on the page add up: as saved, or as typed.

        What was typed counts only as far as its field accepts it, so "NaN" or
        a number past the maximum is left out of the totals (the field says why).
        """
        names = [f"score_{criterion.code}" for criterion in self.content.criteria]
        if not self.is_bound:
            return {name: self[name].value() for name in names}
        return {name: typed_value(self[name]) for name in names}


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What must be reworked"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
