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
from django.utils.translation import gettext_lazy

from members.models import HEAD_POST, LEADING_POSTS, PostKind
from organizations.models import GRASSROOTS_KINDS, Organization, OrganizationKind

from . import rules
from .models import (
    Conclusion,
    CyclePost,
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


# Who heads and leads what ---------------------------------------------------


class Leadership:
    """Who holds which post in which organization in a cycle (docs/process.md §6.4).

    Read from the cycle's posts, copied from the register when it opened, and
    from the leaders reviewed with each leadership collective; never from the
    text of a Party post or from a member's current cell.
    """

    def __init__(self, cycle):
        self.held = defaultdict(list)  # review id → [(organization id, kind)]
        self.heads = defaultdict(list)  # organization id → [head's review id]
        self.leading = defaultdict(set)  # organization id → review ids leading it
        self.members = defaultdict(
            set
        )  # organization id → member ids of its leadership
        self.units = defaultdict(set)  # review id → organization ids it leads
        rows = (
            CyclePost.objects.filter(cycle=cycle)
            .order_by()
            .values_list("review_id", "review__member_id", "organization_id", "kind")
        )
        for review_id, member_id, organization_id, kind in rows:
            self.held[review_id].append((organization_id, kind))
            self.members[organization_id].add(member_id)
            if kind == HEAD_POST:
                self.heads[organization_id].append(review_id)
            if kind in LEADING_POSTS:
                self.units[review_id].add(organization_id)
                self.leading[organization_id].add(review_id)
        leaders = cycle.reviews.filter(
            kind=Review.Kind.INDIVIDUAL, leadership_review__isnull=False
        ).values_list("pk", "member_id", "leadership_review__organization_id")
        for review_id, member_id, organization_id in leaders:
            # A leader without a post leads the unit whose collective they sit in.
            self.members[organization_id].add(member_id)
            self.units[review_id].add(organization_id)
            self.leading[organization_id].add(review_id)

    def headed(self, review_pk):
        """The organizations whose secretary the subject is."""
        return [org for org, kind in self.held[review_pk] if kind == HEAD_POST]


POST_ORDER = [kind for kind, _label in PostKind.choices]


def leadership_of(cycle):
    """The cycle's Leadership, read once per cycle object (a request's)."""
    found = getattr(cycle, "_leadership", None)
    if found is None:
        found = cycle._leadership = Leadership(cycle)
    return found


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


# The level of an organization, for "equivalent posts at the same level".
ORGANIZATION_LEVELS = {
    OrganizationKind.SUPERIOR_COMMITTEE: (
        "superior",
        gettext_lazy("superior level"),
    ),
    OrganizationKind.GRASSROOTS_COMMITTEE: (
        "grassroots",
        gettext_lazy("grassroots level"),
    ),
    OrganizationKind.GRASSROOTS_CELL: ("grassroots", gettext_lazy("grassroots level")),
    OrganizationKind.PARTIAL_COMMITTEE: (
        "partial",
        gettext_lazy("partial committee level"),
    ),
    OrganizationKind.CELL: ("cell", gettext_lazy("cell level")),
    OrganizationKind.PARTY_GROUP: ("cell", gettext_lazy("cell level")),
}


def comparison_groups(cycle):
    """The cycle's comparison groups for the quota, by key (docs/process.md §6.4).

    The regime's `quota_grouping` chooses the scheme. By type of organization
    (the default): grassroots organizations within their type, the cells of one
    grassroots organization together, its members together, leadership
    collectives together and leaders by post and level ("equivalent posts at
    the same level"). By grassroots organization: as the default, but a
    grassroots organization's leaders are compared with its members. By post
    level: members of the whole cycle together, cells together, leaders by post
    and level. Every review of the cycle is grouped, so each is read as a few
    columns; the page loads whole only the reviews it shows.
    """
    scheme = cycle.regime.quota_grouping
    Grouping = cycle.regime.QuotaGrouping
    rows = cycle.reviews.order_by(
        "organization__path", "meeting_rank", "sort_key", "pk"
    ).values_list("pk", "public_id", "organization_id", "kind", "is_leader")
    tree = Organization.objects.subtree_of(cycle.superior).select_related("org_type")
    organizations = {o.pk: o for o in tree}
    grassroots_ids = {
        o.pk for o in organizations.values() if o.kind in GRASSROOTS_KINDS
    }
    leadership = leadership_of(cycle)
    groups = {}
    grassroots_of = {}

    def add(key, name, subject):
        """`name` is called for a group's first subject only: a cycle has
        thousands of subjects to a group."""
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key, name() if callable(name) else name)
        group.reviews.append(subject)

    for pk, public_id, organization_id, kind, is_leader in rows:
        subject = Subject(pk, public_id, organization_id)
        organization = organizations[organization_id]
        if organization_id not in grassroots_of:
            grassroots_of[organization_id] = next(
                (
                    organizations[i]
                    for i in [organization.pk, *organization.ancestor_ids][::-1]
                    if i in grassroots_ids
                ),
                None,
            )
        grassroots = grassroots_of[organization_id]
        if kind == Review.Kind.LEADERSHIP:
            add("leadership", lambda: _("Leadership collectives"), subject)
        elif kind == Review.Kind.ORGANIZATION and organization.pk in grassroots_ids:
            type_name = organization.org_type.name if organization.org_type else "—"
            code = organization.org_type.code if organization.org_type else "none"
            add(
                f"type-{code}",
                lambda t=type_name: (
                    _("Grassroots organizations: %(type)s") % {"type": t}
                ),
                subject,
            )
        elif kind == Review.Kind.ORGANIZATION and scheme == Grouping.POST_LEVEL:
            add("cells", lambda: _("Cells and partial committees"), subject)
        elif kind == Review.Kind.ORGANIZATION and grassroots:
            add(
                f"cells-{grassroots.public_id}",
                lambda g=grassroots: _("Cells of %(name)s") % {"name": g.name},
                subject,
            )
        elif is_leader and leaders_by_post(cycle.regime):
            post = highest_post(
                (kind, organizations[org].kind)
                for org, kind in leadership.held[pk]
                if org in organizations
            )
            add(*leader_group(post), subject)
        elif scheme == Grouping.POST_LEVEL:
            add("members", lambda: _("Members without a leadership post"), subject)
        elif grassroots:
            add(
                f"members-{grassroots.public_id}",
                lambda g=grassroots: _("Members of %(name)s") % {"name": g.name},
                subject,
            )
    return groups


