"""What a review's form is made of: its template's sections, criteria and
levels (cached per template), the items it answers, and its answers keyed by
form field (`values_of`), as the form, the history and the conflicts compare them.
"""

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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
from django.utils.translation import gettext_lazy as _

from ..models import (
    CarryOverItem,
    FormSection,
    Review,
    SuggestionAnswer,
    SuggestionItem,
)

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
    if review.kind == Review.Kind.ORGANIZATION:
        return items_sent(review.cycle_id, organization=review.organization_id)
    if review.kind == Review.Kind.INDIVIDUAL:
        return items_sent(review.cycle_id, member=review.member_id)
    return SuggestionItem.objects.none()


def items_sent(cycle_id, **addressee):
    """The suggestion items of a cycle sent to `member=` or `organization=`,
    in their order (the review's PDF compiles these queries once too)."""
    sent_to = {f"suggestion__{field}": value for field, value in addressee.items()}
    return (
        SuggestionItem.objects.filter(suggestion__cycle=cycle_id, **sent_to)
        .select_related("focus_area")
        .order_by("number")
    )


# The conditions of the QĐ 366 points bands, declared with the self-score.
CONDITIONS = [
    ("tasks_on_time_percent", _("Tasks done on time (%)")),
    ("tasks_exceeding_percent", _("Tasks exceeding the requirement (%)")),
    ("shortcomings_remedied_percent", _("Earlier shortcomings remedied (%)")),
]


def as_decimal(value):
    """A stored or cleaned number as a Decimal; None if empty or not a number."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


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
