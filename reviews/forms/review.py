"""The review form (Mẫu 01, 02A/02B, 2A/2B/2C) built from its template's sections."""

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.template.defaultfilters import floatformat
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .. import rules
from ..models import (
    CarryOverItem,
    FormSection,
    Review,
    ScoreCriterion,
    SuggestionAnswer,
    SuggestionItem,
)
from .fields import ScoreField, typed_value

TEXT_MAX_LENGTH = 20_000
REQUIRED_TO_SUBMIT = _("Required to submit the form.")
Kind = FormSection.Kind
Outcome = CarryOverItem.Outcome


@dataclass
class ReviewContent:
    """Everything a review form is built from, read once before rendering."""

    review: Review
    sections: list
    levels: list
    criteria: list = dataclasses.field(default_factory=list)
    carry_items: list = dataclasses.field(default_factory=list)
    suggestion_items: list = dataclasses.field(default_factory=list)
    suggestion_texts: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def load(cls, review):
        """Read the content of `review`; the sections, levels and criteria come
        from the template's cache, and the carried-over and suggestion items are
        read only when the lookup's annotations (annotations()) say there are any.
        """
        regime = review.cycle.regime
        sections, levels, criteria = template_parts(review.template, regime)
        kinds = {section.kind for section in sections}
        if Kind.RATING in kinds:
            # Kept on the regime: the rules of the self-rating read them again.
            keep_levels(regime, levels)
        content = cls(review=review, sections=sections, levels=levels)
        if Kind.RATING in kinds and regime.uses_points:
            content.criteria = criteria
        if Kind.CARRY_OVER in kinds and getattr(review, "has_carry_over_items", True):
            content.carry_items = list(review.carry_over_items.order_by("number"))
        if Kind.SUGGESTIONS in kinds and getattr(review, "has_suggestion_items", True):
            # Each item with this review's answer to it, in the same query.
            answers = SuggestionAnswer.objects.filter(
                review=review, item=OuterRef("pk")
            )
            content.suggestion_items = list(
                addressed_items(review).annotate(
                    answer=Subquery(answers.values("text")[:1])
                )
            )
            content.suggestion_texts = {
                item.pk: item.answer
                for item in content.suggestion_items
                if item.answer is not None
            }
        return content

    @staticmethod
    def annotations():
        """What the review lookup adds so that load() skips empty reads."""
        items = SuggestionItem.objects.filter(suggestion__cycle=OuterRef("cycle_id"))
        return {
            "has_carry_over_items": Exists(
                CarryOverItem.objects.filter(review=OuterRef("pk"))
            ),
            # As addressed_items() chooses them.
            "has_suggestion_items": Case(
                When(
                    kind=Review.Kind.ORGANIZATION,
                    then=Exists(
                        items.filter(
                            suggestion__organization=OuterRef("organization_id")
                        )
                    ),
                ),
                When(
                    kind=Review.Kind.INDIVIDUAL,
                    then=Exists(items.filter(suggestion__member=OuterRef("member_id"))),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
        }


# A template's parts change a few times a year; every autosave reads them.
TEMPLATE_CACHE_SECONDS = 24 * 60 * 60


def template_parts(template, regime):
    """(sections, rating levels, score criteria) of a form, cached per template.

    The key holds the template's changed_at, which reviews/signals.py moves on
    whenever a section, a criterion or a rating level is saved or deleted.
    The levels are the cycle's regime's, so its id is in the key too.
    """
    key = (
        f"reviews:form-template:{template.pk}:"
        f"{template.changed_at.timestamp()}:{regime.pk}"
    )
    parts = cache.get(key)
    if parts is None:
        sections = list(template.sections.all())
        rated = any(section.kind == Kind.RATING for section in sections)
        parts = (
            sections,
            list(regime.levels.all()) if rated else [],
            list(template.criteria.all()) if rated and regime.uses_points else [],
        )
        cache.set(key, parts, TEMPLATE_CACHE_SECONDS)
    return parts


def keep_levels(regime, levels):
    """Hold `levels` as regime.levels.all(), as prefetch_related_objects would."""
    queryset = regime.levels.all()
    queryset._result_cache = list(levels)
    queryset._prefetch_done = True
    if not hasattr(regime, "_prefetched_objects_cache"):
        regime._prefetched_objects_cache = {}
    regime._prefetched_objects_cache["levels"] = queryset


def addressed_items(review):
    """The suggestion items section IV must answer: those sent to this subject."""
    items = SuggestionItem.objects.filter(suggestion__cycle=review.cycle_id)
    if review.kind == Review.Kind.ORGANIZATION:
        items = items.filter(suggestion__organization=review.organization_id)
    elif review.kind == Review.Kind.INDIVIDUAL:
        items = items.filter(suggestion__member=review.member_id)
    else:
        return SuggestionItem.objects.none()
    return items.select_related("focus_area").order_by("number")


# The conditions of the QĐ 366 points bands, declared with the self-score.
CONDITIONS = [
    ("tasks_on_time_percent", _("Tasks done on time (%)")),
    ("tasks_exceeding_percent", _("Tasks exceeding the requirement (%)")),
    ("shortcomings_remedied_percent", _("Earlier shortcomings remedied (%)")),
]


@dataclass
class Block:
    """One section of the form as the template shows it.

    The fields are bound fields for the read-only page, and their rendered
    groups (field_group) for the editable one: its templates print them.
    """

    section: FormSection
    field: forms.BoundField | None = None
    rows: list = dataclasses.field(default_factory=list)
    score_groups: list = dataclasses.field(default_factory=list)
    conditions: list = dataclasses.field(default_factory=list)
    civil_servant: forms.BoundField | None = None

    @property
    def kind(self):
        return self.section.kind


# The Bootstrap class of each widget's control, after crispy-bootstrap5.
CONTROL_CLASSES = {forms.Select: "form-select", forms.CheckboxInput: "form-check-input"}


def control_class(widget):
    """The widget's classes as crispy's filter sets them: its own name first."""
    bootstrap = next(
        (css for kind, css in CONTROL_CLASSES.items() if isinstance(widget, kind)),
        "form-control",
    )
    return f"{type(widget).__name__.lower()} {bootstrap}"


def field_group(bound):
    """The label, control, errors and help of a field, as crispy-bootstrap5's
    field.html lays them out, in one pass of Python instead of ten templates.
    """
    widget = bound.field.widget
    if widget.is_hidden:
        return control_html(bound, {})
    errors = bound.errors
    css = widget.attrs.get("class") or control_class(widget)
    if errors and "is-invalid" not in css.split():
        css = f"{css} is-invalid"
    control = control_html(bound, {"class": css})
    required = bound.field.required
    label = format_html(
        '<label for="{}" class="form-label{}">{}{}</label>',
        bound.id_for_label,
        " requiredField" if required else "",
        bound.label,
        mark_safe('<span class="asteriskField">*</span>') if required else "",
    )
    shown_errors = ""
    if errors:
        shown_errors = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            errors.field_id,
            format_html_join(
                "",
                '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((n, bound.auto_id, error) for n, error in enumerate(errors, 1)),
            ),
        )
    help_text = ""
    if bound.help_text:
        # As crispy shows it: the help text is the form's own, not user input.
        help_text = format_html(
            '<div id="{}_helptext" class="form-text">{}</div>',
            bound.auto_id,
            mark_safe(bound.help_text),
        )
    classes = bound.css_classes()
    return format_html(
        '<div id="div_{}" class="mb-3{}">{}{}{}{}</div>',
        bound.auto_id,
        f" {classes}" if classes else "",
        label,
        control,
        shown_errors,
        help_text,
    )


# The widgets control_html writes as Django's own templates would.
PLAIN_WIDGETS = (
    forms.Textarea,
    forms.Select,
    forms.TextInput,
    forms.NumberInput,
    forms.DateInput,
    forms.TimeInput,
    forms.CheckboxInput,
    forms.HiddenInput,
)


def html_attrs(attrs):
    """Attributes in their order, as django/forms/widgets/attrs.html writes them."""
    return mark_safe(
        "".join(
            f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{conditional_escape(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


def control_html(bound, attrs):
    """The field's widget as BoundField.as_widget renders it, without its
    templates (django/forms/widgets/*.html); other widgets go through them."""
    widget = bound.field.widget
    if type(widget) not in PLAIN_WIDGETS:
        return bound.as_widget(attrs=attrs)
    attrs = bound.build_widget_attrs(attrs, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    shown = widget.get_context(bound.html_name, bound.value(), attrs)["widget"]
    name, value = shown["name"], shown["value"]
    if isinstance(widget, forms.Textarea):
        return format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            name,
            html_attrs(shown["attrs"]),
            value or "",
        )
    if isinstance(widget, forms.Select):
        options = format_html_join(
            "",
            '\n  <option value="{}"{}>{}</option>',
            (
                (option["value"], html_attrs(option["attrs"]), option["label"])
                for _group, choices, _index in shown["optgroups"]
                for option in choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            name,
            html_attrs(shown["attrs"]),
            options,
        )
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        shown["type"],
        name,
        format_html(' value="{}"', value) if value is not None else "",
        html_attrs(shown["attrs"]),
    )


def text_field(label, help_text=""):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def as_decimal(value):
    """A stored or cleaned number as a Decimal; None if empty or not a number."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class ReviewForm(forms.Form):
    """Every answer of one review; nothing is required to save a draft."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
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

    def missing(self):
        """(field name, readable item) for everything a submitted form must have."""
        data, found = self.cleaned_data, []
        for section in self.content.sections:
            name = f"text_{section.key}"
            if name in self.fields:
                if section.required and not data.get(name):
                    found.append(
                        (
                            name,
                            _("Section %(number)s: %(heading)s")
                            % {"number": section.number, "heading": section.heading},
                        )
                    )
            elif section.kind == Kind.CARRY_OVER:
                found += self.missing_carry_over(section)
            elif section.kind == Kind.SUGGESTIONS:
                found += [
                    (
                        f"suggestion_{item.pk}",
                        _("Section %(section)s, item %(number)s: %(focus)s")
                        % {
                            "section": section.number,
                            "number": item.number,
                            "focus": item.focus_area.name,
                        },
                    )
                    for item in self.content.suggestion_items
                    if not data.get(f"suggestion_{item.pk}")
                ]
            elif section.kind == Kind.RATING:
                found += self.missing_rating(section)
        return found

    def missing_carry_over(self, section):
        found = []
        for item in self.content.carry_items:
            for name, what in (
                (f"carry_{item.pk}", _("the result of the remedy")),
                (f"outcome_{item.pk}", _("the outcome")),
            ):
                if not self.cleaned_data.get(name):
                    found.append(
                        (
                            name,
                            _("Section %(section)s, item %(number)s: %(what)s")
                            % {
                                "section": section.number,
                                "number": item.number,
                                "what": what,
                            },
                        )
                    )
        return found

    def missing_rating(self, section):
        found = []
        if self.cleaned_data.get("self_rating") is None:
            found.append(
                (
                    "self_rating",
                    _("Section %(section)s: %(label)s")
                    % {
                        "section": section.number,
                        "label": self.fields["self_rating"].label,
                    },
                )
            )
        for name, label in CONDITIONS if self.content.criteria else ():
            if self.cleaned_data.get(f"cond_{name}") is None:
                found.append(
                    (
                        f"cond_{name}",
                        _("Section %(section)s: %(label)s")
                        % {"section": section.number, "label": label},
                    )
                )
        for criterion in self.content.criteria:
            if self.cleaned_data.get(f"score_{criterion.code}") is None:
                found.append(
                    (
                        f"score_{criterion.code}",
                        _("Section %(section)s, self-score %(code)s: %(text)s")
                        % {
                            "section": section.number,
                            "code": criterion.code,
                            "text": criterion.text,
                        },
                    )
                )
        return found

    def rating_above_score(self):
        """(field, message) when the self-rating is above what the self-score
        allows under the points rule (QĐ 366); checked on submitting.

        Nothing is said while a score or a condition is missing: those are
        named as missing first.
        """
        if "self_rating" not in self.fields or not self.content.criteria:
            return []
        data = self.cleaned_data
        levels = {level.pk: level for level in self.content.levels}
        level = levels.get(data.get("self_rating"))
        names = [f"score_{c.code}" for c in self.content.criteria]
        names += [f"cond_{name}" for name, _label in CONDITIONS]
        if level is None or any(data.get(name) is None for name in names):
            return []
        score = self.score_totals(data)["all"]
        try:
            bands = rules.Bands.of(self.content.review.cycle.regime, levels.values())
        except rules.RegimeIncomplete as incomplete:
            return [("self_rating", str(incomplete))]
        verdict = rules.points_verdict(
            score,
            bands,
            on_time=data["cond_tasks_on_time_percent"],
            exceeding=data["cond_tasks_exceeding_percent"],
            remedied=data["cond_shortcomings_remedied_percent"],
        )
        if not verdict.broken_by(level.code):
            return []
        message = _(
            "The self-proposed rating %(level)s is above what the self-score "
            "allows: %(score)s points allow at most %(highest)s. %(reason)s"
        ) % {
            "level": level.code,
            "score": floatformat(score, -2),
            "highest": verdict.highest,
            "reason": verdict.reason,
        }
        return [("self_rating", message)]

    # Conflicts -----------------------------------------------------------

    def posted_values(self):
        """The cleaned answers, shaped like values_of() for comparison."""
        values = {}
        for name in self.fields:
            if name in ("version", "action"):
                continue
            values[name] = normalized(name, self.cleaned_data.get(name))
        return values

    def conflicts(self, current, started):
        """What someone else saved since `started` that this post would undo.

        A field counts only if the other save changed it (current ≠ started) to
        something other than what this user posted, so two saves of the same
        text, for instance an autosave racing the Save button, do not conflict.
        """
        posted = self.posted_values()
        if started is None:
            started = posted
        found = []
        for name, value in current.items():
            if name in posted and value != started.get(name) and value != posted[name]:
                found.append((self.fields[name].label, self.display(name, value)))
        return found

    def display(self, name, value):
        if value in (None, ""):
            return "—"
        if name == "self_rating":
            levels = {level.pk: level for level in self.content.levels}
            return str(levels.get(value, "—"))
        if name.startswith("outcome_"):
            return Outcome(value).label
        return value

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


def normalized(name, value):
    """One comparable value per field: text as text, scores as numbers."""
    if name.startswith(("score_", "cond_")):
        return as_decimal(value)
    if name == "self_rating":
        return value
    if name.startswith("outcome_"):
        return "" if value in (None, Outcome.OPEN) else value
    return value or ""


def values_of(content, record, suggestion_texts, carry_states):
    """A review's answers keyed by form field; `record` may be a history row.

    Without `suggestion_texts` / `carry_states` the live rows of `content` are used.
    """
    if suggestion_texts is None:
        suggestion_texts = content.suggestion_texts
    if carry_states is None:
        carry_states = {
            item.pk: (item.answer, item.outcome) for item in content.carry_items
        }
    answers = record.answers if record else {}
    scores = record.scores if record else {}
    values = {}
    for section in content.sections:
        values[f"text_{section.key}"] = answers.get(section.key, "")
    for item in content.carry_items:
        answer, outcome = carry_states.get(item.pk, ("", Outcome.OPEN))
        values[f"carry_{item.pk}"] = answer
        values[f"outcome_{item.pk}"] = normalized(f"outcome_{item.pk}", outcome)
    for item in content.suggestion_items:
        values[f"suggestion_{item.pk}"] = suggestion_texts.get(item.pk, "")
    values["self_rating"] = record.self_rating_id if record else None
    values["civil_servant_rating"] = record.civil_servant_rating if record else ""
    for criterion in content.criteria:
        values[f"score_{criterion.code}"] = as_decimal(scores.get(criterion.code))
    if content.criteria:
        for name, _label in CONDITIONS:
            values[f"cond_{name}"] = as_decimal(getattr(record, name, None))
    return values


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What must be reworked"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