def targets_met(cycle, organization_ids=None):
    """Organization id → [targets met, targets with a result] of its indicators
    in the cycle (docs/process.md §4), for the organizations given or all."""
    found = defaultdict(lambda: [0, 0])
    values = IndicatorValue.objects.filter(cycle=cycle).select_related("indicator")
    if organization_ids is not None:
        values = values.filter(organization_id__in=organization_ids)
    for value in values:
        met = value.met_target
        if met is not None:
            found[value.organization_id][0] += int(met)
            found[value.organization_id][1] += 1
    return found


def leaders_by_post(regime):
    """Whether the regime's grouping compares leaders by post and level, apart
    from the members (all but "same grassroots organization")."""
    return regime.quota_grouping != regime.QuotaGrouping.GRASSROOTS_ORGANIZATION


def leader_group(post):
    """(key, name) of a leader's comparison group from their highest post,
    (post kind, kind of its organization): posts of one kind at one level
    together; leaders without a Party post (None) together."""
    if post is None:
        return "leaders", _("Leaders and managers without a Party post")
    kind, organization_kind = post
    level, label = ORGANIZATION_LEVELS.get(
        organization_kind, ("other", gettext_lazy("other"))
    )
    return (
        f"leaders-{level}-{kind}",
        _("Leaders: %(post)s, %(level)s")
        % {"post": PostKind(kind).label, "level": label},
    )


def highest_post(posts):
    """The highest of (post kind, organization kind) pairs, or None."""
    return min(posts, key=lambda post: POST_ORDER.index(post[0]), default=None)


# Checking the rules -------------------------------------------------------------


def collective_stages(stage):
    """The stages of a collective's chain a subject's `stage` compares with.

    Decisions compare with the decided collective only (it is decided first);
    earlier stages with the collective's latest stage so far.
    """
    if stage == Stage.DECISION:
        return [Stage.DECISION]
    return list(reversed(STAGES[: STAGES.index(stage) + 1]))


class Scored(NamedTuple):
    """A stage of the chain as chain_score reads it: its score alone."""

    score: object


