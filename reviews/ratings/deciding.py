"""Deciding: the levels of a comparison group's subjects, all or nothing.

Decisions re-check the rules of docs/process.md §6 and count the quota across
the whole comparison group under a lock, so that two people deciding at the
same moment cannot together exceed it.
"""

import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext as _

from .. import rules
from ..models import CyclePost, Rating, Review, ReviewCycle
from .chain import (
    RatingRefused,
    Stage,
    chain_score,
    exempt_refusal,
    record_rating,
    unrated_exemptions,
)
from .rulebook import RuleBook, quota_excess, quota_finding

# Deciding ---------------------------------------------------------------------


@dataclass
class Decision:
    review: Review
    level: object
    reason: str = ""
    assessment: str = ""
    override_reason: str = ""


def lock(cycle, keys):
    """Serialize decisions that read or write the same things until the
    transaction ends: each key is a comparison group or an organization whose
    collective's level some rule reads.

    On PostgreSQL transaction-level advisory locks, taken in one order so two
    deciders never wait on each other; SQLite's write lock (taken at BEGIN
    IMMEDIATE) already serializes every writing transaction.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted({zlib.crc32(key.encode()) & 0x7FFFFFFF for key in keys}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [cycle.pk, key])


def lock_keys(cycle, group, reviews):
    """What deciding `reviews` reads: their group, the organizations they are
    the collective of, and those they head or lead."""
    keys = {group.key}
    individuals = [r.pk for r in reviews if r.member_id]
    organizations = {r.organization_id for r in reviews if not r.member_id}
    organizations |= set(
        CyclePost.objects.filter(cycle=cycle, review__in=individuals).values_list(
            "organization_id", flat=True
        )
    )
    organizations |= {
        r.leadership_review.organization_id
        for r in reviews
        if r.member_id and r.leadership_review_id
    }
    return keys | {f"organization-{pk}" for pk in organizations}


def decided_counts(group, exclude=()):
    """The group's decided levels by code, without the reviews in `exclude`."""
    excluded = {r.pk for r in exclude}
    ratings = Rating.objects.filter(
        review__in=[r.pk for r in group.reviews if r.pk not in excluded],
        stage=Stage.DECISION,
    )
    return Counter(ratings.values_list("level__code", flat=True))


def decided_codes(review_ids):
    """Review id → decided level code, for those decided."""
    return dict(
        Rating.objects.filter(review__in=review_ids, stage=Stage.DECISION).values_list(
            "review_id", "level__code"
        )
    )


class Checker:
    """Collects, for each decision, the rules it breaks: refused, or overridden
    where the regime allows it and a reason is written."""

    def __init__(self, overridable):
        self.overridable = overridable
        self.errors = defaultdict(list)
        self.overridden = defaultdict(list)
        self.out_of_line = defaultdict(list)

    def add(self, decision, finding, message, dependent=False):
        review = decision.review
        if finding.rule in self.overridable and decision.override_reason.strip():
            if finding.rule not in self.overridden[review.pk]:
                self.overridden[review.pk].append(finding.rule)
            if dependent:
                self.out_of_line[review.pk].append(message)
        else:
            self.errors[review.pk].append(message)


