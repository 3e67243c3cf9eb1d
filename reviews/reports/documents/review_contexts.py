"""What the documents of a review show: the individual form, the collective
report and the minutes of the review meeting.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from ... import rules
from ...models import FormSection, Meeting, Rating, Review, StepExemption
from ...results import PUBLISHED_STATES
from ...review_forms.forms import addressed_items
from .common import DocumentUnavailable, header_for, local_day, on_behalf_of
from .lookups import REVIEW_DOCUMENT_LOOKUPS as LOOKUPS


@dataclass
class SectionBlock:
    section: FormSection
    text: str = ""
    items: list = field(default_factory=list)
    group_heading: str = ""


def load_review(review_id):
    """The review, with its cycle, regime, superior, template, organization and
    its parent, member and self-rating (compiled: lookups.py)."""
    return LOOKUPS.review.get(pk=review_id)


def section_blocks(review, sections, carry_over, suggestion_items, suggestion_texts):
    blocks = []
    opened_group = False
    for section in sections:
        block = SectionBlock(section, text=review.answers.get(section.key, ""))
        if section.kind == FormSection.Kind.CARRY_OVER:
            block.items = list(carry_over)
        elif section.kind == FormSection.Kind.SUGGESTIONS:
            block.items = [
                (item, suggestion_texts.get(item.pk, "")) for item in suggestion_items
            ]
        if section.number.startswith("I.") and not opened_group:
            opened_group = True
            block.group_heading = "I. Ưu điểm, kết quả đạt được"
        blocks.append(block)
    return blocks


def score_rows(review, criteria):
    rows = {"A": [], "B": []}
    for criterion in criteria:
        points = review.scores.get(criterion.code)
        rows.setdefault(criterion.group, []).append((criterion, points))
    return rows


def head_name(cycle, organization):
    head = LOOKUPS.head_name.first(cycle_id=cycle.pk, organization_id=organization.pk)
    return head or ""


def suggestion_items(review):
    """The suggestion items sent to the review's subject (addressed_items)."""
    if review.kind == Review.Kind.INDIVIDUAL and review.member_id is not None:
        return LOOKUPS.member_items.all(
            cycle_id=review.cycle_id, member_id=review.member_id
        )
    if review.kind == Review.Kind.ORGANIZATION:
        return LOOKUPS.organization_items.all(
            cycle_id=review.cycle_id, organization_id=review.organization_id
        )
    return list(addressed_items(review))


def review_context(review_id):
    review = load_review(review_id)
    cycle = review.cycle
    sections = LOOKUPS.sections.all(template_id=review.template_id)
    levels = LOOKUPS.levels.all(regime_id=cycle.regime_id)
    items = suggestion_items(review)
    texts = dict(LOOKUPS.answers.all(review_id=review.pk))
    meeting_item = LOOKUPS.meeting_item.first(review_id=review.pk)
    ratings = LOOKUPS.ratings.all(review_id=review.pk)
    chain = {rating.stage: rating for rating in ratings}
    # A form is one file for every reader, and before publication only staff
    # and leaders may see the decision: the forms print it once it is published.
    if cycle.status not in PUBLISHED_STATES:
        chain.pop(Rating.Stage.DECISION, None)
    # A subject taken out of the decision prints why, once published (a query
    # only then, and only without a decision).
    decision = chain.get(Rating.Stage.DECISION)
    unrated = (
        LOOKUPS.unrated.first(review_id=review.pk)
        if decision is None and cycle.status in PUBLISHED_STATES
        else None
    )
    stages = [
        (stage, chain.get(stage)) for stage in Rating.Stage.values if stage in chain
    ]
    votes = (
        [(level, meeting_item.votes.get(level.code, 0)) for level in levels]
        if meeting_item
        else []
    )
    carry_over = LOOKUPS.carry_over.all(review_id=review.pk)
    criteria = LOOKUPS.criteria.all(template_id=review.template_id)
    return {
        "review": review,
        "cycle": cycle,
        "regime": cycle.regime,
        "levels": levels,
        "blocks": section_blocks(review, sections, carry_over, items, texts),
        "scores": score_rows(review, criteria) if cycle.regime.uses_points else None,
        "meeting_item": meeting_item,
        "votes": votes,
        "chain": stages,
        "decision": decision,
        "unrated": unrated,
        "signer_on_behalf": on_behalf_of(review.organization),
        "head_name": head_name(cycle, review.organization),
        "header": header_for(
            review.organization,
            cycle,
            local_day(review.submitted_at),
            code="BC" if review.is_collective else "",
        ),
    }


def collective_review_id(cycle, organization):
    found = (
        Review.objects.filter(
            cycle=cycle, organization=organization, kind=Review.Kind.ORGANIZATION
        )
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise DocumentUnavailable(
            _("%(organization)s has no collective review in this cycle.")
            % {"organization": organization}
        )
    return found


def individual_form_context(cycle, review, organization):
    if review is None or review.kind != Review.Kind.INDIVIDUAL:
        raise DocumentUnavailable(_("An individual form needs a member's review."))
    return review_context(review.pk)


def collective_report_context(cycle, review, organization):
    if review is not None and review.is_collective:
        return review_context(review.pk)
    return review_context(collective_review_id(cycle, organization))


def minutes_context(cycle, review, organization):
    meetings = Meeting.objects.select_related(
        "review__organization__parent",
        "review__cycle__regime",
        "review__cycle__superior",
    )
    if review is not None and review.is_collective:
        meetings = meetings.filter(review=review)
    else:
        meetings = meetings.filter(
            review__cycle=cycle,
            review__organization=organization,
            review__kind=Review.Kind.ORGANIZATION,
        )
    meeting = meetings.first()
    if meeting is None:
        raise DocumentUnavailable(_("No review meeting is recorded for it yet."))
    cycle = meeting.review.cycle
    levels = list(cycle.regime.levels.all())
    attendance = list(
        meeting.attendance.select_related("member").order_by("member__sort_key")
    )
    unsubmitted = Prefetch(
        "review__exemptions",
        queryset=StepExemption.objects.filter(
            kind=StepExemption.Kind.NOT_SUBMITTED
        ).order_by("pk"),
        to_attr="unsubmitted",
    )
    # Printed by position: `order` starts at 0 in meetings of earlier releases.
    every_item = list(
        meeting.items.select_related("review", "proposed_rating")
        .prefetch_related(unsubmitted)
        .order_by("order", "pk")
    )
    # A subject closed without a form is not reviewed: named with the reason.
    not_submitted = [
        (item.review, item.review.unsubmitted[0])
        for item in every_item
        if item.review.unsubmitted
    ]
    items = [item for item in every_item if not item.review.unsubmitted]
    for item in items:
        item.vote_rows = [(level, item.votes.get(level.code, 0)) for level in levels]
    present = [row for row in attendance if row.present]
    organization = meeting.review.organization
    return {
        "meeting": meeting,
        "cycle": cycle,
        "organization": organization,
        "levels": levels,
        "present": present,
        "absent": [row for row in attendance if not row.present],
        "called": len(attendance),
        "quorum_percent": cycle.regime.quorum_percent,
        "quorum_reached": rules.quorum_reached(
            len(present), len(attendance), cycle.regime.quorum_percent
        ),
        "items": items,
        "not_submitted": not_submitted,
        "signer_on_behalf": on_behalf_of(organization),
        "header": header_for(
            organization, cycle, meeting.held_on or timezone.localdate(), code="BB"
        ),
    }
