"""The rating chain: recording each stage, checking the rules, deciding a group.

Every subject keeps one Rating per stage (self, meeting, appraisal, decision);
a stage may differ from the one before only with a reason, and history keeps
every change. Decisions re-check the rules of docs/process.md §6 and count the quota
across the whole comparison group under a lock, so that two people deciding
at the same moment cannot together exceed it.
"""

import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.models import GRASSROOTS_KINDS, Organization

from . import rules
from .models import (
    Conclusion,
    Discipline,
    IndicatorValue,
    Rating,
    Review,
    ReviewCycle,
    StepExemption,
)

Stage = Rating.Stage
STAGES = [Stage.SELF, Stage.MEETING, Stage.APPRAISAL, Stage.DECISION]
# Stages set by someone other than the subject must explain a change of level.
EXPLAINED_STAGES = (Stage.APPRAISAL, Stage.DECISION)


class RatingRefused(Exception):
    """A rating that breaks the rules or lacks a reason; `errors` say why."""

    def __init__(self, errors):
        super().__init__(
            "; ".join(str(e) for errors in errors.values() for e in errors)
        )
        self.errors = errors


# Recording one stage --------------------------------------------------------


def previous_rating(review, stage, ratings=None):
    """The rating of the latest stage before `stage` that has one."""
    ratings = (
        ratings if ratings is not None else {r.stage: r for r in review.ratings.all()}
    )
    earlier = STAGES[: STAGES.index(stage)]
    for before in reversed(earlier):
        if before in ratings:
            return ratings[before]
    return None


# Where chain_score found the score when no later stage set one: the form.
SCORE_OF_FORM = "form"


def chain_score(review, ratings=None, upto=Stage.DECISION):
    """The score the points rule reads, and where it comes from.

    The latest stage up to `upto` that set a score (decision, appraisal,
    meeting), else the review's own self-score total, else the score copied on
    the self-proposed rating. Returns (score or None, stage or SCORE_OF_FORM).
    """
    ratings = (
        ratings if ratings is not None else {r.stage: r for r in review.ratings.all()}
    )
    later = STAGES[1 : STAGES.index(upto) + 1]
    for stage in reversed(later):
        rating = ratings.get(stage)
        if rating is not None and rating.score is not None:
            return rating.score, stage
    if review.score_total is not None:
        return review.score_total, SCORE_OF_FORM
    own = ratings.get(Stage.SELF)
    if own is not None and own.score is not None:
        return own.score, Stage.SELF
    return None, SCORE_OF_FORM


def unrated_exemptions(cycle):
    """Review id → its exemptions that take it out of rating: [(label, reason)]."""
    found = defaultdict(list)
    rows = (
        StepExemption.objects.unrated()
        .filter(review__cycle=cycle)
        .order_by("review_id", "kind")
        .values_list("review_id", "kind", "reason")
    )
    for review_id, kind, reason in rows:
        found[review_id].append((str(StepExemption.Kind(kind).label), reason))
    return dict(found)


def exempt_refusal(review, exemptions):
    """Why a level cannot be recorded for a subject exempted from rating."""
    label, reason = exemptions[0]
    return _(
        "%(name)s is not rated (%(exemption)s: %(reason)s); no level can be "
        "recorded for them."
    ) % {"name": review.subject_name, "exemption": label, "reason": reason}


def record_rating(review, stage, level, user, **details):
    """Write one stage of the chain; a changed level needs a reason."""
    previous = previous_rating(review, stage)
    reason = details.get("reason", "")
    if (
        stage in EXPLAINED_STAGES
        and previous is not None
        and previous.level_id != level.pk
        and not reason.strip()
    ):
        raise RatingRefused(
            {
                review.pk: [
                    _(
                        "%(name)s: the level differs from the %(stage)s (%(level)s); "
                        "give the reason."
                    )
                    % {
                        "name": review.subject_name,
                        "stage": previous.get_stage_display().lower(),
                        "level": previous.level.code,
                    }
                ]
            }
        )
    rating = Rating.objects.filter(review=review, stage=stage).first() or Rating(
        review=review, stage=stage
    )
    rating.level = level
    rating.set_by = user
    rating.set_at = timezone.now()
    for name in (
        "score",
        "reason",
        "assessment",
        "votes",
        "overridden_rules",
        "override_reason",
    ):
        if name in details:
            setattr(rating, name, details[name])
    rating._history_user = user
    rating.save()
    return rating


