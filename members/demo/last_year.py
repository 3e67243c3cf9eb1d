"""The last decided year's suggestions and indicators, its review meetings and
the remedy plans that the next cycle carries over."""

import datetime

from django.utils import timezone

from reviews import rules
from reviews.models import (
    FocusArea,
    FocusIndicator,
    IndicatorValue,
    Meeting,
    Rating,
    RemedyAction,
    Review,
    Suggestion,
    SuggestionAnswer,
    SuggestionItem,
)

from .. import bulk
from .data import ANSWER, FOCUS_BY_TYPE, OVERDUE_DOSSIERS, REMEDIES, SCORES, SHORTFALLS

# The BTV suggested focus areas to a share of the grassroots organizations
# (docs/process.md §4); most answered them in section IV. Wards and communes report
# the recruitment target and their overdue land-certificate dossiers.

SUGGESTED_SHARE = 0.15
ANSWERED_SHARE = 0.85


def create_focus_areas(rng, cycle, organizations):
    """Suggestions with their answers, and indicator values, once per cycle."""
    if Suggestion.objects.filter(cycle=cycle).exists():
        return
    areas = {area.code: area for area in FocusArea.objects.all()}
    indicators = {i.code: i for i in FocusIndicator.objects.all()}
    collectives = dict(
        cycle.reviews.filter(kind=Review.Kind.ORGANIZATION).values_list(
            "organization_id", "pk"
        )
    )
    grassroots = sorted(
        (o for o in organizations.values() if o.is_grassroots), key=lambda o: o.code
    )
    values = []
    for organization in grassroots:
        target = rng.randint(1, 6)
        values.append(
            IndicatorValue(
                indicator=indicators["new-members"],
                cycle=cycle,
                organization=organization,
                target=target,
                actual=max(target - rng.choice(SHORTFALLS), 0),
            )
        )
        type_code = organization.org_type.code if organization.org_type else ""
        if type_code in ("phuong", "xa"):
            values.append(
                IndicatorValue(
                    indicator=indicators["overdue-land-dossiers"],
                    cycle=cycle,
                    organization=organization,
                    target=0,
                    actual=rng.choice(OVERDUE_DOSSIERS),
                )
            )
    IndicatorValue.objects.bulk_create(values, ignore_conflicts=True)
    issued_on = cycle.guidance_issued_on or datetime.date(cycle.year, 11, 20)
    for organization in grassroots:
        type_code = organization.org_type.code if organization.org_type else ""
        if rng.random() > SUGGESTED_SHARE or organization.pk not in collectives:
            continue
        codes = FOCUS_BY_TYPE.get(type_code, ["member-recruitment"])
        suggestion = Suggestion.objects.create(
            cycle=cycle, organization=organization, issued_on=issued_on
        )
        for number, code in enumerate(codes, 1):
            item = SuggestionItem.objects.create(
                suggestion=suggestion,
                number=number,
                focus_area=areas[code],
                text=areas[code].name,
            )
            if rng.random() < ANSWERED_SHARE:
                SuggestionAnswer.objects.create(
                    review_id=collectives[organization.pk], item=item, text=ANSWER
                )


# The last decided year also went through its review meetings: each collective
# met in December and proposed a level for itself and its members, which the
# superior committee mostly kept. A few proposals were one level higher and
# were cut, most of them HTXSNV to HTTNV for the quota.
RAISED_SHARE = 0.04


def record_meetings(rng, cycle, organizations):
    """Done meetings and the meetings' proposals for a decided cycle."""
    proposed = set(
        Rating.objects.filter(
            review__cycle=cycle, stage=Rating.Stage.MEETING
        ).values_list("review_id", flat=True)
    )
    decided = Rating.objects.filter(
        review__cycle=cycle, stage=Rating.Stage.DECISION
    ).order_by("review_id")
    decisions = [
        row
        for row in decided.values_list(
            "review_id", "review__organization_id", "level__code", "score", named=True
        )
        if row.review_id not in proposed
    ]
    collectives = list(
        cycle.reviews.filter(kind=Review.Kind.ORGANIZATION, meeting__isnull=True)
        .order_by("pk")
        .values_list("pk", "organization_id", "subject_name", named=True)
    )
    held = {
        organization_id: datetime.date(cycle.year, 12, rng.randint(11, 30))
        for organization_id in sorted(
            cycle.reviews.filter(kind=Review.Kind.ORGANIZATION).values_list(
                "organization_id", flat=True
            )
        )
    }
    last_day = datetime.date(cycle.year, 12, 30)
    recorded = {
        day: timezone.make_aware(datetime.datetime.combine(day, datetime.time(16)))
        for day in {*held.values(), last_day}
    }
    cut = [row.review_id for row in decisions if row.level__code != rules.EXCELLENT]
    raised = set(rng.sample(cut, min(round(RAISED_SHARE * len(decisions)), len(cut))))
    levels = {level.code: level for level in cycle.regime.levels.all()}
    ratings = []
    for row in decisions:
        code, score = row.level__code, row.score
        if row.review_id in raised:
            code = rules.ORDER[rules.ORDER.index(code) - 1]
            score = round(rng.uniform(*SCORES[code]), 1) if score is not None else None
        ratings.append(
            (
                row.review_id,
                Rating.Stage.MEETING,
                levels[code].pk,
                score,
                recorded[held.get(row.review__organization_id, last_day)],
            )
        )
    bulk.insert(Rating, ["review_id", "stage", "level_id", "score", "set_at"], ratings)
    heads = dict(
        cycle.reviews.filter(
            kind=Review.Kind.INDIVIDUAL, meeting_rank=Review.Rank.HEAD
        ).values_list("organization_id", "subject_name")
    )
    meetings = []
    for review in collectives:
        parent = organizations[review.organization_id].parent_id
        meetings.append(
            Meeting(
                review_id=review.pk,
                held_on=held[review.organization_id],
                place=f"Hội trường {review.subject_name}",
                chair=heads.get(review.organization_id, ""),
                superior_attendee=f"Đại diện {organizations[parent].name}"
                if parent in organizations
                else "",
                status=Meeting.Status.DONE,
            )
        )
    Meeting.objects.bulk_create(meetings, batch_size=5000)
    return len(ratings)


def create_remedy_actions(rng, cycle):
    """Remedy plans after the last decided cycle, so the next one carries them."""
    ratings = (
        Rating.objects.filter(
            review__cycle=cycle,
            stage=Rating.Stage.DECISION,
            level__code__in=["HTNV", "KHTNV"],
        )
        .exclude(review__remedy_actions__isnull=False)
        .select_related("review")
        .order_by("review_id")
    )
    actions = []
    for rating in ratings:
        for number in range(1, rng.randint(1, 2) + 1):
            shortcoming, content = rng.choice(REMEDIES)
            status = rng.choice(
                [RemedyAction.Status.OPEN, RemedyAction.Status.IN_PROGRESS]
                + [RemedyAction.Status.DONE] * 2
            )
            deadline = datetime.date(cycle.year + 1, rng.randint(3, 12), 28)
            actions.append(
                RemedyAction(
                    review=rating.review,
                    number=number,
                    shortcoming=shortcoming,
                    content=content,
                    owner=rating.review.subject_name,
                    deadline=deadline,
                    status=status,
                    closed_on=deadline if status == RemedyAction.Status.DONE else None,
                )
            )
    bulk.insert_objects(RemedyAction, actions)
