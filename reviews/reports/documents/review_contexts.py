"""What the documents of a review show: the individual form, the collective
report and the minutes of the review meeting.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from ... import rules
from ...models import FormSection, Meeting, MeetingItem, Rating, Review, StepExemption
from ...results import PUBLISHED_STATES
from ...review_forms.forms import addressed_items
from .common import DocumentUnavailable, header_for, local_day, on_behalf_of


@dataclass
class SectionBlock:
    section: FormSection
    text: str = ""
    items: list = field(default_factory=list)
    group_heading: str = ""


def load_review(review_id):
    ratings = Rating.objects.select_related("level", "set_by").order_by("set_at")
    return (
        Review.objects.select_related(
            "cycle__regime",
            "cycle__superior",
            "template",
            "organization__parent",
            "member",
            "self_rating",
        )
        .prefetch_related(
            "template__sections",
            "template__criteria",
            "carry_over_items",
            Prefetch("ratings", queryset=ratings),
        )
        .get(pk=review_id)
    )


def section_blocks(review, suggestion_items, suggestion_texts):
    blocks = []
    opened_group = False
    for section in review.template.sections.all():
        block = SectionBlock(section, text=review.answers.get(section.key, ""))
        if section.kind == FormSection.Kind.CARRY_OVER:
            block.items = list(review.carry_over_items.all())
        elif section.kind == FormSection.Kind.SUGGESTIONS:
            block.items = [
                (item, suggestion_texts.get(item.pk, "")) for item in suggestion_items
            ]
        if section.number.startswith("I.") and not opened_group:
            opened_group = True
            block.group_heading = "I. Ưu điểm, kết quả đạt được"
        blocks.append(block)
    return blocks


def score_rows(review):
    rows = {"A": [], "B": []}
    for criterion in review.template.criteria.all():
        points = review.scores.get(criterion.code)
        rows.setdefault(criterion.group, []).append((criterion, points))
    return rows


def head_name(cycle, organization):
    head = (
        Review.objects.filter(
            cycle=cycle,
            organization=organization,
            kind=Review.Kind.INDIVIDUAL,
            meeting_rank=Review.Rank.HEAD,
        )
        .values_list("subject_name", flat=True)
        .first()
    )
    return head or ""


def review_context(review_id):
    review = load_review(review_id)
    cycle = review.cycle
    levels = list(cycle.regime.levels.all())
    items = list(addressed_items(review))
    texts = dict(review.suggestion_answers.values_list("item_id", "text"))
    meeting_item = (
        MeetingItem.objects.filter(review=review)
        .select_related("meeting", "proposed_rating")
        .first()
    )
    chain = {rating.stage: rating for rating in review.ratings.all()}
    # A form is one file for every reader, and before publication only staff
    # and leaders may see the decision: the forms print it once it is published.
    if cycle.status not in PUBLISHED_STATES:
        chain.pop(Rating.Stage.DECISION, None)
    stages = [
        (stage, chain.get(stage)) for stage in Rating.Stage.values if stage in chain
    ]
    votes = (
        [(level, meeting_item.votes.get(level.code, 0)) for level in levels]
        if meeting_item
        else []
    )
    return {
        "review": review,
        "cycle": cycle,
        "regime": cycle.regime,
        "levels": levels,
        "blocks": section_blocks(review, items, texts),
        "scores": score_rows(review) if cycle.regime.uses_points else None,
        "meeting_item": meeting_item,
        "votes": votes,
        "chain": stages,
        "decision": chain.get(Rating.Stage.DECISION),
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