def refresh_outcomes(reviews):
    """Copy each review's latest proposal and decision onto it, in one UPDATE.

    Rating writes call this through a signal; code that writes ratings in bulk
    calls it itself.
    """

    def code_at(stage):
        found = Rating.objects.filter(review=OuterRef("pk"), stage=stage)
        return Subquery(found.values("level__code")[:1])

    return reviews.update(
        proposed_code=Coalesce(
            code_at(Rating.Stage.APPRAISAL), code_at(Rating.Stage.MEETING), Value("")
        ),
        decided_code=Coalesce(code_at(Rating.Stage.DECISION), Value("")),
    )


# Comparison groups ------------------------------------------------------------


class Subject(NamedTuple):
    """What grouping and counting need of a review, without loading it whole."""

    pk: int
    public_id: object
    organization_id: int


@dataclass
class Group:
    key: str
    name: str
    reviews: list = field(default_factory=list)  # Subjects, in meeting order

    def load(self, subjects):
        """The reviews of `subjects` whole, in the group's order, for the page."""
        found = Review.objects.select_related(
            "organization__org_type", "leadership_review__organization"
        ).in_bulk([subject.pk for subject in subjects])
        return [found[subject.pk] for subject in subjects if subject.pk in found]

    def whole(self):
        """Every review of the group, loaded whole."""
        return self.load(self.reviews)


def comparison_groups(cycle):
    """The cycle's comparison groups for the quota, by key.

    Grassroots organizations are compared within their type; the cells of one
    grassroots organization among themselves; its members among themselves;
    leadership collectives together; leaders together (equivalent posts).
    Every review of the cycle is grouped, so each is read as a few columns;
    the page loads whole only the reviews it shows.
    """
    rows = cycle.reviews.order_by(
        "organization__path", "meeting_rank", "sort_key", "pk"
    ).values_list("pk", "public_id", "organization_id", "kind", "is_leader")
    tree = Organization.objects.subtree_of(cycle.superior).select_related("org_type")
    organizations = {o.pk: o for o in tree}
    grassroots_ids = {
        o.pk for o in organizations.values() if o.kind in GRASSROOTS_KINDS
    }
    groups = {}

    def add(key, name, subject):
        groups.setdefault(key, Group(key, name)).reviews.append(subject)

    for pk, public_id, organization_id, kind, is_leader in rows:
        subject = Subject(pk, public_id, organization_id)
        organization = organizations[organization_id]
        grassroots = next(
            (
                organizations[i]
                for i in [organization.pk, *organization.ancestor_ids][::-1]
                if i in grassroots_ids
            ),
            None,
        )
        if kind == Review.Kind.LEADERSHIP:
            add("leadership", _("Leadership collectives"), subject)
        elif kind == Review.Kind.ORGANIZATION and organization.pk in grassroots_ids:
            type_name = organization.org_type.name if organization.org_type else "—"
            code = organization.org_type.code if organization.org_type else "none"
            add(
                f"type-{code}",
                _("Grassroots organizations: %(type)s") % {"type": type_name},
                subject,
            )
        elif kind == Review.Kind.ORGANIZATION and grassroots:
            add(
                f"cells-{grassroots.public_id}",
                _("Cells of %(name)s") % {"name": grassroots.name},
                subject,
            )
        elif is_leader:
            add("leaders", _("Leaders and managers"), subject)
        elif grassroots:
            add(
                f"members-{grassroots.public_id}",
                _("Members of %(name)s") % {"name": grassroots.name},
                subject,
            )
    return groups


# Checking the rules -------------------------------------------------------------