class RuleBook:
    """The facts every rule needs for a set of reviews, loaded in a few queries."""

    def __init__(self, cycle, reviews, stage=Stage.DECISION, leadership=None):
        """`stage` is the level of the chain heads are compared against: the
        decided collective for decisions, the meeting's proposal at meetings."""
        self.cycle = cycle
        self.regime = cycle.regime
        self.reviews = reviews
        self.stage = stage
        self.levels = {level.code: level for level in self.regime.levels.all()}
        # A points regime without its thresholds cannot rate by points: said
        # once on the pages (`incomplete`), and every decision is refused.
        self.bands, self.incomplete = None, ""
        if self.regime.uses_points:
            try:
                self.bands = rules.Bands.of(self.regime, self.levels.values())
            except rules.RegimeIncomplete as incomplete:
                self.incomplete = str(incomplete)
        self.minimums = self.regime.leader_unit_minimums or {}
        self.leadership = leadership or leadership_of(cycle)
        period = (cycle.starts_on, cycle.ends_on)
        individuals = [r for r in reviews if r.member_id]
        collectives = [r for r in reviews if not r.member_id]
        lead = self.leadership
        # The organizations each rule reads: those headed and led, the
        # collectives themselves and the organizations directly under them.
        units = {org for r in individuals for org in lead.units[r.pk]}
        units |= {org for r in individuals for org in lead.headed(r.pk)}
        own = {r.organization_id for r in collectives}
        self.children = defaultdict(set)
        if own:
            for parent_id, child_id in cycle.reviews.filter(
                kind=Review.Kind.ORGANIZATION, organization__parent_id__in=own
            ).values_list("organization__parent_id", "organization_id"):
                self.children[parent_id].add(child_id)
        children = {child for kids in self.children.values() for child in kids}
        self.names = dict(
            Organization.objects.filter(pk__in=units | own).values_list("pk", "name")
        )
        member_ids = {r.member_id for r in individuals}
        member_ids |= {m for org in own for m in lead.members[org]}
        self.disciplines = defaultdict(list)
        self.org_disciplines = defaultdict(list)
        for record in Discipline.objects.filter(
            Q(member_id__in=member_ids) | Q(organization_id__in=own | children),
            decided_on__range=period,
        ):
            if record.member_id:
                self.disciplines[record.member_id].append(record)
            else:
                self.org_disciplines[record.organization_id].append(record)
        self.conclusions = defaultdict(list)
        self.org_conclusions = defaultdict(list)
        for found in Conclusion.objects.filter(
            Q(member_id__in={r.member_id for r in individuals})
            | Q(organization_id__in=own),
            concluded_on__range=period,
        ):
            if found.member_id:
                self.conclusions[found.member_id].append(found)
            else:
                self.org_conclusions[found.organization_id].append(found)
        self.collective_codes = self._collective_codes(units)
        self.targets = targets_met(cycle, units)
        # Each subject's chain, for the score the points rule reads.
        self.chains = defaultdict(dict)
        if self.regime.uses_points:
            scores = Rating.objects.filter(
                review__in=[r.pk for r in reviews]
            ).values_list("review_id", "stage", "score")
            for review_id, stage, score in scores:
                self.chains[review_id][stage] = Scored(score)

    def _collective_codes(self, organization_ids):
        """Organization id → its collective's level at the stages compared."""
        if not organization_ids:
            return {}
        stages = collective_stages(self.stage)
        found = {}
        for organization_id, stage, code in Rating.objects.filter(
            review__cycle=self.cycle,
            review__kind=Review.Kind.ORGANIZATION,
            review__organization_id__in=organization_ids,
            stage__in=stages,
        ).values_list("review__organization_id", "stage", "level__code"):
            found.setdefault(organization_id, {})[stage] = code
        return {
            org: next(by_stage[s] for s in stages if s in by_stage)
            for org, by_stage in found.items()
        }

    def unit_name(self, organization_id):
        return self.names.get(organization_id, "—")

    def collective_waiting(self, review):
        """The collectives a head or leader is rated after, if not decided yet."""
        if review.member_id is None:
            return None
        lead = self.leadership
        waiting = {*lead.headed(review.pk), *lead.units[review.pk]}
        names = sorted(
            self.unit_name(org) for org in waiting if org not in self.collective_codes
        )
        return ", ".join(names) or None

    def findings(self, review, stage_score=None):
        """Every rule that caps this subject, with its reason."""
        exempt = self.regime.self_remedied_discipline_exempt
        lead = self.leadership
        found = []
        if review.member_id:
            found.append(rules.discipline(self.disciplines[review.member_id], exempt))
            found.append(rules.conclusion(self.conclusions[review.member_id]))
            for org in lead.headed(review.pk):
                found.append(
                    rules.head(self.collective_codes.get(org), self.unit_name(org))
                )
            for org in sorted(lead.units[review.pk]):
                name = self.unit_name(org)
                found.append(
                    rules.leader_unit(
                        self.collective_codes.get(org), name, self.minimums
                    )
                )
                met, total = self.targets[org]
                found.append(
                    rules.unit_targets(
                        name, met, total, self.regime.unit_targets_percent
                    )
                )
        elif review.kind in (Review.Kind.ORGANIZATION, Review.Kind.LEADERSHIP):
            found.extend(self._collective_findings(review, exempt))
        if self.regime.uses_points:
            score = stage_score
            if score is None:
                score, _source = chain_score(
                    review, self.chains[review.pk], upto=self.stage
                )
            found.append(self._points(rules.points, review, score))
        return [finding for finding in found if finding]

    def points_verdict(self, review, score):
        """The highest level `score` allows under the points rule, with the
        reason; None where the regime gives no points."""
        if not self.regime.uses_points:
            return None
        return self._points(rules.points_verdict, review, score)

    def _points(self, rule, review, score):
        if self.bands is None:
            return None
        return rule(
            score,
            self.bands,
            on_time=review.tasks_on_time_percent,
            exceeding=review.tasks_exceeding_percent,
            remedied=review.shortcomings_remedied_percent,
        )

    def _collective_findings(self, review, exempt):
        org = review.organization_id
        units = self.children[org]
        leaders = [
            record
            for member_id in self.leadership.members[org]
            for record in self.disciplines[member_id]
        ]
        found = [
            rules.collective_discipline(
                own=self.org_disciplines[org],
                disciplined_leaders=leaders,
                disciplined_units=[
                    record for unit in units for record in self.org_disciplines[unit]
                ],
                units=len(units),
                percent=self.regime.subordinate_discipline_percent,
                self_remedied_exempt=exempt,
            ),
            rules.conclusion(self.org_conclusions[org]),
        ]
        return found

    def dependents_broken(self, review, code, decided):
        """Decided subjects whose rules a collective at `code` would break.

        `decided` maps review ids to their decided level codes. Returns
        (review id, Finding) pairs: the heads of the organization above it
        and the leaders whose unit it is.
        """
        if review.kind != Review.Kind.ORGANIZATION:
            return []
        org = review.organization_id
        lead = self.leadership
        broken = []
        head = rules.head(code, review.subject_name)
        for pk in lead.heads[org]:
            if pk in decided and head.broken_by(decided[pk]):
                broken.append((pk, head))
        unit = rules.leader_unit(code, review.subject_name, self.minimums)
        if unit is not None:
            for pk in sorted(lead.leading[org]):
                if pk in decided and unit.broken_by(decided[pk]):
                    broken.append((pk, unit))
        return broken


