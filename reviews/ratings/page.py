"""A comparison group's page of ratings, as data: the step (appraisal or
decision) and who sees and rates what, each subject's row with its rating
chain and the rules its level breaks, and the group's quota meter.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext as _

from .. import ratings, rules
from ..fields import typed_value
from ..models import Rating, ReviewCycle
from .forms import RatingRowForm

PAGE_SIZE = 100
Stage = Rating.Stage
Status = ReviewCycle.Status
PROPOSALS = (Stage.SELF, Stage.MEETING, Stage.APPRAISAL)


@dataclass(frozen=True)
class Step:
    stage: str
    url_name: str
    template: str
    open_states: tuple
    # The stages whose latest level counts on the quota meter.
    counted: tuple


DECIDING = Step(
    Stage.DECISION,
    "reviews:decide",
    "decide",
    (Status.APPRAISAL, Status.DECIDED),
    (Stage.DECISION,),
)
APPRAISING = Step(
    Stage.APPRAISAL,
    "reviews:appraise",
    "appraise",
    (Status.MEETINGS, Status.APPRAISAL),
    PROPOSALS,
)


@dataclass
class Scope:
    """Organizations whose subjects the user sees and rates; None means all."""

    visible: set | None
    managed: set | None

    def sees(self, review):
        return self.visible is None or review.organization_id in self.visible

    def rates(self, review):
        return self.managed is None or review.organization_id in self.managed

    @property
    def writes(self):
        return self.managed is None or bool(self.managed)


@dataclass
class Meter:
    """HTXSNV allowed (a share of HTTNV, rounded down) against HTXSNV used."""

    percent: Decimal
    good: int
    excellent: int
    base_good: int = 0
    base_excellent: int = 0

    @property
    def allowed(self):
        return rules.quota_allowed(self.good, self.percent)

    @property
    def over(self):
        return self.excellent > self.allowed

    @property
    def scale(self):
        return max(self.allowed, self.excellent, 1)

    @property
    def percent_hundredths(self):
        return int(self.percent * 100)


@dataclass
class Row:
    review: object
    chain: list
    previous: Rating | None
    current: Rating | None
    form: RatingRowForm | None
    highlighted: bool
    caps: list = field(default_factory=list)
    waiting: str | None = None
    errors: list = field(default_factory=list)
    # [(exemption, reason)] of a subject exempted from rating: no level.
    exemptions: list = field(default_factory=list)
    # The score the points rule reads, where it comes from, and the rule's
    # verdict for it (the highest level it allows); None without points.
    score: Decimal | None = None
    score_source: str = ""
    verdict: rules.Finding | None = None
    verdict_broken: bool = False

    @property
    def suggested(self):
        """The proposal the select offers when nothing is recorded at this stage."""
        if self.form is None or self.current is not None:
            return None
        return self.previous

    @property
    def level(self):
        """The level the row stands at: as typed, else as recorded."""
        if self.exemptions:
            return ""
        if self.form is not None:
            value = self.form["level"].value()
            return value if value in rules.ORDER else ""
        shown = self.current or self.previous
        return shown.level.code if shown else ""


@dataclass
class Page:
    cycle: ReviewCycle
    step: Step
    group: ratings.Group
    paginated: object
    rows: list
    levels: list
    meter: Meter
    quota: object
    open: bool
    accept_count: int
    group_ratings: dict
    exemptions: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    incomplete: str = ""


def load_page(cycle, scope, step, group, query, data=None):
    reviews = [r for r in group.reviews if scope.sees(r)]
    if not reviews:
        raise Http404
    paginated = Paginator(reviews, PAGE_SIZE).get_page(page_number(reviews, query))
    shown = group.load(paginated.object_list)
    prefetch_related_objects(
        shown,
        Prefetch("ratings", queryset=Rating.objects.select_related("level", "set_by")),
    )
    book = ratings.RuleBook(cycle, shown, stage=step.stage)
    levels = list(book.levels.values())
    is_open = cycle.status in step.open_states
    exempt = ratings.unrated_exemptions(cycle)
    rows = [
        build_row(
            review,
            step,
            levels,
            cycle,
            scope,
            data,
            is_open,
            query["subject"],
            exempt.get(review.pk, []),
        )
        for review in shown
    ]
    for row in rows:
        add_caps(row, book, step)
    by_review = group_ratings([r.pk for r in group.reviews])
    counted = counted_levels(by_review, step, exempt)
    meter, counts = quota_meter(cycle, group, rows, counted)
    return Page(
        cycle=cycle,
        step=step,
        group=group,
        paginated=paginated,
        rows=rows,
        levels=levels,
        meter=meter,
        quota=ratings.quota_finding(group, counts, meter.percent),
        open=is_open,
        accept_count=len(acceptable(group, by_review, exempt)),
        group_ratings=by_review,
        exemptions=exempt,
        incomplete=book.incomplete,
    )


def page_number(reviews, query):
    """The page asked for, or the one that shows the subject asked for."""
    subject = query["subject"]
    if not subject:
        return query["page"]
    position = next((i for i, r in enumerate(reviews) if r.public_id == subject), None)
    if position is None:
        raise Http404
    return position // PAGE_SIZE + 1


def quota_meter(cycle, group, rows, counted):
    """The meter and the levels counted: as typed on the page, else as recorded.

    The rest (`base`) is what the page's script adds to the selects it counts.
    """
    typed = {row.review.pk: row.level for row in rows if row.form is not None}
    base = Counter(
        counted[r.pk] for r in group.reviews if r.pk not in typed and r.pk in counted
    )
    codes = base + Counter(level for level in typed.values() if level)
    meter = Meter(
        cycle.regime.quota_percent,
        codes[rules.GOOD],
        codes[rules.EXCELLENT],
        base[rules.GOOD],
        base[rules.EXCELLENT],
    )
    return meter, codes


def build_row(
    review, step, levels, cycle, scope, data, is_open, subject, exemptions=()
):
    by_stage = {rating.stage: rating for rating in review.ratings.all()}
    current = by_stage.get(step.stage)
    previous = ratings.previous_rating(review, step.stage, by_stage)
    decided = step.stage != Stage.DECISION and Stage.DECISION in by_stage
    form = None
    writable = is_open and scope.rates(review) and scope.writes
    # A subject exempted from rating is shown with the exemption, not a select.
    if writable and not decided and not exemptions:
        form = RatingRowForm(
            data,
            review=review,
            stage=step.stage,
            levels=levels,
            previous=previous,
            current=current,
            overridable=cycle.regime.overridable_rules or (),
            uses_points=cycle.regime.uses_points,
            score=ratings.chain_score(review, by_stage, upto=step.stage)[0],
        )
    return Row(
        review=review,
        chain=[
            {
                "stage": stage,
                "label": Stage(stage).label,
                "rating": by_stage.get(stage),
                "votes": votes(by_stage.get(stage), levels),
            }
            for stage in ratings.STAGES
        ],
        previous=previous,
        current=current,
        form=form,
        highlighted=review.public_id == subject,
        exemptions=list(exemptions),
    )


def votes(rating, levels):
    if rating is None or not rating.votes:
        return []
    return [(level, rating.votes.get(level.code, 0)) for level in levels]


def add_caps(row, book, step):
    """The rules that cap the subject, each marked broken by the row's level.

    The points rule reads the score ratings.decide reads: the latest of the
    chain (ratings.chain_score), or on the appraisal form the score typed.
    """
    if row.exemptions:
        return
    by_stage = {link["stage"]: link["rating"] for link in row.chain if link["rating"]}
    score, source = ratings.chain_score(row.review, by_stage)
    if step.stage == Stage.APPRAISAL and row.form is not None:
        typed = score_value(row.form)
        if typed is not None:
            score, source = typed, Stage.APPRAISAL
        else:
            score, source = ratings.chain_score(row.review, by_stage, Stage.MEETING)
    level = row.level
    row.caps = [
        (finding, bool(level) and finding.broken_by(level))
        for finding in book.findings(row.review, stage_score=score)
    ]
    row.verdict = book.points_verdict(row.review, score)
    if row.verdict is not None:
        row.score = score
        row.score_source = (
            _("the self-score of the form")
            if source == ratings.SCORE_OF_FORM
            else Stage(source).label
        )
        row.verdict_broken = bool(level) and row.verdict.broken_by(level)
    if step.stage == Stage.DECISION:
        row.waiting = book.collective_waiting(row.review)


def score_value(form):
    """The score typed on the row, as far as its field accepts it."""
    if "score" not in form.fields:
        return None
    return typed_value(form["score"])


def group_ratings(review_ids):
    """Every rating of the given reviews: {review pk: {stage: (level pk, code)}}."""
    found = {}
    rows = Rating.objects.filter(review__in=review_ids).values_list(
        "review_id", "stage", "level_id", "level__code"
    )
    for review_id, stage, level_id, code in rows:
        found.setdefault(review_id, {})[stage] = (level_id, code)
    return found


def counted_levels(by_review, step, exempt=()):
    """The level each subject counts with on the meter: its latest counted stage.

    Subjects exempted from rating (`exempt`) never count.
    """
    counted = {}
    for review_id, stages in by_review.items():
        if review_id in exempt:
            continue
        latest = [stage for stage in step.counted if stage in stages]
        if latest:
            counted[review_id] = stages[latest[-1]][1]
    return counted


def acceptable(group, by_review, exempt=()):
    """Undecided subjects with a proposal, and the level of their latest proposal.

    Subjects exempted from rating (`exempt`) need no decision.
    """
    found = []
    for review in group.reviews:
        if review.pk in exempt:
            continue
        stages = by_review.get(review.pk, {})
        proposals = [stage for stage in PROPOSALS if stage in stages]
        if Stage.DECISION not in stages and proposals:
            found.append((review, stages[proposals[-1]][0]))
    return found


def find_group(groups, query):
    if query["group"]:
        group = groups.get(query["group"])
        if group is None:
            raise Http404
        return group
    if query["subject"]:
        for group in groups.values():
            if any(r.public_id == query["subject"] for r in group.reviews):
                return group
        raise Http404
    return None