class RuleBook:
    """The facts every rule needs for a set of reviews, loaded in a few queries."""

    def __init__(self, cycle, reviews, stage=Stage.DECISION):
        """`stage` is the level of the chain heads are compared against: the
        decided collective for decisions, the meeting's proposal at meetings."""
        self.cycle = cycle
        self.regime = cycle.regime
        self.reviews = reviews
        self.levels = {level.code: level for level in self.regime.levels.all()}
        self.thresholds = {
            code: level.min_points or 0 for code, level in self.levels.items()
        }
        period = (cycle.starts_on, cycle.ends_on)
        member_ids = [r.member_id for r in reviews if r.member_id]
        self.disciplines = defaultdict(list)
        for record in Discipline.objects.filter(
            member_id__in=member_ids, decided_on__range=period
        ):
            self.disciplines[record.member_id].append(record)
        self.conclusions = defaultdict(list)
        for found in Conclusion.objects.filter(
            member_id__in=member_ids, concluded_on__range=period
        ):
            self.conclusions[found.member_id].append(found)
        # The collectives' ratings at `stage`, for heads and leaders.
        self.decided = {
            (r.review.organization_id, r.review.kind): r.level.code
            for r in Rating.objects.filter(
                review__cycle=cycle, stage=stage, review__member__isnull=True
            ).select_related("review", "level")
        }
        self.targets = defaultdict(lambda: [0, 0])
        for value in IndicatorValue.objects.filter(cycle=cycle).select_related(
            "indicator"
        ):
            met = value.met_target
            if met is not None:
                self.targets[value.organization_id][0] += int(met)
                self.targets[value.organization_id][1] += 1
        self._load_collective_facts(period)

    def _load_collective_facts(self, period):
        collectives = [r.organization for r in self.reviews if r.is_collective]
        self.org_disciplines = defaultdict(list)
        self.unit_counts = Counter()
        if not collectives:
            return
        paths = Q()
        for organization in collectives:
            paths |= Q(organization__path__startswith=organization.path)
        for record in Discipline.objects.filter(
            paths, decided_on__range=period
        ).select_related("organization"):
            self.org_disciplines[record.organization.path].append(record)
        children = Q()
        for organization in collectives:
            children |= Q(parent=organization)
        self.unit_counts = Counter(
            Organization.objects.filter(children).values_list("parent_id", flat=True)
        )
        leader_paths = Q()
        for organization in collectives:
            leader_paths |= Q(member__organization__path__startswith=organization.path)
        self.leader_disciplines = list(
            Discipline.objects.filter(
                leader_paths, member__is_leader=True, decided_on__range=period
            ).select_related("member__organization")
        )

    def collective_waiting(self, review):
        """The collective a head or leader is rated after, if not decided yet."""
        if review.member_id is None:
            return None
        if review.meeting_rank == Review.Rank.HEAD and (
            (review.organization_id, Review.Kind.ORGANIZATION) not in self.decided
        ):
            return review.organization.name
        if review.is_leader and review.leadership_review_id:
            unit = review.leadership_review.organization
            if (unit.pk, Review.Kind.ORGANIZATION) not in self.decided:
                return unit.name
        return None

    def findings(self, review, stage_score=None):
        """Every rule that caps this subject, with its reason."""
        exempt = self.regime.self_remedied_discipline_exempt
        found = []
        if review.member_id:
            found.append(rules.discipline(self.disciplines[review.member_id], exempt))
            found.append(rules.conclusion(self.conclusions[review.member_id]))
            if review.meeting_rank == Review.Rank.HEAD:
                collective = self.decided.get(
                    (review.organization_id, Review.Kind.ORGANIZATION)
                )
                found.append(rules.head(collective, review.organization.name))
            if review.is_leader and review.leadership_review_id:
                unit = review.leadership_review.organization
                met, total = self.targets[unit.pk]
                unit_code = self.decided.get((unit.pk, Review.Kind.ORGANIZATION))
                found.append(rules.leader_unit(unit_code, unit.name, met, total))
        elif review.kind in (Review.Kind.ORGANIZATION, Review.Kind.LEADERSHIP):
            found.append(self._collective_finding(review, exempt))
        if self.regime.uses_points:
            score = stage_score if stage_score is not None else review.score_total
            found.append(self._points(rules.points, review, score))
        return [finding for finding in found if finding]

    def points_verdict(self, review, score):
        """The highest level `score` allows under the points rule, with the
        reason; None where the regime gives no points."""
        if not self.regime.uses_points:
            return None
        return self._points(rules.points_verdict, review, score)

    def _points(self, rule, review, score):
        return rule(
            score,
            self.thresholds,
            on_time=review.tasks_on_time_percent,
            exceeding=review.tasks_exceeding_percent,
            remedied=review.shortcomings_remedied_percent,
        )

    def _collective_finding(self, review, exempt):
        organization = review.organization
        own = [
            record
            for path, records in self.org_disciplines.items()
            if path == organization.path
            for record in records
        ]
        units = [
            record
            for path, records in self.org_disciplines.items()
            if path != organization.path and path.startswith(organization.path)
            for record in records
        ]
        leaders = [
            record
            for record in self.leader_disciplines
            if record.member.organization.path.startswith(organization.path)
        ]
        return rules.collective_discipline(
            leadership_disciplined=any(
                record.leadership
                and not (exempt and record.self_detected and record.remedied)
                for record in own
            ),
            disciplined_leaders=leaders,
            disciplined_units=units,
            units=self.unit_counts[organization.pk],
            self_remedied_exempt=exempt,
        )


