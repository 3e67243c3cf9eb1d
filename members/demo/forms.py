"""The current cycle's forms: nearly every one written and submitted with its
answers, self-rating and carried-over items, as the form page saves them; the
few left are recorded as not submitted, with the reason."""

import datetime
from collections import defaultdict
from decimal import Decimal
from itertools import accumulate

from django.utils import timezone

from organizations.models import OrganizationType
from reviews import rules, services
from reviews.models import (
    CarryOverItem,
    FormSection,
    Rating,
    RemedyAction,
    Review,
    ScoreCriterion,
    StepExemption,
)

from .. import bulk
from ..models import Member
from .data import (
    CARRY_ANSWERS,
    CIVIL_SERVANT_RATINGS,
    COLLECTIVE_ANSWERS,
    DEMO_CELL,
    EXEMPTION_REASONS,
    MATERNITY,
    MEMBER_ANSWERS,
    RESIDENTIAL_TYPES,
    SELF_RATING_DRIFT,
    SELF_SCORES,
)
from .timeline import moment, update_rows

EXEMPT_SHARE = 0.015


def write_forms(rng, cycle, previous, organizations, staff, timeline):
    """Submit every new form with its answers and self-rating, as the form page
    does, except a few recorded as not submitted with the reason."""
    regime = cycle.regime
    levels = {level.code: level for level in regime.levels.all()}
    bands = (
        rules.Bands.of(cycle.regime, levels.values())
        if cycle.regime.uses_points
        else None
    )
    reviews = list(
        cycle.reviews.filter(status=Review.Status.NEW)
        .exclude(exemptions__kind=StepExemption.Kind.NOT_SUBMITTED)
        .select_related("member")
        .order_by("organization__code", "kind", "member__card_number")
    )
    template_ids = {review.template_id for review in reviews}
    sections, criteria = defaultdict(list), defaultdict(list)
    for section in FormSection.objects.filter(template__in=template_ids):
        sections[section.template_id].append(section)
    if regime.uses_points:
        for criterion in ScoreCriterion.objects.filter(template__in=template_ids):
            criteria[criterion.template_id].append(criterion)
    carried = defaultdict(list)
    for item in (
        CarryOverItem.objects.filter(review__cycle=cycle)
        .select_related("remedy_action")
        .order_by("review_id", "number")
    ):
        carried[item.review_id].append(item)
    before = {}
    if previous is not None:
        for member_id, organization_id, kind, code in previous.reviews.values_list(
            "member_id", "organization_id", "kind", "decided_code"
        ):
            before[member_id or (organization_id, kind)] = code
    by_id = {o.pk: o for o in organizations.values()}
    types = dict(OrganizationType.objects.values_list("pk", "code"))

    exempt = choose_exempted(rng, reviews, organizations)
    written, ratings, items, actions = [], [], [], []
    for review in reviews:
        if review.pk in exempt:
            continue
        organization = by_id[review.organization_id]
        key = review.member_id or (review.organization_id, review.kind)
        code = self_level(rng, before.get(key), review.is_collective)
        if review.is_collective:
            day = timeline.closed - datetime.timedelta(days=rng.randint(1, 2))
            submitted = moment(day, rng.randint(8, 16), rng.choice([0, 15, 30, 45]))
        else:
            days = (timeline.closed - timeline.first).days - 2
            day = timeline.first + datetime.timedelta(days=rng.randint(0, days))
            submitted = moment(day, rng.randint(7, 21), rng.randint(0, 59))
        if criteria[review.template_id]:
            code = self_score(rng, review, criteria[review.template_id], code)
            code = max(code, points_ceiling(review, bands), key=rules.ORDER.index)
        review.answers = form_answers(
            rng,
            review,
            sections[review.template_id],
            carried[review.pk],
            code,
            cycle.year,
            organization,
            types.get(organization.org_type_id),
        )
        if any(s.kind == FormSection.Kind.RATING for s in sections[review.template_id]):
            review.self_rating = levels[code]
            ratings.append(
                Rating(
                    review=review,
                    stage=Rating.Stage.SELF,
                    level=levels[code],
                    score=review.score_total,
                    set_by_id=review.member.user_id if review.member else None,
                    set_at=submitted,
                )
            )
        if not review.is_collective and (review.government_post or review.is_leader):
            review.civil_servant_rating = CIVIL_SERVANT_RATINGS[code]
        review.status = Review.Status.SUBMITTED
        review.submitted_at = review.saved_at = submitted
        review.saved_by_id = review.member.user_id if review.member else None
        review.version = rng.randint(1, 3)
        written.append(review)
        for item in carried[review.pk]:
            items.append(item)
            action = answer_carried(rng, item, code, submitted)
            if action is not None:
                actions.append(action)
    update_rows(
        Review,
        written,
        [
            "answers",
            "self_rating",
            "civil_servant_rating",
            "scores",
            "score_general",
            "score_tasks",
            "tasks_on_time_percent",
            "tasks_exceeding_percent",
            "shortcomings_remedied_percent",
            "status",
            "submitted_at",
            "saved_at",
            "saved_by",
            "version",
        ],
    )
    bulk.insert_objects(Rating, ratings)
    update_rows(CarryOverItem, items, ["answer", "outcome"])
    update_rows(RemedyAction, actions, ["status", "closed_on", "evidence"])
    record_not_submitted(rng, cycle, reviews, exempt, staff, timeline)


