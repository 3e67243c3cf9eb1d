"""The rating chain of one subject: recording each stage, and reading it.

Every subject keeps one Rating per stage (self, meeting, appraisal, decision);
a stage may differ from the one before only with a reason, and history keeps
every change. Also the score the points rule reads, the exemptions that take
a subject out of rating, and the copy of the outcome kept on each review.
"""

from collections import defaultdict

from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Rating, StepExemption

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