@transaction.atomic
def decide(cycle, group, decisions, user):
    """Decide the levels of a group's subjects, all or nothing.

    Every decision is checked against the rules of its subject, the group's
    quota whenever its counts change, and the decided subjects whose rules read
    it (a collective's head and leaders). A decision that breaks a rule is
    refused with the rule's reason, unless the regime lets the deciding level
    override that rule and a written reason is given; the override is recorded
    on the rating and in its history, and the decisions it puts out of line are
    listed on the rating (`out_of_line`).
    """
    cycle = ReviewCycle.objects.select_related("regime").get(pk=cycle.pk)
    # Decided, but not yet published: after a reopening decisions are corrected.
    if cycle.status not in (ReviewCycle.Status.APPRAISAL, ReviewCycle.Status.DECIDED):
        raise RatingRefused(
            {None: [_("Ratings are decided while the cycle is in appraisal.")]}
        )
    reviews = [d.review for d in decisions]
    lock(cycle, lock_keys(cycle, group, reviews))
    book = RuleBook(cycle, reviews)
    if book.incomplete:
        raise RatingRefused({None: [book.incomplete]})
    # Subjects exempted from rating need no decision and are never counted.
    exempt = unrated_exemptions(cycle)
    unrated = [r for r in group.reviews if r.pk in exempt]
    before = decided_counts(group, exclude=unrated)
    lead = book.leadership
    dependents = {
        pk
        for d in decisions
        if not d.review.member_id
        for pk in [
            *lead.heads[d.review.organization_id],
            *lead.leading[d.review.organization_id],
        ]
    }
    previous = decided_codes([r.pk for r in reviews] + sorted(dependents))
    after = before.copy()
    for decision in decisions:
        if decision.review.pk in exempt:
            continue
        old = previous.get(decision.review.pk)
        if old:
            after[old] -= 1
        after[decision.level.code] += 1
    checker = Checker(set(cycle.regime.overridable_rules or []))
    names = dict(
        Review.objects.filter(pk__in=dependents).values_list("pk", "subject_name")
    )
    plans = []
    for decision in decisions:
        review = decision.review
        if review.pk in exempt:
            checker.errors[review.pk].append(exempt_refusal(review, exempt[review.pk]))
            continue
        waiting = book.collective_waiting(review)
        if waiting:
            checker.errors[review.pk].append(
                _("%(name)s: decide %(collective)s first.")
                % {"name": review.subject_name, "collective": waiting}
            )
            continue
        code = decision.level.code
        # The rules read the latest score of the chain, which the decision keeps.
        score, _source = chain_score(review)
        for finding in book.findings(review, stage_score=score):
            if finding.broken_by(code):
                checker.add(
                    decision, finding, f"{review.subject_name}: {finding.reason}"
                )
        # Decided subjects that read this one: this decision must not break them.
        for pk, finding in book.dependents_broken(review, code, previous):
            checker.add(
                decision,
                finding,
                _(
                    "%(name)s cannot be rated %(level)s: %(dependent)s is decided "
                    "%(decided)s. %(reason)s"
                )
                % {
                    "name": review.subject_name,
                    "level": code,
                    "dependent": names.get(pk, "—"),
                    "decided": previous[pk],
                    "reason": finding.reason,
                },
                dependent=True,
            )
        plans.append((decision, score))
    check_quota(cycle, group, decisions, before, after, previous, checker)
    if checker.errors:
        raise RatingRefused(dict(checker.errors))
    ratings = []
    for decision, score in plans:
        overridden = checker.overridden[decision.review.pk]
        rating = record_rating(
            decision.review,
            Stage.DECISION,
            decision.level,
            user,
            reason=decision.reason,
            assessment=decision.assessment,
            score=score,
            overridden_rules=overridden,
            override_reason=decision.override_reason if overridden else "",
        )
        rating.out_of_line = checker.out_of_line[decision.review.pk]
        ratings.append(rating)
    return ratings


def check_quota(cycle, group, decisions, before, after, previous, checker):
    """Rule 1 on the group's counts after the decisions, whenever they change.

    Refused when the group ends above its quota and further above it than it
    was: raising one subject to HTXSNV, or lowering one from HTTNV, can break
    it. The decisions that moved the counts that way carry the refusal.
    """
    percent = cycle.regime.quota_percent
    excess = quota_excess(after, percent)
    if excess <= max(quota_excess(before, percent), 0):
        return
    finding = quota_finding(group, after, percent)
    for decision in decisions:
        old, new = previous.get(decision.review.pk), decision.level.code
        if old == new:
            continue
        if new == rules.EXCELLENT or old == rules.GOOD:
            checker.add(
                decision, finding, f"{decision.review.subject_name}: {finding.reason}"
            )