def choose_exempted(rng, reviews, organizations):
    """The forms left unsubmitted: a share of the members, one of them in the demo
    secretary's cell; never the demo accounts' own."""
    cell = organizations.get(DEMO_CELL)
    accounts = set(
        Member.objects.filter(user__isnull=False).values_list("pk", flat=True)
    )
    candidates = [r for r in reviews if r.member_id and r.member_id not in accounts]
    own = [r for r in candidates if cell and r.organization_id == cell.pk]
    others = [r for r in candidates if not (cell and r.organization_id == cell.pk)]
    wanted = max(round(EXEMPT_SHARE * len(candidates)), 1)
    chosen = rng.sample(others, min(wanted - bool(own), len(others)))
    if own:
        chosen.append(rng.choice(own))
    return {review.pk for review in chosen}


DRIFT_STEPS = [step for step, _weight in SELF_RATING_DRIFT]
DRIFT_CUM_WEIGHTS = list(accumulate(weight for _step, weight in SELF_RATING_DRIFT))


def self_level(rng, last_year, collective):
    """This year's level: last year's decision, sometimes one step off."""
    code = last_year or rules.GOOD
    step = rng.choices(DRIFT_STEPS, cum_weights=DRIFT_CUM_WEIGHTS)[0]
    index = max(rules.ORDER.index(code) + step, 0)
    # Nobody proposes KHTNV for themselves unless they were rated so last year,
    # and a collective never does.
    if collective or code != rules.FAIL:
        index = min(index, rules.ORDER.index(rules.PASS))
    return rules.ORDER[min(index, len(rules.ORDER) - 1)]


def self_score(rng, review, criteria, code):
    """Points per criterion and the conditions, as the form takes them."""
    share, on_time, exceeding, remedied = SELF_SCORES[code]
    base = rng.uniform(*share)
    scores, totals = {}, defaultdict(Decimal)
    for criterion in criteria:
        fraction = min(max(base + rng.gauss(0, 0.03), 0), 1)
        points = Decimal(round(criterion.max_points * fraction * 2)) / 2
        scores[criterion.code] = str(points)
        totals[criterion.group] += points
    review.scores = scores
    review.score_general = totals.get(ScoreCriterion.Group.GENERAL)
    review.score_tasks = totals.get(ScoreCriterion.Group.TASKS)
    review.tasks_on_time_percent = Decimal(rng.randrange(on_time[0], on_time[1] + 1, 5))
    review.tasks_exceeding_percent = Decimal(rng.randint(*exceeding))
    review.shortcomings_remedied_percent = Decimal(
        rng.randrange(remedied[0], remedied[1] + 1, 10)
    )
    return code


def points_ceiling(review, bands):
    """The highest level the self-score allows under QĐ 366."""
    finding = rules.points(
        review.score_total,
        bands,
        on_time=review.tasks_on_time_percent,
        exceeding=review.tasks_exceeding_percent,
        remedied=review.shortcomings_remedied_percent,
    )
    return finding.highest if finding else rules.EXCELLENT


def form_answers(rng, review, sections, carried, code, year, organization, type_code):
    """The text of every section the form shows a text box for (as it saves it)."""
    bank = COLLECTIVE_ANSWERS if review.is_collective else MEMBER_ANSWERS
    place = organization.name.removeprefix("Chi bộ ")
    values = {
        "year": year,
        "on_time": int(review.tasks_on_time_percent or 100),
        "exceeding": int(review.tasks_exceeding_percent or 0),
        "place": place[0].lower() + place[1:],
        "targets": (targets := rng.randint(8, 15)),
        "met": targets - (rng.randint(0, 2) if code != rules.EXCELLENT else 0),
        "checked": rng.randint(2, 6),
        "watched": rng.randint(2, 8),
    }
    answers = {}
    for section in sections:
        key = section.key
        if section.kind == FormSection.Kind.CARRY_OVER:
            if not carried:
                answers[key] = bank["III"]
            continue
        if section.kind != FormSection.Kind.TEXT:
            continue
        if key == "I-2" and not review.is_collective:
            residential = type_code in RESIDENTIAL_TYPES and not review.is_leader
            options = bank["home" if residential else "work"]
        elif key == "II" and not review.is_collective:
            options = bank["II"][code]
        else:
            options = bank.get(key, [""])
        answers[key] = rng.choice(options).format(**values)
    return answers


def answer_carried(rng, item, code, submitted):
    """Answer a carried-over item; a remedied action closes as submitting does."""
    remedied = code != rules.FAIL and rng.random() < 0.75
    outcome = (
        CarryOverItem.Outcome.REMEDIED if remedied else CarryOverItem.Outcome.CARRIED
    )
    action = item.remedy_action
    content = action.content if action else item.text
    item.answer = CARRY_ANSWERS[outcome].format(
        content=content[0].lower() + content[1:]
    )
    item.outcome = outcome
    if action is None or not remedied or action.status == RemedyAction.Status.DONE:
        return None
    action.status = RemedyAction.Status.DONE
    action.closed_on = timezone.localdate(submitted)
    action.evidence = "\n".join(part for part in (action.evidence, item.answer) if part)
    return action


def record_not_submitted(rng, cycle, reviews, exempt, staff, timeline):
    """Staff record why each remaining form was not submitted, on closing day."""
    reasons = defaultdict(list)
    for review in reviews:
        if review.pk not in exempt:
            continue
        member = review.member
        options = EXEMPTION_REASONS
        if member.gender != Member.Gender.FEMALE or (
            cycle.year - member.date_of_birth.year >= 45
        ):
            options = [(reason, w) for reason, w in options if reason != MATERNITY]
        reasons[rng.choices(*zip(*options))[0]].append(review)
    for reason, chosen in sorted(reasons.items()):
        services.record_exemptions(
            cycle, chosen, StepExemption.Kind.NOT_SUBMITTED, reason, staff
        )
    StepExemption.objects.filter(review__cycle=cycle).update(
        recorded_at=moment(timeline.closed, 16)
    )
