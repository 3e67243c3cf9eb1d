"""The queries of a review's documents (the individual form, the collective
report), compiled once per process (kontum_review/compiled.py).

A form reads ten small lookups; building and compiling each queryset cost
Django about 0.7 ms of CPU, more than PostgreSQL takes to answer, and some 7 ms
of a form's 170. The rows are those the querysets of the earlier code read
(review_contexts.py): the review with what it shows beside it, its template's
sections and criteria, its carry-over items, its ratings, the regime's levels,
the suggestion items sent to its subject with their answers, its meeting item
and the name of its organization's head (tests/reviews/test_document_lookups.py).
"""

import functools

from kontum_review.compiled import Compiled, key_of

from ...models import (
    CarryOverItem,
    FormSection,
    MeetingItem,
    Rating,
    RatingLevel,
    Review,
    ScoreCriterion,
    StepExemption,
    Suggestion,
    SuggestionAnswer,
)
from ...review_forms.content import items_sent


class ReviewDocumentLookups:
    @functools.cached_property
    def review(self):
        return Compiled(
            lambda *, pk: Review.objects.select_related(
                "cycle__regime",
                "cycle__superior",
                "template",
                "organization__parent",
                "member",
                "self_rating",
            ).filter(pk=pk),
            pk=Review._meta.pk,
        )

    @functools.cached_property
    def sections(self):
        return Compiled(
            lambda *, template_id: FormSection.objects.filter(template_id=template_id),
            template_id=key_of(FormSection, "template"),
        )

    @functools.cached_property
    def criteria(self):
        return Compiled(
            lambda *, template_id: ScoreCriterion.objects.filter(
                template_id=template_id
            ),
            template_id=key_of(ScoreCriterion, "template"),
        )

    @functools.cached_property
    def carry_over(self):
        return Compiled(
            lambda *, review_id: CarryOverItem.objects.filter(review_id=review_id),
            review_id=key_of(CarryOverItem, "review"),
        )

    @functools.cached_property
    def ratings(self):
        return Compiled(
            lambda *, review_id: (
                Rating.objects.select_related("level", "set_by")
                .filter(review_id=review_id)
                .order_by("set_at")
            ),
            review_id=key_of(Rating, "review"),
        )

    @functools.cached_property
    def levels(self):
        return Compiled(
            lambda *, regime_id: RatingLevel.objects.filter(regime_id=regime_id),
            regime_id=key_of(RatingLevel, "regime"),
        )

    @functools.cached_property
    def member_items(self):
        """The suggestion items sent to a member, as addressed_items chooses them."""
        return Compiled(
            lambda *, cycle_id, member_id: items_sent(cycle_id, member=member_id),
            cycle_id=key_of(Suggestion, "cycle"),
            member_id=key_of(Suggestion, "member"),
        )

    @functools.cached_property
    def organization_items(self):
        """The suggestion items sent to an organization, as addressed_items
        chooses them."""
        return Compiled(
            lambda *, cycle_id, organization_id: items_sent(
                cycle_id, organization=organization_id
            ),
            cycle_id=key_of(Suggestion, "cycle"),
            organization_id=key_of(Suggestion, "organization"),
        )

    @functools.cached_property
    def answers(self):
        return Compiled(
            lambda *, review_id: SuggestionAnswer.objects.filter(
                review_id=review_id
            ).values_list("item_id", "text"),
            review_id=key_of(SuggestionAnswer, "review"),
        )

    @functools.cached_property
    def meeting_item(self):
        return Compiled(
            lambda *, review_id: MeetingItem.objects.filter(
                review_id=review_id
            ).select_related("meeting", "proposed_rating")[:1],
            review_id=key_of(MeetingItem, "review"),
        )

    @functools.cached_property
    def unrated(self):
        """Why the subject is not rated (its first unrated exemption)."""
        return Compiled(
            lambda *, review_id: (
                StepExemption.objects.unrated()
                .filter(review_id=review_id)
                .order_by("pk")[:1]
            ),
            review_id=key_of(StepExemption, "review"),
        )

    @functools.cached_property
    def head_name(self):
        return Compiled(
            lambda *, cycle_id, organization_id: Review.objects.filter(
                cycle_id=cycle_id,
                organization_id=organization_id,
                kind=Review.Kind.INDIVIDUAL,
                meeting_rank=Review.Rank.HEAD,
            ).values_list("subject_name", flat=True)[:1],
            cycle_id=key_of(Review, "cycle"),
            organization_id=key_of(Review, "organization"),
        )


REVIEW_DOCUMENT_LOOKUPS = ReviewDocumentLookups()