def out_of_line(cycle):
    """Decided subjects whose decision breaks a rule now, unless overridden.

    A decision was checked when it was made; a disciplinary record, a
    conclusion or a post recorded later can put it out of line. Returns
    [(review, [Finding])] in meeting order, for the step that closes decisions.
    """
    decided = list(
        cycle.reviews.exclude(decided_code="")
        # The rules read a few columns; the answers are the bulk of a row.
        .defer("answers", "scores")
        .order_by("organization__path", "meeting_rank", "sort_key", "pk")
    )
    if not decided:
        return []
    book = RuleBook(cycle, decided)
    overridden = dict(
        Rating.objects.filter(review__cycle=cycle, stage=Stage.DECISION).values_list(
            "review_id", "overridden_rules"
        )
    )
    found = []
    for review in decided:
        broken = [
            finding
            for finding in book.findings(review)
            if finding.broken_by(review.decided_code)
            and finding.rule not in (overridden.get(review.pk) or [])
        ]
        if broken:
            found.append((review, broken))
    return found


def quota_finding(group, counts, percent):
    """The quota rule for a group, given its decided levels by code."""
    return rules.quota(
        group.name,
        counts.get(rules.EXCELLENT, 0),
        sum(counts.values()),
        counts.get(rules.GOOD, 0),
        percent,
    )


def quota_excess(counts, percent):
    """How many HTXSNV a group has above its quota (negative: room left)."""
    return counts.get(rules.EXCELLENT, 0) - rules.quota_allowed(
        counts.get(rules.GOOD, 0), percent
    )


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