def quota_finding(group, counts, percent):
    """The quota rule for a group, given its decided levels by code."""
    return rules.quota(
        group.name,
        counts.get(rules.EXCELLENT, 0),
        sum(counts.values()),
        counts.get(rules.GOOD, 0),
        percent,
    )


# Deciding ---------------------------------------------------------------------


@dataclass
class Decision:
    review: Review
    level: object
    reason: str = ""
    assessment: str = ""
    override_reason: str = ""


def lock_group(cycle, key):
    """Serialize decisions of one comparison group until the transaction ends.

    On PostgreSQL a transaction-level advisory lock; SQLite's write lock (taken
    at BEGIN IMMEDIATE) already serializes every writing transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [cycle.pk, zlib.crc32(key.encode()) & 0x7FFFFFFF],
            )


def decided_counts(group, exclude=()):
    """The group's decided levels by code, without the reviews in `exclude`."""
    excluded = {r.pk for r in exclude}
    ratings = Rating.objects.filter(
        review__in=[r.pk for r in group.reviews if r.pk not in excluded],
        stage=Stage.DECISION,
    )
    return Counter(ratings.values_list("level__code", flat=True))


@transaction.atomic
def decide(cycle, group, decisions, user):
    """Decide the levels of a group's subjects, all or nothing.

    A decision that breaks a rule is refused with the rule's reason, unless the
    regime lets the deciding level override that rule and a written reason is
    given; the override is then recorded on the rating and in its history.
    """
    cycle = ReviewCycle.objects.select_related("regime").get(pk=cycle.pk)
    # Decided, but not yet published: after a reopening decisions are corrected.
    if cycle.status not in (ReviewCycle.Status.APPRAISAL, ReviewCycle.Status.DECIDED):
        raise RatingRefused(
            {None: [_("Ratings are decided while the cycle is in appraisal.")]}
        )
    lock_group(cycle, group.key)
    # Subjects exempted from rating need no decision and are never counted.
    exempt = unrated_exemptions(cycle)
    unrated = [r for r in group.reviews if r.pk in exempt]
    counts = decided_counts(group, exclude=[d.review for d in decisions] + unrated)
    counts.update(d.level.code for d in decisions if d.review.pk not in exempt)
    quota = quota_finding(group, counts, cycle.regime.quota_percent)
    book = RuleBook(cycle, [d.review for d in decisions])
    overridable = set(cycle.regime.overridable_rules or [])
    errors, plans = defaultdict(list), []
    for decision in decisions:
        review = decision.review
        if review.pk in exempt:
            errors[review.pk].append(exempt_refusal(review, exempt[review.pk]))
            continue
        waiting = book.collective_waiting(review)
        if waiting:
            errors[review.pk].append(
                _("%(name)s: decide %(collective)s first.")
                % {"name": review.subject_name, "collective": waiting}
            )
            continue
        # The rules read the latest score of the chain, which the decision keeps.
        score, _source = chain_score(review)
        findings = book.findings(review, stage_score=score)
        if quota and decision.level.code == rules.EXCELLENT:
            findings.append(quota)
        broken = [f for f in findings if f.broken_by(decision.level.code)]
        overridden = []
        for finding in broken:
            if finding.rule in overridable and decision.override_reason.strip():
                overridden.append(finding.rule)
            else:
                errors[review.pk].append(f"{review.subject_name}: {finding.reason}")
        plans.append((decision, overridden, score))
    if errors:
        raise RatingRefused(dict(errors))
    ratings = []
    for decision, overridden, score in plans:
        ratings.append(
            record_rating(
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
        )
    return ratings
