"""The decided levels of a past cycle: each subject's lasting merit plus a
yearly chance, heads and leaders capped as the rules cap them, HTXSNV within
the quota of each comparison group (docs/process.md §6, §8)."""

import datetime
from functools import partial

from django.utils import timezone

from reviews import ratings, rules
from reviews.models import Rating, Review

from .. import bulk
from .data import ASSESSMENTS, CONDITIONS, SCORES

YEARLY_CHANCE = 1.0  # spread of a year's result around the lasting merit
FAIL_BELOW = -3.75  # ≈0.4% KHTNV, and the leaders of units rated KHTNV
PASS_BELOW = -1.81  # ≈10% HTNV or KHTNV


def decide_past_cycle(rng, cycle, merits, organizations):
    """A decided rating for every review of the cycle that has none."""
    decided = set(
        Rating.objects.filter(
            review__cycle=cycle, stage=Rating.Stage.DECISION
        ).values_list("review_id", flat=True)
    )
    reviews = list(
        cycle.reviews.order_by("pk").values_list(
            "pk",
            "kind",
            "organization_id",
            "member_id",
            "is_leader",
            "meeting_rank",
            "leadership_review__organization_id",
            named=True,
        )
    )
    if len(decided) == len(reviews):
        return 0
    by_pk = {review.pk: review for review in reviews}
    groups = {
        key: [by_pk[subject.pk] for subject in group.reviews]
        for key, group in ratings.comparison_groups(cycle).items()
    }
    leadership = ratings.Leadership(cycle)
    minimums = cycle.regime.leader_unit_minimums
    targets = ratings.targets_met(cycle)
    percent_met = cycle.regime.unit_targets_percent
    # Collectives first: heads and leaders are capped by them (rules 3 and 5),
    # before the quota is filled.
    percent = cycle.regime.quota_percent
    codes = {}
    for group in groups.values():
        if not group[0].member_id:
            codes.update(draw_levels(rng, group, merits, percent))
    collectives = {
        (r.organization_id, r.kind): codes[r.pk] for r in reviews if not r.member_id
    }
    unmet = {
        org
        for org, (met, total) in targets.items()
        if rules.unit_targets("", met, total, percent_met)
    }
    capped = partial(ceiling, leadership, collectives, minimums, unmet)
    for group in groups.values():
        if group[0].member_id:
            codes.update(draw_levels(rng, group, merits, percent, capped))
    levels = {level.code: level for level in cycle.regime.levels.all()}
    decided_at = timezone.make_aware(datetime.datetime(cycle.year + 1, 1, 15, 9, 0))
    rows = []
    uses_points = cycle.regime.uses_points
    for review in reviews:
        if review.pk in decided:
            continue
        code = codes[review.pk]
        rows.append(
            (
                review.pk,
                Rating.Stage.DECISION,
                levels[code].pk,
                round(rng.uniform(*SCORES[code]), 1) if uses_points else None,
                ASSESSMENTS[code],
                decided_at,
            )
        )
    bulk.insert(
        Rating,
        ["review_id", "stage", "level_id", "score", "assessment", "set_at"],
        rows,
    )
    bulk.analyze(Rating)
    if cycle.regime.uses_points:
        # The band's conditions (tasks on time, exceeding, remedied) go with
        # the score, so that each decided level is the one its points allow.
        for code, (on_time, exceeding, remedied) in CONDITIONS.items():
            chosen = [pk for pk, found in codes.items() if found == code]
            for start in range(0, len(chosen), 5000):
                cycle.reviews.filter(pk__in=chosen[start : start + 5000]).update(
                    tasks_on_time_percent=on_time,
                    tasks_exceeding_percent=exceeding,
                    shortcomings_remedied_percent=remedied,
                )
    return len(rows)


def draw_levels(rng, reviews, merits, quota_percent, ceiling=None):
    """Levels for one comparison group: merit plus chance, HTXSNV within quota."""
    scored = []
    for review in reviews:
        if review.member_id:
            merit = merits.get(("member", review.member_id), 0)
        else:
            merit = merits.get(("organization", review.organization_id), 0)
        score = merit + rng.gauss(0, YEARLY_CHANCE)
        if score < FAIL_BELOW:
            code = rules.FAIL
        elif score < PASS_BELOW:
            code = rules.PASS
        else:
            code = rules.GOOD
        highest = ceiling(review) if ceiling else rules.EXCELLENT
        code = max(code, highest, key=rules.ORDER.index)
        scored.append((score, review.pk, code, highest))
    scored.sort(reverse=True)
    codes = {pk: code for _score, pk, code, _highest in scored}
    good = sum(1 for code in codes.values() if code == rules.GOOD)
    candidates = [
        pk
        for _score, pk, code, highest in scored
        if code == rules.GOOD and highest == rules.EXCELLENT
    ]
    excellent = len(candidates)
    while excellent > rules.quota_allowed(good - excellent, quota_percent):
        excellent -= 1
    for pk in candidates[:excellent]:
        codes[pk] = rules.EXCELLENT
    return codes


def ceiling(leadership, collectives, minimums, unmet, review):
    """A head no higher than the collective they head, a leader no higher than
    the unit they lead allows, nor above KHTNV if it met under half its targets
    (`unmet`) (rules 3 and 5)."""
    if leadership.units[review.pk] & unmet:
        return rules.FAIL
    kind = Review.Kind.ORGANIZATION
    found = [
        rules.head(collectives.get((org, kind)), "")
        for org in leadership.headed(review.pk)
    ]
    found += [
        rules.leader_unit(
            collectives.get((org, Review.Kind.ORGANIZATION)), "", minimums
        )
        for org in leadership.units[review.pk]
    ]
    return max(
        [rules.EXCELLENT, *(f.highest for f in found if f)], key=rules.ORDER.index
    )
