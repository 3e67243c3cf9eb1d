"""Checking the rules: the facts every rule needs for a set of reviews
(RuleBook), the decisions a later record put out of line, and the quota rule
of a comparison group (docs/process.md §6)."""

from collections import defaultdict
from typing import NamedTuple

from .. import rules
from ..cycles.scope import PARENT_KINDS
from ..models import IndicatorValue, Rating, Review, StepExemption
from .chain import STAGES, Stage, chain_score
from .groups import leadership_of
from .lookups import RULE_LOOKUPS


def targets_met(cycle, organization_ids=None):
    """Organization id → [targets met, targets with a result] of its indicators
    in the cycle (docs/process.md §4), for the organizations given or all."""
    found = defaultdict(lambda: [0, 0])
    if organization_ids is not None and not organization_ids:
        return found
    if organization_ids is None:
        values = IndicatorValue.objects.filter(cycle=cycle).select_related("indicator")
    else:
        values = RULE_LOOKUPS.targets.all(
            cycle_id=cycle.pk, organizations=organization_ids
        )
    for value in values:
        met = value.met_target
        if met is not None:
            found[value.organization_id][0] += int(met)
            found[value.organization_id][1] += 1
    return found


# Checking the rules -------------------------------------------------------------


def collective_stages(stage):
    """The stages of a collective's chain a subject's `stage` compares with.

    Decisions compare with the decided collective only (it is decided first);
    earlier stages with the collective's latest stage so far.
    """
    if stage == Stage.DECISION:
        return [Stage.DECISION]
    return list(reversed(STAGES[: STAGES.index(stage) + 1]))


def organization_loaded(review):
    """Whether the review was read with its organization (select_related)."""
    return Review.organization.is_cached(review)


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
        individuals = [r for r in reviews if r.member_id]
        collectives = [r for r in reviews if not r.member_id]
        lead = self.leadership
        # The organizations each rule reads: those headed and led, the
        # collectives themselves and the organizations directly under them.
        units = {org for r in individuals for org in lead.units[r.pk]}
        units |= {org for r in individuals for org in lead.headed(r.pk)}
        own = {r.organization_id for r in collectives}
        # A lookup that cannot match is not made: on a form Django spends
        # longer building its query than PostgreSQL running it. A cell has no
        # reviewed organizations under it, and the names of the collectives'
        # organizations are known when the reviews were read with them.
        loaded = [r.organization for r in collectives if organization_loaded(r)]
        parents = own - {o.pk for o in loaded if o.kind not in PARENT_KINDS}
        self.children = defaultdict(set)
        if parents:
            for parent_id, child_id in cycle.reviews.filter(
                kind=Review.Kind.ORGANIZATION, organization__parent_id__in=parents
            ).values_list("organization__parent_id", "organization_id"):
                self.children[parent_id].add(child_id)
        children = {child for kids in self.children.values() for child in kids}
        self.names = {o.pk: o.name for o in loaded}
        if unnamed := (units | own) - self.names.keys():
            self.names |= dict(RULE_LOOKUPS.names.all(organizations=unnamed))
        member_ids = {r.member_id for r in individuals}
        member_ids |= {m for org in own for m in lead.members[org]}
        self.disciplines = defaultdict(list)
        self.org_disciplines = defaultdict(list)
        for record in RULE_LOOKUPS.disciplines.all(
            members=member_ids,
            organizations=own | children,
            starts=cycle.starts_on,
            ends=cycle.ends_on,
        ):
            if record.member_id:
                self.disciplines[record.member_id].append(record)
            else:
                self.org_disciplines[record.organization_id].append(record)
        self.conclusions = defaultdict(list)
        self.org_conclusions = defaultdict(list)
        for found in RULE_LOOKUPS.conclusions.all(
            members={r.member_id for r in individuals},
            organizations=own,
            starts=cycle.starts_on,
            ends=cycle.ends_on,
        ):
            if found.member_id:
                self.conclusions[found.member_id].append(found)
            else:
                self.org_conclusions[found.organization_id].append(found)
        self.collective_codes = self._collective_codes(units)
        self.rateable = {}  # organization id → whether its collective is rated
        self.targets = targets_met(cycle, units)
        # Each subject's chain, for the score the points rule reads.
        self.chains = defaultdict(dict)
        if self.regime.uses_points:
            scores = RULE_LOOKUPS.scores.all(reviews=[r.pk for r in reviews])
            for review_id, stage, score in scores:
                self.chains[review_id][stage] = Scored(score)

    def _collective_codes(self, organization_ids):
        """Organization id → its collective's level at the stages compared."""
        if not organization_ids:
            return {}
        stages = collective_stages(self.stage)
        found = {}
        for organization_id, stage, code in RULE_LOOKUPS.collective_codes.all(
            (tuple(stages),), cycle_id=self.cycle.pk, organizations=organization_ids
        ):
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
        units = {*lead.headed(review.pk), *lead.units[review.pk]}
        undecided = units - self.collective_codes.keys()
        if not undecided:
            return None
        names = sorted(self.unit_name(org) for org in self.to_be_decided(undecided))
        return ", ".join(names) or None

    def to_be_decided(self, organization_ids):
        """Those of the organizations whose collective waits for a decision: one
        reviewed in the cycle and not taken out of rating (docs/process.md
        §10). The cycle's own committee has no collective review, and one
        recorded as not rated gets no decision: nobody is held back by them."""
        known = self.rateable
        unknown = set(organization_ids) - known.keys()
        if unknown:
            rateable = set(
                self.cycle.reviews.filter(
                    kind=Review.Kind.ORGANIZATION, organization_id__in=unknown
                )
                .exclude(exemptions__kind__in=StepExemption.UNRATED_KINDS)
                .values_list("organization_id", flat=True)
            )
            known.update((org, org in rateable) for org in unknown)
        return {org for org in organization_ids if known[org]}

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
