"""The points rule (QĐ 366, docs/process.md §6.3): the regime's bands, read
from its data, and the highest level a score and its conditions allow."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .caps import EXCELLENT, FAIL, GOOD, PASS, Finding, _number


class RegimeIncomplete(Exception):
    """The regime's data lacks what a rule needs; the message says what."""


@dataclass(frozen=True)
class Bands:
    """The points bands of a regime (QĐ 366, §6.3), read from its data."""

    thresholds: dict
    excellent_on_time: Decimal
    excellent_exceeding: Decimal
    excellent_remedied: Decimal
    good_on_time: Decimal
    pass_late: Decimal

    @classmethod
    def of(cls, regime, levels):
        """The bands of `regime` given its levels; RegimeIncomplete if a level
        above KHTNV has no minimum score."""
        missing = [
            level.code
            for level in levels
            if level.min_points is None and level.code != FAIL
        ]
        if missing:
            raise RegimeIncomplete(
                _(
                    "The regime %(regime)s gives no minimum score for %(levels)s; "
                    "set it in the admin (Regimes) before rating."
                )
                % {"regime": regime.name, "levels": ", ".join(missing)}
            )
        return cls(
            thresholds={level.code: level.min_points or 0 for level in levels},
            excellent_on_time=regime.excellent_on_time_percent,
            excellent_exceeding=regime.excellent_exceeding_percent,
            excellent_remedied=regime.excellent_remedied_percent,
            good_on_time=regime.good_on_time_percent,
            pass_late=regime.pass_late_percent,
        )


def points(score, bands, *, on_time, exceeding, remedied):
    """Under QĐ 366 the score and its conditions give the highest level.

    `bands` are the regime's thresholds and conditions. Missing percentages
    count as not met.
    """
    if score is None:
        return Finding(
            "points", FAIL, _("Points: no score was given; the rating is KHTNV.")
        )
    score = Decimal(score)
    on_time = Decimal(on_time) if on_time is not None else Decimal(0)
    exceeding = Decimal(exceeding) if exceeding is not None else Decimal(0)
    remedied = Decimal(remedied) if remedied is not None else Decimal(0)
    values = {
        "score": _number(score),
        "on_time": _number(on_time),
        "exceeding": _number(exceeding),
        "remedied": _number(remedied),
        "excellent": _number(bands.thresholds[EXCELLENT]),
        "good": _number(bands.thresholds[GOOD]),
        "pass": _number(bands.thresholds[PASS]),
        "excellent_on_time": _number(bands.excellent_on_time),
        "excellent_exceeding": _number(bands.excellent_exceeding),
        "excellent_remedied": _number(bands.excellent_remedied),
        "good_on_time": _number(bands.good_on_time),
        "pass_late": _number(bands.pass_late),
    }
    if (
        score >= bands.thresholds[EXCELLENT]
        and on_time >= bands.excellent_on_time
        and exceeding >= bands.excellent_exceeding
        and remedied >= bands.excellent_remedied
    ):
        return None
    if score >= bands.thresholds[GOOD] and on_time >= bands.good_on_time:
        reason = _(
            "Points: %(score)s points, %(on_time)s%% of tasks on time, "
            "%(exceeding)s%% exceeding, %(remedied)s%% of shortcomings remedied; "
            "HTXSNV needs ≥ %(excellent)s points, ≥ %(excellent_on_time)s%% on "
            "time, ≥ %(excellent_exceeding)s%% exceeding and "
            "≥ %(excellent_remedied)s%% remedied."
        )
        return Finding("points", GOOD, reason % values)
    if score >= bands.thresholds[PASS] and 100 - on_time <= bands.pass_late:
        reason = _(
            "Points: %(score)s points with %(on_time)s%% of tasks on time; HTTNV "
            "needs ≥ %(good)s points and ≥ %(good_on_time)s%% of tasks on time."
        )
        return Finding("points", PASS, reason % values)
    reason = _(
        "Points: %(score)s points with %(on_time)s%% of tasks on time; HTNV needs "
        "≥ %(pass)s points and at most %(pass_late)s%% of tasks late."
    )
    return Finding("points", FAIL, reason % values)


def points_verdict(score, bands, *, on_time, exceeding, remedied):
    """The points rule's verdict, always: the highest level `score` allows.

    Where `points` finds nothing to cap, the subject may be rated HTXSNV.
    """
    found = points(
        score, bands, on_time=on_time, exceeding=exceeding, remedied=remedied
    )
    if found is not None:
        return found
    return Finding(
        "points",
        EXCELLENT,
        _(
            "Points: %(score)s points with every condition of HTXSNV met; the "
            "score allows HTXSNV."
        )
        % {"score": _number(score)},
    )
